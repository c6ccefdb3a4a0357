"""Onboarding after scoring: the network development plan (region quotas against active stations and the
pipeline), the site visit (planned against the plan, recorded with the interview scored by the interview
standard and the site survey), and the development committee (votes, a decision by quorum and majority,
the letter of intent with its number and PDF)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, storage
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import (
    Application,
    CommitteeMember,
    CommitteeVote,
    LetterOfIntent,
    RegionQuota,
    SiteVisit,
)
from dealernet.network.service import numbering, papers
from dealernet.network.service.applications import application_of, move, record_assessment
from dealernet.tenants.models import Membership, Network, Region
from dealernet.tenants.service.directory import network_today

SURVEY = ("business_condition", "technical_strength", "instruments", "equipment", "repair_area", "strengths")
# Stages that count as "in the pipeline" for a region's plan.
IN_PIPELINE = ("submitted", "shortlisted", "visit_planned", "visited", "approved", "rectification", "accepted")


# --- The network development plan ---------------------------------------------------------------------


async def set_quota(session: AsyncSession, scope: Scope, *, region_id: UUID, stations_needed: int) -> RegionQuota:
    require(scope, Permission.onboarding_manage)
    if not 0 <= stations_needed <= 10_000:
        raise ValidationFailed("0 to 10,000 stations", fields={"stations_needed": "0 to 10,000"})
    if await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    statement = (
        insert(RegionQuota)
        .values(id=new_id(), network_id=scope.network_id, region_id=region_id, stations_needed=stations_needed)
        .on_conflict_do_update(
            index_elements=["region_id"], set_={"stations_needed": stations_needed, "updated_at": func.now()}
        )
        .returning(RegionQuota)
    )
    row = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    after = {"region_id": str(region_id), "stations_needed": stations_needed}
    await journal.record(session, scope, entity="region_quota", entity_id=row.id, action="set", after=after)
    return row


@dataclass(frozen=True)
class RegionPlan:
    region_id: UUID
    region_code: str
    stations_needed: int
    active: int
    in_pipeline: Mapping[str, int]  # stage -> applicants

    @property
    def open_places(self) -> int:
        """Places the plan still has for applicants not yet counted in the pipeline."""
        return max(self.stations_needed - self.active - sum(self.in_pipeline.values()), 0)


_PLAN = text(
    """
    SELECT r.id, r.code, coalesce(q.stations_needed, 0) AS needed,
           (SELECT count(*) FROM stations s WHERE s.region_id = r.id AND s.status = 'active') AS active,
           coalesce((SELECT jsonb_object_agg(stage, n) FROM (
               SELECT a.stage, count(*) AS n FROM applications a
               WHERE a.region_id = r.id AND a.stage = ANY(:pipeline) GROUP BY a.stage) p), '{}') AS pipeline
    FROM regions r LEFT JOIN region_quotas q ON q.region_id = r.id
    ORDER BY r.code
    """
)


async def development_plan(session: AsyncSession, scope: Scope) -> list[RegionPlan]:
    """Per region: the quota, the active stations and the applicants by stage (HQ)."""
    require(scope, Permission.onboarding_manage)
    rows = await session.execute(_PLAN, {"pipeline": list(IN_PIPELINE)})
    return [RegionPlan(r.id, r.code, r.needed, r.active, dict(r.pipeline)) for r in rows]


# --- The site visit -----------------------------------------------------------------------------------


async def _hq_people(session: AsyncSession, user_ids: Sequence[UUID], *, field: str = "visitor_ids") -> None:
    found = await session.scalar(
        select(func.count(func.distinct(Membership.user_id))).where(
            Membership.user_id.in_(user_ids), Membership.station_id.is_(None), Membership.role.like("hq\\_%")
        )
    )
    if found != len(set(user_ids)):
        raise NotFound("not one of the network's HQ staff", fields={field: "not found"})


async def plan_visit(
    session: AsyncSession, scope: Scope, *, application_id: UUID, planned_on: date, visitor_ids: Sequence[UUID]
) -> SiteVisit:
    """Plan (or re-plan) the site visit of a shortlisted applicant, with its visitors and date."""
    require(scope, Permission.onboarding_manage)
    if not 1 <= len(set(visitor_ids)) <= 20:
        raise ValidationFailed("1 to 20 visitors", fields={"visitor_ids": "1 to 20"})
    application = await application_of(session, application_id)
    await _hq_people(session, visitor_ids)
    await move(
        session,
        scope,
        application,
        rules.Action.PLAN_VISIT,
        reason=f"visit on {planned_on}",
        details={"planned_on": planned_on.isoformat()},
    )
    visit = (await session.scalars(select(SiteVisit).where(SiteVisit.application_id == application.id))).first()
    if visit is None:
        visit = SiteVisit(id=new_id(), network_id=application.network_id, application_id=application.id, survey={})
        session.add(visit)
    visit.planned_on, visit.visitor_ids, visit.planned_by = planned_on, sorted(set(visitor_ids)), scope.actor_id
    await session.flush()
    return visit


async def record_visit(
    session: AsyncSession,
    scope: Scope,
    *,
    application_id: UUID,
    interview: Mapping[str, int | None],
    survey: Mapping[str, str],
    findings: str = "",
) -> SiteVisit:
    """Record the visit: the interview scored with the current interview standard (专项访谈评分标准) and the
    site survey; the committee decides next."""
    require(scope, Permission.onboarding_manage)
    problems = {f"survey.{topic}": "not a survey topic" for topic in sorted(set(survey) - set(SURVEY))}
    problems |= {f"survey.{topic}": "at most 2,000 characters" for topic, v in survey.items() if len(v) > 2000}
    if problems:
        raise ValidationFailed("the site survey is not valid", fields=problems)
    application = await application_of(session, application_id)
    visit = (await session.scalars(select(SiteVisit).where(SiteVisit.application_id == application.id))).first()
    if visit is None or application.stage != rules.Stage.VISIT_PLANNED:
        raise Conflict(f"the application is {application.stage}; plan the visit first")
    today = await network_today(session, application.network_id)
    if today < visit.planned_on:
        raise Conflict(f"the visit is planned for {visit.planned_on}: record it on that day or later")
    assessment = await record_assessment(session, scope, application, kind=rules.RubricKind.INTERVIEW, marks=interview)
    visit.interview_assessment_id = assessment.id
    visit.survey = {k: v.strip() for k, v in survey.items()}
    visit.findings, visit.visited_at, visit.recorded_by = findings.strip(), datetime.now(UTC), scope.actor_id
    await session.flush()
    details = {"interview_score": str(assessment.total)}
    await move(session, scope, application, rules.Action.RECORD_VISIT, reason=findings or "visited", details=details)
    return visit


# --- The committee ------------------------------------------------------------------------------------


# --- The development committee -------------------------------------------------------------------------


async def committee(session: AsyncSession, scope: Scope) -> list[CommitteeMember]:
    """The network's committee roster, in order of appointment (HQ's business, not an applicant's)."""
    require(scope, Permission.onboarding_manage)
    return list(await session.scalars(select(CommitteeMember).order_by(CommitteeMember.appointed_at)))


