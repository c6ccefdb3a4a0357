"""GraphQL for drafting the policy documents besides price lists — labour rate cards, warranty policy
versions, service commitments, technical bulletins (published, withdrawn and acknowledged like any
publication) — and `policyAsOf`, the lookup a warranty claim is judged by."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import as_of, documents, labour, models, prices, publications, warranty
from dealernet.policy import schema_documents as docs
from dealernet.policy.schema_publications import (
    PriceAsOf,
    Publication,
    PublicationResult,
    PublicationSuccess,
    TargetInput,
    publication_loader,
)


@strawberry.enum(description="The four service types (服务类型).")
class ServiceType(enum.Enum):
    PAID = "paid"
    CONTRACT = "contract"
    WARRANTY = "warranty"
    INTERNAL = "internal"


@strawberry.input
class DraftLabourRatesInput:
    title: str
    effective_on: date
    target: TargetInput | None = None
    acknowledge_within_days: int = 14


@strawberry.input(description="A region's rate per hour in a draft rate card; no region: the national rate.")
class SetLabourRateInput:
    rate_card_id: strawberry.ID
    region_id: strawberry.ID | None = None
    currency: str = "CNY"
    hourly_rate: Money


@strawberry.input
class RepairGuaranteeInput:
    repair: str
    km: int
    days: int


@strawberry.input(description="A three-guarantees (三包) parameter, e.g. repair_period_months = 36.")
class GuaranteeParameterInput:
    name: str
    value: int


@strawberry.input
class DraftWarrantyPolicyInput:
    title: str
    effective_on: date
    exclusions: list[str] = strawberry.field(default_factory=list)
    repair_guarantees: list[RepairGuaranteeInput] = strawberry.field(default_factory=list)
    service_types: list[ServiceType] = strawberry.field(default_factory=lambda: list(ServiceType))
    three_guarantees: list[GuaranteeParameterInput] = strawberry.field(default_factory=list)
    target: TargetInput | None = None
    acknowledge_within_days: int = 14


@strawberry.input
class SetWarrantyCoverageInput:
    policy_id: strawberry.ID
    component_group: str
    months: int
    km: int


@strawberry.input
class ReportDueInput:
    report: str
    format: str
    due_hours: int


@strawberry.input
class DraftServiceCommitmentsInput:
    title: str
    effective_on: date
    ordinary_response_hours: int
    major_response_hours: int
    reports: list[ReportDueInput] = strawberry.field(default_factory=list)
    target: TargetInput | None = None


@strawberry.input
class VinRangeInput:
    first: str
    last: str


@strawberry.input
class DraftBulletinInput:
    title: str
    effective_on: date
    number: str
    body: str = strawberry.field(description="Markdown.")
    affected_models: list[str] = strawberry.field(default_factory=list)
    vin_ranges: list[VinRangeInput] = strawberry.field(default_factory=list)
    part_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    target: TargetInput | None = None


@strawberry.input
class DraftPriceCoefficientsInput:
    title: str
    effective_on: date
    target: TargetInput | None = None


@strawberry.input(description="A region's coefficient in a draft set: 1.05 = 5 % above the national price.")
class SetPriceCoefficientInput:
    coefficients_id: strawberry.ID
    region_id: strawberry.ID
    coefficient: Decimal


@strawberry.type
class PriceCoefficientSuccess:
    coefficient: docs.PriceCoefficient


@strawberry.type
class LabourRateSuccess:
    labour_rate: docs.LabourRate


@strawberry.type
class WarrantyCoverageSuccess:
    coverage: docs.WarrantyCoverage


PriceCoefficientResult = Annotated[
    PriceCoefficientSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("PriceCoefficientResult"),
]
LabourRateResult = Annotated[
    LabourRateSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("LabourRateResult")
]
WarrantyCoverageResult = Annotated[
    WarrantyCoverageSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union("WarrantyCoverageResult"),
]


def _target(value: TargetInput | None) -> publications.Target:
    return value.to_target() if value else publications.Target()


def _published(row: models.Publication) -> PublicationSuccess:
    return PublicationSuccess(publication=Publication.from_row(row))


@strawberry.type(description="The labour rate at a station on a date, and the rate card it came from.")
class LabourRateAsOf:
    hourly_rate: Money
    currency: str
    regional: bool = strawberry.field(description="The station's region's rate, not the national one.")
    valid_from: date
    rate_id: strawberry.ID
    rate_card_id: strawberry.ID


@strawberry.type(description="A labour operation's flat-rate hours (standard hours).")
class OperationHours:
    operation_id: strawberry.ID
    code: str
    flat_rate_hours: Decimal


@strawberry.type(description="The coverage of a component group on a date, and the warranty policy version.")
class CoverageAsOf:
    component_group: str
    months: int
    km: int
    valid_from: date
    coverage_id: strawberry.ID
    policy_id: strawberry.Private[UUID]

    @strawberry.field(description="The warranty policy version (its terms are on it).")
    async def policy(self, info: Info) -> Publication | None:
        row = await info.context.loader("publication", publication_loader).load(self.policy_id)
        return Publication.from_row(row) if row else None


@strawberry.type(description="What a claim line at a station on a date is priced and judged by, naming the versions.")
class PolicyAsOf:
    on: date
    price: PriceAsOf | None
    labour_rate: LabourRateAsOf | None
    operation: OperationHours | None
    labour_amount: Money | None = strawberry.field(description="Flat-rate hours times the labour rate.")
    coverage: CoverageAsOf | None


def _policy_as_of(found: as_of.PolicyAsOf) -> PolicyAsOf:
    rate, operation, coverage = found.labour_rate, found.operation, found.coverage
    return PolicyAsOf(
        on=found.on,
        price=PriceAsOf.from_found(found.price) if found.price else None,
        labour_rate=LabourRateAsOf(
            hourly_rate=rate.hourly_rate,
            currency=rate.currency,
            regional=rate.regional,
            valid_from=rate.valid_from,
            rate_id=strawberry.ID(str(rate.rate_id)),
            rate_card_id=docs.gid("Publication", rate.publication_id),
        )
        if rate
        else None,
        operation=OperationHours(
            operation_id=docs.gid("LabourOperation", operation.operation_id),
            code=operation.code,
            flat_rate_hours=operation.flat_rate_hours,
        )
        if operation
        else None,
        labour_amount=found.labour_amount,
        coverage=CoverageAsOf(
            component_group=coverage.component_group,
            months=coverage.months,
            km=coverage.km,
            valid_from=coverage.valid_from,
            coverage_id=strawberry.ID(str(coverage.coverage_id)),
            policy_id=coverage.publication_id,
        )
        if coverage
        else None,
    )


@strawberry.type
class DraftsQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="The price, labour rate, flat-rate hours and coverage for a part and/or labour operation at a "
        "station (a station asks for itself) on a date, from the versions in force then and delivered to it.",
    )
    async def policy_as_of(
        self,
        info: Info,
        on: date,
        station_id: strawberry.ID | None = None,
        part_id: strawberry.ID | None = None,
        operation_id: strawberry.ID | None = None,
        currency: str = "CNY",
    ) -> PolicyAsOf | None:
        scope = info.context.require_scope()
        station = uuid_of(station_id, "Station", "stationId") if station_id else scope.station_id
        if station is None:
            return None
        found = await info.context.run(
            as_of.policy_as_of,
            station_id=station,
            on=on,
            part_id=uuid_of(part_id, "Part", "partId") if part_id else None,
            operation_id=uuid_of(operation_id, "LabourOperation", "operationId") if operation_id else None,
            currency=currency,
        )
        return _policy_as_of(found)


@strawberry.type
class DraftsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Start a draft set of regional price coefficients."
    )
    async def draft_price_coefficients(self, info: Info, input: DraftPriceCoefficientsInput) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await prices.draft_price_coefficients(
                session, scope, title=input.title, effective_on=input.effective_on, target=_target(input.target)
            )

        return await attempt(info.context, run, _published)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Set a region's price coefficient.")
    async def set_price_coefficient(self, info: Info, input: SetPriceCoefficientInput) -> PriceCoefficientResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.PriceCoefficient:
            return await prices.set_price_coefficient(
                session,
                scope,
                publication_id=uuid_of(input.coefficients_id, "Publication", "input.coefficientsId"),
                region_id=uuid_of(input.region_id, "Region", "input.regionId"),
                coefficient=input.coefficient,
            )

        return await attempt(
            info.context, run, lambda row: PriceCoefficientSuccess(coefficient=docs.PriceCoefficient.from_row(row))
        )

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft labour rate card.")
    async def draft_labour_rates(self, info: Info, input: DraftLabourRatesInput) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await labour.draft_labour_rates(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                target=_target(input.target),
                acknowledge_within_days=input.acknowledge_within_days,
            )

        return await attempt(info.context, run, _published)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Set a rate in a draft rate card.")
    async def set_labour_rate(self, info: Info, input: SetLabourRateInput) -> LabourRateResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.LabourRate:
            return await labour.set_labour_rate(
                session,
                scope,
                publication_id=uuid_of(input.rate_card_id, "Publication", "input.rateCardId"),
                region_id=uuid_of(input.region_id, "Region", "input.regionId") if input.region_id else None,
                currency=input.currency,
                hourly_rate=Decimal(input.hourly_rate),
            )

        return await attempt(
            info.context, run, lambda row: LabourRateSuccess(labour_rate=docs.LabourRate.from_row(row))
        )

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Start a draft warranty policy version with its terms."
    )
    async def draft_warranty_policy(self, info: Info, input: DraftWarrantyPolicyInput) -> PublicationResult:  # noqa: A002
        terms = warranty.Terms(
            exclusions=input.exclusions,
            repair_guarantees=[warranty.RepairGuarantee(g.repair, g.km, g.days) for g in input.repair_guarantees],
            service_types=[t.value for t in input.service_types],
            three_guarantees={p.name: p.value for p in input.three_guarantees},
        )

        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await warranty.draft_warranty_policy(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                terms=terms,
                target=_target(input.target),
                acknowledge_within_days=input.acknowledge_within_days,
            )

        return await attempt(info.context, run, _published)

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
            info.context, run, lambda row: WarrantyCoverageSuccess(coverage=docs.WarrantyCoverage.from_row(row))
        )

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Draft the service commitments.")
    async def draft_service_commitments(
        self,
        info: Info,
        input: DraftServiceCommitmentsInput,  # noqa: A002
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await documents.draft_service_commitments(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                ordinary_response_hours=input.ordinary_response_hours,
                major_response_hours=input.major_response_hours,
                reports=[documents.ReportDue(r.report, r.format, r.due_hours) for r in input.reports],
                target=_target(input.target),
            )

        return await attempt(info.context, run, _published)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Draft a technical bulletin.")
    async def draft_bulletin(self, info: Info, input: DraftBulletinInput) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await documents.draft_bulletin(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                number=input.number,
                body=input.body,
                affected_models=input.affected_models,
                vin_ranges=[documents.VinRange(r.first, r.last) for r in input.vin_ranges],
                part_ids=[uuid_of(p, "Part", "input.partIds") for p in input.part_ids],
                target=_target(input.target),
            )

        return await attempt(info.context, run, _published)
