"""The workshop's pure rules: a VIN and its check digit, how much of a warranty coverage a vehicle has left on
a date, and the repair order's chain of steps, numbers, notice times and comebacks."""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

VIN_LENGTH = 17
CENT = Decimal("0.01")
CHECK_DIGIT_AT = 8  # the ninth character (ISO 3779; GB 16735 in China)
# ISO 3779's values of the letters; I, O and Q are never used (they read as 1 and 0).
_LETTER_VALUES = dict(
    zip("ABCDEFGHJKLMNPRSTUVWXYZ", [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9], strict=True)
)
_VALUES = {**{str(d): d for d in range(10)}, **_LETTER_VALUES}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_ALLOWED = re.compile(r"[A-HJ-NPR-Z0-9]{17}")  # a bulk import checks 100,000 VINs: the common case first


def normal_vin(vin: str) -> str:
    """A VIN as stored: trimmed, upper-case."""
    return vin.strip().upper()


# Each place's weighted value of each character, so a VIN's sum is one lookup per character (an import
# checks 100,000 of them).
_WEIGHTED = tuple({c: value * weight for c, value in _VALUES.items()} for weight in _WEIGHTS)


def check_digit(vin: str) -> str:
    """The check digit a 17-character VIN of allowed characters must carry at its ninth place."""
    remainder = sum(map(dict.__getitem__, _WEIGHTED, vin)) % 11
    return "X" if remainder == 10 else str(remainder)


def vin_problem(vin: str) -> str | None:
    """None for a valid VIN (as `normal_vin` gives it); otherwise what is wrong, in words."""
    if len(vin) != VIN_LENGTH:
        return f"a VIN has {VIN_LENGTH} characters, this one {len(vin)}"
    if not _ALLOWED.fullmatch(vin):
        wrong = sorted({c for c in vin if c not in _VALUES})
        return f"a VIN has digits and the letters A-Z except I, O and Q; not {', '.join(wrong)}"
    expected = check_digit(vin)
    if vin[CHECK_DIGIT_AT] != expected:
        return (
            f"the check digit (9th character) is {vin[CHECK_DIGIT_AT]}, but this VIN's is {expected}: a typing error?"
        )
    return None


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter: 31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Whole months from `start` until `end` (0 when `end` is not later)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if add_months(start, months) <= end else months - 1


@dataclass(frozen=True)
class CoverageLeft:
    """One component group's warranty for a vehicle on a date: it runs `months` from the sale date and
    `km` on the odometer, whichever ends first."""

    component_group: str
    months: int
    km: int
    ends_on: date  # the first day it no longer covers
    months_left: int
    km_left: int | None  # unknown without an odometer reading
    covered: bool


def coverage_left(
    component_group: str, *, months: int, km: int, sale_date: date | None, on: date, odometer_km: int | None
) -> CoverageLeft | None:
    """What is left of a coverage on `on`; None for a vehicle not yet sold (its warranty has not started)."""
    if sale_date is None:
        return None
    ends_on = add_months(sale_date, months)
    km_left = None if odometer_km is None else max(0, km - odometer_km)
    in_time = sale_date <= on < ends_on
    in_km = odometer_km is None or odometer_km <= km
    return CoverageLeft(
        component_group=component_group,
        months=months,
        km=km,
        ends_on=ends_on,
        months_left=whole_months_between(max(on, sale_date), ends_on),
        km_left=km_left,
        covered=in_time and in_km,
    )


# --- Repair orders (the seeds' document chain) ------------------------------------------------------------


class RepairOrderStatus(enum.StrEnum):
    """Where a repair order is in the document chain: reception sheet → quote → work → completion inspection →
    settlement sheet → handover."""

    RECEIVED = "received"  # 接车: checked in, the customer's concern written down
    IN_WORK = "in_work"  # the customer consented to (part of) the quote; technicians work
    COMPLETED = "completed"  # 竣工检验: the inspector signed off
    SETTLED = "settled"  # 结算单: the amounts are final; the order is immutable from here
    HANDED_OVER = "handed_over"  # 交车: the car and its papers are back with the customer
    CANCELLED = "cancelled"


class Arrival(enum.StrEnum):
    """How the vehicle came in."""

    APPOINTMENT = "appointment"  # 预约
    WALK_IN = "walk_in"  # 直接进厂


class LineKind(enum.StrEnum):
    """What a repair-order line charges."""

    LABOUR = "labour"  # a labour operation: flat-rate hours x the labour rate
    PART = "part"  # a part: quantity x its price
    SUBLET = "sublet"  # 外协: work sent out to a specialist, at its invoice
    OTHER = "other"  # 其他费用: towing, materials and the like, at their invoice


PRICED_BY_POLICY = frozenset({LineKind.LABOUR, LineKind.PART})  # the rest are priced by their invoice