async def appoint_member(session: AsyncSession, scope: Scope, *, user_id: UUID) -> CommitteeMember:
    """Appoint one of HQ's staff to the committee, within the network's number of seats."""
    require(scope, Permission.onboarding_manage)
    await _hq_people(session, [user_id], field="user_id")
    network = await session.get(Network, scope.network_id)
    assert network is not None
    if await session.get(CommitteeMember, (network.id, user_id)) is not None:
        raise Conflict("already a member of the committee")
    seated = await session.scalar(
        select(func.count()).select_from(CommitteeMember).where(CommitteeMember.network_id == network.id)
    )
    if (seated or 0) >= network.committee_members:
        raise Conflict(
            f"the committee's {network.committee_members} seats are taken; remove a member or add seats first"
        )
    member = CommitteeMember(network_id=network.id, user_id=user_id, appointed_by=scope.actor_id)
    session.add(member)
    await session.flush()
    await journal.record(session, scope, entity="user", entity_id=user_id, action="appointed_to_committee")
    return member


async def remove_member(session: AsyncSession, scope: Scope, *, user_id: UUID, reason: str) -> None:
    """Take a member off the committee; their votes on undecided applications no longer count."""
    require(scope, Permission.onboarding_manage)
    if not reason.strip():
        raise ValidationFailed("say why", fields={"reason": "required"})
    member = await session.get(CommitteeMember, (scope.network_id, user_id))
    if member is None:
        raise NotFound("not a member of the committee", fields={"user_id": "not found"})
    await session.delete(member)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="user",
        entity_id=user_id,
        action="removed_from_committee",
        after={"reason": reason.strip()[:500]},
    )


