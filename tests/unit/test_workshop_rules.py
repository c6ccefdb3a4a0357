"""The workshop's pure rules: the VIN check digit (ISO 3779), month arithmetic, the coverage left, and the repair
order's chain, numbers, notice times and comebacks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dealernet.workshop.rules import (
    RepairOrderStatus,
    add_months,
    can_move,
    certificate_number,
    check_digit,
    coverage_left,
    customer_notice_at,
    guarantee_key,
    is_comeback,
    normal_vin,
    repair_order_number,
    vin_problem,
    whole_months_between,
)


@pytest.mark.parametrize(
    "vin",
    [
        "1M8GDM9AXKP042788",  # the textbook example: check digit X
        "11111111111111111",  # all ones: 1 x the weights' sum (89) mod 11 = 1
        "LSVAM418XC2184843",  # a Chinese maker's WMI (GB 16735 uses the same check digit)
        "LFV2A21K1A3012345",
        "WVWZZZ1J93W386752",
    ],
)
def test_a_valid_vin_has_no_problem(vin: str) -> None:
    assert vin_problem(vin) is None


@pytest.mark.parametrize(
    ("vin", "words"),
    [
        ("1M8GDM9A1KP042788", "the check digit (9th character) is 1, but this VIN's is X"),
        ("1M8GDM9AXKP04278", "a VIN has 17 characters, this one 16"),
        ("1M8GDM9AXKP0427880", "a VIN has 17 characters, this one 18"),
        ("1M8GDM9AXKPO42788", "not O"),  # the letter O where a zero belongs
        ("IM8GDM9AXKP042788", "not I"),
        ("1M8GDM9AXKP04278Q", "not Q"),
        ("1M8GDM9AXKP04278-", "not -"),
        ("1M8GDM9AXKP04278é", "not é"),
    ],
)
def test_a_bad_vin_says_what_is_wrong(vin: str, words: str) -> None:
    problem = vin_problem(vin)
    assert problem is not None
    assert words in problem


def test_the_check_digit_is_computed_from_the_other_sixteen() -> None:
    assert check_digit("1M8GDM9A0KP042788") == "X"  # the ninth place does not count (weight 0)
    assert check_digit("11111111111111111") == "1"
    assert normal_vin("  1m8gdm9axkp042788 ") == "1M8GDM9AXKP042788"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 3, 15), 36, date(2029, 3, 15)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 1), 0, date(2026, 12, 1)),
    ],
)
def test_add_months(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2026, 1, 15), date(2026, 2, 14), 0),
        (date(2026, 1, 15), date(2026, 2, 15), 1),
        (date(2026, 1, 31), date(2026, 2, 28), 1),
        (date(2026, 5, 1), date(2026, 4, 1), 0),
        (date(2026, 1, 1), date(2029, 1, 1), 36),
    ],
)
def test_whole_months_between(start: date, end: date, months: int) -> None:
    assert whole_months_between(start, end) == months


def test_coverage_runs_from_the_sale_date_until_time_or_km_ends_first() -> None:
    sold = date(2026, 1, 10)
    inside = coverage_left("BRAKES", months=24, km=60_000, sale_date=sold, on=date(2027, 1, 9), odometer_km=20_000)
    assert inside is not None
    assert (inside.covered, inside.ends_on, inside.months_left, inside.km_left) == (True, date(2028, 1, 10), 12, 40_000)
    too_far = coverage_left("BRAKES", months=24, km=60_000, sale_date=sold, on=date(2027, 1, 9), odometer_km=60_001)
    assert too_far is not None
    assert (too_far.covered, too_far.km_left) == (False, 0)
    too_late = coverage_left("BRAKES", months=24, km=60_000, sale_date=sold, on=date(2028, 1, 10), odometer_km=None)
    assert too_late is not None
    assert (too_late.covered, too_late.months_left, too_late.km_left) == (False, 0, None)
    before_sale = coverage_left("BRAKES", months=24, km=60_000, sale_date=sold, on=date(2026, 1, 9), odometer_km=5)
    assert before_sale is not None
    assert before_sale.covered is False


def test_an_unsold_vehicle_has_no_coverage_yet() -> None:
    assert coverage_left("BRAKES", months=24, km=60_000, sale_date=None, on=date(2026, 1, 1), odometer_km=None) is None


@pytest.mark.parametrize(
    ("days", "km", "back"),
    [(14, 1_000, True), (30, 5_000, True), (31, 10, False), (3, 5_001, False), (-1, 0, False)],
)
def test_a_comeback_is_back_within_the_guarantees_days_and_km(days: int, km: int, back: bool) -> None:
    assert is_comeback(days_since=days, km_since=km, guarantee_days=30, guarantee_km=5_000) is back


def test_the_customer_is_told_one_hour_ahead_of_a_short_job_and_four_of_a_long_one() -> None:
    received = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    short = received + timedelta(hours=6)
    long = received + timedelta(days=3)
    assert customer_notice_at(received, short) == short - timedelta(hours=1)
    assert customer_notice_at(received, long) == long - timedelta(hours=4)


def test_the_document_chain_moves_only_forward() -> None:
    assert can_move(RepairOrderStatus.RECEIVED, RepairOrderStatus.IN_WORK)
    assert not can_move(RepairOrderStatus.RECEIVED, RepairOrderStatus.SETTLED)  # no completion skipped
    assert not can_move(RepairOrderStatus.SETTLED, RepairOrderStatus.CANCELLED)  # settled is final
    assert not any(can_move(RepairOrderStatus.HANDED_OVER, to) for to in RepairOrderStatus)
    assert guarantee_key(" Second-level  maintenance ") == "second_level_maintenance"
    assert (repair_order_number(2026, 123), certificate_number(2026, 45)) == ("RO2026000123", "QC2026000045")