class Consent(enum.StrEnum):
    """The customer's answer to a quoted line; extra work found later is asked again."""

    PENDING = "pending"
    CONSENTED = "consented"
    REFUSED = "refused"


# Which repair step may follow which (cancelling is possible until the work is inspected).
NEXT_STATUS: dict[RepairOrderStatus, frozenset[RepairOrderStatus]] = {
    RepairOrderStatus.RECEIVED: frozenset({RepairOrderStatus.IN_WORK, RepairOrderStatus.CANCELLED}),
    RepairOrderStatus.IN_WORK: frozenset({RepairOrderStatus.COMPLETED, RepairOrderStatus.CANCELLED}),
    RepairOrderStatus.COMPLETED: frozenset({RepairOrderStatus.SETTLED}),
    RepairOrderStatus.SETTLED: frozenset({RepairOrderStatus.HANDED_OVER}),
    RepairOrderStatus.HANDED_OVER: frozenset(),
    RepairOrderStatus.CANCELLED: frozenset(),
}
EDITABLE = frozenset({RepairOrderStatus.RECEIVED, RepairOrderStatus.IN_WORK})  # lines change until completion
# Second-level maintenance and above get a sequentially numbered completion certificate (竣工出厂合格证).
CERTIFIED_LEVELS = frozenset({"overhaul", "second_level_maintenance"})
SHORT_JOB = timedelta(days=2)


def can_move(status: RepairOrderStatus, to: RepairOrderStatus) -> bool:
    return to in NEXT_STATUS[status]


def customer_notice_at(received_at: datetime, promised_at: datetime) -> datetime:
    """When the customer is told the car is (nearly) ready: 1 h before for a job under two days, 4 h before
    otherwise (seed 001:24); a delay is told the same way ahead of the promised time."""
    ahead = timedelta(hours=1) if promised_at - received_at < SHORT_JOB else timedelta(hours=4)
    return promised_at - ahead


def repair_order_number(year: int, seq: int) -> str:
    """RO2026000123: the station's repair orders, numbered per year."""
    return f"RO{year}{seq:06d}"


def certificate_number(year: int, seq: int) -> str:
    """QC2026000045: the station's completion certificates, numbered per year."""
    return f"QC{year}{seq:06d}"


def is_comeback(*, days_since: int, km_since: int, guarantee_days: int, guarantee_km: int) -> bool:
    """Back within the repair-quality guarantee: no more days and no more km than it allows since the
    completion, whichever ends first."""
    return 0 <= days_since <= guarantee_days and km_since <= guarantee_km


def is_comeback_of(
    guarantees: Sequence[Mapping[str, Any]], *, repair_level: str, days_since: int, km_since: int
) -> bool:
    """Back within the guarantee the terms give the earlier repair's level (none given: never a comeback)."""
    guarantee = next((g for g in guarantees if guarantee_key(g["repair"]) == repair_level), None)
    if guarantee is None:
        return False
    return is_comeback(
        days_since=days_since, km_since=km_since, guarantee_days=guarantee["days"], guarantee_km=guarantee["km"]
    )


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's amount in exact money: quantity x unit price, to the cent."""
    return (quantity * unit_price).quantize(CENT)


def guarantee_key(repair: str) -> str:
    """A guarantee's repair as the warranty terms name it ("second-level maintenance") in the form of a
    repair level (second_level_maintenance)."""
    return "_".join(repair.strip().lower().replace("-", " ").split())


# --- Parts orders ------------------------------------------------------------------------------------------


class PartsOrderKind(enum.StrEnum):
    """Why a station orders parts."""

    STOCK = "stock"  # 常规订单: to keep the minimum stock
    EMERGENCY = "emergency"  # 紧急订单: a vehicle off the road waits for it


class PartsOrderStatus(enum.StrEnum):
    """Where a parts order is."""

    SUBMITTED = "submitted"  # sent to HQ
    ALLOCATED = "allocated"  # HQ set what it will ship from its stock
    SHIPPED = "shipped"  # on its way, with carrier and tracking number
    RECEIVED = "received"  # the station checked what arrived
    CANCELLED = "cancelled"


class Discrepancy(enum.StrEnum):
    """What was wrong with a received line: a transit claim when not NONE."""

    NONE = "none"
    MISSING = "missing"  # fewer arrived than were shipped
    DAMAGED = "damaged"
    WRONG_PART = "wrong_part"


SHIPPING_ACCURACY_TARGET = 98  # percent of shipped lines received complete and right


def shipping_accuracy(shipped_lines: int, accurate_lines: int) -> int | None:
    """Percent of the shipped lines that arrived complete and right (rounded down); None before any shipped."""
    return None if shipped_lines == 0 else accurate_lines * 100 // shipped_lines


def parts_order_number(year: int, seq: int) -> str:
    """PO2026000017: the station's parts orders, numbered per year."""
    return f"PO{year}{seq:06d}"
