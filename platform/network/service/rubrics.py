"""Onboarding rules per network: versioned rubrics of weighted criteria (application scoring, interview
standard, acceptance checklist) and the pass marks, committee rule, deadlines and number format."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import Rubric, RubricCriterion
from dealernet.network.service import numbering
from dealernet.tenants.models import Network

RUBRIC_KINDS = tuple(rules.RubricKind)


MAX_CRITERIA = 100


@dataclass(frozen=True)
class CriterionInput:
    code: str
    label_zh: str
    label_en: str
    weight: Decimal
    max_points: int


async def create_rubric(
    session: AsyncSession, scope: Scope, *, kind: str, title: str, criteria: Sequence[CriterionInput]
) -> Rubric:
    """The next version of a rubric; the versions before it, and the scores given with them, stay as they are."""
    require(scope, Permission.onboarding_manage)
    problems: dict[str, str] = {}
    if kind not in RUBRIC_KINDS:
        problems["kind"] = "application, interview or acceptance"
    if not title.strip() or len(title.strip()) > 200:
        problems["title"] = "1 to 200 characters"
    codes = [c.code.strip().upper() for c in criteria]
    if not 1 <= len(criteria) <= MAX_CRITERIA or len(set(codes)) != len(codes):
        problems["criteria"] = f"1 to {MAX_CRITERIA}, each code once"
    for index, criterion in enumerate(criteria):
        if not codes[index] or len(codes[index]) > 40 or not (criterion.label_zh.strip() or criterion.label_en.strip()):
            problems[f"criteria.{index}"] = "a code (at most 40) and a label"
        elif not Decimal(0) < criterion.weight <= Decimal(1000) or not 1 <= criterion.max_points <= 100:
            problems[f"criteria.{index}"] = "weight above 0 (at most 1,000), 1 to 100 points"
    if problems:
        raise ValidationFailed("the rubric is not valid", fields=problems)
    latest = await session.scalar(select(func.max(Rubric.version)).where(Rubric.kind == kind))
    rubric = Rubric(
        id=new_id(),
        network_id=scope.network_id,
        kind=kind,
        version=(latest or 0) + 1,
        title=title.strip(),
        created_by=scope.actor_id,
    )
    session.add(rubric)
    await session.flush()
    session.add_all(
        RubricCriterion(
            id=new_id(),
            network_id=rubric.network_id,
            rubric_id=rubric.id,
            position=index,
            code=codes[index],
            label_zh=criterion.label_zh.strip()[:300],
            label_en=criterion.label_en.strip()[:300],
            weight=criterion.weight,
            max_points=criterion.max_points,
        )
        for index, criterion in enumerate(criteria)
    )
    await session.flush()
    after = {"kind": kind, "version": rubric.version, "criteria": codes}
    await journal.record(session, scope, entity="rubric", entity_id=rubric.id, action="created", after=after)
    return rubric


async def current_rubric(session: AsyncSession, scope: Scope, *, kind: str) -> Rubric | None:
    require(scope, Permission.onboarding_manage)
    stmt = select(Rubric).where(Rubric.kind == kind).order_by(Rubric.version.desc()).limit(1)
    return (await session.scalars(stmt)).first()


async def criteria_of(
    session: AsyncSession, scope: Scope, rubric_ids: Sequence[UUID]
) -> dict[UUID, list[RubricCriterion]]:
    require(scope, Permission.onboarding_manage)
    rows = await session.scalars(
        select(RubricCriterion).where(RubricCriterion.rubric_id.in_(rubric_ids)).order_by(RubricCriterion.position)
    )
    return group_by(rows, rubric_ids, lambda row: row.rubric_id)


RULES = (
    "application_pass_mark",
    "committee_members",
    "committee_quorum",
    "committee_majority",
    "acceptance_pass_mark",
    "rectification_days",
    "authorisation_number_format",
)


async def onboarding_rules(session: AsyncSession, scope: Scope) -> Network:
    """The network's onboarding rules: network policy, read by HQ and live stations (not applicants)."""
    require(scope, Permission.policy_read)
    network = await session.get(Network, scope.network_id)
    if network is None:
        raise NotFound("no such network")
    return network


def check_rules(rules_now: Mapping[str, Any]) -> None:
    """The rules as they would stand, or every problem at once (by input path)."""
    problems: dict[str, str] = {}
    for name in ("application_pass_mark", "acceptance_pass_mark"):
        if not Decimal(0) <= rules_now[name] <= Decimal(100) or rules_now[name] != round(rules_now[name], 2):
            problems[f"{name}"] = "0 to 100, at most 2 decimals"
    if not 1 <= rules_now["committee_members"] <= 50:
        problems["committee_members"] = "1 to 50"
    if not 1 <= rules_now["committee_quorum"] <= rules_now["committee_members"]:
        problems["committee_quorum"] = "1 to the number of members"
    if not Decimal(0) <= rules_now["committee_majority"] < Decimal(1):
        problems["committee_majority"] = "a share of the votes cast that must be exceeded: 0 to below 1"
    if not 1 <= rules_now["rectification_days"] <= 365:
        problems["rectification_days"] = "1 to 365"
    if problems:
        raise ValidationFailed("the onboarding rules are not valid", fields=problems)


async def set_onboarding_rules(session: AsyncSession, scope: Scope, changes: Mapping[str, Any]) -> Network:
    """Change the network's pass marks, committee rule, rectification deadline or number format (journaled)."""
    require(scope, Permission.onboarding_manage)
    network = await onboarding_rules(session, scope)
    before = journal.snapshot(network, *RULES)
    proposed = {name: changes.get(name, getattr(network, name)) for name in RULES}
    proposed["authorisation_number_format"] = numbering.check_format(proposed["authorisation_number_format"])
    check_rules(proposed)
    for name, value in proposed.items():
        setattr(network, name, value)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="network",
        entity_id=network.id,
        action="onboarding_rules_changed",
        before=before,
        after=journal.snapshot(network, *RULES),
    )
    return network
