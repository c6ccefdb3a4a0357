"""GraphQL for warranty policy versions: the terms (exclusions, repair-quality guarantees, service types,
three-guarantees parameters) and the coverage of each component group in months and kilometres."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import models, rules

if TYPE_CHECKING:
    pass

from dealernet.policy.service import warranty

expose(
    rules.ServiceType,
    description="The four service types (服务类型): what a repair is paid by.",
    values={
        rules.ServiceType.PAID: "有偿服务: the customer pays.",
        rules.ServiceType.CONTRACT: "合同服务: a service contract pays.",
        rules.ServiceType.WARRANTY: "保修服务: the OEM pays under warranty (free to the customer).",
        rules.ServiceType.INTERNAL: "内部服务: the station's own or the OEM's vehicles.",
    },
)


coverages_loader = by_id_loader(warranty.coverages_of)


terms_loader = by_id_loader(warranty.terms_of)


@strawberry.type(description="How long a component group is covered: months or km, whichever comes first.")
class WarrantyCoverage:
    component_group: str = strawberry.field(description="The component group, e.g. ENGINE or BRAKES.")
    months: int = strawberry.field(description="Months from the sale date.")
    km: int = strawberry.field(description="Kilometres on the odometer.")
    valid_from: date = strawberry.field(description="The first day it holds.")
    valid_to: date | None = strawberry.field(
        description="The day it stops holding (exclusive); empty while open-ended."
    )

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
    repair: str = strawberry.field(description="The kind of repair, e.g. second-level maintenance.")
    km: int = strawberry.field(description="Kilometres from completion.")
    days: int = strawberry.field(description="Days from completion.")


@strawberry.type(description="One three-guarantees (三包) parameter of a warranty policy.")
class GuaranteeParameter:
    name: str = strawberry.field(description="The parameter's name.")
    value: int = strawberry.field(description="Its value.")
    meaning: str = strawberry.field(description="What it means, in words.")


@strawberry.type(description="What a warranty policy version says about claims.")
class ClaimRules:
    submit_within_days: int = strawberry.field(description="Days after completion to submit a claim.")
    duplicate_within_days: int = strawberry.field(description="The duplicate check's window, in days.")
    coverage_end_days: int = strawberry.field(description="Days before coverage ends that flag a repair.")
    coverage_end_km: int = strawberry.field(description="Km before coverage ends that flag a repair.")
    preauthorisation_above: Money = strawberry.field(description="A claim above this needs pre-authorisation.")
    preauthorisation_operations: list[str] = strawberry.field(description="Operations always pre-authorised.")
    auto_approve_below: Money = strawberry.field(description="A clean claim under this is approved by the rules.")
    appeal_within_days: int = strawberry.field(description="Days after a decision to appeal it.")
    return_component_groups: list[str] = strawberry.field(description="Groups whose failed parts come back.")
    return_within_days: int = strawberry.field(description="Days to send a failed part back.")
    return_to: str = strawberry.field(description="Where failed parts are sent.")

    @classmethod
    def of(cls, document: dict[str, Any]) -> ClaimRules:
        given = rules.ClaimRules.of(document)
        return cls(
            submit_within_days=given.submit_within_days,
            duplicate_within_days=given.duplicate_within_days,
            coverage_end_days=given.coverage_end_days,
            coverage_end_km=given.coverage_end_km,
            preauthorisation_above=given.preauthorisation_above,
            preauthorisation_operations=list(given.preauthorisation_operations),
            auto_approve_below=given.auto_approve_below,
            appeal_within_days=given.appeal_within_days,
            return_component_groups=list(given.return_component_groups),
            return_within_days=given.return_within_days,
            return_to=given.return_to,
        )


@strawberry.type(description="A warranty policy version's terms.")
class WarrantyTerms:
    exclusions: list[str] = strawberry.field(description="What the warranty does not cover.")
    repair_guarantees: list[RepairGuarantee] = strawberry.field(
        description="The repair-quality guarantee per kind of repair."
    )
    service_types: list[rules.ServiceType] = strawberry.field(description="The service types the policy covers.")
    three_guarantees: list[GuaranteeParameter] = strawberry.field(description="The three-guarantees (三包) parameters.")
    claim_rules: ClaimRules = strawberry.field(description="What it says about claims (defaults where silent).")

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
            claim_rules=ClaimRules.of(row.claim_rules),
        )


@strawberry.input(description="A component group's coverage in a draft warranty policy.")
class SetWarrantyCoverageInput:
    policy_id: strawberry.ID = strawberry.field(description="The draft warranty policy (global id).")
    component_group: str = strawberry.field(description="The component group, e.g. ENGINE or BRAKES.")
    months: int = strawberry.field(description="Months from the sale date.")
    km: int = strawberry.field(description="Kilometres on the odometer.")


@strawberry.type(description="What `setWarrantyCoverage` answers when it worked.")
class WarrantyCoverageSuccess:
    coverage: WarrantyCoverage = strawberry.field(description="The coverage as set.")


WarrantyCoverageResult = Annotated[
    WarrantyCoverageSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "WarrantyCoverageResult",
        description=(
            "WarrantyCoverageSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


@strawberry.type
class WarrantyMutation:
    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Set a component group's coverage in a draft policy."
    )
    async def set_warranty_coverage(
        self,
        info: Info,
        input: Annotated[
            SetWarrantyCoverageInput, strawberry.argument(description="The coverage to set on a draft warranty policy.")
        ],
    ) -> WarrantyCoverageResult:
        async def run(session: AsyncSession, scope: Scope) -> models.WarrantyCoverage:
            return await warranty.set_coverage(
                session,
                scope,
                publication_id=uuid_of(input.policy_id, "Publication", "policyId"),
                component_group=input.component_group,
                months=input.months,
                km=input.km,
            )

        return await attempt(
            info.context, run, lambda row: WarrantyCoverageSuccess(coverage=WarrantyCoverage.from_row(row))
        )
