"""GraphQL types of what a publication holds besides prices: a rate card's labour rates, a warranty policy's
coverage and terms, the service commitments, a technical bulletin — each loaded per publication through a
DataLoader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader

from dealernet.core.scope import Scope
from dealernet.graphql.context import Context, Info
from dealernet.graphql.scalars import Money
from dealernet.policy import documents, labour, models, prices, stock, warranty


def gid(type_name: str, value: object) -> strawberry.ID:
    return strawberry.ID(str(relay.GlobalID(type_name, str(value))))


def by_publication(
    fetch: Callable[[AsyncSession, Scope, Sequence[UUID]], Awaitable[Mapping[UUID, Any]]],
) -> Callable[[Context], DataLoader[UUID, Any]]:
    """A DataLoader of a service's rows per publication id (a list or one row; None when it has none)."""

    def factory(ctx: Context) -> DataLoader[UUID, Any]:
        async def load(ids: list[UUID]) -> list[Any]:
            found = await ctx.run(fetch, ids)
            return [found.get(i) for i in ids]

        return DataLoader(load_fn=load)

    return factory


rates_loader = by_publication(labour.rates_of)
coverages_loader = by_publication(warranty.coverages_of)
terms_loader = by_publication(warranty.terms_of)
commitments_loader = by_publication(documents.commitments_of)
bulletin_loader = by_publication(documents.bulletins_of)
stock_rules_loader = by_publication(stock.rules_of)
coefficients_loader = by_publication(prices.coefficients_of)
attachments_loader = by_publication(documents.attachments_of)


@strawberry.type(description="A region's price coefficient (地区差价): national price times this.")
class PriceCoefficient:
    region_id: strawberry.ID
    coefficient: Decimal
    valid_from: date
    valid_to: date | None

    @classmethod
    def from_row(cls, row: models.PriceCoefficient) -> PriceCoefficient:
        return cls(
            region_id=gid("Region", row.region_id),
            coefficient=row.coefficient,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


@strawberry.type(description="A labour rate per hour in a rate card: a region's, or national (regionId empty).")
class LabourRate:
    region_id: strawberry.ID | None
    currency: str
    hourly_rate: Money
    valid_from: date
    valid_to: date | None = strawberry.field(description="The next version's start; empty while open-ended.")

    @classmethod
    def from_row(cls, row: models.LabourRate) -> LabourRate:
        region = gid("Region", row.region_id) if row.region_id else None
        return cls(
            region_id=region,
            currency=row.currency,
            hourly_rate=row.hourly_rate,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


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
    service_types: list[str] = strawberry.field(description="Of paid, contract, warranty, internal.")
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


@strawberry.type(description="A report a station owes: its format and how many hours after the event it is due.")
class ReportDue:
    report: str
    format: str
    due_hours: int


@strawberry.type(description="Response times and report deadlines stations work to.")
class ServiceCommitments:
    ordinary_response_hours: int
    major_response_hours: int
    reports: list[ReportDue]

    @classmethod
    def from_row(cls, row: models.ServiceCommitments) -> ServiceCommitments:
        return cls(
            ordinary_response_hours=row.ordinary_response_hours,
            major_response_hours=row.major_response_hours,
            reports=[ReportDue(**r) for r in row.reports],
        )


@strawberry.type(description="An inclusive range of VINs.")
class VinRange:
    first: str
    last: str


@strawberry.type(description="A file attached to a bulletin; download it from `url` with your bearer token.")
class Attachment:
    id: strawberry.ID
    filename: str
    content_type: str
    size: int
    sha256: str
    url: str

    @classmethod
    def from_row(cls, row: models.BulletinAttachment) -> Attachment:
        attachment_id = gid("BulletinAttachment", row.id)
        return cls(
            id=attachment_id,
            filename=row.filename,
            content_type=row.content_type,
            size=row.size,
            sha256=row.sha256,
            url=f"/attachments/{attachment_id}",
        )


@strawberry.type(description="A technical service bulletin (技术通报).")
class Bulletin:
    publication_id: strawberry.Private[UUID]
    number: str
    body: str = strawberry.field(description="Markdown.")
    affected_models: list[str]
    vin_ranges: list[VinRange]
    part_ids: list[strawberry.ID]

    @classmethod
    def from_row(cls, row: models.TechnicalBulletin) -> Bulletin:
        return cls(
            publication_id=row.publication_id,
            number=row.number,
            body=row.body,
            affected_models=list(row.affected_models),
            vin_ranges=[VinRange(first=r["from"], last=r["to"]) for r in row.vin_ranges],
            part_ids=[gid("Part", p) for p in row.part_ids],
        )

    @strawberry.field(description="PDFs and images attached to it.")
    async def attachments(self, info: Info) -> list[Attachment]:
        rows = await info.context.loader("attachments", attachments_loader).load(self.publication_id)
        return [Attachment.from_row(r) for r in rows or []]


@strawberry.type(description="A component group's minimum-stock rule.")
class StockRule:
    component_group: str
    per_thousand_vehicles: Decimal = strawberry.field(
        description="Units per 1,000 vehicles of the region, per unit of the part in the model's service BOM."
    )
    floor: int
    ceiling: int | None
    valid_from: date
    valid_to: date | None

    @classmethod
    def from_row(cls, row: models.StockRuleRow) -> StockRule:
        return cls(
            component_group=row.component_group,
            per_thousand_vehicles=row.per_thousand_vehicles,
            floor=row.floor,
            ceiling=row.ceiling,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
