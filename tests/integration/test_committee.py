"""After scoring: the development plan per region, the site visit (interview scored, survey kept), the
committee's votes and decision, and the letter of intent with its number and PDF."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dealernet.core.journal import JournalEntry
from dealernet.core.settings import Settings
from dealernet.network import rules
from dealernet.network.models import Assessment
from dealernet.network.service import applications, pipeline
from dealernet.network.service import rubrics as rubric_service
from tests.conftest import Principal, Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_onboarding import COMPLETE, hand_in_papers

INTERVIEW = [
    rubric_service.CriterionInput("VISION", "经营理念", "Business outlook", Decimal(50), 10),
    rubric_service.CriterionInput("TECH", "技术实力", "Technical strength", Decimal(50), 10),
]
SURVEY = {"business_condition": "profitable", "repair_area": "1,200 m², 8 bays", "strengths": "fleet customers"}


async def shortlisted(scoped: Scoped, seed: AsyncSession, t: Tenants, applicant: Principal, region: UUID) -> UUID:
    async with scoped(applicant.scope) as session:
        await applications.update_application(
            session, applicant.scope, applications.ApplicationForm(**{**COMPLETE.__dict__, "region_id": region})
        )
        await hand_in_papers(session, applicant.scope)
        application = await applications.submit_application(session, applicant.scope)
        await session.commit()
    async with scoped(t.hq_x.scope) as session:
        await applications.score_application(
            session,
            t.hq_x.scope,
            application_id=application.id,
            marks={"SITE": 8, "WORKSHOP": 8, "STAFF": 4, "BRANDS": 0},
        )
        await session.commit()
    return application.id


async def visited(scoped: Scoped, t: Tenants, application: UUID) -> None:
    hq = t.hq_x.scope
    async with scoped(hq) as session:
        await pipeline.plan_visit(
            session,
            hq,
            application_id=application,
            planned_on=network_today(),  # visited the same day
            visitor_ids=[t.hq_x.user_id],
        )
        await pipeline.record_visit(
            session, hq, application_id=application, interview={"VISION": 7, "TECH": 8}, survey=SURVEY, findings="ok"
        )
        await session.commit()


async def vote(scoped: Scoped, members: list[Principal], application: UUID, votes: list[rules.Vote]) -> None:
    for member, ballot in zip(members, votes, strict=False):
        async with scoped(member.scope) as session:
            await pipeline.cast_vote(session, member.scope, application_id=application, vote=ballot, comment="")
            await session.commit()


async def rubrics(scoped: Scoped, t: Tenants) -> None:
    from tests.integration.test_onboarding import CRITERIA

    async with scoped(t.hq_x.scope) as session:
        for kind, criteria in (("application", CRITERIA), ("interview", INTERVIEW)):
            await rubric_service.create_rubric(session, t.hq_x.scope, kind=kind, title=kind, criteria=criteria)
        await session.commit()


async def test_visit_committee_and_letter(
    scoped: Scoped, seed: AsyncSession, settings: Settings, tenants: Tenants, onboarding_world: dict
) -> None:
    t, store = tenants, storage.open_store(settings)
    await rubrics(scoped, t)
    first = await shortlisted(scoped, seed, t, onboarding_world["first"], onboarding_world["east"])
    second = await shortlisted(scoped, seed, t, onboarding_world["second"], onboarding_world["east"])
    async with scoped(t.hq_x.scope) as session:
        await pipeline.set_quota(session, t.hq_x.scope, region_id=onboarding_world["east"], stations_needed=3)
        [plan] = await pipeline.development_plan(session, t.hq_x.scope)
        await session.commit()
    assert (plan.stations_needed, plan.active, dict(plan.in_pipeline), plan.open_places) == (
        3,
        0,
        {"shortlisted": 2},
        1,
    )

    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(NotFound, match="not one of the network's HQ staff"):
            await pipeline.plan_visit(
                session,
                t.hq_x.scope,
                application_id=first,
                planned_on=network_today(),
                visitor_ids=[onboarding_world["first"].user_id],
            )
    await visited(scoped, t, first)
    interview = (await seed.scalars(select(Assessment).where(Assessment.kind == "interview"))).one()
    assert interview.total == Decimal("75.00")

    # Two votes are no quorum; then 3 of 5 approve.
    await vote(scoped, onboarding_world["members"], first, [rules.Vote.APPROVE, rules.Vote.APPROVE])
    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(Conflict, match="2 of 5 members voted; the quorum is 3"):
            await pipeline.decide(session, t.hq_x.scope, store, application_id=first)
    await vote(
        scoped, onboarding_world["members"][2:], first, [rules.Vote.APPROVE, rules.Vote.REJECT, rules.Vote.REJECT]
    )
    async with scoped(t.hq_x.scope) as session:
        decided = await pipeline.decide(session, t.hq_x.scope, store, application_id=first)
        await session.commit()
    assert (decided.decision, decided.application.stage) == (rules.Decision.APPROVED, "approved")
    assert decided.letter is not None
    assert decided.letter.number == f"LOI-{datetime.now(UTC).year}-0001"

    # The applicant reads its own letter; the other applicant cannot.
    async with scoped(onboarding_world["first"].scope) as session:
        letter, pdf = await pipeline.read_letter(
            session, onboarding_world["first"].scope, store, letter_id=decided.letter.id
        )
        assert pdf.startswith(b"%PDF")
        assert letter.size == len(pdf)
    async with scoped(onboarding_world["second"].scope) as session:
        with pytest.raises(NotFound):
            await pipeline.read_letter(session, onboarding_world["second"].scope, store, letter_id=decided.letter.id)

    # The committee rejects the second: back to the reserve, no letter.
    await visited(scoped, t, second)
    await vote(
        scoped, onboarding_world["members"], second, [rules.Vote.APPROVE, rules.Vote.APPROVE] + [rules.Vote.REJECT] * 3
    )
    async with scoped(t.hq_x.scope) as session:
        rejected = await pipeline.decide(session, t.hq_x.scope, store, application_id=second)
        await session.commit()
    assert (rejected.decision, rejected.application.stage, rejected.letter) == (
        rules.Decision.REJECTED,
        "reserve",
        None,
    )


async def test_only_visited_applicants_are_voted_on(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, onboarding_world: dict
) -> None:
    await rubrics(scoped, tenants)
    application = await shortlisted(scoped, seed, tenants, onboarding_world["first"], onboarding_world["east"])
    member = onboarding_world["members"][0]
    async with scoped(member.scope) as session:
        with pytest.raises(Conflict, match="the committee votes on visited applicants"):
            await pipeline.cast_vote(session, member.scope, application_id=application, vote=rules.Vote.APPROVE)
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(Conflict, match="plan the visit first"):
            await pipeline.record_visit(
                session, tenants.hq_x.scope, application_id=application, interview={"VISION": 1, "TECH": 1}, survey={}
            )


async def test_only_the_committee_votes_and_a_change_of_vote_is_explicit(
    scoped: Scoped, seed: AsyncSession, settings: Settings, tenants: Tenants, onboarding_world: dict
) -> None:
    """Issue 14 item 8: any HQ user with the permission cast a counted vote, and a second vote replaced the
    first silently."""
    t, store = tenants, storage.open_store(settings)
    members = onboarding_world["members"]
    await rubrics(scoped, t)
    application = await shortlisted(scoped, seed, t, onboarding_world["first"], onboarding_world["east"])
    await visited(scoped, t, application)

    async with scoped(t.hq_x.scope) as session:  # HQ's admin may vote by permission, but is not on the roster
        with pytest.raises(Forbidden, match="only the development committee's members vote"):
            await pipeline.cast_vote(session, t.hq_x.scope, application_id=application, vote=rules.Vote.APPROVE)
        with pytest.raises(Conflict, match="5 seats are taken"):
            await pipeline.appoint_member(session, t.hq_x.scope, user_id=t.hq_x.user_id)

    await vote(scoped, members, application, [rules.Vote.APPROVE] * 3)
    async with scoped(members[0].scope) as session:
        with pytest.raises(Conflict, match="you voted approve already"):
            await pipeline.cast_vote(session, members[0].scope, application_id=application, vote=rules.Vote.REJECT)
        with pytest.raises(ValidationFailed):
            await pipeline.change_vote(
                session, members[0].scope, application_id=application, vote=rules.Vote.REJECT, reason=" "
            )
        changed = await pipeline.change_vote(
            session, members[0].scope, application_id=application, vote=rules.Vote.REJECT, reason="saw the survey"
        )
        await session.commit()
    assert changed.vote == "reject"
    entry = (await seed.scalars(select(JournalEntry).where(JournalEntry.action == "vote_changed"))).one()
    assert (entry.before, entry.after) == ({"vote": "approve"}, {"vote": "reject", "reason": "saw the survey"})

    # A member taken off the roster: their vote no longer counts (2 of 5 left, no quorum).
    async with scoped(t.hq_x.scope) as session:
        await pipeline.remove_member(session, t.hq_x.scope, user_id=members[1].user_id, reason="left HQ")
        await session.commit()
    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(Conflict, match="2 of 5 members voted"):
            await pipeline.decide(session, t.hq_x.scope, store, application_id=application)
        roster = {m.user_id for m in await pipeline.committee(session, t.hq_x.scope)}
    assert roster == {m.user_id for m in members} - {members[1].user_id}


async def test_a_visit_is_recorded_on_its_day_or_later(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, onboarding_world: dict
) -> None:
    """Issue 14 item 15: a site visit could be recorded before its planned date."""
    t = tenants
    await rubrics(scoped, t)
    application = await shortlisted(scoped, seed, t, onboarding_world["first"], onboarding_world["east"])
    tomorrow = network_today() + timedelta(days=1)
    async with scoped(t.hq_x.scope) as session:
        await pipeline.plan_visit(
            session, t.hq_x.scope, application_id=application, planned_on=tomorrow, visitor_ids=[t.hq_x.user_id]
        )
        await session.commit()
    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(Conflict, match=f"the visit is planned for {tomorrow}"):
            await pipeline.record_visit(
                session, t.hq_x.scope, application_id=application, interview={"VISION": 7, "TECH": 8}, survey=SURVEY
            )
        with pytest.raises(ValidationFailed) as bad:
            await pipeline.record_visit(
                session, t.hq_x.scope, application_id=application, interview={}, survey={"gossip": "x"}
            )
    assert bad.value.api_fields() == {"survey.gossip": "not a survey topic"}
