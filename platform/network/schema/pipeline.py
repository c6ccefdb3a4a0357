"""GraphQL for onboarding after scoring: the development plan, site visits, the committee and the letter of
intent (downloaded from `GET /letters-of-intent/{id}`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.errors import Conflict
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid, uuid_of
from dealernet.network import models, rules
from dealernet.network.schema.applications import (
    Application,
    ApplicationResult,
    ApplicationSuccess,
    LetterOfIntent,
    MarkInput,
)
from dealernet.network.service import applications, pipeline


@strawberry.type(description="Applicants in one stage.")
class StageCount:
    stage: rules.Stage = strawberry.field(description="The stage.")
    count: int = strawberry.field(description="How many applicants are at it.")


@strawberry.type(description="A region in the network development plan: its quota against what it has.")
class RegionPlan:
    region_id: strawberry.ID = strawberry.field(description="The region (global id).")
    region_code: str = strawberry.field(description="The region's code.")
    stations_needed: int = strawberry.field(description="How many stations HQ plans for the region.")
    active: int = strawberry.field(description="Active stations in the region.")
    in_pipeline: list[StageCount] = strawberry.field(description="Applicants of the region per stage.")
    open_places: int = strawberry.field(description="Places left after the active stations and the pipeline.")


@strawberry.input(description="The site survey (实地考查): what the visitors found.")
class SurveyInput:
    business_condition: str = strawberry.field(default="", description="The business's condition.")
    technical_strength: str = strawberry.field(default="", description="Its technical strength.")
    instruments: str = strawberry.field(default="", description="Diagnostic instruments on site.")
    equipment: str = strawberry.field(default="", description="Workshop equipment on site.")
    repair_area: str = strawberry.field(default="", description="The repair area.")
    strengths: str = strawberry.field(default="", description="Its strengths.")


@strawberry.input(description="The site visit to a shortlisted applicant.")
class PlanSiteVisitInput:
    application_id: strawberry.ID = strawberry.field(description="A shortlisted application (global id).")
    planned_on: date = strawberry.field(description="The day of the visit, today or later.")
    visitor_ids: list[strawberry.ID] = strawberry.field(description="HQ staff (User ids) who visit.")


@strawberry.input(description="What the site visit found.")
class RecordSiteVisitInput:
    application_id: strawberry.ID = strawberry.field(description="The application visited (global id).")
    interview: list[MarkInput] = strawberry.field(description="Marks by the interview scoring standard.")
    survey: SurveyInput = strawberry.field(description="The survey notes (实地调查).")
    findings: str = strawberry.field(default="", description="The visitors' findings.")


@strawberry.type(description="What `setRegionQuota` answers when it worked.")
class RegionQuotaSuccess:
    region_id: strawberry.ID = strawberry.field(description="The region (global id).")
    stations_needed: int = strawberry.field(description="How many stations it now needs.")


@strawberry.type(description="What `decideCommittee` answers when it worked.")
class DecisionSuccess:
    decision: rules.Decision = strawberry.field(description="What the committee decided.")
    application: Application = strawberry.field(description="The application after the decision.")
    letter_of_intent: LetterOfIntent | None = strawberry.field(description="The letter of intent, when approved.")


@strawberry.type(description="A member of the development committee (发展委员会).")
class CommitteeMember:
    user_id: strawberry.ID = strawberry.field(description="The member (a user's global id).")
    appointed_at: datetime = strawberry.field(description="When they were appointed.")

    @classmethod
    def from_row(cls, row: models.CommitteeMember) -> CommitteeMember:
        return cls(user_id=gid("User", row.user_id), appointed_at=row.appointed_at)


@strawberry.type(description="What `appointCommitteeMember` answers when it worked.")
class CommitteeMemberSuccess:
    member: CommitteeMember = strawberry.field(description="The new member.")


@strawberry.type(description="What `removeCommitteeMember` answers when it worked.")
class CommitteeMemberRemoved:
    user_id: strawberry.ID = strawberry.field(description="The former member (a user's global id).")


CommitteeMemberResult = Annotated[
    CommitteeMemberSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "CommitteeMemberResult",
        description="CommitteeMemberSuccess when it worked; otherwise ValidationError, NotFoundError, "
        "ConflictError saying why nothing changed.",
    ),
]
CommitteeMemberRemovedResult = Annotated[
    CommitteeMemberRemoved | ValidationError | NotFoundError,
    strawberry.union(
        "CommitteeMemberRemovedResult",
        description="CommitteeMemberRemoved when it worked; otherwise ValidationError, NotFoundError saying why "
        "nothing changed.",
    ),
]


RegionQuotaResult = Annotated[
    RegionQuotaSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "RegionQuotaResult",
        description=(
            "RegionQuotaSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]
DecisionResult = Annotated[
    DecisionSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "DecisionResult",
        description=(
            "DecisionSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


@strawberry.type
class PipelineQuery:
    @strawberry.field(
        extensions=needs(Permission.onboarding_manage),
        description="The development committee: the HQ staff who vote on visited applicants.",
    )
    async def committee_members(self, info: Info) -> list[CommitteeMember]:
        return [CommitteeMember.from_row(row) for row in await info.context.run(pipeline.committee)]

    @strawberry.field(
        extensions=needs(Permission.onboarding_manage),
        description="The network development plan: per region, the quota, active stations and the pipeline by stage.",
    )
    async def development_plan(self, info: Info) -> list[RegionPlan]:
        plans = await info.context.run(pipeline.development_plan)
        return [
            RegionPlan(
                region_id=gid("Region", p.region_id),
                region_code=p.region_code,
                stations_needed=p.stations_needed,
                active=p.active,
                in_pipeline=[StageCount(stage=s, count=n) for s, n in sorted(p.in_pipeline.items())],
                open_places=p.open_places,
            )
            for p in plans
        ]

    @strawberry.field(
        extensions=needs(Permission.onboarding_read), description="Your letter of intent, once issued (an applicant)."
    )
    async def my_letter_of_intent(self, info: Info) -> LetterOfIntent | None:
        scope = info.context.require_scope()
        if scope.station_id is None:
            return None
        application = await info.context.run(applications.my_application)
        found = await info.context.run(pipeline.letters_of, [application.id])
        row = found.get(application.id)
        return LetterOfIntent.from_row(row) if row else None


def _to_application(row: models.Application) -> ApplicationSuccess:
    return ApplicationSuccess(application=Application.from_row(row))


@strawberry.type
class PipelineMutation:
    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage), description="How many stations a region needs (the plan)."
    )
    async def set_region_quota(
        self,
        info: Info,
        region_id: Annotated[strawberry.ID, strawberry.argument(description="The region (global id).")],
        stations_needed: Annotated[int, strawberry.argument(description="How many stations the region needs.")],
    ) -> RegionQuotaResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RegionQuota:
            return await pipeline.set_quota(
                session, scope, region_id=uuid_of(region_id, "Region", "regionId"), stations_needed=stations_needed
            )

        return await attempt(
            info.context,
            run,
            lambda row: RegionQuotaSuccess(region_id=gid("Region", row.region_id), stations_needed=row.stations_needed),
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage), description="Plan (or re-plan) a shortlisted applicant's visit."
    )
    async def plan_site_visit(
        self,
        info: Info,
        input: Annotated[
            PlanSiteVisitInput, strawberry.argument(description="The shortlisted application and the day of the visit.")
        ],
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            with IdReader() as read:
                application_id = read.one(input.application_id, "Application", "applicationId")
                visitor_ids = read.many(input.visitor_ids, "User", "visitorIds")
            await pipeline.plan_visit(
                session, scope, application_id=application_id, planned_on=input.planned_on, visitor_ids=visitor_ids
            )
            return await _reloaded(session, application_id)

        return await attempt(info.context, run, _to_application)

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage), description="Record the visit: interview marks and site survey."
    )
    async def record_site_visit(
        self,
        info: Info,
        input: Annotated[
            RecordSiteVisitInput, strawberry.argument(description="The survey and findings of the visit.")
        ],
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            application_id = uuid_of(input.application_id, "Application", "applicationId")
            survey = {k: v for k, v in vars(input.survey).items() if v}
            await pipeline.record_visit(
                session,
                scope,
                application_id=application_id,
                interview={m.code: m.points for m in input.interview},
                survey=survey,
                findings=input.findings,
            )
            return await _reloaded(session, application_id)

        return await attempt(info.context, run, _to_application)

    @strawberry.mutation(
        extensions=needs(Permission.committee_vote), description="Your vote as a development committee member."
    )
    async def cast_committee_vote(
        self,
        info: Info,
        application_id: Annotated[strawberry.ID, strawberry.argument(description="A visited application (global id).")],
        vote: Annotated[rules.Vote, strawberry.argument(description="The member's vote.")],
        comment: Annotated[str, strawberry.argument(description="The member's comment.")] = "",
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            application = uuid_of(application_id, "Application", "applicationId")
            await pipeline.cast_vote(session, scope, application_id=application, vote=vote, comment=comment)
            return await _reloaded(session, application)

        return await attempt(info.context, run, _to_application)

    @strawberry.mutation(
        extensions=needs(Permission.committee_vote),
        description="Change your vote before the committee decides, saying why (the journal keeps both votes).",
    )
    async def change_committee_vote(
        self,
        info: Info,
        application_id: Annotated[strawberry.ID, strawberry.argument(description="A visited application (global id).")],
        vote: Annotated[rules.Vote, strawberry.argument(description="The member's new vote.")],
        reason: Annotated[str, strawberry.argument(description="Why the vote changes.")],
    ) -> ApplicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Application:
            application = uuid_of(application_id, "Application", "applicationId")
            await pipeline.change_vote(session, scope, application_id=application, vote=vote, reason=reason)
            return await _reloaded(session, application)

        return await attempt(info.context, run, _to_application)

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Appoint one of HQ's staff to the development committee, within its number of seats.",
    )
    async def appoint_committee_member(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The HQ user (global id).")],
    ) -> CommitteeMemberResult:
        async def run(session: AsyncSession, scope: Scope) -> models.CommitteeMember:
            return await pipeline.appoint_member(session, scope, user_id=uuid_of(user_id, "User", "userId"))

        return await attempt(
            info.context, run, lambda row: CommitteeMemberSuccess(member=CommitteeMember.from_row(row))
        )

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Take a member off the committee; their votes on undecided applications no longer count.",
    )
    async def remove_committee_member(
        self,
        info: Info,
        user_id: Annotated[strawberry.ID, strawberry.argument(description="The member (a user's global id).")],
        reason: Annotated[str, strawberry.argument(description="Why, in words; kept in the journal.")],
    ) -> CommitteeMemberRemovedResult:
        async def run(session: AsyncSession, scope: Scope) -> str:
            await pipeline.remove_member(session, scope, user_id=uuid_of(user_id, "User", "userId"), reason=reason)
            return user_id

        return await attempt(info.context, run, lambda removed: CommitteeMemberRemoved(user_id=strawberry.ID(removed)))

    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Count the committee's votes: approved issues the letter of intent, rejected keeps in reserve.",
    )
    async def decide_committee(
        self,
        info: Info,
        application_id: Annotated[strawberry.ID, strawberry.argument(description="A visited application (global id).")],
    ) -> DecisionResult:
        store = info.context.store

        async def run(session: AsyncSession, scope: Scope) -> pipeline.Decided:
            if store is None:
                raise Conflict("no file store is configured")
            application = uuid_of(application_id, "Application", "applicationId")
            return await pipeline.decide(session, scope, store, application_id=application)

        return await attempt(
            info.context,
            run,
            lambda done: DecisionSuccess(
                decision=done.decision,
                application=Application.from_row(done.application),
                letter_of_intent=LetterOfIntent.from_row(done.letter) if done.letter else None,
            ),
        )


async def _reloaded(session: AsyncSession, application_id: UUID) -> models.Application:
    row = await session.get(models.Application, application_id, populate_existing=True)
    assert row is not None
    return row
