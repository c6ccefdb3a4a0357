"""GraphQL for the network's onboarding rules: rubric versions (application scoring, interview standard,
acceptance checklist) and the pass marks, committee rule, deadlines and number format."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid
from dealernet.network import models, rules
from dealernet.network.service import rubrics

_criteria_loader = by_id_loader(rubrics.criteria_of)


@strawberry.type(description="A weighted criterion of a rubric.")
class Criterion:
    code: str = strawberry.field(description="Its code, unique in its list.")
    label_zh: str = strawberry.field(description="The Chinese label.")
    label_en: str = strawberry.field(description="The English label.")
    weight: Decimal = strawberry.field(description="Its weight in the total (weights sum to 100).")
    max_points: int = strawberry.field(description="The most points it can earn.")


@strawberry.type(description="A version of a rubric (application scoring, interview standard, acceptance checklist).")
class Rubric:
    id: strawberry.ID = strawberry.field(description="The object's global id.")
    kind: rules.RubricKind = strawberry.field(description="What it scores.")
    version: int = strawberry.field(description="Its version: each new rubric of a kind is the next one.")
    title: str = strawberry.field(description="Its title.")
    rubric_id: strawberry.Private[UUID]

    @strawberry.field(description="Its weighted criteria.")
    async def criteria(self, info: Info) -> list[Criterion]:
        rows = await info.context.loader("criteria", _criteria_loader).load(self.rubric_id)
        return [
            Criterion(code=c.code, label_zh=c.label_zh, label_en=c.label_en, weight=c.weight, max_points=c.max_points)
            for c in rows or []
        ]

    @classmethod
    def from_row(cls, row: models.Rubric) -> Rubric:
        return cls(id=gid("Rubric", row.id), kind=row.kind, version=row.version, title=row.title, rubric_id=row.id)


@strawberry.input(description="A weighted criterion of a new rubric.")
class CriterionInput:
    code: str = strawberry.field(description="Its code, unique in the rubric.")
    label_zh: str = strawberry.field(description="The Chinese label.")
    label_en: str = strawberry.field(description="The English label.")
    weight: Decimal = strawberry.field(description="Its weight in the total (weights sum to 100).")
    max_points: int = strawberry.field(description="The most points it can earn.")


@strawberry.type(description="How this network runs its onboarding (创建服务中心标准 as configured).")
class OnboardingRules:
    application_pass_mark: Decimal = strawberry.field(description="Application scoring pass mark (60 by default).")
    committee_members: int = strawberry.field(description="Members of the development committee.")
    committee_quorum: int = strawberry.field(description="Votes needed for a decision.")
    committee_majority: Decimal = strawberry.field(description="Share of votes cast approvals must exceed.")
    acceptance_pass_mark: Decimal = strawberry.field(description="Acceptance inspection pass mark, out of 100.")
    rectification_days: int = strawberry.field(description="Days a failed acceptance item has to be put right.")
    authorisation_number_format: str = strawberry.field(
        description="{network}, {region}, {year}, {seq} or {seq:N} (zero-padded), e.g. {network}-{region}-{seq:4}."
    )

    @classmethod
    def from_row(cls, row: Any) -> OnboardingRules:
        return cls(**{name: getattr(row, name) for name in rubrics.RULES})


@strawberry.input(description="The rules to change; the others stay as they are.")
class OnboardingRulesInput:
    application_pass_mark: Decimal | None = strawberry.field(
        default=None, description="Application scoring pass mark, out of 100."
    )
    committee_members: int | None = strawberry.field(default=None, description="Members of the development committee.")
    committee_quorum: int | None = strawberry.field(default=None, description="Votes needed for a decision.")
    committee_majority: Decimal | None = strawberry.field(
        default=None, description="Share of votes cast approvals must exceed, e.g. 0.5."
    )
    acceptance_pass_mark: Decimal | None = strawberry.field(
        default=None, description="Acceptance inspection pass mark, out of 100."
    )
    rectification_days: int | None = strawberry.field(
        default=None, description="Days a failed acceptance item has to be put right."
    )
    authorisation_number_format: str | None = strawberry.field(
        default=None, description="The authorisation number's format, e.g. {network}-{region}-{seq:4}."
    )


@strawberry.type(description="The network's onboarding rules as they stand now.")
class OnboardingRulesSuccess:
    rules: OnboardingRules = strawberry.field(description="The rules now in force.")


OnboardingRulesResult = Annotated[
    OnboardingRulesSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "OnboardingRulesResult",
        description=(
            "OnboardingRulesSuccess when it worked; otherwise ValidationError, NotFoundError saying "
            "why nothing changed."
        ),
    ),
]


@strawberry.input(description="A new version of a rubric.")
class CreateRubricInput:
    kind: rules.RubricKind = strawberry.field(description="What the rubric scores.")
    title: str = strawberry.field(description="Its title.")
    criteria: list[CriterionInput] = strawberry.field(description="Its criteria; weights sum to 100.")


@strawberry.type(description="What `createRubric` answers when it worked.")
class RubricSuccess:
    rubric: Rubric = strawberry.field(description="The new rubric version.")


RubricResult = Annotated[
    RubricSuccess | ValidationError,
    strawberry.union(
        "RubricResult",
        description="RubricSuccess when it worked; otherwise ValidationError saying why nothing changed.",
    ),
]


@strawberry.type
class RubricsQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="The network's onboarding rules (network policy: HQ and live stations, not applicants).",
    )
    async def onboarding_rules(self, info: Info) -> OnboardingRules:
        return OnboardingRules.from_row(await info.context.run(rubrics.onboarding_rules))

    @strawberry.field(extensions=needs(Permission.onboarding_manage), description="The current version of a rubric.")
    async def rubric(
        self, info: Info, kind: Annotated[rules.RubricKind, strawberry.argument(description="Which rubric.")]
    ) -> Rubric | None:
        row = await info.context.run(rubrics.current_rubric, kind=kind)
        return Rubric.from_row(row) if row else None


@strawberry.type
class RubricsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.onboarding_manage),
        description="Change the pass marks, the committee's rule, the rectification deadline or the number format.",
    )
    async def set_onboarding_rules(
        self,
        info: Info,
        input: Annotated[
            OnboardingRulesInput,
            strawberry.argument(description="The rules to change; those left out keep their values."),
        ],
    ) -> OnboardingRulesResult:
        changes = {k: v for k, v in vars(input).items() if v is not None}
        return await attempt(
            info.context,
            rubrics.set_onboarding_rules,
            lambda row: OnboardingRulesSuccess(rules=OnboardingRules.from_row(row)),
            changes=changes,
        )

    @strawberry.mutation(extensions=needs(Permission.onboarding_manage), description="Make a new rubric version.")
    async def create_rubric(
        self,
        info: Info,
        input: Annotated[CreateRubricInput, strawberry.argument(description="The new rubric version.")],
    ) -> RubricResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Rubric:
            return await rubrics.create_rubric(
                session,
                scope,
                kind=input.kind,
                title=input.title,
                criteria=[
                    rubrics.CriterionInput(c.code, c.label_zh, c.label_en, c.weight, c.max_points)
                    for c in input.criteria
                ],
            )

        return await attempt(info.context, run, lambda row: RubricSuccess(rubric=Rubric.from_row(row)))
