"""GraphQL for the as-of lookups a repair is priced and a warranty claim judged by: the price of a part and the
whole policy (price, labour rate, flat-rate hours, coverage) at a station on a date, naming the versions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry

from dealernet.core.access import Permission
from dealernet.graphql.context import Info
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy.service import prices

if TYPE_CHECKING:
    pass
from dealernet.policy.schema.publications import Publication, publication_loader
from dealernet.policy.service import as_of


@strawberry.type(description="A part's price at a station on a date, and the version it came from.")
class PriceAsOf:
    on: date = strawberry.field(description="The day asked about.")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")
    list_price: Money = strawberry.field(description="The list price that day, after any regional coefficient.")
    dealer_price: Money = strawberry.field(description="The dealer price that day, after any regional coefficient.")
    valid_from: date = strawberry.field(description="The first day of the price version used.")
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


@strawberry.type(description="The labour rate at a station on a date, and the rate card it came from.")
class LabourRateAsOf:
    hourly_rate: Money = strawberry.field(description="The hourly rate that day.")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")
    regional: bool = strawberry.field(description="The station's region's rate, not the national one.")
    valid_from: date = strawberry.field(description="The first day of the rate version used.")
    rate_id: strawberry.ID = strawberry.field(description="The rate version used (global id).")
    rate_card_id: strawberry.ID = strawberry.field(description="The rate card it belongs to (global id).")


@strawberry.type(description="A labour operation's flat-rate hours (standard hours).")
class OperationHours:
    operation_id: strawberry.ID = strawberry.field(description="The labour operation (global id).")
    code: str = strawberry.field(description="The labour operation's code.")
    flat_rate_hours: Decimal = strawberry.field(description="Its flat-rate hours (工时定额).")


@strawberry.type(description="The coverage of a component group on a date, and the warranty policy version.")
class CoverageAsOf:
    component_group: str = strawberry.field(description="The component group covered.")
    months: int = strawberry.field(description="Months from the sale date.")
    km: int = strawberry.field(description="Kilometres on the odometer.")
    valid_from: date = strawberry.field(description="The first day of the coverage version used.")
    coverage_id: strawberry.ID = strawberry.field(description="The coverage version used (global id).")
    policy_id: strawberry.Private[UUID]

    @strawberry.field(description="The warranty policy version (its terms are on it).")
    async def policy(self, info: Info) -> Publication | None:
        row = await info.context.loader("publication", publication_loader).load(self.policy_id)
        return Publication.from_row(row) if row else None


@strawberry.type(description="What a claim line at a station on a date is priced and judged by, naming the versions.")
class PolicyAsOf:
    on: date = strawberry.field(description="The day asked about.")
    price: PriceAsOf | None = strawberry.field(
        description="The part's price; empty when no part was asked for or none holds."
    )
    labour_rate: LabourRateAsOf | None = strawberry.field(
        description="The labour rate in force; empty when none holds."
    )
    operation: OperationHours | None = strawberry.field(
        description="The labour operation's hours; empty when none was asked for."
    )
    labour_amount: Money | None = strawberry.field(description="Flat-rate hours times the labour rate.")
    coverage: CoverageAsOf | None = strawberry.field(
        description="The part's component group's warranty coverage; empty when none holds."
    )


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
            rate_card_id=gid("Publication", rate.publication_id),
        )
        if rate
        else None,
        operation=OperationHours(
            operation_id=gid("LabourOperation", operation.operation_id),
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
class AsOfQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="A part's price at a station on a date (a station asks for itself), naming the version.",
    )
    async def price_as_of(
        self,
        info: Info,
        part_id: Annotated[strawberry.ID, strawberry.argument(description="The part (global id).")],
        on: Annotated[date, strawberry.argument(description="The day asked about.")],
        station_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Price for this station's region (global id); HQ only."),
        ] = None,
        currency: Annotated[str, strawberry.argument(description="ISO 4217 currency code.")] = "CNY",
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

    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="The price, labour rate, flat-rate hours and coverage for a part and/or labour operation at a "
        "station (a station asks for itself) on a date, from the versions in force then and delivered to it.",
    )
    async def policy_as_of(
        self,
        info: Info,
        on: Annotated[date, strawberry.argument(description="The day asked about.")],
        station_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="For this station's region (global id); HQ only.")
        ] = None,
        part_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The part whose price and coverage to return (global id)."),
        ] = None,
        operation_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The labour operation whose hours and rate to return (global id)."),
        ] = None,
        currency: Annotated[str, strawberry.argument(description="ISO 4217 currency code.")] = "CNY",
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
