"""GraphQL for publishing policy: every kind is drafted, filled, published to its stations (announced, then in
force), withdrawn or acknowledged the same way; HQ follows who has acknowledged."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.policy import models
from dealernet.policy.rules import ServiceType
from dealernet.policy.service import labour, prices

if TYPE_CHECKING:
    pass

from dealernet.policy.schema.documents import (
    Bulletin,
    ServiceCommitments,
    bulletin_loader,
    commitments_loader,
)
from dealernet.policy.schema.labour import LabourRate, rates_loader
from dealernet.policy.schema.prices import (
    PriceCoefficient,
    coefficients_loader,
)
from dealernet.policy.schema.stock import StockRule, stock_rules_loader
from dealernet.policy.schema.warranty import (
    WarrantyCoverage,
    WarrantyTerms,
    coverages_loader,
    terms_loader,
)
from dealernet.policy.service import documents, publications, stock, warranty

publication_loader = by_id_loader(publications.publications_by_id)


@strawberry.type(description="How far the targeted stations have got with a publication.")
class DeliveryCounts:
    delivered: int
    acknowledged: int
    overdue: int = strawberry.field(description="Not acknowledged by the deadline.")
    unacknowledged_station_ids: list[strawberry.ID]


@strawberry.type(description="A policy document published to stations (a price list, for now).")
class Publication(relay.Node):
    id: relay.NodeID[UUID]
    kind: str = strawberry.field(
        description="price_list, labour_rates, warranty_policy, bulletin or service_commitments."
    )
    title: str
    status: str = strawberry.field(description="draft, published or withdrawn.")
    effective_on: date
    acknowledge_within_days: int
    published_at: datetime | None
    region_id: strawberry.ID | None = strawberry.field(description="A regional document's region.")
    row: strawberry.Private[models.Publication]

    @classmethod
    def from_row(cls, row: models.Publication) -> Publication:
        return cls(
            id=row.id,
            kind=row.kind,
            title=row.title,
            status=row.status,
            effective_on=row.effective_on,
            acknowledge_within_days=row.acknowledge_within_days,
            published_at=row.published_at,
            region_id=gid("Region", row.region_id) if row.region_id else None,
            row=row,
        )

    @strawberry.field(description="A rate card's labour rates (national first).")
    async def labour_rates(self, info: Info) -> list[LabourRate]:
        if self.kind != publications.LABOUR_RATES.name:
            return []
        rows = await info.context.loader("rates", rates_loader).load(self.id)
        return [LabourRate.from_row(r) for r in rows or []]

    @strawberry.field(description="A warranty policy's coverage per component group.")
    async def warranty_coverages(self, info: Info) -> list[WarrantyCoverage]:
        if self.kind != publications.WARRANTY_POLICY.name:
            return []
        rows = await info.context.loader("coverages", coverages_loader).load(self.id)
        return [WarrantyCoverage.from_row(r) for r in rows or []]

    @strawberry.field(description="A warranty policy's terms.")
    async def warranty_terms(self, info: Info) -> WarrantyTerms | None:
        if self.kind != publications.WARRANTY_POLICY.name:
            return None
        row = await info.context.loader("terms", terms_loader).load(self.id)
        return WarrantyTerms.from_row(row) if row else None

    @strawberry.field(description="The service commitments it publishes.")
    async def service_commitments(self, info: Info) -> ServiceCommitments | None:
        if self.kind != publications.SERVICE_COMMITMENTS.name:
            return None
        row = await info.context.loader("commitments", commitments_loader).load(self.id)
        return ServiceCommitments.from_row(row) if row else None

    @strawberry.field(description="A set of regional price coefficients.")
    async def price_coefficients(self, info: Info) -> list[PriceCoefficient]:
        if self.kind != publications.PRICE_COEFFICIENTS.name:
            return []
        rows = await info.context.loader("coefficients", coefficients_loader).load(self.id)
        return [PriceCoefficient.from_row(r) for r in rows or []]

    @strawberry.field(description="A set of stock rules' rule per component group.")
    async def stock_rules(self, info: Info) -> list[StockRule]:
        if self.kind != publications.STOCK_RULES.name:
            return []
        rows = await info.context.loader("stock_rules", stock_rules_loader).load(self.id)
        return [StockRule.from_row(r) for r in rows or []]

    @strawberry.field(description="The technical bulletin it publishes.")
    async def bulletin(self, info: Info) -> Bulletin | None:
        if self.kind != publications.BULLETIN.name:
            return None
        row = await info.context.loader("bulletin", bulletin_loader).load(self.id)
        return Bulletin.from_row(row) if row else None

    @strawberry.field(extensions=needs(Permission.policy_publish), description="HQ: whom it targets.")
    def target(self) -> PublicationTarget:
        row = self.row
        return PublicationTarget(
            everyone=row.target_all,
            region_ids=[gid("Region", i) for i in row.target_region_ids],
            tiers=list(row.target_tiers),
            brands=list(row.target_brands),
            station_ids=[gid("Station", i) for i in row.target_station_ids],
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "publication", publication_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="draft, announced (published, effective later), in force, or withdrawn.")
    def phase(self) -> str:
        return publications.phase(self.status, self.effective_on, datetime.now(UTC).date())

    @strawberry.field(extensions=needs(Permission.policy_publish), description="HQ: delivered, acknowledged, overdue.")
    async def delivery_counts(self, info: Info) -> DeliveryCounts:
        counts = await info.context.run(publications.delivery_counts, publication_id=self.id)
        return DeliveryCounts(
            delivered=counts.delivered,
            acknowledged=counts.acknowledged,
            overdue=counts.overdue,
            unacknowledged_station_ids=[gid("Station", i) for i in counts.unacknowledged_station_ids],
        )


@strawberry.input(
    description="Whom a publication reaches: every active station when nothing is named, else the stations of "
    "any named region, tier or brand, and the named stations."
)
class TargetInput:
    region_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    tiers: list[str] = strawberry.field(default_factory=list)
    brands: list[str] = strawberry.field(default_factory=list)
    station_ids: list[strawberry.ID] = strawberry.field(default_factory=list)

    def to_target(self) -> publications.Target:
        return publications.Target(
            region_ids=[uuid_of(i, "Region", "input.target.regionIds") for i in self.region_ids],
            tiers=self.tiers,
            brands=self.brands,
            station_ids=[uuid_of(i, "Station", "input.target.stationIds") for i in self.station_ids],
        )


@strawberry.type(description="Whom a publication targets (everyone: all active stations).")
class PublicationTarget:
    everyone: bool
    region_ids: list[strawberry.ID]
    tiers: list[str]
    brands: list[str]
    station_ids: list[strawberry.ID]


@strawberry.type
class PublicationSuccess:
    publication: Publication


@strawberry.type
class PublishSuccess:
    publication: Publication
    deliveries: int = strawberry.field(description="How many stations it was delivered to.")


PublicationResult = Annotated[
    PublicationSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("PublicationResult")
]


PublishResult = Annotated[
    PublishSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("PublishResult")
]


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
class DraftLabourRatesInput:
    title: str
    effective_on: date
    target: TargetInput | None = None
    acknowledge_within_days: int = 14


@strawberry.input(
    description="A draft price list: national, or one region's prices; it reaches the region's stations (or "
    "every station) unless a target is named."
)
class DraftPriceListInput:
    title: str
    effective_on: date
    region_id: strawberry.ID | None = None
    target: TargetInput | None = None
    acknowledge_within_days: int = 14


@strawberry.input
class DraftPriceCoefficientsInput:
    title: str
    effective_on: date
    target: TargetInput | None = None


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


def _target(value: TargetInput | None) -> publications.Target:
    return value.to_target() if value else publications.Target()


def _published(row: models.Publication) -> PublicationSuccess:
    return PublicationSuccess(publication=Publication.from_row(row))


@strawberry.type
class PublicationsQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="Publications by effective date, filtered by kind (price_list, labour_rates, warranty_policy, "
        "service_commitments, bulletin, stock_rules), effective dates, region and status: HQ sees its network's, a "
        "station the published ones delivered to it.",
    )
    async def publications(
        self,
        info: Info,
        first: int,
        after: str | None = None,
        kind: str | None = None,
        effective_from: date | None = None,
        effective_to: date | None = None,
        region_id: strawberry.ID | None = None,
        status: str | None = None,
    ) -> relay.Connection[Publication]:
        where = publications.PublicationFilter(
            kind=kind,
            effective_from=effective_from,
            effective_to=effective_to,
            region_id=uuid_of(region_id, "Region", "regionId") if region_id else None,
            status=status,
        )
        after_key = keyset_after(after)
        rows = await info.context.run(publications.list_publications, first=first, after=after_key, where=where)
        return connection(rows, first=first, node=Publication.from_row, key=lambda row: (row.effective_on, row.id))


@strawberry.type
class PublicationsMutation:
    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft price list.")
    async def draft_price_list(self, info: Info, input: DraftPriceListInput) -> PublicationResult:  # noqa: A002
        async def draft(session: AsyncSession, scope: Scope) -> models.Publication:
            return await prices.draft_price_list(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                region_id=uuid_of(input.region_id, "Region", "input.regionId"),
                target=input.target.to_target() if input.target else None,
                acknowledge_within_days=input.acknowledge_within_days,
            )

        return await attempt(info.context, draft, lambda row: PublicationSuccess(publication=Publication.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Start a draft set of regional price coefficients."
    )
    async def draft_price_coefficients(self, info: Info, input: DraftPriceCoefficientsInput) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await prices.draft_price_coefficients(
                session, scope, title=input.title, effective_on=input.effective_on, target=_target(input.target)
            )

        return await attempt(info.context, run, _published)

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

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft set of stock rules.")
    async def draft_stock_rules(
        self, info: Info, title: str, effective_on: date, target: TargetInput | None = None
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await stock.draft_stock_rules(
                session,
                scope,
                title=title,
                effective_on=effective_on,
                target=target.to_target() if target else publications.Target(),
            )

        return await attempt(info.context, run, lambda row: PublicationSuccess(publication=Publication.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish),
        description="Publish a draft: its prices come into force on its date and its stations get it to acknowledge.",
    )
    async def publish(self, info: Info, id: strawberry.ID) -> PublishResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> publications.Published:
            return await publications.publish(session, scope, publication_id=uuid_of(id, "Publication", "id"))

        return await attempt(
            info.context,
            run,
            lambda done: PublishSuccess(publication=Publication.from_row(done.publication), deliveries=done.deliveries),
        )

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish),
        description="Withdraw a published list: its prices leave force and the versions before them run on again.",
    )
    async def withdraw_publication(self, info: Info, id: strawberry.ID, reason: str) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await publications.withdraw(
                session, scope, publication_id=uuid_of(id, "Publication", "id"), reason=reason
            )

        return await attempt(info.context, run, lambda row: PublicationSuccess(publication=Publication.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_acknowledge), description="Your station confirms it received a publication."
    )
    async def acknowledge_publication(self, info: Info, id: strawberry.ID) -> PublicationResult:  # noqa: A002
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            publication_id = uuid_of(id, "Publication", "id")
            await publications.acknowledge(session, scope, publication_id=publication_id)
            found = await publications.publications_by_id(session, scope, [publication_id])
            return found[publication_id]

        return await attempt(info.context, run, lambda row: PublicationSuccess(publication=Publication.from_row(row)))
