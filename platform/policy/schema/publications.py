"""GraphQL for publishing policy: every kind is drafted, filled, published to its stations (announced, then in
force), withdrawn or acknowledged the same way; HQ follows who has acknowledged."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.policy import models
from dealernet.policy.rules import ServiceType
from dealernet.policy.service import labour, prices

if TYPE_CHECKING:
    pass

from dealernet.graphql.scalars import Money
from dealernet.policy import rules
from dealernet.policy.rules import ClaimRules, PublicationKind, PublicationPhase, PublicationStatus
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

expose(
    PublicationKind,
    description="What a publication carries to the stations.",
    values={
        PublicationKind.PRICE_LIST: "A price list (价格表): parts' list and dealer prices, national or regional.",
        PublicationKind.LABOUR_RATES: "A rate card (工时单价): hourly labour rates, national and regional.",
        PublicationKind.WARRANTY_POLICY: "A warranty policy (保修政策): coverage per component group and its terms.",
        PublicationKind.SERVICE_COMMITMENTS: "Service commitments (服务承诺): response times and the reports due.",
        PublicationKind.BULLETIN: "A technical bulletin (技术通报) naming models, VIN ranges and parts.",
        PublicationKind.STOCK_RULES: "Stock rules (备件储备定额): how a station's minimum stock is derived.",
        PublicationKind.PRICE_COEFFICIENTS: "Regional price coefficients applied to national prices.",
    },
)
expose(
    PublicationStatus,
    description="A publication's life: drafted, published (delivered), withdrawn.",
    values={
        PublicationStatus.DRAFT: "HQ is still preparing it; no station sees it.",
        PublicationStatus.PUBLISHED: "Delivered to the stations it targets.",
        PublicationStatus.WITHDRAWN: "Taken back after publishing; it no longer holds and cannot be acknowledged.",
    },
)
expose(
    PublicationPhase,
    description="Where a publication stands today: its status, published split by date.",
    values={
        PublicationPhase.DRAFT: "Not published yet.",
        PublicationPhase.ANNOUNCED: "Published; its effective date is still to come.",
        PublicationPhase.IN_FORCE: "Published and effective today.",
        PublicationPhase.WITHDRAWN: "Withdrawn after publishing.",
    },
)


@strawberry.type(description="How far the targeted stations have got with a publication.")
class DeliveryCounts:
    delivered: int = strawberry.field(description="Stations it was delivered to.")
    acknowledged: int = strawberry.field(description="Stations that acknowledged it.")
    overdue: int = strawberry.field(description="Not acknowledged by the deadline.")
    unacknowledged_station_ids: list[strawberry.ID] = strawberry.field(
        description="The stations still to acknowledge (global ids)."
    )


@strawberry.type(description="A policy document published to stations (a price list, for now).")
class Publication(relay.Node):
    id: relay.NodeID[UUID]
    kind: PublicationKind = strawberry.field(description="What it carries.")
    title: str = strawberry.field(description="Its title.")
    status: PublicationStatus = strawberry.field(description="Drafted, published or withdrawn.")
    effective_on: date = strawberry.field(description="The day it takes effect.")
    acknowledge_within_days: int = strawberry.field(description="Days each station has to acknowledge it.")
    published_at: datetime | None = strawberry.field(description="When it was published; empty while a draft.")
    region_id: strawberry.ID | None = strawberry.field(description="A regional document's region.")
    retroactive_reason: str | None = strawberry.field(
        description="Why it was published effective before its publishing day (a correction of the past); "
        "empty for any other."
    )
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
            retroactive_reason=row.retroactive_reason,
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

    @strawberry.field(description="Where it stands today: announced (published, effective later) or in force.")
    def phase(self) -> PublicationPhase:
        return rules.phase(self.status, self.effective_on, datetime.now(UTC).date())

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
    region_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The stations of these regions (global ids)."
    )
    tiers: list[str] = strawberry.field(default_factory=list, description="The stations of these tiers.")
    brands: list[str] = strawberry.field(default_factory=list, description="The stations servicing these brands.")
    station_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="These stations (global ids)."
    )

    def to_target(self, read: IdReader | None = None) -> publications.Target:
        """The domain's target; its bad ids go to `read` (the input's reader) or fail here, all at once."""
        with IdReader() if read is None else contextlib.nullcontext(read) as reader:
            regions = reader.many(self.region_ids, "Region", "target.regionIds")
            stations = reader.many(self.station_ids, "Station", "target.stationIds")
        return publications.Target(region_ids=regions, tiers=self.tiers, brands=self.brands, station_ids=stations)


@strawberry.type(description="Whom a publication targets (everyone: all active stations).")
class PublicationTarget:
    everyone: bool = strawberry.field(description="Every active station of the network.")
    region_ids: list[strawberry.ID] = strawberry.field(description="The stations of these regions (global ids).")
    tiers: list[str] = strawberry.field(description="The stations of these tiers.")
    brands: list[str] = strawberry.field(description="The stations servicing these brands.")
    station_ids: list[strawberry.ID] = strawberry.field(description="These stations (global ids).")


@strawberry.type(description="A mutation of a publication worked: the publication as it now stands.")
class PublicationSuccess:
    publication: Publication = strawberry.field(description="The publication, as it now stands.")


@strawberry.type(description="What `publish` answers when it worked.")
class PublishSuccess:
    publication: Publication = strawberry.field(description="The publication, now published.")
    deliveries: int = strawberry.field(description="How many stations it was delivered to.")


PublicationResult = Annotated[
    PublicationSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PublicationResult",
        description=(
            "PublicationSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


PublishResult = Annotated[
    PublishSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PublishResult",
        description=(
            "PublishSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


@strawberry.input(description="A report a station owes HQ.")
class ReportDueInput:
    report: str = strawberry.field(description="The report, e.g. monthly quality report.")
    format: str = strawberry.field(description="Its format, e.g. the HQ template.")
    due_hours: int = strawberry.field(description="Hours after the event (or period end) it is due.")


@strawberry.input(description="New draft service commitments.")
class DraftServiceCommitmentsInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day they take effect (today or later).")
    ordinary_response_hours: int = strawberry.field(description="Hours to respond to an ordinary request.")
    major_response_hours: int = strawberry.field(description="Hours to respond to a major incident.")
    reports: list[ReportDueInput] = strawberry.field(
        default_factory=list, description="The reports a station owes HQ and when."
    )
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )


@strawberry.input(description="A range of VINs, first to last inclusive.")
class VinRangeInput:
    first: str = strawberry.field(description="The first VIN (17 characters).")
    last: str = strawberry.field(description="The last VIN (17 characters), not before the first.")


@strawberry.input(description="A new draft technical bulletin.")
class DraftBulletinInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it takes effect (today or later).")
    number: str = strawberry.field(description="The bulletin's number, unique in the network.")
    body: str = strawberry.field(description="Markdown.")
    affected_models: list[str] = strawberry.field(default_factory=list, description="The vehicle models it concerns.")
    vin_ranges: list[VinRangeInput] = strawberry.field(default_factory=list, description="The VIN ranges it concerns.")
    part_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The parts it concerns (global ids)."
    )
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )


@strawberry.input(description="A new draft rate card.")
class DraftLabourRatesInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it takes effect (today or later).")
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )
    acknowledge_within_days: int = strawberry.field(default=14, description="Days each station has to acknowledge it.")


@strawberry.input(
    description="A draft price list: national, or one region's prices; it reaches the region's stations (or "
    "every station) unless a target is named."
)
class DraftPriceListInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it takes effect (today or later).")
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="A regional price list's region (global id); empty: national."
    )
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )
    acknowledge_within_days: int = strawberry.field(default=14, description="Days each station has to acknowledge it.")


@strawberry.input(description="A new draft set of regional price coefficients.")
class DraftPriceCoefficientsInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it takes effect (today or later).")
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )


@strawberry.input(
    description="A repair-quality guarantee: a repair is guaranteed for km or days, whichever ends first."
)
class RepairGuaranteeInput:
    repair: str = strawberry.field(description="The kind of repair, e.g. second-level maintenance.")
    km: int = strawberry.field(description="Kilometres from completion.")
    days: int = strawberry.field(description="Days from completion.")


@strawberry.input(description="A three-guarantees (三包) parameter, e.g. repair_period_months = 36.")
class GuaranteeParameterInput:
    name: str = strawberry.field(description="The parameter's name, e.g. return_days.")
    value: int = strawberry.field(description="Its value.")


@strawberry.input(description="What a warranty policy version says about claims; what it leaves out is defaulted.")
class ClaimRulesInput:
    submit_within_days: int = strawberry.field(default=30, description="Days after completion to submit a claim.")
    duplicate_within_days: int = strawberry.field(
        default=90, description="A claim of the same VIN and causal part this close to another is a duplicate."
    )
    coverage_end_days: int = strawberry.field(
        default=30, description="A repair this close to coverage's end is flagged."
    )
    coverage_end_km: int = strawberry.field(default=1_000, description="…or this close in km.")
    preauthorisation_above: Money = strawberry.field(
        default=Decimal("5000.00"), description="A claim above this needs pre-authorisation."
    )
    preauthorisation_operations: list[str] = strawberry.field(
        default_factory=list, description="Labour operation codes that always need pre-authorisation."
    )
    auto_approve_below: Money = strawberry.field(
        default=Decimal("2000.00"), description="A clean claim under this is approved by the rules."
    )
    appeal_within_days: int = strawberry.field(default=30, description="Days after a decision to appeal it.")
    return_component_groups: list[str] = strawberry.field(
        default_factory=list, description="The component groups whose failed parts come back (* for every part)."
    )
    return_within_days: int = strawberry.field(default=15, description="Days the station has to send a part back.")
    return_to: str = strawberry.field(
        default="the OEM's claim office (索赔室)", description="Where failed parts are sent."
    )

    def to_rules(self) -> ClaimRules:
        return ClaimRules(
            submit_within_days=self.submit_within_days, duplicate_within_days=self.duplicate_within_days,
            coverage_end_days=self.coverage_end_days, coverage_end_km=self.coverage_end_km,
            preauthorisation_above=self.preauthorisation_above, auto_approve_below=self.auto_approve_below,
            appeal_within_days=self.appeal_within_days, return_component_groups=tuple(self.return_component_groups),
            return_within_days=self.return_within_days, return_to=self.return_to,
            preauthorisation_operations=tuple(self.preauthorisation_operations),
        )  # fmt: skip


@strawberry.input(description="A new draft warranty policy: its terms; coverage is set per group.")
class DraftWarrantyPolicyInput:
    title: str = strawberry.field(description="Its title.")
    effective_on: date = strawberry.field(description="The day it takes effect (today or later).")
    exclusions: list[str] = strawberry.field(
        default_factory=list, description="What the warranty does not cover, one item each."
    )
    repair_guarantees: list[RepairGuaranteeInput] = strawberry.field(
        default_factory=list, description="The repair-quality guarantee per kind of repair."
    )
    service_types: list[ServiceType] = strawberry.field(
        default_factory=lambda: list(ServiceType), description="The service types the policy applies to."
    )
    three_guarantees: list[GuaranteeParameterInput] = strawberry.field(
        default_factory=list, description="The three-guarantees (三包) parameters."
    )
    claim_rules: ClaimRulesInput | None = strawberry.field(
        default=None, description="What the version says about claims; empty: the defaults."
    )
    target: TargetInput | None = strawberry.field(
        default=None, description="Whom it reaches; empty: every active station."
    )
    acknowledge_within_days: int = strawberry.field(default=14, description="Days each station has to acknowledge it.")


def _target(value: TargetInput | None) -> publications.Target:
    return value.to_target() if value else publications.Target()


def _published(row: models.Publication) -> PublicationSuccess:
    return PublicationSuccess(publication=Publication.from_row(row))


# The publications page compiled to one statement (graphql/compiled.py): the fields it covers.
PUBLICATION_ROWS = compiled.Rows(
    "Publication",
    {
        "id": compiled.NODE_ID,
        "region_id": compiled.gid_of("Region", "region_id"),
        **{
            name: compiled.column(name)
            for name in (
                "kind", "title", "status", "effective_on", "acknowledge_within_days", "published_at",
                "retroactive_reason",
            )
        },
    },
)  # fmt: skip


def _publication_terms(args: Mapping[str, Any], bind: compiled.Binder, scope: Scope) -> list[str]:
    """publications.list_publications's filters, as SQL (row-level security keeps a station to its deliveries)."""
    terms = []
    if scope.is_station:
        terms.append(f"{{r}}.status = '{PublicationStatus.PUBLISHED.value}'")
    if args.get("retroactive") is not None:
        terms.append(f"{{r}}.retroactive_reason IS {'NOT ' if args['retroactive'] else ''}NULL")
    if args.get("kind"):
        terms.append(f"{{r}}.kind = {bind(str(args['kind']))}")
    if args.get("status"):
        terms.append(f"{{r}}.status = {bind(str(args['status']))}")
    if args.get("effectiveFrom"):
        terms.append(f"{{r}}.effective_on >= {bind(args['effectiveFrom'])}::date")
    if args.get("effectiveTo"):
        terms.append(f"{{r}}.effective_on <= {bind(args['effectiveTo'])}::date")
    if args.get("regionId"):
        region = bind(uuid_of(args["regionId"], "Region", "regionId"))
        terms.append(f"{{r}}.region_id = {region}::uuid OR {region}::uuid = ANY({{r}}.target_region_ids)")
    return terms


