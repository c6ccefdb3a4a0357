"""A station's repair orders in one file from its dealer management system (a day's, say), through the import
path (policy's `imports`): uploaded by the station's people or its DMS client, followed like any import.

Two formats. CSV (or XLSX): one row per repair-order line, the order's columns on its first row (later rows
of the same `dms_reference` may repeat them, not change them). JSON lines: one repair order per line, its
lines in `lines`. Every order is checked as the API checks it — the reception sheet's rules, the VIN in the
register, the customer the station's, the odometer not lower than before without a reason, each line's
operation or part, its price as of the reception day at the station, its technician and the dispatch
check, the steps in order — and the orders are written set-based: COPY into staging, the references
resolved by one statement each, numbers taken from the station's series in one step, one INSERT … SELECT
for the orders, one for the lines, one for their journal rows. The DMS's reference is kept: an order sent
again is reported, never imported twice.

What the file records is work the station did: its lines are consented; an order without a completion
time is in work (and goes on through the API), one with it completed, settled or handed over.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.ids import split_global_id
from dealernet.core.scope import Scope
from dealernet.network.service.training import can_dispatch
from dealernet.policy.models import Import
from dealernet.policy.rules import ImportKind, ImportMode, RepairLevel, ServiceType
from dealernet.policy.service import imports
from dealernet.policy.service.as_of import labour_rate_as_of
from dealernet.policy.service.imports import ImportKindSpec, JsonProblem, Loaded, Problem, Progress
from dealernet.policy.service.prices import price_as_of
from dealernet.tenants.models import Network, Station
from dealernet.workshop import rules
from dealernet.workshop.rules import Arrival, LineKind, RepairOrderStatus
from dealernet.workshop.service.repair_orders import (
    MAX_BELONGINGS,
    MAX_QUANTITY,
    next_in_station_series,
    repair_guarantees,
)

REPAIR_ORDERS = ImportKind.REPAIR_ORDERS
MAX_LINES = 200  # lines of one repair order
MAX_TEXT = 4_000
ORDER_REQUIRED = ("dms_reference", "vin", "customer_id", "received_at", "odometer_km", "fuel_eighths", "concern")
ORDER_OPTIONAL = (
    "promised_at",
    "arrival",
    "repair_level",
    "odometer_reason",
    "visible_damage",
    "belongings",
    "completed_at",
    "settled_at",
    "handed_over_at",
)
LINE_REQUIRED = ("kind", "service_type")
LINE_OPTIONAL = ("operation_code", "part_number", "quantity", "technician_email", "concern", "cause", "correction")
# A CSV row is a line: its own columns are prefixed where an order's column has the same name.
CSV_LINE_COLUMNS = {"line_kind": "kind", "line_concern": "concern"}
CSV_REQUIRED = (*ORDER_REQUIRED, "line_kind", "service_type")
CSV_OPTIONAL = (*ORDER_OPTIONAL, "operation_code", "part_number", "quantity", "technician_email", "line_concern",
                "cause", "correction")  # fmt: skip
DEFAULT_PROMISE = timedelta(hours=4)  # a DMS that keeps no promised time: the reception plus four hours


# --- Reading: both formats into one shape -----------------------------------------------------------------


@dataclass
class Document:
    """One repair order as the file gives it: its fields as text, its lines with their own file lines."""

    line: int
    fields: dict[str, str]
    lines: list[tuple[int, dict[str, str]]]
    json: bool = False  # a JSON order's lines share its file line: a problem names a line by its place

    def where(self, position: int) -> str:
        return f"lines.{position - 1}." if self.json else ""


def _csv_documents(content: bytes, fmt: str) -> tuple[list[Document], list[Problem]]:
    _, rows = imports.read_file(REPAIR_ORDERS, content, fmt)
    documents: dict[str, Document] = {}
    problems: list[Problem] = []
    for line, row in rows:
        reference = row.get("dms_reference", "").strip()
        own = {CSV_LINE_COLUMNS.get(name, name): value for name, value in row.items() if name not in ORDER_COLUMNS}
        order = {name: value for name, value in row.items() if name in ORDER_COLUMNS}
        document = documents.get(reference) if reference else None
        if document is None:
            documents[reference or f"#{line}"] = Document(line, order, [(line, own)])
            continue
        for name, value in order.items():
            if value.strip() and value.strip() != document.fields.get(name, "").strip():
                problems.append(Problem(line, name, f"differs from line {document.line} of the same repair order"))
        document.lines.append((line, own))
    return list(documents.values()), problems


ORDER_COLUMNS = frozenset(ORDER_REQUIRED + ORDER_OPTIONAL)


def _text(value: Any) -> str | None:
    """A JSON value as the text a CSV cell would hold; None for what no cell holds (an object, a list)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return None
    if isinstance(value, str | int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return None


def _json_fields(
    line: int, value: Mapping[str, Any], known: frozenset[str], where: str
) -> tuple[dict[str, str], list[Problem]]:
    fields: dict[str, str] = {}
    problems: list[Problem] = []
    for name, raw in value.items():
        if name not in known:
            problems.append(Problem(line, f"{where}{name}", "not a field of a repair order"))
            continue
        if name == "belongings" and isinstance(raw, list) and all(isinstance(b, str) for b in raw):
            fields[name] = "|".join(raw)
            continue
        cell = _text(raw)
        if cell is None:
            problems.append(Problem(line, f"{where}{name}", "a text or a number"))
        else:
            fields[name] = cell
    return fields, problems


def _json_documents(content: bytes) -> tuple[list[Document], list[Problem]]:
    documents: list[Document] = []
    problems: list[Problem] = []
    records = imports.read_json_lines(content)
    line_fields = frozenset(LINE_REQUIRED + LINE_OPTIONAL)
    for line, value in records:
        if isinstance(value, JsonProblem):
            problems.append(Problem(line, "line", f"not JSON: {value.reason}"))
            continue
        if not isinstance(value, dict):
            problems.append(Problem(line, "line", "a repair order is a JSON object"))
            continue
        raw_lines = value.pop("lines", None)
        fields, bad = _json_fields(line, value, ORDER_COLUMNS, "")
        problems += bad
        if not isinstance(raw_lines, list) or not all(isinstance(item, dict) for item in raw_lines):
            problems.append(Problem(line, "lines", "a list of the order's lines, each a JSON object"))
            continue
        own: list[tuple[int, dict[str, str]]] = []
        for index, item in enumerate(raw_lines):
            line_values, bad = _json_fields(line, item, line_fields, f"lines.{index}.")
            problems += bad
            own.append((line, line_values))
        documents.append(Document(line, fields, own, json=True))
    return documents, problems


def read_documents(content: bytes, fmt: str) -> tuple[list[Document], list[Problem]]:
    """The file's repair orders and the problems of its shape."""
    return _json_documents(content) if fmt == "jsonl" else _csv_documents(content, fmt)


# --- Checking one order, pure -------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRecord:
    line: int
    position: int
    where: str  # how a problem names this line's fields: "lines.0." in JSON, "" in CSV
    kind: LineKind
    service_type: ServiceType
    operation_code: str
    part_number: str
    quantity: Decimal | None
    technician_email: str
    concern: str
    cause: str
    correction: str
    id: UUID


@dataclass(frozen=True)
class OrderRecord:
    line: int
    id: UUID
    reference: str
    vin: str
    customer_id: UUID
    received_at: datetime
    promised_at: datetime
    odometer_km: int
    fuel_eighths: int
    concern: str
    arrival: Arrival
    repair_level: RepairLevel | None
    odometer_reason: str
    visible_damage: str
    belongings: tuple[str, ...]
    completed_at: datetime | None
    settled_at: datetime | None
    handed_over_at: datetime | None
    lines: tuple[LineRecord, ...]

    @property
    def status(self) -> RepairOrderStatus:
        if self.handed_over_at is not None:
            return RepairOrderStatus.HANDED_OVER
        if self.settled_at is not None:
            return RepairOrderStatus.SETTLED
        if self.completed_at is not None:
            return RepairOrderStatus.COMPLETED
        return RepairOrderStatus.IN_WORK


Choice = TypeVar("Choice", Arrival, RepairLevel, LineKind, ServiceType)


class _Checker:
    """Collects every problem of one order with its file line; reads each field once."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.problems: list[Problem] = []

    def bad(self, line: int, column: str, reason: str) -> None:
        self.problems.append(Problem(line, column, reason))

    def required(self, line: int, fields: Mapping[str, str], name: str, column: str, limit: int) -> str:
        value = fields.get(name, "").strip()
        if not value:
            self.bad(line, column, "required")
        elif len(value) > limit:
            self.bad(line, column, f"at most {limit:,} characters")
        return value

    def optional(self, line: int, fields: Mapping[str, str], name: str, column: str, limit: int) -> str:
        value = fields.get(name, "").strip()
        if len(value) > limit:
            self.bad(line, column, f"at most {limit:,} characters")
        return value

    def integer(self, line: int, fields: Mapping[str, str], name: str, low: int, high: int) -> int:
        value = fields.get(name, "").strip()
        if value.isdigit() and low <= int(value) <= high:
            return int(value)
        self.bad(line, name, f"a whole number from {low:,} to {high:,}")
        return low

    def time(self, line: int, fields: Mapping[str, str], name: str) -> datetime | None:
        value = fields.get(name, "").strip()
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.bad(line, name, f"{value!r} is not a time (2026-12-01T09:30+08:00, or local time)")
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.zone)

    def choice(self, line: int, value: str, column: str, kind: type[Choice]) -> Choice | None:
        try:
            return kind(value.strip().lower())
        except ValueError:
            self.bad(line, column, ", ".join(str(choice) for choice in kind))
            return None


def _customer_id(value: str) -> UUID | None:
    """The customer as the API gave it to the DMS (its global id), or its uuid."""
    parts = split_global_id(value)
    raw = parts[1] if parts is not None and parts[0] == "Customer" else value
    try:
        return UUID(raw)
    except ValueError:
        return None


def _check_line(
    check: _Checker, number: int, position: int, fields: Mapping[str, str], where: str
) -> LineRecord | None:
    before = len(check.problems)
    kind = check.choice(number, fields.get("kind", ""), f"{where}kind", LineKind)
    service_type = check.choice(number, fields.get("service_type", ""), f"{where}service_type", ServiceType)
    code = check.optional(number, fields, "operation_code", f"{where}operation_code", 20).upper()
    part_number = check.optional(number, fields, "part_number", f"{where}part_number", 40).upper()
    if kind == LineKind.LABOUR and (not code or part_number):
        check.bad(number, f"{where}operation_code", "a labour line names its operation code (and no part)")
    if kind == LineKind.PART and (not part_number or code):
        check.bad(number, f"{where}part_number", "a part line names its part number (and no operation)")
    if kind in (LineKind.SUBLET, LineKind.OTHER):  # priced by an invoice the station enters with quoteLine
        check.bad(number, f"{where}kind", "a day file carries labour and part lines; quote sublet and other costs")
    quantity: Decimal | None = None
    if raw := fields.get("quantity", "").strip():
        try:
            quantity = Decimal(raw)
        except InvalidOperation:
            quantity = Decimal("NaN")
        if not (quantity.is_finite() and 0 < quantity <= MAX_QUANTITY and quantity == round(quantity, 2)):
            check.bad(number, f"{where}quantity", "above 0 with at most two decimals")
    email = check.optional(number, fields, "technician_email", f"{where}technician_email", 320).lower()
    texts = {name: check.optional(number, fields, name, f"{where}{name}", MAX_TEXT) for name in
             ("concern", "cause", "correction")}  # fmt: skip
    if len(check.problems) > before or kind is None or service_type is None:
        return None
    return LineRecord(number, position, where, kind, service_type, code, part_number, quantity, email,
                      texts["concern"], texts["cause"], texts["correction"], new_id())  # fmt: skip


def check_order(document: Document, zone: ZoneInfo, now: datetime) -> tuple[OrderRecord | None, list[Problem]]:
    """One repair order as a staging record, or every problem it has (each at its file line)."""
    check, fields, line = _Checker(zone), document.fields, document.line
    reference = check.required(line, fields, "dms_reference", "dms_reference", 40)
    vin = rules.normal_vin(fields.get("vin", ""))
    if (problem := rules.vin_problem(vin)) is not None:
        check.bad(line, "vin", problem)
    customer = _customer_id(fields.get("customer_id", "").strip())
    if customer is None:
        check.bad(line, "customer_id", "the customer's id as the API gave it")
    received = check.time(line, fields, "received_at")
    if received is None and "received_at" not in {p.column for p in check.problems}:
        check.bad(line, "received_at", "required")
    odometer = check.integer(line, fields, "odometer_km", 0, 10_000_000)
    fuel = check.integer(line, fields, "fuel_eighths", 0, 8)
    concern = check.required(line, fields, "concern", "concern", MAX_TEXT)
    arrival = check.choice(line, fields.get("arrival") or Arrival.WALK_IN, "arrival", Arrival)
    level = None
    if fields.get("repair_level", "").strip():
        level = check.choice(line, fields["repair_level"], "repair_level", RepairLevel)
    reason = check.optional(line, fields, "odometer_reason", "odometer_reason", 300)
    damage = check.optional(line, fields, "visible_damage", "visible_damage", MAX_TEXT)
    belongings = tuple(b.strip() for b in fields.get("belongings", "").split("|") if b.strip())
    if len(belongings) > MAX_BELONGINGS or any(len(b) > 200 for b in belongings):
        check.bad(line, "belongings", f"at most {MAX_BELONGINGS} items of 1 to 200 characters, split by |")
    steps = [(name, check.time(line, fields, name)) for name in ("completed_at", "settled_at", "handed_over_at")]
    promised = check.time(line, fields, "promised_at")
    if received is not None:
        _check_steps(check, line, received, promised, steps, now)
    if not document.lines:
        check.bad(line, "lines", "a repair order has at least one line")
    if len(document.lines) > MAX_LINES:
        check.bad(line, "lines", f"at most {MAX_LINES} lines per repair order")
    lines = [_check_line(check, number, position, own, document.where(position))
             for position, (number, own) in enumerate(document.lines[:MAX_LINES], start=1)]  # fmt: skip
    completed = steps[0][1]
    if completed is not None:
        for checked in lines:
            if checked is not None and not checked.technician_email:
                reason = "a completed order's lines name their technician"
                check.bad(checked.line, f"{checked.where}technician_email", reason)
    if check.problems or received is None or customer is None or arrival is None:
        return None, check.problems
    record = OrderRecord(
        line=line, id=new_id(), reference=reference, vin=vin, customer_id=customer, received_at=received,
        promised_at=promised or (completed if completed and completed > received else received + DEFAULT_PROMISE),
        odometer_km=odometer, fuel_eighths=fuel, concern=concern, arrival=arrival, repair_level=level,
        odometer_reason=reason, visible_damage=damage, belongings=belongings, completed_at=completed,
        settled_at=steps[1][1], handed_over_at=steps[2][1], lines=tuple(r for r in lines if r is not None),
    )  # fmt: skip
    return record, []


def _check_steps(
    check: _Checker,
    line: int,
    received: datetime,
    promised: datetime | None,
    steps: Sequence[tuple[str, datetime | None]],
    now: datetime,
) -> None:
    """The chain's times in order, none in the future, each step only after the one before it."""
    if received > now:
        check.bad(line, "received_at", "in the future")
    if promised is not None and promised <= received:
        check.bad(line, "promised_at", "a time after the reception")
    previous_name: str = "received_at"
    previous: datetime | None = received
    for name, at in steps:
        if at is not None:
            if previous is None:
                check.bad(line, name, f"needs {previous_name} first")
            elif at < previous:
                check.bad(line, name, f"before {previous_name}")
            elif at > now:
                check.bad(line, name, "in the future")
        previous_name, previous = name, at


# --- Staging and resolving, set-based -------------------------------------------------------------------

_ORDERS_STAGING = (
    "line integer, id uuid, reference text, vin text, vehicle_id uuid, customer_id uuid, received_at timestamptz, "
    "received_on date, odometer_km integer, odometer_reason text"
)
_LINES_STAGING = (
    "line integer, id uuid, order_line integer, kind text, service_type text, operation_code text, "
    "part_number text, technician_email text, labour_operation_id uuid, flat_rate_hours numeric, part_id uuid, "
    "technician_id uuid"
)


@dataclass(frozen=True)
class Unresolvable:
    """A reference of the staged rows that the network (or the station) does not have."""

    table: str  # "orders" or "lines"
    column: str
    reason: str
    select: str  # the lines at fault (and a detail to name)


_RESOLVE = (
    "UPDATE {orders} s SET vehicle_id = v.id FROM vehicles v WHERE v.vin = s.vin",
    "UPDATE {lines} s SET labour_operation_id = o.id, flat_rate_hours = o.flat_rate_hours FROM labour_operations o "
    "WHERE s.kind = 'labour' AND o.code = s.operation_code",
    "UPDATE {lines} s SET part_id = p.id FROM parts p WHERE s.kind = 'part' AND p.part_number = s.part_number",
    # The station's active technicians (a station reads its own people's e-mail addresses).
    "UPDATE {lines} s SET technician_id = m.user_id FROM memberships m JOIN users u ON u.id = m.user_id "
    "WHERE s.technician_email <> '' AND lower(u.email) = s.technician_email AND m.station_id = :station "
    "AND m.role = 'station_technician' AND m.is_active",
)
_UNRESOLVABLE = (
    Unresolvable("orders", "vin", "no vehicle with this VIN in the network's register",
                 "SELECT line, '' FROM {orders} WHERE vehicle_id IS NULL"),
    Unresolvable("orders", "customer_id", "no such customer of your station",
                 "SELECT s.line, '' FROM {orders} s WHERE NOT EXISTS (SELECT 1 FROM customers c "
                 "WHERE c.station_id = :station AND c.id = s.customer_id)"),
    Unresolvable("orders", "dms_reference", "imported already, as repair order {}",
                 "SELECT s.line, r.number FROM {orders} s JOIN repair_orders r "
                 "ON r.station_id = :station AND r.dms_reference = s.reference"),
    Unresolvable("orders", "odometer_km", "lower than the {} km recorded before: say why in odometer_reason",
                 "SELECT s.line, to_char(k.last, 'FM999,999,999') FROM {orders} s "
                 "CROSS JOIN LATERAL (SELECT vehicle_last_odometer(s.vehicle_id) AS last) k "
                 "WHERE s.vehicle_id IS NOT NULL AND s.odometer_reason = '' AND s.odometer_km < k.last"),
    Unresolvable("lines", "operation_code", "no labour operation with this code",
                 "SELECT line, '' FROM {lines} WHERE kind = 'labour' AND labour_operation_id IS NULL"),
    Unresolvable("lines", "part_number", "no part with this number in the catalogue",
                 "SELECT line, '' FROM {lines} WHERE kind = 'part' AND part_id IS NULL"),
    Unresolvable("lines", "technician_email", "no active technician of your station with this e-mail address",
                 "SELECT line, '' FROM {lines} WHERE technician_email <> '' AND technician_id IS NULL"),
)  # fmt: skip


@dataclass(frozen=True)
class Staged:
    orders: str
    lines: str


async def _stage(
    session: AsyncSession, scope: Scope, staging: str, records: Sequence[OrderRecord], zone: ZoneInfo
) -> tuple[Staged, list[Problem]]:
    """COPY the orders and their lines into staging and resolve every reference, one statement each; the
    problems name the file lines whose reference does not resolve."""
    staged = Staged(f"{staging}_orders", f"{staging}_lines")
    for table, columns in ((staged.orders, _ORDERS_STAGING), (staged.lines, _LINES_STAGING)):
        await session.execute(text(f"CREATE TEMPORARY TABLE {table} ({columns}) ON COMMIT DROP"))
    await imports.copy_records(session, staged.orders, [
        (r.line, r.id, r.reference, r.vin, None, r.customer_id, r.received_at, r.received_at.astimezone(zone).date(),
         r.odometer_km, r.odometer_reason) for r in records
    ])  # fmt: skip
    await imports.copy_records(session, staged.lines, [
        (li.line, li.id, r.line, li.kind, li.service_type, li.operation_code, li.part_number, li.technician_email,
         None, None, None, None) for r in records for li in r.lines
    ])  # fmt: skip
    params = {"station": scope.station_id}
    names = {"orders": staged.orders, "lines": staged.lines}
    for statement in _RESOLVE:
        await session.execute(text(statement.format(**names)), params)
    problems: list[Problem] = []
    by_line = {li.line: li for r in records for li in r.lines}
    for check in _UNRESOLVABLE:
        for line, detail in (await session.execute(text(check.select.format(**names)), params)).all():
            where = by_line[line].where if check.table == "lines" and line in by_line else ""
            problems.append(Problem(line, f"{where}{check.column}", check.reason.format(detail)))
    return staged, problems


# --- Prices, dispatch and comebacks: per distinct day, part and service type, not per row ---------------


_RESOLVED = "SELECT id, labour_operation_id, flat_rate_hours, part_id FROM {lines}"


@dataclass(frozen=True)
class Priced:
    quantity: Decimal
    unit_price: Decimal
    source: UUID


async def _prices(
    session: AsyncSession,
    scope: Scope,
    station: Station,
    staged: Staged,
    records: Sequence[OrderRecord],
    zone: ZoneInfo,
) -> tuple[dict[UUID, Priced], list[Problem]]:
    """Each line priced as of its order's reception day at the station (the rate and prices delivered to
    it), as `add_line` prices it: one lookup per distinct day, and per distinct part and day."""
    resolved = {row.id: row for row in (await session.execute(text(_RESOLVED.format(lines=staged.lines)))).all()}
    days = {r.line: r.received_at.astimezone(zone).date() for r in records}
    rates = {day: await labour_rate_as_of(session, station, on=day) for day in sorted(set(days.values()))}
    wanted = {(resolved[li.id].part_id, days[r.line]) for r in records for li in r.lines
              if li.kind == LineKind.PART and resolved[li.id].part_id is not None}  # fmt: skip
    prices = {
        key: await price_as_of(session, scope, part_id=key[0], station_id=station.id, on=key[1]) for key in wanted
    }
    priced: dict[UUID, Priced] = {}
    problems: list[Problem] = []
    for order in records:
        day = days[order.line]
        for li in order.lines:
            row = resolved[li.id]
            if li.kind == LineKind.LABOUR:
                if row.labour_operation_id is None:
                    continue
                rate = rates[day]
                if rate is None:
                    problems.append(Problem(li.line, f"{li.where}operation_code", f"no labour rate in force on {day}"))
                    continue
                priced[li.id] = Priced(li.quantity or row.flat_rate_hours, rate.hourly_rate, rate.rate_id)
            elif row.part_id is not None:
                price = prices[(row.part_id, day)]
                if price is None:
                    problems.append(Problem(li.line, f"{li.where}part_number", f"no price in force on {day}"))
                    continue
                priced[li.id] = Priced(li.quantity or Decimal("1.00"), price.list_price, price.price_id)
    return priced, problems


async def _dispatch(
    session: AsyncSession, scope: Scope, station: Station, records: Sequence[OrderRecord], zone: ZoneInfo
) -> list[Problem]:
    """The dispatch check of each line given a technician, once per distinct service type, level and day."""
    verdicts: dict[tuple[str, str | None, date], str | None] = {}
    problems: list[Problem] = []
    for order in records:
        day = order.received_at.astimezone(zone).date()
        for li in order.lines:
            if not li.technician_email:
                continue
            key = (str(li.service_type), order.repair_level, day)
            if key not in verdicts:
                verdict = await can_dispatch(
                    session, scope, station_id=station.id, service_type=key[0], on=day, repair_level=key[1]
                )
                verdicts[key] = None if verdict.allowed else verdict.reason
            if (reason := verdicts[key]) is not None:
                problems.append(
                    Problem(li.line, f"{li.where}service_type", f"your station may not do this work on {day}: {reason}")
                )
    return problems


_PREVIOUS = """
    SELECT s.line, p.id, p.completed_at, p.odometer_km, p.repair_level FROM {orders} s
    CROSS JOIN LATERAL (
      SELECT r.id, r.completed_at, r.odometer_km, r.repair_level FROM repair_orders r
      WHERE r.station_id = :station AND r.vehicle_id = s.vehicle_id AND r.repair_level IS NOT NULL
        AND r.completed_at IS NOT NULL AND r.completed_at < s.received_at
      ORDER BY r.completed_at DESC LIMIT 1
    ) p
"""


async def _comebacks(
    session: AsyncSession, scope: Scope, staged: Staged, records: Sequence[OrderRecord], zone: ZoneInfo
) -> dict[int, UUID]:
    """The orders back within an earlier repair's quality guarantee (the station's own last completed repair
    of the vehicle), by file line: one query for every order's previous repair, the rule in Python."""
    by_line = {r.line: r for r in records}
    statement = text(_PREVIOUS.format(orders=staged.orders))
    previous = (await session.execute(statement, {"station": scope.station_id})).all()
    days = sorted({by_line[row.line].received_at.astimezone(zone).date() for row in previous if row.line in by_line})
    guarantees = {day: await repair_guarantees(session, scope.station_id, day) for day in days}
    found: dict[int, UUID] = {}
    for row in previous:
        order = by_line.get(row.line)
        if order is None:  # an order of the file that is not written
            continue
        if rules.is_comeback_of(
            guarantees[order.received_at.astimezone(zone).date()],
            repair_level=row.repair_level,
            days_since=(order.received_at - row.completed_at).days,
            km_since=order.odometer_km - row.odometer_km,
        ):
            found[order.line] = row.id
    return found


# --- Writing, set-based -------------------------------------------------------------------------------

_INSERT_ORDERS = """
    INSERT INTO repair_orders (station_id, id, network_id, number, status, vehicle_id, customer_id, arrival,
        odometer_km, odometer_reason, fuel_eighths, visible_damage, belongings, concern, repair_level, promised_at,
        customer_notice_at, received_at, received_by, comeback_of, work_started_at, completed_at, inspected_by,
        certificate_number, settled_at, handed_over_at, dms_reference)
    SELECT :station, s.id, :network, n.number, n.status, s.vehicle_id, s.customer_id, n.arrival, s.odometer_km,
        s.odometer_reason, n.fuel_eighths, n.visible_damage, string_to_array(n.belongings, '|'), n.concern,
        n.repair_level, n.promised_at, n.customer_notice_at, s.received_at, :actor, n.comeback_of, s.received_at,
        n.completed_at,
        CASE WHEN n.completed_at IS NOT NULL THEN CAST(:actor AS uuid) END, n.certificate_number, n.settled_at,
        n.handed_over_at, s.reference
    FROM {orders} s JOIN unnest(CAST(:lines AS integer[]), CAST(:numbers AS text[]), CAST(:statuses AS text[]),
        CAST(:arrivals AS text[]), CAST(:fuel AS smallint[]), CAST(:damage AS text[]), CAST(:belongings AS text[]),
        CAST(:concerns AS text[]), CAST(:levels AS text[]), CAST(:promised AS timestamptz[]),
        CAST(:notices AS timestamptz[]),
        CAST(:comebacks AS uuid[]), CAST(:completed AS timestamptz[]), CAST(:certificates AS text[]),
        CAST(:settled AS timestamptz[]), CAST(:handed_over AS timestamptz[]))
      AS n(line, number, status, arrival, fuel_eighths, visible_damage, belongings, concern, repair_level,
           promised_at, customer_notice_at, comeback_of, completed_at, certificate_number, settled_at, handed_over_at)
      ON n.line = s.line
    ORDER BY s.received_at, s.line
"""
_INSERT_LINES = """
    INSERT INTO repair_order_lines (station_id, id, network_id, repair_order_id, position, kind, service_type,
        labour_operation_id, part_id, quantity, unit_price, amount, price_source, consent, consent_recorded_by,
        consent_recorded_at, technician_id, concern, cause, correction)
    SELECT :station, l.id, :network, n.order_id, n.position, l.kind, l.service_type, l.labour_operation_id,
        l.part_id, n.quantity, n.unit_price, n.amount, n.price_source, 'consented', :actor, n.consented_at,
        l.technician_id, n.concern, n.cause, n.correction
    FROM {lines} l JOIN unnest(CAST(:ids AS uuid[]), CAST(:orders AS uuid[]), CAST(:positions AS smallint[]),
        CAST(:quantities AS numeric[]), CAST(:prices AS numeric[]), CAST(:amounts AS numeric[]),
        CAST(:sources AS uuid[]), CAST(:consented AS timestamptz[]), CAST(:concerns AS text[]),
        CAST(:causes AS text[]), CAST(:corrections AS text[]))
      AS n(id, order_id, position, quantity, unit_price, amount, price_source, consented_at, concern, cause,
           correction)
      ON n.id = l.id
"""
_JOURNAL = """
    INSERT INTO journal (id, network_id, station_id, actor_id, entity, entity_id, action, after, request_id)
    SELECT uuid_generate_v7(), :network, :station, :actor, 'repair_order', r.id, 'imported',
           jsonb_build_object('number', r.number, 'status', r.status, 'dms_reference', r.dms_reference,
                              'import', CAST(:import AS text)), :request
    FROM repair_orders r WHERE r.station_id = :station AND r.id = ANY(CAST(:ids AS uuid[])) ORDER BY r.number
"""


async def _numbers(
    session: AsyncSession, scope: Scope, series: str, orders: Sequence[OrderRecord], year_of: Any, numbering: Any
) -> dict[int, str]:
    """Numbers for the orders from the station's series of each year, taken in one step per year, in the
    order of the orders' times."""
    numbers: dict[int, str] = {}
    by_year: dict[int, list[OrderRecord]] = {}
    for order in orders:
        by_year.setdefault(year_of(order), []).append(order)
    for year, chunk in sorted(by_year.items()):
        last = await next_in_station_series(session, scope, f"{series}:{year}", count=len(chunk))
        for seq, order in enumerate(chunk, start=last - len(chunk) + 1):
            numbers[order.line] = numbering(year, seq)
    return numbers


async def _write(
    session: AsyncSession,
    scope: Scope,
    staged: Staged,
    import_id: UUID,
    orders: Sequence[OrderRecord],
    priced: Mapping[UUID, Priced],
    comebacks: Mapping[int, UUID],
    zone: ZoneInfo,
) -> int:
    orders = sorted(orders, key=lambda o: (o.received_at, o.line))
    numbers = await _numbers(
        session, scope, "repair_order", orders, lambda o: o.received_at.astimezone(zone).year, rules.repair_order_number
    )
    certified = sorted(
        (o for o in orders if o.completed_at is not None and o.repair_level in rules.CERTIFIED_LEVELS),
        key=lambda o: (o.completed_at, o.line),
    )
    certificates = await _numbers(
        session, scope, "completion_certificate", certified,
        lambda o: o.completed_at.astimezone(zone).year, rules.certificate_number,
    )  # fmt: skip
    base = {"station": scope.station_id, "network": scope.network_id, "actor": scope.actor_id}
    await session.execute(
        text(_INSERT_ORDERS.format(orders=staged.orders)),
        base | {
            "lines": [o.line for o in orders], "numbers": [numbers[o.line] for o in orders],
            "statuses": [str(o.status) for o in orders], "arrivals": [str(o.arrival) for o in orders],
            "fuel": [o.fuel_eighths for o in orders], "damage": [o.visible_damage for o in orders],
            "belongings": ["|".join(o.belongings) for o in orders], "concerns": [o.concern for o in orders],
            "levels": [o.repair_level for o in orders], "promised": [o.promised_at for o in orders],
            "notices": [rules.customer_notice_at(o.received_at, o.promised_at) for o in orders],
            "comebacks": [comebacks.get(o.line) for o in orders], "completed": [o.completed_at for o in orders],
            "certificates": [certificates.get(o.line) for o in orders], "settled": [o.settled_at for o in orders],
            "handed_over": [o.handed_over_at for o in orders],
        },
    )  # fmt: skip
    lines = [(o, li) for o in orders for li in o.lines]

    def price(order: OrderRecord, line: LineRecord) -> Decimal:
        free = order.line in comebacks and line.service_type == ServiceType.PAID  # rework within the guarantee
        return Decimal("0.00") if free else priced[line.id].unit_price

    await session.execute(
        text(_INSERT_LINES.format(lines=staged.lines)),
        base | {
            "ids": [li.id for _, li in lines], "orders": [o.id for o, _ in lines],
            "positions": [li.position for _, li in lines], "quantities": [priced[li.id].quantity for _, li in lines],
            "prices": [price(o, li) for o, li in lines],
            "amounts": [rules.line_amount(priced[li.id].quantity, price(o, li)) for o, li in lines],
            "sources": [priced[li.id].source for _, li in lines], "consented": [o.received_at for o, _ in lines],
            "concerns": [li.concern for _, li in lines], "causes": [li.cause for _, li in lines],
            "corrections": [li.correction for _, li in lines],
        },
    )  # fmt: skip
    request_id = str(structlog.contextvars.get_contextvars().get("request_id", ""))[:64]
    await session.execute(
        text(_JOURNAL), base | {"ids": [o.id for o in orders], "import": str(import_id), "request": request_id}
    )
    return len(orders)


# --- The kind's loader ---------------------------------------------------------------------------------


async def load_repair_orders(
    session: AsyncSession, scope: Scope, row: Import, content: bytes, progress: Progress
) -> Loaded:
    """Check every order of the file, then (in ALL_OR_NOTHING mode only if none has a problem) write the
    good ones; the problems name the file's lines."""
    require(scope, Permission.repair_orders_manage)
    station = await session.get(Station, row.station_id)
    zone_name = await session.scalar(select(Network.time_zone).where(Network.id == row.network_id))
    if station is None or station.id != scope.station_id or zone_name is None:
        return Loaded(0, 0, [Problem(0, "file", "the station of this file is not yours")])
    zone = ZoneInfo(zone_name)
    documents, problems = await asyncio.to_thread(read_documents, content, row.file_format)
    await progress(0, len(documents))
    now = datetime.now(UTC)
    records: list[OrderRecord] = []
    seen: dict[str, int] = {}
    for done, document in enumerate(documents, start=1):
        record, bad = check_order(document, zone, now)
        if record is not None and (first := seen.setdefault(record.reference, record.line)) != record.line:
            record, bad = None, [Problem(document.line, "dms_reference", f"repeats line {first}")]
        problems += bad
        if record is not None:
            records.append(record)
        if done % imports.PROGRESS_EVERY == 0:
            await progress(done, len(documents))
    staged, unresolved = await _stage(session, scope, f"import_{row.id.hex}", records, zone)
    priced, unpriced = await _prices(session, scope, station, staged, records, zone)
    problems += unresolved + unpriced + await _dispatch(session, scope, station, records, zone)
    bad_lines = {p.line for p in problems}
    good = [r for r in records if r.line not in bad_lines and not any(li.line in bad_lines for li in r.lines)]
    written = 0
    if good and (not problems or row.mode == ImportMode.VALID_ROWS):
        comebacks = await _comebacks(session, scope, staged, good, zone)
        written = await _write(session, scope, staged, row.id, good, priced, comebacks, zone)
    for table in (staged.orders, staged.lines):
        await session.execute(text(f"DROP TABLE {table}"))
    await progress(len(documents), len(documents))
    rejected = len(documents) - len(good)
    return Loaded(total=len(documents), written=written, problems=problems, rejected=rejected)


REPAIR_ORDER_IMPORT = ImportKindSpec(
    kind=REPAIR_ORDERS,
    required=CSV_REQUIRED,
    optional=CSV_OPTIONAL,
    permission=Permission.repair_orders_manage,
    formats=("csv", "xlsx", "jsonl"),
    load=load_repair_orders,
    station_owned=True,
)
