"""The claim checks, each a pure rule (issue 16): a table of facts and the reason codes each raises, the
explanations' figures, and the decision rules (flag, never reject; auto-approve only clean claims under the
limit from a station whose standing allows it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from dealernet.warranty import rules
from dealernet.warranty.rules import ClaimFacts, ClaimRules, ClaimType, Coverage, LineFacts, ReasonCode

REPAIRED = date(2030, 6, 1)  # the rules take every date as a fact: no calendar here
LABOUR = LineFacts(1, "labour", "BR-01", Decimal("1.50"), Decimal("80.00"), Decimal("1.50"), Decimal("80.00"), "rc")
GIVEN = rules.Preauthorised("APR2030000001", Decimal("6000.00"), REPAIRED)
PART = LineFacts(2, "part", "BP-1", Decimal("2.00"), Decimal("420.00"), None, Decimal("420.00"), "pl")


def facts(**changes: object) -> ClaimFacts:
    clean = ClaimFacts(
        claim_type=ClaimType.NORMAL,
        repair_date=REPAIRED,
        completed_on=REPAIRED,
        submitted_on=REPAIRED + timedelta(days=2),
        odometer_km=42_000,
        production_date=date(2029, 1, 10),
        sale_date=date(2029, 3, 1),
        causal_part="BP-1 (brake pad)",
        causal_part_words=("brake pad", "BP-1"),
        coverage=Coverage("BRAKES", 24, 60_000, date(2031, 3, 1), "warranty policy v1"),
        group="BRAKES",
        exclusions=("damage from accidents or misuse",),
        terms_version="warranty policy v1",
        delivered=True,
        lines=(LABOUR, PART),
    )
    return replace(clean, **changes)  # type: ignore[arg-type]


def codes(f: ClaimFacts) -> list[ReasonCode]:
    return [flag.code for flag in rules.judge(f)]


C = ReasonCode


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, []),
        ({"repair_date": date(2029, 1, 1), "completed_on": None}, [C.BEFORE_PRODUCTION]),
        ({"repair_date": date(2029, 2, 1), "completed_on": None}, [C.BEFORE_SALE]),
        ({"sale_date": None}, [C.BEFORE_SALE]),
        ({"coverage": None}, [C.GROUP_NOT_COVERED]),
        ({"coverage": Coverage("BRAKES", 12, 60_000, date(2030, 3, 1), "v")}, [C.COVERAGE_TIME_EXCEEDED]),
        ({"odometer_km": 60_001}, [C.COVERAGE_KM_EXCEEDED]),
        ({"odometer_km": 59_500}, [C.NEAR_COVERAGE_END]),  # within the last 1,000 km
        ({"coverage": Coverage("BRAKES", 24, 60_000, REPAIRED + timedelta(days=30), "v")}, [C.NEAR_COVERAGE_END]),
        ({"coverage": Coverage("BRAKES", 24, 60_000, REPAIRED + timedelta(days=31), "v")}, []),
        ({"exclusions": ("wear parts (brake pads, wiper blades)",)}, [C.EXCLUDED_BY_TERMS]),
        ({"exclusions": ("brake padding compound",)}, []),  # a whole word or its plural only
        ({"duplicates": 1}, [C.DUPLICATE]),
        ({"odometer_before": 42_001}, [C.ODOMETER_BACKWARDS]),
        ({"odometer_before": 42_000}, []),
        ({"lines": (replace(LABOUR, quantity=Decimal("2.50")), PART)}, [C.LABOUR_ABOVE_FLAT_RATE]),
        ({"lines": (LABOUR, replace(LABOUR, position=2))}, [C.OVERLAPPING_LABOUR]),
        ({"lines": (LABOUR, replace(PART, unit_price=Decimal("450.00")))}, [C.PRICE_DIFFERS]),
        ({"lines": (LABOUR, replace(PART, as_of_unit_price=None))}, [C.PRICE_DIFFERS]),
        ({"comeback": True}, [C.COMEBACK]),
        ({"submitted_on": REPAIRED + timedelta(days=31)}, [C.SUBMITTED_LATE]),
        ({"submitted_on": REPAIRED + timedelta(days=30)}, []),
        ({"lines": (replace(PART, quantity=Decimal("12.00")),)}, [C.PREAUTHORISATION_MISSING]),  # 5,040.00
        ({"lines": (replace(PART, quantity=Decimal("12.00")),), "preauthorisation": GIVEN}, []),
        (
            {
                "lines": (replace(PART, quantity=Decimal("12.00")),),
                "preauthorisation": replace(GIVEN, valid_until=REPAIRED - timedelta(days=1)),
            },
            [C.PREAUTHORISATION_EXPIRED],
        ),
        (
            {"lines": (replace(PART, quantity=Decimal("15.00")),), "preauthorisation": GIVEN},
            [C.PREAUTHORISATION_EXCEEDED],
        ),
        ({"rules": ClaimRules(preauthorisation_operations=("BR-01",))}, [C.PREAUTHORISATION_MISSING]),
        ({"rules": ClaimRules(preauthorisation_operations=("BR-01",)), "preauthorisation": GIVEN}, []),
        ({"delivered": False}, [C.POLICY_NOT_DELIVERED]),
        ({"claim_type": ClaimType.GOODWILL, "coverage": None, "sale_date": None}, [C.GOODWILL]),
        ({"claim_type": ClaimType.FIELD_ACTION, "coverage": None, "field_actions": ("TSB-7",)}, []),  # its basis
        ({"claim_type": ClaimType.FIELD_ACTION, "coverage": None}, [C.NO_FIELD_ACTION]),
        (
            {
                "lines": (
                    replace(LABOUR, includes=("BR-02",)),
                    replace(LABOUR, position=2, code="BR-02"),
                    replace(PART, position=3),
                )
            },
            [C.OVERLAPPING_LABOUR],
        ),  # BR-02 is included in BR-01
        ({"lines": (replace(LABOUR, includes=("BR-09",)), PART)}, []),  # what it includes is not claimed
        ({"claim_type": ClaimType.PARTS_WARRANTY, "coverage": None}, [C.NO_EARLIER_FITTING]),
        ({"claim_type": ClaimType.PARTS_WARRANTY, "fitted": rules.Fitting(date(2029, 9, 1), 30_000)}, []),
        (
            {"claim_type": ClaimType.PARTS_WARRANTY, "fitted": rules.Fitting(date(2029, 6, 1), 30_000)},
            [C.PARTS_WARRANTY_EXPIRED],
        ),  # twelve months to the day
        (
            {"claim_type": ClaimType.PARTS_WARRANTY, "fitted": rules.Fitting(date(2029, 9, 1), 20_000)},
            [C.PARTS_WARRANTY_EXPIRED],
        ),  # 22,000 km since
        ({"claim_type": ClaimType.FIRST_MAINTENANCE, "coverage": None}, [C.FIRST_MAINTENANCE]),  # 15 months on
        (
            {"claim_type": ClaimType.FIRST_MAINTENANCE, "sale_date": date(2030, 1, 15), "odometer_km": 4_800},
            [],
        ),  # within 6 months and 5,000 km of the sale
        (
            {"claim_type": ClaimType.FIRST_MAINTENANCE, "sale_date": date(2030, 1, 15), "odometer_km": 5_200},
            [C.FIRST_MAINTENANCE],
        ),
        (
            {
                "claim_type": ClaimType.FIRST_MAINTENANCE,
                "sale_date": date(2030, 1, 15),
                "odometer_km": 4_800,
                "first_maintenances": 1,
            },
            [C.FIRST_MAINTENANCE],
        ),  # once per vehicle
    ],
)
def test_each_check(changes: dict[str, object], expected: list[ReasonCode]) -> None:
    assert codes(facts(**changes)) == expected


def test_an_included_operation_is_named_with_the_one_that_includes_it() -> None:
    lines = (replace(LABOUR, includes=("BR-02",)), replace(LABOUR, position=2, code="BR-02"))
    [flag] = rules.judge(facts(lines=lines))
    assert (flag.line, flag.explanation) == (
        2,
        "operation BR-02 (line 2) is included in operation BR-01 (line 1) by the labour standard",
    )


def test_the_explanations_give_the_figures() -> None:
    over = facts(lines=(replace(LABOUR, quantity=Decimal("2.50")),))
    [flag] = rules.judge(over)
    assert flag.explanation == "labour 2.50 h claimed, flat rate 1.50 h for operation BR-01"
    assert flag.line == 1
    [late] = rules.judge(facts(submitted_on=REPAIRED + timedelta(days=45)))
    assert late.explanation == (
        "submitted 2030-07-16, 15 days after the 30 the terms allow from the completion on 2030-06-01"
    )
    [excluded] = rules.judge(facts(exclusions=("wear parts (brake pads, wiper blades)",)))
    assert "“wear parts (brake pads, wiper blades)”" in excluded.explanation
    assert "warranty policy v1" in excluded.explanation


def test_a_version_s_claim_rules_move_the_checks() -> None:
    strict = ClaimRules.of({"submit_within_days": 1, "duplicate_within_days": 7, "ignored": "x"})
    assert (strict.submit_within_days, strict.duplicate_within_days) == (1, 7)
    assert strict.auto_approve_below == Decimal("2000.00")  # what the version does not say is defaulted
    assert codes(facts(rules=strict)) == [C.SUBMITTED_LATE]


def test_rules_approve_only_a_clean_claim_under_the_limit_from_a_station_in_standing() -> None:
    limits = ClaimRules()
    flag = rules.Flag(C.DUPLICATE, "x")
    assert rules.may_auto_approve([], Decimal("1999.99"), limits, standing_allows=True)
    assert not rules.may_auto_approve([], Decimal("2000.00"), limits, standing_allows=True)
    assert not rules.may_auto_approve([flag], Decimal("10.00"), limits, standing_allows=True)
    assert not rules.may_auto_approve([], Decimal("10.00"), limits, standing_allows=False)


def test_numbers_and_goodwill_shares() -> None:
    assert rules.claim_number(2030, 42) == "WC2030000042"
    assert rules.goodwill_amount(Decimal("333.33"), Decimal("50")) == Decimal("166.66")  # half a cent rounds even
    assert rules.goodwill_amount(Decimal("100.00"), Decimal("33.33")) == Decimal("33.33")


def test_the_appeal_period_runs_from_the_decision() -> None:
    assert rules.appeal_closes_on(date(2030, 6, 1), ClaimRules()) == date(2030, 7, 1)
    assert rules.appeal_closes_on(date(2030, 6, 1), ClaimRules.of({"appeal_within_days": 7})) == date(2030, 6, 8)
