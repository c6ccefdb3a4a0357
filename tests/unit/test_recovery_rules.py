"""The pure rules of supplier recovery and settlement: what a supplier-defect verdict claims back at an
agreement's shares, a recovery claim's status from its lines, and a run's default period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from dealernet.core.db import new_id
from dealernet.warranty import rules
from dealernet.warranty.rules import RecoveryBasis, RecoveryKind, RecoveryStatus, Shares

D = Decimal
LABOUR, PART, OTHER_PART = new_id(), new_id(), new_id()
BASIS = [
    RecoveryBasis(LABOUR, "labour", D("120.00"), returned=False),
    RecoveryBasis(PART, "part", D("840.00"), returned=True),
    RecoveryBasis(OTHER_PART, "part", D("99.00"), returned=False),  # not the defective part: never recovered
]


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        (
            Shares(D(100), D(50), D(10)),
            [
                (RecoveryKind.LABOUR, LABOUR, "60.00"),
                (RecoveryKind.PART, PART, "840.00"),
                (RecoveryKind.HANDLING, PART, "84.00"),
            ],
        ),
        (Shares(D(100), D(0), D(0)), [(RecoveryKind.PART, PART, "840.00")]),  # a share of zero: no line
        (Shares(D("33.33"), D(0), D(0)), [(RecoveryKind.PART, PART, "279.97")]),  # to the cent, half up
        (Shares(D(0), D(0), D(0)), []),
    ],
)
def test_a_verdict_recovers_the_agreed_shares(shares: Shares, expected: list[tuple[RecoveryKind, object, str]]) -> None:
    made = rules.recovery_lines(BASIS, shares)
    assert [(x.kind, x.claim_line_id, str(x.amount)) for x in made] == expected
    assert all(x.amount <= x.base for x in made)


@pytest.mark.parametrize(
    ("amount", "percent", "expected"),
    [("0.05", "50", "0.03"), ("0.01", "50", "0.01"), ("100.00", "12.5", "12.50"), ("1.00", "0.01", "0.00")],
)
def test_a_share_is_rounded_half_up_to_the_cent(amount: str, percent: str, expected: str) -> None:
    assert rules.share_of(D(amount), D(percent)) == D(expected)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([(None, None), ("accepted", None)], RecoveryStatus.OPEN),
        ([("accepted", None), ("disputed", None)], RecoveryStatus.DISPUTED),
        ([(None, None), ("disputed", None)], RecoveryStatus.DISPUTED),  # a dispute is HQ's to act on first
        ([("accepted", None), ("disputed", "waived")], RecoveryStatus.AGREED),
        ([("accepted", None)], RecoveryStatus.AGREED),
    ],
)
def test_a_recovery_claim_s_status_follows_its_lines(
    lines: list[tuple[str | None, str | None]], expected: RecoveryStatus
) -> None:
    assert rules.recovery_status(lines) is expected


@pytest.mark.parametrize(("amount", "resolved", "expected"), [("60.00", None, "60.00"), ("60.00", "30.00", "30.00"),
                                                             ("60.00", "0.00", "0.00")])  # fmt: skip
def test_a_resolution_sets_what_a_line_recovers(amount: str, resolved: str | None, expected: str) -> None:
    assert rules.recovered_amount(D(amount), D(resolved) if resolved else None) == D(expected)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), (date(2026, 11, 1), date(2026, 11, 30))),
        (date(2027, 1, 15), (date(2026, 12, 1), date(2026, 12, 31))),
        (date(2028, 3, 31), (date(2028, 2, 1), date(2028, 2, 29))),  # a leap year's February
    ],
)
def test_a_settlement_run_defaults_to_last_month(today: date, expected: tuple[date, date]) -> None:
    assert rules.previous_month(today) == expected


def test_numbers_read_as_the_network_s_series() -> None:
    assert rules.recovery_number(2026, 4) == "RC2026000004"
