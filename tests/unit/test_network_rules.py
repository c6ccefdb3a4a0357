"""The onboarding rules: every transition of the applicant's state machine, the scoring engine of rubrics,
interviews and acceptance, and the committee's quorum and majority."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dealernet.network.rules import (
    LABELS,
    TRANSITIONS,
    Action,
    Criterion,
    Decision,
    IllegalTransition,
    Stage,
    Vote,
    allowed_actions,
    decide,
    next_stage,
    score,
)

# The seed's path, and its branches, as (stage, action) -> stage.
WALK = [
    (Stage.DRAFT, Action.SUBMIT, Stage.SUBMITTED),
    (Stage.SUBMITTED, Action.PASS_SCORING, Stage.SHORTLISTED),
    (Stage.SHORTLISTED, Action.PLAN_VISIT, Stage.VISIT_PLANNED),
    (Stage.VISIT_PLANNED, Action.RECORD_VISIT, Stage.VISITED),
    (Stage.VISITED, Action.APPROVE, Stage.APPROVED),
    (Stage.APPROVED, Action.FAIL_ACCEPTANCE, Stage.RECTIFICATION),
    (Stage.RECTIFICATION, Action.PASS_REINSPECTION, Stage.ACCEPTED),
    (Stage.ACCEPTED, Action.SIGN_CONTRACT, Stage.ACTIVE),
    (Stage.SUBMITTED, Action.FAIL_SCORING, Stage.RESERVE),
    (Stage.RESERVE, Action.REOPEN, Stage.SUBMITTED),
    (Stage.VISITED, Action.REJECT, Stage.RESERVE),
    (Stage.RECTIFICATION, Action.FAIL_REINSPECTION, Stage.CANCELLED),
    (Stage.ACTIVE, Action.SUSPEND, Stage.SUSPENDED),
    (Stage.SUSPENDED, Action.REACTIVATE, Stage.ACTIVE),
    (Stage.SUSPENDED, Action.TERMINATE, Stage.TERMINATED),
]


@pytest.mark.parametrize(("stage", "action", "expected"), WALK)
def test_the_pipeline(stage: Stage, action: Action, expected: Stage) -> None:
    assert next_stage(stage, action) is expected


def test_an_illegal_transition_names_the_stage_and_what_it_allows() -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_stage(Stage.RECTIFICATION, Action.SIGN_CONTRACT)
    assert refused.value.allowed == [Action.PASS_REINSPECTION, Action.FAIL_REINSPECTION]
    assert str(refused.value) == (
        "cannot sign_contract an applicant in stage rectification; allowed: pass_reinspection, fail_reinspection"
    )
    assert allowed_actions(Stage.CANCELLED) == allowed_actions(Stage.TERMINATED) == []


@given(st.sampled_from(Stage), st.sampled_from(Action))
def test_every_pair_either_moves_or_is_refused(stage: Stage, action: Action) -> None:
    if (stage, action) in TRANSITIONS:
        assert next_stage(stage, action) in Stage
    else:
        with pytest.raises(IllegalTransition):
            next_stage(stage, action)


def test_every_stage_has_chinese_and_english_labels() -> None:
    assert set(LABELS) == set(Stage)
    assert all(zh and en for zh, en in LABELS.values())


RUBRIC = [
    Criterion("site", Decimal(30), 10),
    Criterion("workshop", Decimal(40), 10),
    Criterion("staff", Decimal(20), 5),
    Criterion("brands", Decimal(10), 1),
]


def test_a_score_is_explained_item_by_item() -> None:
    scored = score(RUBRIC, {"site": 8, "workshop": 7, "staff": 3, "brands": 0}, pass_mark=Decimal(60))
    # 30 x 0.8 + 40 x 0.7 + 20 x 0.6 + 0 = 24 + 28 + 12 = 64 of 100
    assert (scored.total, scored.passed) == (Decimal("64.00"), True)
    assert [(i.code, i.earned) for i in scored.items] == [
        ("site", Decimal(24)),
        ("workshop", Decimal(28)),
        ("staff", Decimal(12)),
        ("brands", Decimal(0)),
    ]


def test_not_applicable_items_do_not_count() -> None:
    # earned 24 + 28 + 12 of the applicable 90 = 71.11
    scored = score(RUBRIC, {"site": 8, "workshop": 7, "staff": 3, "brands": None}, pass_mark=Decimal(60))
    assert scored.total == Decimal("71.11")
    assert score(RUBRIC, {"site": 2, "workshop": 2, "staff": 1, "brands": 1}, pass_mark=Decimal(60)).passed is False


@pytest.mark.parametrize(
    ("marks", "reason"),
    [
        ({"site": 8, "workshop": 7, "staff": 3}, "marks missing for"),
        ({"site": 8, "workshop": 7, "staff": 3, "brands": 0, "colour": 1}, "unknown"),
        ({"site": 11, "workshop": 7, "staff": 3, "brands": 0}, "0 to 10 points"),
        ({"site": None, "workshop": None, "staff": None, "brands": None}, "at least one criterion must apply"),
    ],
)
def test_bad_marks_are_refused(marks: dict[str, int | None], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        score(RUBRIC, marks, pass_mark=Decimal(60))


marks = st.fixed_dictionaries({c.code: st.one_of(st.none(), st.integers(0, c.max_points)) for c in RUBRIC}).filter(
    lambda m: any(v is not None for v in m.values())
)


@given(marks)
def test_a_score_is_between_0_and_100_and_more_points_never_lower_it(given_marks: dict[str, int | None]) -> None:
    scored = score(RUBRIC, given_marks, pass_mark=Decimal(60))
    assert Decimal(0) <= scored.total <= Decimal(100)
    for criterion in RUBRIC:
        points = given_marks[criterion.code]
        if points is not None and points < criterion.max_points:
            better = score(RUBRIC, {**given_marks, criterion.code: points + 1}, pass_mark=Decimal(60))
            assert better.total >= scored.total


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([Vote.APPROVE] * 3 + [Vote.REJECT] * 2, Decision.APPROVED),  # the seed: 3 of 5 approve
        ([Vote.APPROVE] * 2 + [Vote.REJECT] * 2 + [Vote.ABSTAIN], Decision.REJECTED),  # a tie is no majority
        ([Vote.APPROVE] * 2, Decision.NO_QUORUM),
        ([Vote.APPROVE, Vote.ABSTAIN, Vote.ABSTAIN], Decision.APPROVED),  # abstentions count for the quorum only
        ([Vote.ABSTAIN] * 3, Decision.REJECTED),
    ],
)
def test_the_committee_needs_a_quorum_and_a_majority(votes: list[Vote], expected: Decision) -> None:
    assert decide(votes, members=5, quorum=3) is expected


def test_a_two_thirds_committee() -> None:
    votes = [Vote.APPROVE] * 3 + [Vote.REJECT] * 2
    assert decide(votes, members=5, quorum=3, majority=Decimal("0.6666")) is Decision.REJECTED
    assert decide([Vote.APPROVE] * 4 + [Vote.REJECT], members=5, quorum=3, majority=Decimal("0.6666")) is (
        Decision.APPROVED
    )