PUBLICATIONS_PAGE = compiled.Page(
    "publications", PUBLICATION_ROWS, table="publications", key="effective_on", key_type=compiled.KeyType.DATE,
    where=_publication_terms,
)  # fmt: skip


@strawberry.type
class PublicationsQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="Publications by effective date, filtered by kind, effective dates, region and status: HQ sees "
        "its network's, a station the published ones delivered to it.",
    )
    async def publications(
        self,
        info: Info,
        first: First,
        after: After = None,
        kind: Annotated[
            PublicationKind | None, strawberry.argument(description="Only publications of this kind.")
        ] = None,
        effective_from: Annotated[
            date | None, strawberry.argument(description="Only those effective on or after this day.")
        ] = None,
        effective_to: Annotated[
            date | None, strawberry.argument(description="Only those effective on or before this day.")
        ] = None,
        region_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only those of or targeting this region (global id).")
        ] = None,
        status: Annotated[
            PublicationStatus | None,
            strawberry.argument(description="Only those in this status (HQ; a station sees published ones)."),
        ] = None,
        retroactive: Annotated[
            bool | None,
            strawberry.argument(description="Only retroactive corrections (true), or only the others (false)."),
        ] = None,
    ) -> relay.Connection[Publication]:
        where = publications.PublicationFilter(
            kind=kind,
            effective_from=effective_from,
            effective_to=effective_to,
            region_id=uuid_of(region_id, "Region", "regionId") if region_id else None,
            status=status,
            retroactive=retroactive,
        )
        after_key = keyset_after(after)
        rows = await info.context.run(publications.list_publications, first=first, after=after_key, where=where)
        return connection(rows, first=first, node=Publication.from_row, key=lambda row: (row.effective_on, row.id))


