"""GraphQL for warranty policy versions: the terms (exclusions, repair-quality guarantees, service types,
three-guarantees parameters) and the coverage of each component group in months and kilometres."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.policy import models, rules

if TYPE_CHECKING:
    pass

from dealernet.policy.service import warranty

expose(rules.ServiceType, description="The four service types (服务类型): what a repair is paid by.")


coverages_loader = by_id_loader(warranty.coverages_of)


terms_loader = by_id_loader(warranty.terms_of)


@strawberry.type(description="How long a component group is covered: months or km, whichever comes first.")
class WarrantyCoverage:
    component_group: str
    months: int
    km: int
    valid_from: date
    valid_to: date | None

    @classmethod
    def from_row(cls, row: models.WarrantyCoverage) -> WarrantyCoverage:
        return cls(
            component_group=row.component_group,
            months=row.months,
            km=row.km,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


@strawberry.type(description="A repair's own quality guarantee, e.g. overhaul: 20,000 km or 100 days.")
class RepairGuarantee:
    repair: str
    km: int
    days: int


@strawberry.type(description="One three-guarantees (三包) parameter of a warranty policy.")
class GuaranteeParameter:
    name: str
    value: int
    meaning: str


@strawberry.type(description="A warranty policy version's terms.")
class WarrantyTerms:
    exclusions: list[str]
    repair_guarantees: list[RepairGuarantee]
    service_types: list[rules.ServiceType] = strawberry.field(description="The service types the policy covers.")
    three_guarantees: list[GuaranteeParameter]

    @classmethod
    def from_row(cls, row: models.WarrantyTerms) -> WarrantyTerms:
        return cls(
            exclusions=list(row.exclusions),
            repair_guarantees=[RepairGuarantee(**g) for g in row.repair_guarantees],
            service_types=list(row.service_types),
            three_guarantees=[
                GuaranteeParameter(name=n, value=v, meaning=warranty.THREE_GUARANTEES.get(n, ""))
                for n, v in sorted(row.three_guarantees.items())
            ],
        )


@strawberry.input
class SetWarrantyCoverageInput:
    policy_id: strawberry.ID
    component_group: str
    months: int
    km: int


@strawberry.type
class WarrantyCoverageSuccess:
    coverage: WarrantyCoverage


WarrantyCoverageResult = Annotated[
    WarrantyCoverageSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("WarrantyCoverageResult"),
]


@strawberry.type
class WarrantyMutation:
    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Set a component group's coverage in a draft policy."
    )
    async def set_warranty_coverage(self, info: Info, input: SetWarrantyCoverageInput) -> WarrantyCoverageResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.WarrantyCoverage:
            return await warranty.set_coverage(
                session,
                scope,
                publication_id=uuid_of(input.policy_id, "Publication", "input.policyId"),
                component_group=input.component_group,
                months=input.months,
                km=input.km,
            )

        return await attempt(
            info.context, run, lambda row: WarrantyCoverageSuccess(coverage=WarrantyCoverage.from_row(row))
        )