async def _voting_member(session: AsyncSession, scope: Scope, application_id: UUID) -> Application:
    require(scope, Permission.committee_vote)
    application = await application_of(session, application_id)
    if application.stage != rules.Stage.VISITED:
        raise Conflict(f"the application is {application.stage}; the committee votes on visited applicants")
    if scope.actor_id is None or await session.get(CommitteeMember, (application.network_id, scope.actor_id)) is None:
        raise Forbidden("only the development committee's members vote")
    return application


async def cast_vote(
    session: AsyncSession, scope: Scope, *, application_id: UUID, vote: rules.Vote, comment: str = ""
) -> CommitteeVote:
    """A committee member's vote on a visited applicant: once; a change is change_vote's, with a reason."""
    application = await _voting_member(session, scope, application_id)
    statement = (
        insert(CommitteeVote)
        .values(
            id=new_id(),
            network_id=application.network_id,
            application_id=application.id,
            member_id=scope.actor_id,
            vote=vote.value,
            comment=comment.strip()[:2000],
        )
        .on_conflict_do_nothing(index_elements=["application_id", "member_id"])
        .returning(CommitteeVote)
    )
    row = (await session.scalars(statement)).one_or_none()
    if row is None:
        earlier = await _vote_of(session, application.id, scope.actor_id)
        raise Conflict(f"you voted {earlier.vote} already; change your vote, saying why")
    await journal.record(
        session,
        scope,
        entity="application",
        entity_id=application.id,
        action="voted",
        after={"vote": vote.value},
        station_id=application.station_id,
    )
    return row


async def change_vote(
    session: AsyncSession, scope: Scope, *, application_id: UUID, vote: rules.Vote, reason: str
) -> CommitteeVote:
    """A member changes their vote before the committee decides, saying why; the journal keeps both."""
    application = await _voting_member(session, scope, application_id)
    if not reason.strip():
        raise ValidationFailed("say why the vote changes", fields={"reason": "required"})
    row = await _vote_of(session, application.id, scope.actor_id, for_update=True)
    if row.vote == vote.value:
        raise Conflict(f"your vote is {vote.value} already")
    before = {"vote": row.vote}
    row.vote, row.voted_at = vote.value, datetime.now(UTC)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="application",
        entity_id=application.id,
        action="vote_changed",
        before=before,
        after={"vote": vote.value, "reason": reason.strip()[:2000]},
        station_id=application.station_id,
    )
    return row


async def _vote_of(
    session: AsyncSession, application_id: UUID, member_id: UUID | None, *, for_update: bool = False
) -> CommitteeVote:
    query = select(CommitteeVote).where(
        CommitteeVote.application_id == application_id, CommitteeVote.member_id == member_id
    )
    row = (await session.scalars(query.with_for_update() if for_update else query)).first()
    if row is None:
        raise NotFound("you have not voted on this application", fields={"application_id": "no vote"})
    return row


@dataclass(frozen=True)
class Decided:
    decision: rules.Decision
    application: Application
    letter: LetterOfIntent | None