@strawberry.type
class PublicationsMutation:
    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft price list.")
    async def draft_price_list(
        self,
        info: Info,
        input: Annotated[DraftPriceListInput, strawberry.argument(description="The new draft price list.")],
    ) -> PublicationResult:
        async def draft(session: AsyncSession, scope: Scope) -> models.Publication:
            return await prices.draft_price_list(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                region_id=uuid_of(input.region_id, "Region", "regionId"),
                target=input.target.to_target() if input.target else None,
                acknowledge_within_days=input.acknowledge_within_days,
            )

        return await attempt(info.context, draft, lambda row: PublicationSuccess(publication=Publication.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish), description="Start a draft set of regional price coefficients."
    )
    async def draft_price_coefficients(
        self,
        info: Info,
        input: Annotated[
            DraftPriceCoefficientsInput, strawberry.argument(description="The new draft coefficient set.")
        ],
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await prices.draft_price_coefficients(
                session, scope, title=input.title, effective_on=input.effective_on, target=_target(input.target)
            )

        return await attempt(info.context, run, _published)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft labour rate card.")
    async def draft_labour_rates(
        self,
        info: Info,
        input: Annotated[DraftLabourRatesInput, strawberry.argument(description="The new draft rate card.")],
    ) -> PublicationResult:
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
    async def draft_warranty_policy(
        self,
        info: Info,
        input: Annotated[DraftWarrantyPolicyInput, strawberry.argument(description="The new draft warranty policy.")],
    ) -> PublicationResult:
        terms = warranty.Terms(
            exclusions=input.exclusions,
            repair_guarantees=[warranty.RepairGuarantee(g.repair, g.km, g.days) for g in input.repair_guarantees],
            service_types=[t.value for t in input.service_types],
            three_guarantees={p.name: p.value for p in input.three_guarantees},
            claim_rules=input.claim_rules.to_rules() if input.claim_rules else ClaimRules(),
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
        input: Annotated[
            DraftServiceCommitmentsInput, strawberry.argument(description="The new draft service commitments.")
        ],
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
    async def draft_bulletin(
        self,
        info: Info,
        input: Annotated[DraftBulletinInput, strawberry.argument(description="The new draft bulletin.")],
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            with IdReader() as read:  # every bad id of the input at once
                part_ids = read.many(input.part_ids, "Part", "partIds")
                target = input.target.to_target(read) if input.target else publications.Target()
            return await documents.draft_bulletin(
                session,
                scope,
                title=input.title,
                effective_on=input.effective_on,
                number=input.number,
                body=input.body,
                affected_models=input.affected_models,
                vin_ranges=[documents.VinRange(r.first, r.last) for r in input.vin_ranges],
                part_ids=part_ids,
                target=target,
            )

        return await attempt(info.context, run, _published)

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Start a draft set of stock rules.")
    async def draft_stock_rules(
        self,
        info: Info,
        title: Annotated[str, strawberry.argument(description="Its title.")],
        effective_on: Annotated[date, strawberry.argument(description="The day it takes effect.")],
        target: Annotated[
            TargetInput | None, strawberry.argument(description="Whom it reaches; empty: every active station.")
        ] = None,
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
    async def publish(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The draft publication (global id).")],
        retroactive_reason: Annotated[
            str | None,
            strawberry.argument(
                description="Required when it is effective before today: why the past is corrected (journaled)."
            ),
        ] = None,
    ) -> PublishResult:
        async def run(session: AsyncSession, scope: Scope) -> publications.Published:
            return await publications.publish(
                session,
                scope,
                publication_id=uuid_of(id, "Publication", "id"),
                retroactive_reason=retroactive_reason,
            )

        return await attempt(
            info.context,
            run,
            lambda done: PublishSuccess(publication=Publication.from_row(done.publication), deliveries=done.deliveries),
        )

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish),
        description="Withdraw a published list: its prices leave force and the versions before them run on again.",
    )
    async def withdraw_publication(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The published publication (global id).")],
        reason: Annotated[str, strawberry.argument(description="Why, in words; kept in the journal.")],
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            return await publications.withdraw(
                session, scope, publication_id=uuid_of(id, "Publication", "id"), reason=reason
            )

        return await attempt(info.context, run, lambda row: PublicationSuccess(publication=Publication.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_acknowledge), description="Your station confirms it received a publication."
    )
    async def acknowledge_publication(
        self,
        info: Info,
        id: Annotated[
            strawberry.ID, strawberry.argument(description="The publication delivered to your station (global id).")
        ],
    ) -> PublicationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Publication:
            publication_id = uuid_of(id, "Publication", "id")
            await publications.acknowledge(session, scope, publication_id=publication_id)
            found = await publications.publications_by_id(session, scope, [publication_id])
            return found[publication_id]

        return await attempt(info.context, run, lambda row: PublicationSuccess(publication=Publication.from_row(row)))
