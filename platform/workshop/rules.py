"""The workshop's pure rules: a VIN and its check digit, and how much of a warranty coverage a vehicle has
left on a date."""

from __future__ import annotations

import calendar
import operator
import re
from dataclasses import dataclass
from datetime import date

VIN_LENGTH = 17
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


def check_digit(vin: str) -> str:
    """The check digit a 17-character VIN of allowed characters must carry at its ninth place."""
    remainder = sum(map(operator.mul, map(_VALUES.__getitem__, vin), _WEIGHTS)) % 11
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
