"""GraphQL for publishing policy: price lists drafted, filled and published by HQ, acknowledged by
stations, and the as-of price lookup."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import connection, keyset_after, load_nodes, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import models, prices, publications
from dealernet.policy import schema_documents as docs

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
            region_id=_gids("Region", [row.region_id])[0] if row.region_id else None,
            row=row,
        )

    @strawberry.field(description="A rate card's labour rates (national first).")
    async def labour_rates(self, info: Info) -> list[docs.LabourRate]:
        if self.kind != publications.LABOUR_RATES.name:
            return []
        rows = await info.context.loader("rates", docs.rates_loader).load(self.id)
        return [docs.LabourRate.from_row(r) for r in rows or []]

    @strawberry.field(description="A warranty policy's coverage per component group.")
    async def warranty_coverages(self, info: Info) -> list[docs.WarrantyCoverage]:
        if self.kind != publications.WARRANTY_POLICY.name:
            return []
        rows = await info.context.loader("coverages", docs.coverages_loader).load(self.id)
        return [docs.WarrantyCoverage.from_row(r) for r in rows or []]

    @strawberry.field(description="A warranty policy's terms.")
    async def warranty_terms(self, info: Info) -> docs.WarrantyTerms | None:
        if self.kind != publications.WARRANTY_POLICY.name:
            return None
        row = await info.context.loader("terms", docs.terms_loader).load(self.id)
        return docs.WarrantyTerms.from_row(row) if row else None

    @strawberry.field(description="The service commitments it publishes.")
    async def service_commitments(self, info: Info) -> docs.ServiceCommitments | None:
        if self.kind != publications.SERVICE_COMMITMENTS.name:
            return None
        row = await info.context.loader("commitments", docs.commitments_loader).load(self.id)
        return docs.ServiceCommitments.from_row(row) if row else None

    @strawberry.field(description="A set of regional price coefficients.")
    async def price_coefficients(self, info: Info) -> list[docs.PriceCoefficient]:
        if self.kind != publications.PRICE_COEFFICIENTS.name:
            return []
        rows = await info.context.loader("coefficients", docs.coefficients_loader).load(self.id)
        return [docs.PriceCoefficient.from_row(r) for r in rows or []]

    @strawberry.field(description="A set of stock rules' rule per component group.")
    async def stock_rules(self, info: Info) -> list[docs.StockRule]:
        if self.kind != publications.STOCK_RULES.name:
            return []
        rows = await info.context.loader("stock_rules", docs.stock_rules_loader).load(self.id)
        return [docs.StockRule.from_row(r) for r in rows or []]

    @strawberry.field(description="The technical bulletin it publishes.")
    async def bulletin(self, info: Info) -> docs.Bulletin | None:
        if self.kind != publications.BULLETIN.name:
            return None
        row = await info.context.loader("bulletin", docs.bulletin_loader).load(self.id)
        return docs.Bulletin.from_row(row) if row else None

    @strawberry.field(extensions=needs(Permission.policy_publish), description="HQ: whom it targets.")
    def target(self) -> PublicationTarget:
        row = self.row
        return PublicationTarget(
            everyone=row.target_all,
            region_ids=_gids("Region", row.target_region_ids),
            tiers=list(row.target_tiers),
            brands=list(row.target_brands),
            station_ids=_gids("Station", row.target_station_ids),
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
            unacknowledged_station_ids=_gids("Station", counts.unacknowledged_station_ids),
        )


@strawberry.type(description="A part's price at a station on a date, and the version it came from.")
class PriceAsOf:
    on: date
    currency: str
    list_price: Money
    dealer_price: Money
    valid_from: date
    regional: bool = strawberry.field(description="The station's region's price, not the national one.")
    publication_id: strawberry.Private[UUID]
    price_id: strawberry.ID = strawberry.field(description="The price version used.")
    coefficient: Decimal | None = strawberry.field(
        default=None, description="The region's coefficient (地区差价) applied to the national price, if any."
    )
    coefficient_id: strawberry.ID | None = strawberry.field(default=None, description="The coefficient version used.")

    @classmethod
    def from_found(cls, found: prices.PriceAsOf) -> PriceAsOf:
        return cls(
            on=found.on,
            currency=found.currency,
            list_price=found.list_price,
            dealer_price=found.dealer_price,
            valid_from=found.valid_from,
            regional=found.regional,
            publication_id=found.publication_id,
            price_id=strawberry.ID(str(found.price_id)),
            coefficient=found.coefficient,
            coefficient_id=strawberry.ID(str(found.coefficient_id)) if found.coefficient_id else None,
        )

    @strawberry.field(description="The price list the price belongs to.")
    async def price_list(self, info: Info) -> Publication | None:
        row = await info.context.loader("publication", publication_loader).load(self.publication_id)
        return Publication.from_row(row) if row else None


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


def _gids(type_name: str, ids: Iterable[UUID]) -> list[strawberry.ID]:
    return [strawberry.ID(str(relay.GlobalID(type_name, str(i)))) for i in ids]


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


@strawberry.input(description="A part's price in a draft price list.")
class SetPartPriceInput:
    price_list_id: strawberry.ID
    part_id: strawberry.ID
    currency: str = "CNY"
    list_price: Money
    dealer_price: Money


@strawberry.type
class PublicationSuccess:
    publication: Publication


@strawberry.type
class PublishSuccess:
    publication: Publication
    deliveries: int = strawberry.field(description="How many stations it was delivered to.")


@strawberry.type
class PartPriceSuccess:
    part_id: strawberry.ID
    currency: str
    list_price: Money
    dealer_price: Money


PublicationResult = Annotated[
    PublicationSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("PublicationResult")
]
PublishResult = Annotated[
    PublishSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("PublishResult")
]
PartPriceResult = Annotated[
    PartPriceSuccess | ValidationError | NotFoundError | ConflictError, strawberry.union("PartPriceResult")
]


def _price_success(row: models.PartPrice) -> PartPriceSuccess:
    return PartPriceSuccess(
        part_id=strawberry.ID(str(relay.GlobalID("Part", str(row.part_id)))),
        currency=row.currency,
        list_price=row.list_price,
        dealer_price=row.dealer_price,
    )


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

    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="A part's price at a station on a date (a station asks for itself), naming the version.",
    )
    async def price_as_of(
        self,
        info: Info,
        part_id: strawberry.ID,
        on: date,
        station_id: strawberry.ID | None = None,
        currency: str = "CNY",
    ) -> PriceAsOf | None:
        scope = info.context.require_scope()
        station = uuid_of(station_id, "Station", "stationId") if station_id else scope.station_id
        if station is None:
            return None
        found = await info.context.run(
            prices.price_as_of,
            part_id=uuid_of(part_id, "Part", "partId"),
            station_id=station,
            on=on,
            currency=currency,
        )
        return PriceAsOf.from_found(found) if found else None


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

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Price a part in a draft list.")
    async def set_part_price(self, info: Info, input: SetPartPriceInput) -> PartPriceResult:  # noqa: A002
        async def set_price(session: AsyncSession, scope: Scope) -> models.PartPrice:
            return await prices.set_price(
                session,
                scope,
                publication_id=uuid_of(input.price_list_id, "Publication", "input.priceListId"),
                part_id=uuid_of(input.part_id, "Part", "input.partId"),
                currency=input.currency,
                list_price=Decimal(input.list_price),
                dealer_price=Decimal(input.dealer_price),
            )

        return await attempt(info.context, set_price, _price_success)

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