async def decide(session: AsyncSession, scope: Scope, store: storage.Store, *, application_id: UUID) -> Decided:
    """Count the votes by the network's rule: approved → letter of intent (numbered, PDF); rejected →
    reserve; without a quorum nothing moves (CONFLICT says how many votes are in)."""
    require(scope, Permission.onboarding_manage)
    application = await application_of(session, application_id)
    network = await session.get(Network, application.network_id)
    assert network is not None
    counted = select(CommitteeVote.vote).where(
        CommitteeVote.application_id == application.id,
        CommitteeVote.member_id.in_(  # members still on the roster
            select(CommitteeMember.user_id).where(CommitteeMember.network_id == application.network_id)
        ),
    )
    votes = [rules.Vote(v) for v in await session.scalars(counted)]
    decision = rules.decide(
        votes, members=network.committee_members, quorum=network.committee_quorum, majority=network.committee_majority
    )
    if decision is rules.Decision.NO_QUORUM:
        raise Conflict(
            f"{len(votes)} of {network.committee_members} members voted; the quorum is {network.committee_quorum}"
        )
    tally = {v.value: sum(1 for x in votes if x is v) for v in rules.Vote}
    if decision is rules.Decision.REJECTED:
        await move(session, scope, application, rules.Action.REJECT, reason="committee rejected", details=tally)
        return Decided(decision, application, None)
    await move(session, scope, application, rules.Action.APPROVE, reason="committee approved", details=tally)
    letter = await issue_letter(session, scope, store, application, network)
    return Decided(decision, application, letter)


async def issue_letter(
    session: AsyncSession, scope: Scope, store: storage.Store, application: Application, network: Network
) -> LetterOfIntent:
    """The next number of the year (LOI-2026-0001), the PDF to the store, the row here."""
    today = await network_today(session, application.network_id)
    issued = await numbering.next_in_series(session, application.network_id, f"letter_of_intent:{today.year}")
    number = f"LOI-{today.year}-{issued:04d}"
    region = await session.get(Region, application.region_id) if application.region_id else None
    pdf = papers.letter_of_intent_pdf(
        papers.LetterOfIntent(
            number=number,
            network=network.name,
            company=application.company_name,
            site_address=application.site_address,
            region=region.name if region else "",
            issued_on=today,
        )
    )
    letter_id = new_id()
    key = f"{application.network_id}/letters/{letter_id}.pdf"
    letter = LetterOfIntent(
        id=letter_id,
        network_id=application.network_id,
        station_id=application.station_id,
        application_id=application.id,
        number=number,
        issued_by=scope.actor_id,
        storage_key=key,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
    )
    await storage.keep(session, store, key, pdf, letter, conflict="another letter took that number; decide again")
    await journal.record(
        session,
        scope,
        entity="letter_of_intent",
        entity_id=letter.id,
        action="issued",
        after={"number": number, "application_id": str(application.id)},
        station_id=application.station_id,
    )
    return letter


async def read_letter(
    session: AsyncSession, scope: Scope, store: storage.Store, *, letter_id: UUID
) -> tuple[LetterOfIntent, bytes]:
    """A letter the caller may see: HQ its network's, an applicant its own."""
    require(scope, Permission.onboarding_read)
    letter = await session.get(LetterOfIntent, letter_id)
    if letter is None:
        raise NotFound("no such letter", fields={"letter_id": "not found"})
    return letter, await storage.get(store, letter.storage_key)


async def letters_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, LetterOfIntent]:
    require(scope, Permission.onboarding_read)
    rows = await session.scalars(select(LetterOfIntent).where(LetterOfIntent.application_id.in_(application_ids)))
    return {row.application_id: row for row in rows}


async def votes_of(
    session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]
) -> dict[UUID, list[CommitteeVote]]:
    require(scope, Permission.onboarding_manage)
    rows = await session.scalars(
        select(CommitteeVote).where(CommitteeVote.application_id.in_(application_ids)).order_by(CommitteeVote.voted_at)
    )
    return group_by(rows, application_ids, lambda row: row.application_id)


async def visits_of(session: AsyncSession, scope: Scope, application_ids: Sequence[UUID]) -> dict[UUID, SiteVisit]:
    require(scope, Permission.onboarding_manage)
    rows = await session.scalars(select(SiteVisit).where(SiteVisit.application_id.in_(application_ids)))
    return {row.application_id: row for row in rows}
