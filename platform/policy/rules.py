"""Policy rules as pure functions of data HQ configures (no database, no clock): easy to test, and the same
in the API, the jobs and the bulk import.

Minimum stock (备件储备定额): a station holds its share of what the vehicles of its region need of a part.
HQ sets, per component group, how many units to hold per 1,000 vehicles (times the part's quantity in the
model's service BOM), a floor for any part a station stocks at all, and a ceiling; a station-level
override replaces the derived figure.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any


class ServiceType(enum.StrEnum):
    """The four service types (服务类型): what a repair is paid by. A warranty policy, a station's contract and a
    technician's certificate each name the ones they cover."""

    PAID = "paid"  # 有偿服务: the customer pays
    CONTRACT = "contract"  # 合同服务: a service contract pays
    WARRANTY = "warranty"  # 保修服务 (免费): the OEM pays under warranty
    INTERNAL = "internal"  # 内部服务: the station's own or the OEM's vehicles


SERVICE_TYPES = tuple(ServiceType)  # in the order forms and papers list them


class RepairLevel(enum.StrEnum):
    """The repair levels (维修级别) of the seeds' repair-quality guarantees; the service agreement says which
    a station's tier may do."""

    OVERHAUL = "overhaul"  # 大修
    SECOND_LEVEL_MAINTENANCE = "second_level_maintenance"  # 二级维护
    FIRST_LEVEL_MAINTENANCE = "first_level_maintenance"  # 一级维护
    MINOR_REPAIR = "minor_repair"  # 小修
    SPECIAL_REPAIR = "special_repair"  # 专项修理


class PublicationKind(enum.StrEnum):
    """What a publication (政策发布) carries to the stations."""

    PRICE_LIST = "price_list"  # 价格表: list and dealer prices of parts
    LABOUR_RATES = "labour_rates"  # 工时单价: a rate card
    WARRANTY_POLICY = "warranty_policy"  # 保修政策: coverage per component group and the terms
    SERVICE_COMMITMENTS = "service_commitments"  # 服务承诺: response times and reports due
    BULLETIN = "bulletin"  # 技术通报: a technical bulletin or field action
    STOCK_RULES = "stock_rules"  # 备件储备定额: how minimum stock is derived
    PRICE_COEFFICIENTS = "price_coefficients"  # regional price coefficients


class PublicationStatus(enum.StrEnum):
    """A publication's life: drafted by HQ, published (delivered), or withdrawn after publishing."""

    DRAFT = "draft"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class PublicationPhase(enum.StrEnum):
    """Where a publication stands today: its status, with published split by its effective date."""

    DRAFT = "draft"
    ANNOUNCED = "announced"  # published, effective later
    IN_FORCE = "in force"
    WITHDRAWN = "withdrawn"


def phase(status: PublicationStatus | str, effective_on: date, today: date) -> PublicationPhase:
    """A publication's phase on `today`."""
    if status != PublicationStatus.PUBLISHED:
        return PublicationPhase(status)
    return PublicationPhase.ANNOUNCED if effective_on > today else PublicationPhase.IN_FORCE


class ImportKind(enum.StrEnum):
    """What a bulk file imports."""

    PARTS = "parts"  # catalogue parts
    PRICES = "prices"  # the prices of a draft price list
    VEHICLES = "vehicles"  # the vehicle register, from the sales system (the workshop context's kind)
    REPAIR_ORDERS = "repair_orders"  # a station's day of repair orders, from its DMS (the workshop's too)


class ImportMode(enum.StrEnum):
    """What an import does with a file that has bad rows."""

    ALL_OR_NOTHING = "all_or_nothing"  # any bad row rejects the whole file
    VALID_ROWS = "valid_rows"  # the good rows are kept, the bad ones reported


class ImportStatus(enum.StrEnum):
    """Where an import is."""

    QUEUED = "queued"  # waiting for, or in, the worker
    DONE = "done"  # imported (in valid_rows mode, perhaps with rows rejected)
    REJECTED = "rejected"  # a bad row in all_or_nothing mode, or the draft is gone: nothing written
    FAILED = "failed"  # the platform could not import it (its problems say why): nothing written


@dataclass(frozen=True)
class StockRule:
    per_thousand_vehicles: Decimal  # units per 1,000 vehicles in the region, per unit of BOM quantity
    floor: int = 0  # never fewer (for a part the region's vehicles use at all)
    ceiling: int | None = None  # never more

    def __post_init__(self) -> None:
        if self.per_thousand_vehicles < 0 or self.floor < 0:
            raise ValueError("a stock rule's rate and floor are not negative")
        if self.ceiling is not None and self.ceiling < self.floor:
            raise ValueError("a stock rule's ceiling is at least its floor")


