"""GraphQL for stock policy: the stock rules of a publication, the vehicle population they are sized by, and
a station's minimum stock with HQ's overrides."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, gid, keyset_after, uuid_of
from dealernet.policy import models

if TYPE_CHECKING:
    pass
from dealernet.graphql.relay import encode_cursor
from dealernet.policy.schema.catalogue import Part, part_loader
from dealernet.policy.service import stock

stock_rules_loader = by_id_loader(stock.rules_of)


@strawberry.type(description="A component group's minimum-stock rule.")
class StockRule:
    component_group: str = strawberry.field(description="The component group, e.g. ENGINE or BRAKES.")
    per_thousand_vehicles: Decimal = strawberry.field(
        description="Units per 1,000 vehicles of the region, per unit of the part in the model's service BOM."
    )
    floor: int = strawberry.field(description="Never fewer, for a part the region's vehicles use.")
    ceiling: int | None = strawberry.field(description="Never more; empty: no ceiling.")
    valid_from: date = strawberry.field(description="The first day it holds.")
    valid_to: date | None = strawberry.field(
        description="The day it stops holding (exclusive); empty while open-ended."
    )

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


@strawberry.type(description="A station's minimum stock of one part on a date.")
class StockFigure:
    part_id: strawberry.Private[UUID]
    part_number: str = strawberry.field(description="The part's number.")
    derived: int = strawberry.field(description="From the rule in force, the region's fleet and the service BOM.")
    override: int | None = strawberry.field(description="HQ's figure for this station, when set.")
    minimum: int = strawberry.field(description="What the station must hold: the override, else the derived figure.")
    rule_id: strawberry.ID | None = strawberry.field(description="The rule version used; empty when none applies.")

    @strawberry.field(description="The part.")
    async def part(self, info: Info) -> Part | None:
        row = await info.context.loader("part", part_loader).load(self.part_id)
        return Part.from_row(row) if row else None


@strawberry.type(description="A page of a station's minimum-stock figures, by part number.")
class StockFigurePage:
    figures: list[StockFigure] = strawberry.field(description="The figures of the page, by part number.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` for the next page.")
    has_next_page: bool = strawberry.field(description="Whether more figures follow.")


@strawberry.type(description="What `setStockRule` answers when it worked.")
class StockRuleSuccess:
    rule: StockRule = strawberry.field(description="The rule as set.")


@strawberry.type(description="What `setVehiclePopulation` answers when it worked.")
class VehiclePopulationSuccess:
    region_id: strawberry.ID = strawberry.field(description="The region (global id).")
    vehicle_model: str = strawberry.field(description="The vehicle model's code.")
    vehicles: int = strawberry.field(description="Vehicles of the model in the region.")


@strawberry.type(description="What `setMinimumStockOverride` answers when it worked.")
class StockOverrideSuccess:
    minimum: int | None = strawberry.field(description="The override set; empty when cleared.")


StockRuleResult = Annotated[
    StockRuleSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "StockRuleResult",
        description=(
            "StockRuleSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError "
            "saying why nothing changed."
        ),
    ),
]


VehiclePopulationResult = Annotated[
    VehiclePopulationSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "VehiclePopulationResult",
        description=(
            "VehiclePopulationSuccess when it worked; otherwise ValidationError, NotFoundError saying "
            "why nothing changed."
        ),
    ),
]


StockOverrideResult = Annotated[
    StockOverrideSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "StockOverrideResult",
        description=(
            "StockOverrideSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]


@strawberry.type
class StockQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read),
        description="A station's minimum stock on a date (a station asks for itself), by part number.",
    )
    async def minimum_stock(
        self,
        info: Info,
        on: Annotated[date, strawberry.argument(description="The day the figures are for.")],
        first: First,
        after: After = None,
        station_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="The station (global id); HQ only, a station always gets its own."),
        ] = None,
    ) -> StockFigurePage:
        scope = info.context.require_scope()
        station = uuid_of(station_id, "Station", "stationId") if station_id else scope.station_id
        if station is None:
            return StockFigurePage(figures=[], end_cursor=None, has_next_page=False)
        rows = await info.context.run(
            stock.minimum_stock, station_id=station, on=on, first=first, after=keyset_after(after)
        )
        page = rows[:first]
        figures = [
            StockFigure(
                part_id=f.part_id,
                part_number=f.part_number,
                derived=f.derived,
                override=f.override,
                minimum=f.minimum,
                rule_id=strawberry.ID(str(f.rule_id)) if f.rule_id else None,
            )
            for f in page
        ]
        end = encode_cursor([page[-1].part_number, page[-1].part_id]) if page else None
        return StockFigurePage(figures=figures, end_cursor=end, has_next_page=len(rows) > first)


@strawberry.type
class StockMutation:
    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Set a rule in a draft set.")
    async def set_stock_rule(
        self,
        info: Info,
        rules_id: Annotated[
            strawberry.ID,
            strawberry.argument(description="The draft stock rules (a STOCK_RULES publication, global id)."),
        ],
        component_group: Annotated[str, strawberry.argument(description="The component group the rule is for.")],
        per_thousand_vehicles: Annotated[
            Decimal,
            strawberry.argument(description="Units per 1,000 vehicles in the region, per unit of BOM quantity."),
        ],
        floor: Annotated[
            int, strawberry.argument(description="Never fewer, for a part the region's vehicles use.")
        ] = 0,
        ceiling: Annotated[int | None, strawberry.argument(description="Never more; empty: no ceiling.")] = None,
    ) -> StockRuleResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StockRuleRow:
            return await stock.set_stock_rule(
                session,
                scope,
                publication_id=uuid_of(rules_id, "Publication", "rulesId"),
                component_group=component_group,
                per_thousand_vehicles=per_thousand_vehicles,
                floor=floor,
                ceiling=ceiling,
            )

        return await attempt(info.context, run, lambda row: StockRuleSuccess(rule=StockRule.from_row(row)))

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish),
        description="Record the vehicles of a model in service in a region.",
    )
    async def set_vehicle_population(
        self,
        info: Info,
        region_id: Annotated[strawberry.ID, strawberry.argument(description="The region (global id).")],
        vehicle_model: Annotated[str, strawberry.argument(description="The vehicle model's code.")],
        vehicles: Annotated[int, strawberry.argument(description="Vehicles of the model in the region.")],
    ) -> VehiclePopulationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.VehiclePopulation:
            return await stock.set_vehicle_population(
                session,
                scope,
                region_id=uuid_of(region_id, "Region", "regionId"),
                vehicle_model=vehicle_model,
                vehicles=vehicles,
            )

        return await attempt(
            info.context,
            run,
            lambda row: VehiclePopulationSuccess(
                region_id=gid("Region", row.region_id), vehicle_model=row.vehicle_model, vehicles=row.vehicles
            ),
        )

    @strawberry.mutation(
        extensions=needs(Permission.policy_publish),
        description="Set a station's minimum stock of a part (minimum empty: back to the derived figure).",
    )
    async def set_minimum_stock_override(
        self,
        info: Info,
        station_id: Annotated[strawberry.ID, strawberry.argument(description="The station (global id).")],
        part_id: Annotated[strawberry.ID, strawberry.argument(description="The part (global id).")],
        minimum: Annotated[
            int | None, strawberry.argument(description="The station's minimum; empty removes the override.")
        ],
        reason: Annotated[str, strawberry.argument(description="Why the station's figure differs.")] = "",
    ) -> StockOverrideResult:
        async def run(session: AsyncSession, scope: Scope) -> models.StockOverride | None:
            return await stock.set_override(
                session,
                scope,
                station_id=uuid_of(station_id, "Station", "stationId"),
                part_id=uuid_of(part_id, "Part", "partId"),
                minimum=minimum,
                reason=reason,
            )

        return await attempt(info.context, run, lambda row: StockOverrideSuccess(minimum=row.minimum if row else None))
