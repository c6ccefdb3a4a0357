"""The vehicle register in bulk, from the sales system (CSV or XLSX, 100,000+ rows), through the import
path the catalogue uses (policy's `imports`): the header checked at upload, every row checked by
`check_vehicle` with its line number, COPY into staging, one UPDATE of the VINs known and one INSERT of the new.

A VIN already in the register is updated from the file (the sales system is the source of its sale data);
a row that changes nothing writes nothing.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from dealernet.core.access import Permission
from dealernet.core.errors import ValidationFailed
from dealernet.policy.rules import ImportKind
from dealernet.policy.service.imports import ImportKindSpec, Problem
from dealernet.workshop.rules import normal_vin, vin_problem
from dealernet.workshop.service.vehicles import MAX_DEALER, MAX_MODEL, VehicleInput, check_vehicle

VEHICLES = ImportKind.VEHICLES
# 2026-03-01, and what a spreadsheet's date cell reads as (2026-03-01 00:00:00).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]00:00(?::00)?)?$")


def _date(line: int, column: str, value: str, *, required: bool) -> tuple[date | None, list[Problem]]:
    text = value.strip()
    if not text:
        return None, [Problem(line, column, "required")] if required else []
    if _DATE.match(text):
        with contextlib.suppress(ValueError):  # 2025-13-01 has the shape of a date, not a date
            return date.fromisoformat(text[:10]), []
    return None, [Problem(line, column, f"{text!r} is not a date (YYYY-MM-DD)")]


def _fast_date(value: str) -> date | None:
    """YYYY-MM-DD only (Python reads ISO week dates too, which a register never holds)."""
    if len(value) != 10 or value[4] != "-" or value[7] != "-":
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_vehicle_row(line: int, row: Mapping[str, str]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    """A register row as a staging record (line, vin, model, production, sale, dealer, registration). A row
    the quick checks pass is taken as it is (the sales system's rows are good); any other row goes through
    `check_vehicle`, so every problem is reported in the API's words."""
    vin, model, dealer = normal_vin(row["vin"]), row["model"].strip(), row.get("selling_dealer", "").strip()
    sale_text, registration_text = row.get("sale_date", "").strip(), row.get("first_registration", "").strip()
    production = _fast_date(row["production_date"].strip())
    sale = _fast_date(sale_text) if sale_text else None
    registration = _fast_date(registration_text) if registration_text else None
    if (
        production is not None
        and (sale is not None or not sale_text)
        and (registration is not None or not registration_text)
        and (sale is None or sale >= production)
        and (registration is None or registration >= production)
        and 0 < len(model) <= MAX_MODEL
        and len(dealer) <= MAX_DEALER
        and vin_problem(vin) is None
    ):
        return (line, vin, model, production, sale, dealer, registration), []
    return _checked_row(line, row)


def _checked_row(line: int, row: Mapping[str, str]) -> tuple[tuple[Any, ...] | None, list[Problem]]:
    production, problems = _date(line, "production_date", row["production_date"], required=True)
    sale, bad_sale = _date(line, "sale_date", row.get("sale_date", ""), required=False)
    registration, bad_registration = _date(
        line, "first_registration", row.get("first_registration", ""), required=False
    )
    problems += bad_sale + bad_registration
    if production is None:
        return None, problems
    try:
        vehicle = check_vehicle(
            VehicleInput(
                vin=row["vin"],
                model=row["model"],
                production_date=production,
                sale_date=sale,
                selling_dealer=row.get("selling_dealer", ""),
                first_registration=registration,
            )
        )
    except ValidationFailed as exc:  # check_vehicle names fields in snake_case, as the file names its columns
        return None, problems + [Problem(line, field, reason) for field, reason in sorted(exc.fields.items())]
    if problems:
        return None, problems
    record = (
        line,
        vehicle.vin,
        vehicle.model,
        vehicle.production_date,
        vehicle.sale_date,
        vehicle.selling_dealer,
        vehicle.first_registration,
    )
    return record, []


# Two statements, not one INSERT … ON CONFLICT: a plain INSERT of the new VINs costs what a COPY does, the
# speculative insertion of ON CONFLICT a third more (bench/README.md). The network's register imports take
# turns (a transaction lock), so no other import adds a VIN between the two; a VIN typed in through the API
# meanwhile makes the INSERT fail, and the job runs again.
_MERGE = (
    """
    WITH turn AS (
      SELECT pg_advisory_xact_lock(hashtextextended('vehicle_register:' || CAST(CAST(:network AS uuid) AS text), 0))
    )
    UPDATE vehicles t
      SET model = s.model, production_date = s.production_date, sale_date = s.sale_date,
          selling_dealer = s.selling_dealer, first_registration = s.first_registration, updated_at = now()
    FROM {staging} s, turn
    WHERE t.network_id = :network AND t.vin = s.vin
      AND (t.model, t.production_date, t.sale_date, t.selling_dealer, t.first_registration)
          IS DISTINCT FROM (s.model, s.production_date, s.sale_date, s.selling_dealer, s.first_registration)
    """,
    """
    INSERT INTO vehicles (id, network_id, vin, model, production_date, sale_date, selling_dealer, first_registration)
    SELECT uuid_generate_v7(), :network, s.vin, s.model, s.production_date, s.sale_date, s.selling_dealer,
           s.first_registration
    FROM {staging} s
    WHERE NOT EXISTS (SELECT 1 FROM vehicles v WHERE v.network_id = :network AND v.vin = s.vin)
    """,
)

VEHICLE_IMPORT = ImportKindSpec(
    kind=VEHICLES,
    required=("vin", "model", "production_date"),
    optional=("sale_date", "selling_dealer", "first_registration"),
    check=check_vehicle_row,
    key=lambda record: record[1],
    key_column="vin",
    staging="line integer, vin text, model text, production_date date, sale_date date, selling_dealer text, "
    "first_registration date",
    staging_columns=("line", "vin", "model", "production_date", "sale_date", "selling_dealer", "first_registration"),
    merge=_MERGE,
    permission=Permission.vehicles_manage,
)