def minimum_stock(rule: StockRule, *, vehicles_in_region: int, stations_in_region: int, bom_quantity: Decimal) -> int:
    """A station's minimum stock of one part that one model of the region uses: its share of the region's
    need, rounded up, within the rule's floor and ceiling. A part no vehicle of the region uses needs none."""
    return fleet_minimum(
        rule, fleet={"": vehicles_in_region}, bom={"": bom_quantity}, stations_in_region=stations_in_region
    )


def fleet_minimum(
    rule: StockRule, *, fleet: Mapping[str, int], bom: Mapping[str, Decimal], stations_in_region: int
) -> int:
    """The same over every model of the region: `fleet` is vehicles per model, `bom` the part's quantity per
    model; the need is the sum over the models, shared by the region's stations."""
    if stations_in_region < 1 or any(v < 0 for v in fleet.values()) or any(q < 0 for q in bom.values()):
        raise ValueError("vehicles and BOM quantities are not negative; a region has at least one station")
    vehicle_units = sum((Decimal(fleet.get(model, 0)) * quantity for model, quantity in bom.items()), Decimal(0))
    if vehicle_units == 0:
        return 0
    need = vehicle_units / 1000 * rule.per_thousand_vehicles / stations_in_region
    units = max(int(need.to_integral_value(rounding=ROUND_CEILING)), rule.floor)
    return min(units, rule.ceiling) if rule.ceiling is not None else units


def effective_minimum(derived: int, override: int | None) -> int:
    """What the station must hold: HQ's override for that station and part when there is one."""
    if override is not None and override < 0:
        raise ValueError("an override is not negative")
    return derived if override is None else override


# --- The claim rules of a warranty policy version -------------------------------------------------------


@dataclass(frozen=True)
class ClaimRules:
    """What a warranty policy version says about claims; a version that says nothing has these defaults."""

    submit_within_days: int = 30  # after the repair's completion
    duplicate_within_days: int = 90  # the same VIN and causal part at any station of the network
    coverage_end_days: int = 30  # a repair this close to the end of coverage is flagged
    coverage_end_km: int = 1_000
    preauthorisation_above: Decimal = Decimal("5000.00")  # a claim above this needs HQ's approval first
    auto_approve_below: Decimal = Decimal("2000.00")  # a clean claim under this is approved by the rules
    appeal_within_days: int = 30
    # The failed parts HQ wants back (旧件回运): their component groups ("*": every part), when and where.
    return_component_groups: tuple[str, ...] = ()
    return_within_days: int = 15
    return_to: str = "the OEM's claim office (索赔室)"
    preauthorisation_operations: tuple[str, ...] = ()  # labour operations that always need pre-authorisation
    # 首保: the free first maintenance, once per vehicle, within these months or km of the sale.
    first_maintenance_months: int = 6
    first_maintenance_km: int = 5_000
    # A part fitted under an earlier repair has its own warranty, from that repair on.
    parts_warranty_months: int = 12
    parts_warranty_km: int = 20_000

    @classmethod
    def of(cls, values: Mapping[str, Any] | None) -> ClaimRules:
        """The rules a version's `claim_rules` document gives (unknown keys ignored, the rest defaulted)."""
        values = values or {}
        known = {f.name: str(f.type) for f in fields(cls)}
        given: dict[str, Any] = {}
        for name, value in values.items():
            kind = known.get(name, "")
            if "Decimal" in kind:
                given[name] = Decimal(str(value))
            elif "tuple" in kind:
                given[name] = tuple(str(v).strip().upper() for v in value)
            elif kind == "str":
                given[name] = str(value)
            elif kind:
                given[name] = int(value)
        return cls(**given)

    def as_document(self) -> dict[str, Any]:
        """The rules as a version stores them (its `claim_rules`)."""
        return {f.name: (str(v) if isinstance(v, Decimal) else list(v) if isinstance(v, tuple) else v)
                for f in fields(self) if (v := getattr(self, f.name)) is not None}  # fmt: skip

    def wants_back(self, component_group: str) -> bool:
        """Does HQ want a failed part of this group returned?"""
        return "*" in self.return_component_groups or component_group.upper() in self.return_component_groups
