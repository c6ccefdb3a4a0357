"""GraphQL for parts orders: a station orders and receives; HQ allocates and ships; the shipping accuracy
of a month."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, maybe_gid
from dealernet.workshop import models, rules
from dealernet.workshop.rules import Discrepancy, PartsOrderKind, PartsOrderStatus
from dealernet.workshop.service import parts_orders

expose(
    PartsOrderKind,
    description="Why a station orders parts.",
    values={
        PartsOrderKind.STOCK: "常规订单: to keep the minimum stock.",
        PartsOrderKind.EMERGENCY: "紧急订单: a vehicle off the road waits for it.",
    },
)
expose(
    PartsOrderStatus,
    description="Where a parts order is.",
    values={
        PartsOrderStatus.SUBMITTED: "Sent to HQ.",
        PartsOrderStatus.ALLOCATED: "HQ set what it will ship.",
        PartsOrderStatus.SHIPPED: "On its way (carrier and tracking number).",
        PartsOrderStatus.RECEIVED: "The station checked what arrived.",
        PartsOrderStatus.CANCELLED: "Cancelled.",
    },
)
expose(
    Discrepancy,
    description="What was wrong with a received line; anything but NONE is a transit claim.",
    values={
        Discrepancy.NONE: "Complete and right.",
        Discrepancy.MISSING: "Fewer arrived than were shipped.",
        Discrepancy.DAMAGED: "Arrived damaged.",
        Discrepancy.WRONG_PART: "Another part arrived.",
    },
)

_order_loader = by_id_loader(parts_orders.parts_orders_by_id)
_lines_loader = by_id_loader(parts_orders.lines_of)


@strawberry.type(description="A line of a parts order and its quantities along the way.")
class PartsOrderLine:
    id: strawberry.ID = strawberry.field(description="The line (global id).")
    position: int = strawberry.field(description="Its place on the order, from 1.")
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    ordered: int = strawberry.field(description="How many the station ordered.")
    allocated: int | None = strawberry.field(description="How many HQ allocated.")
    shipped: int | None = strawberry.field(description="How many HQ shipped.")
    received: int | None = strawberry.field(description="How many arrived.")
    discrepancy: Discrepancy = strawberry.field(description="What was wrong on arrival (a transit claim if any).")
    discrepancy_note: str = strawberry.field(description="The station's words about it.")

    @classmethod
    def from_row(cls, row: models.PartsOrderLine) -> PartsOrderLine:
        return cls(
            id=gid("PartsOrderLine", row.id),
            position=row.position,
            part_id=gid("Part", row.part_id),
            ordered=row.ordered,
            allocated=row.allocated,
            shipped=row.shipped,
            received=row.received,
            discrepancy=Discrepancy(row.discrepancy),
            discrepancy_note=row.discrepancy_note,
        )


@strawberry.type(description="A station's parts order to HQ.")
class PartsOrder(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="The station's number of the year, e.g. PO2026000017.")
    station_id: strawberry.ID = strawberry.field(description="The ordering station (global id).")
    kind: PartsOrderKind = strawberry.field(description="Stock or emergency.")
    status: PartsOrderStatus = strawberry.field(description="Where it is.")
    vehicle_id: strawberry.ID | None = strawberry.field(description="The vehicle off the road (emergency orders).")
    note: str = strawberry.field(description="The station's note to HQ.")
    submitted_at: datetime = strawberry.field(description="When it was sent.")
    shipped_at: datetime | None = strawberry.field(description="When HQ shipped it.")
    carrier: str = strawberry.field(description="The carrier; empty until shipped.")
    tracking_number: str = strawberry.field(description="The carrier's tracking number; empty until shipped.")
    received_at: datetime | None = strawberry.field(description="When the station checked what arrived.")

    @classmethod
    def from_row(cls, row: models.PartsOrder) -> PartsOrder:
        return cls(
            id=row.id,
            number=row.number,
            station_id=gid("Station", row.station_id),
            kind=PartsOrderKind(row.kind),
            status=PartsOrderStatus(row.status),
            vehicle_id=maybe_gid("Vehicle", row.vehicle_id),
            note=row.note,
            submitted_at=row.submitted_at,
            shipped_at=row.shipped_at,
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            received_at=row.received_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "parts_order", _order_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info) -> list[PartsOrderLine]:
        rows = await info.context.loader("parts_order_lines", _lines_loader).load(self.id)
        return [PartsOrderLine.from_row(row) for row in rows or []]


@strawberry.type(description="A station's shipping accuracy of a month: shipped lines that arrived complete and right.")
class ShippingAccuracy:
    station_id: strawberry.ID = strawberry.field(description="The station (global id).")
    shipped_lines: int = strawberry.field(description="Lines shipped to it that month (and received).")
    accurate_lines: int = strawberry.field(description="Of those, the ones complete and without a discrepancy.")
    percent: int | None = strawberry.field(description="Accurate lines in percent (rounded down).")
    meets_target: bool = strawberry.field(description="At or above the 98% target.")


@strawberry.type(description="A line the minimum stock suggests for a stock order.")
class StockSuggestion:
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    part_number: str = strawberry.field(description="Its part number.")
    quantity: int = strawberry.field(description="How many: the station's minimum stock of it.")


@strawberry.input(description="A part to order and how many, 1 to 100,000.")
class PartsOrderLineInput:
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    quantity: int = strawberry.field(description="How many.")


@strawberry.input(description="A parts order to HQ.")
class PlacePartsOrderInput:
    kind: PartsOrderKind = strawberry.field(description="Stock or emergency.")
    lines: list[PartsOrderLineInput] = strawberry.field(description="The parts, each once.")
    vehicle_id: strawberry.ID | None = strawberry.field(
        default=None, description="The vehicle off the road (required for an emergency order)."
    )
    note: str = strawberry.field(default="", description="A note to HQ.")


@strawberry.input(description="A line's quantity, by the line's global id.")
class LineQuantityInput:
    line_id: strawberry.ID = strawberry.field(description="The line (global id).")
    quantity: int = strawberry.field(description="The quantity.")


@strawberry.input(description="What HQ will ship of each line (a line not named gets nothing).")
class AllocatePartsOrderInput:
    parts_order_id: strawberry.ID = strawberry.field(description="The order (global id).")
    lines: list[LineQuantityInput] = strawberry.field(description="Each line's allocated quantity.")


@strawberry.input(description="The shipment's carrier and tracking number.")
class ShipPartsOrderInput:
    parts_order_id: strawberry.ID = strawberry.field(description="The order (global id).")
    carrier: str = strawberry.field(description="The carrier.")
    tracking_number: str = strawberry.field(description="Its tracking number.")


@strawberry.input(description="What arrived of a line and what was wrong with it.")
class ReceiptInput:
    line_id: strawberry.ID = strawberry.field(description="The line (global id).")
    received: int = strawberry.field(description="How many arrived.")
    discrepancy: Discrepancy = strawberry.field(default=Discrepancy.NONE, description="What was wrong, if anything.")
    note: str = strawberry.field(default="", description="The station's words about it.")


@strawberry.input(description="The station's check of a shipment: lines not named arrived as shipped.")
class ReceivePartsOrderInput:
    parts_order_id: strawberry.ID = strawberry.field(description="The order (global id).")
    receipts: list[ReceiptInput] = strawberry.field(default_factory=list, description="The lines that differ.")


@strawberry.type(description="What the parts-order mutations answer when they worked.")
class PartsOrderSuccess:
    parts_order: PartsOrder = strawberry.field(description="The parts order as it is now.")


PartsOrderResult = Annotated[
    PartsOrderSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "PartsOrderResult",
        description=(
            "PartsOrderSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError saying why "
            "nothing changed."
        ),
    ),
]


def _success(row: models.PartsOrder) -> PartsOrderSuccess:
    return PartsOrderSuccess(parts_order=PartsOrder.from_row(row))


@strawberry.type
class PartsOrdersQuery:
    @strawberry.field(
        extensions=needs(Permission.parts_orders_read),
        description="Parts orders, newest first: a station its own, HQ its network's.",
    )
    async def parts_orders(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[
            list[PartsOrderStatus] | None, strawberry.argument(description="Only those of these statuses.")
        ] = None,
        kind: Annotated[PartsOrderKind | None, strawberry.argument(description="Only those of this kind.")] = None,
    ) -> relay.Connection[PartsOrder]:
        rows = await info.context.run(
            parts_orders.list_parts_orders, first=first, after=keyset_after(after), status=status or (), kind=kind
        )
        return connection(
            rows, first=first, node=PartsOrder.from_row, key=lambda row: (row.submitted_at.isoformat(), row.id)
        )

    @strawberry.field(
        extensions=needs(Permission.parts_orders_place),
        description="The stock order your station's minimum stock suggests (place it with placePartsOrder).",
    )
    async def suggested_stock_order(self, info: Info) -> list[StockSuggestion]:
        figures = await info.context.run(parts_orders.suggested_stock_order)
        return [
            StockSuggestion(part_id=gid("Part", f.part_id), part_number=f.part_number, quantity=f.minimum)
            for f in figures
        ]

    @strawberry.field(
        extensions=needs(Permission.parts_orders_read),
        description=f"Each station's shipping accuracy of a month (target {rules.SHIPPING_ACCURACY_TARGET}%).",
    )
    async def shipping_accuracy(
        self, info: Info, month: Annotated[date, strawberry.argument(description="Any day of the month.")]
    ) -> list[ShippingAccuracy]:
        figures = await info.context.run(parts_orders.shipping_accuracy, month=month)
        return [
            ShippingAccuracy(
                station_id=gid("Station", f.station_id),
                shipped_lines=f.shipped_lines,
                accurate_lines=f.accurate_lines,
                percent=f.percent,
                meets_target=f.meets_target,
            )
            for f in figures
        ]


@strawberry.type
class PartsOrdersMutation:
    @strawberry.mutation(extensions=needs(Permission.parts_orders_place), description="Order parts from HQ.")
    async def place_parts_order(
        self, info: Info, input: Annotated[PlacePartsOrderInput, strawberry.argument(description="The order.")]
    ) -> PartsOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartsOrder:
            with IdReader() as read:
                parts = read.many([line.part_id for line in input.lines], "Part", "lines")
                vehicle = read.one(input.vehicle_id, "Vehicle", "vehicleId") if input.vehicle_id else None
            lines = [(part, line.quantity) for part, line in zip(parts, input.lines, strict=True)]
            return await parts_orders.place_order(
                session, scope, kind=input.kind, lines=lines, vehicle_id=vehicle, note=input.note
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(extensions=needs(Permission.parts_orders_fulfil), description="Allocate an order (HQ).")
    async def allocate_parts_order(
        self, info: Info, input: Annotated[AllocatePartsOrderInput, strawberry.argument(description="Quantities.")]
    ) -> PartsOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartsOrder:
            with IdReader() as read:
                order = read.one(input.parts_order_id, "PartsOrder", "partsOrderId")
                lines = read.many([line.line_id for line in input.lines], "PartsOrderLine", "lines")
            allocated = {line: given.quantity for line, given in zip(lines, input.lines, strict=True)}
            return await parts_orders.allocate(session, scope, parts_order_id=order, allocated=allocated)

        return await attempt(info.context, run, _success)

    @strawberry.mutation(extensions=needs(Permission.parts_orders_fulfil), description="Ship an allocated order (HQ).")
    async def ship_parts_order(
        self, info: Info, input: Annotated[ShipPartsOrderInput, strawberry.argument(description="The shipment.")]
    ) -> PartsOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartsOrder:
            with IdReader() as read:
                order = read.one(input.parts_order_id, "PartsOrder", "partsOrderId")
            return await parts_orders.ship(
                session, scope, parts_order_id=order, carrier=input.carrier, tracking_number=input.tracking_number
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.parts_orders_place),
        description="Check a shipment in; a line short, damaged or wrong becomes a transit claim.",
    )
    async def receive_parts_order(
        self, info: Info, input: Annotated[ReceivePartsOrderInput, strawberry.argument(description="The check.")]
    ) -> PartsOrderResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartsOrder:
            with IdReader() as read:
                order = read.one(input.parts_order_id, "PartsOrder", "partsOrderId")
                lines = read.many([r.line_id for r in input.receipts], "PartsOrderLine", "receipts")
            receipts = {
                line: parts_orders.Receipt(r.received, r.discrepancy, r.note)
                for line, r in zip(lines, input.receipts, strict=True)
            }
            return await parts_orders.receive(session, scope, parts_order_id=order, receipts=receipts)

        return await attempt(info.context, run, _success)
