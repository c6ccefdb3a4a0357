"""Parts orders (DOMAIN §2): a station orders parts from HQ — to keep its stock, or in an emergency for a
vehicle off the road — HQ allocates from its stock and ships (carrier, tracking number), and the station
checks what arrived. A line that arrived short, damaged or as the wrong part is a transit claim. The
shipping accuracy of a month is the share of shipped lines that arrived complete and right (target 98%).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dealernet.core.paging import MAX_PAGE, check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.policy.models import Part
from dealernet.policy.service.stock import StockFigure, minimum_stock
from dealernet.tenants.service.directory import network_today
from dealernet.workshop import rules
from dealernet.workshop.models import PartsOrder, PartsOrderLine, Vehicle
from dealernet.workshop.rules import Discrepancy, PartsOrderKind, PartsOrderStatus
from dealernet.workshop.service.repair_orders import next_in_station_series

MAX_LINES = 200
MAX_QUANTITY = 100_000


@dataclass(frozen=True)
class Receipt:
    """What arrived of one line: the quantity, and what was wrong (a transit claim)."""

    received: int
    discrepancy: Discrepancy = Discrepancy.NONE
    note: str = ""


async def place_order(
    session: AsyncSession,
    scope: Scope,
    *,
    kind: PartsOrderKind,
    lines: Sequence[tuple[UUID, int]],
    vehicle_id: UUID | None = None,
    note: str = "",
) -> PartsOrder:
    """Send HQ an order: (part, quantity) lines, each part once; an emergency order names the vehicle off
    the road."""
    require(scope, Permission.parts_orders_place)
    if scope.station_id is None:
        raise Forbidden("parts are ordered by a station")
    problems: dict[str, str] = {}
    if not 0 < len(lines) <= MAX_LINES:
        problems["lines"] = f"1 to {MAX_LINES} lines"
    for n, (_, quantity) in enumerate(lines):
        if not 0 < quantity <= MAX_QUANTITY:
            problems[f"lines.{n}.quantity"] = f"1 to {MAX_QUANTITY:,}"
    if len({part for part, _ in lines}) != len(lines):
        problems["lines"] = "each part once"
    if kind == PartsOrderKind.EMERGENCY and vehicle_id is None:
        problems["vehicle_id"] = "an emergency order names the vehicle off the road"
    if len(note) > 2_000:
        problems["note"] = "at most 2,000 characters"
    if problems:
        raise ValidationFailed("the parts order is not valid", fields=problems)
    known = set(await session.scalars(select(Part.id).where(Part.id.in_([part for part, _ in lines]))))
    unknown = {f"lines.{n}.part_id": "not found" for n, (part, _) in enumerate(lines) if part not in known}
    if unknown:
        raise NotFound("no such part in the catalogue", fields=unknown)
    if vehicle_id is not None and await session.get(Vehicle, vehicle_id) is None:
        raise NotFound("no such vehicle in the register", fields={"vehicle_id": "not found"})
    today = await network_today(session, scope.network_id)
    seq = await next_in_station_series(session, scope, f"parts_order:{today.year}")
    order = PartsOrder(
        station_id=scope.station_id,
        id=new_id(),
        network_id=scope.network_id,
        number=rules.parts_order_number(today.year, seq),
        kind=kind,
        status=PartsOrderStatus.SUBMITTED,
        vehicle_id=vehicle_id,
        note=note.strip(),
        submitted_at=datetime.now(UTC),
        submitted_by=scope.actor_id,
    )
    session.add(order)
    await session.flush()
    session.add_all(
        PartsOrderLine(
            station_id=order.station_id,
            id=new_id(),
            network_id=order.network_id,
            parts_order_id=order.id,
            position=n,
            part_id=part,
            ordered=quantity,
        )
        for n, (part, quantity) in enumerate(lines, start=1)
    )
    await session.flush()
    after = {"number": order.number, "kind": kind, "lines": len(lines)}
    await journal.record(session, scope, entity="parts_order", entity_id=order.id, action="submitted", after=after)
    return order


async def suggested_stock_order(session: AsyncSession, scope: Scope) -> list[StockFigure]:
    """What the minimum stock says to order today: every part with a minimum above zero, at its minimum (the
    station's stock on hand is not kept here yet, so the suggestion is the whole minimum)."""
    require(scope, Permission.parts_orders_place)
    if scope.station_id is None:
        raise Forbidden("a stock order is suggested to a station")
    today = await network_today(session, scope.network_id)
    figures = await minimum_stock(session, scope, station_id=scope.station_id, on=today, first=MAX_PAGE)
    return [figure for figure in figures[:MAX_PAGE] if figure.minimum > 0]


async def _order(session: AsyncSession, scope: Scope, order_id: UUID) -> PartsOrder:
    order = await session.scalar(select(PartsOrder).where(PartsOrder.id == order_id).with_for_update())
    if order is None:
        raise NotFound("no such parts order", fields={"parts_order_id": "not found"})
    return order


async def lines_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[PartsOrderLine]]:
    require(scope, Permission.parts_orders_read)
    query = select(PartsOrderLine).where(PartsOrderLine.parts_order_id.in_(ids)).order_by(PartsOrderLine.position)
    return group_by(await session.scalars(query), ids, lambda line: line.parts_order_id)


def _quantities(
    lines: Sequence[PartsOrderLine], given: Mapping[UUID, int], field: str, *, most: str
) -> dict[UUID, int]:
    """Each line's quantity (lines not given: 0); VALIDATION naming the lines given that are not the order's
    or exceed `most` (the line's attribute they may not exceed)."""
    by_id = {line.id: line for line in lines}
    problems = {f"{field}.{line_id}": "not a line of this order" for line_id in given if line_id not in by_id}
    quantities = {line.id: given.get(line.id, 0) for line in lines}
    for line in lines:
        ceiling = getattr(line, most) or 0
        if not 0 <= quantities[line.id] <= ceiling:
            problems[f"{field}.{line.position}"] = f"0 to {ceiling}"
    if problems:
        raise ValidationFailed("the quantities do not fit the order", fields=problems)
    return quantities


async def allocate(
    session: AsyncSession, scope: Scope, *, parts_order_id: UUID, allocated: Mapping[UUID, int]
) -> PartsOrder:
    """HQ sets what it will ship of each line (at most what was ordered; a line not named gets nothing)."""
    require(scope, Permission.parts_orders_fulfil)
    order = await _order(session, scope, parts_order_id)
    if order.status != PartsOrderStatus.SUBMITTED:
        raise Conflict(f"parts order {order.number} is {order.status}; only a submitted order is allocated")
    lines = (await lines_of(session, scope, [order.id]))[order.id]
    for line_id, quantity in _quantities(lines, allocated, "allocated", most="ordered").items():
        next(line for line in lines if line.id == line_id).allocated = quantity
    order.status, order.allocated_at = PartsOrderStatus.ALLOCATED, datetime.now(UTC)
    await session.flush()
    await journal.record(
        session, scope, entity="parts_order", entity_id=order.id, action="allocated", station_id=order.station_id
    )
    return order


async def ship(
    session: AsyncSession, scope: Scope, *, parts_order_id: UUID, carrier: str, tracking_number: str
) -> PartsOrder:
    """HQ ships what it allocated, with the carrier and its tracking number."""
    require(scope, Permission.parts_orders_fulfil)
    order = await _order(session, scope, parts_order_id)
    if order.status != PartsOrderStatus.ALLOCATED:
        raise Conflict(f"parts order {order.number} is {order.status}; it ships once allocated")
    problems = {
        name: "1 to 100 characters"
        for name, value in (("carrier", carrier), ("tracking_number", tracking_number))
        if not value.strip() or len(value.strip()) > 100
    }
    if problems:
        raise ValidationFailed("name the carrier and the tracking number", fields=problems)
    for line in (await lines_of(session, scope, [order.id]))[order.id]:
        line.shipped = line.allocated or 0
    order.status, order.shipped_at = PartsOrderStatus.SHIPPED, datetime.now(UTC)
    order.carrier, order.tracking_number = carrier.strip(), tracking_number.strip()
    await session.flush()
    after = {"carrier": order.carrier, "tracking_number": order.tracking_number}
    await journal.record(
        session, scope, entity="parts_order", entity_id=order.id, action="shipped", after=after,
        station_id=order.station_id,
    )  # fmt: skip
    return order


async def receive(
    session: AsyncSession, scope: Scope, *, parts_order_id: UUID, receipts: Mapping[UUID, Receipt]
) -> PartsOrder:
    """The station checks the shipment: each shipped line received as shipped unless a receipt says what
    arrived and what was wrong. Fewer than shipped is MISSING unless another discrepancy is named."""
    require(scope, Permission.parts_orders_place)
    if scope.station_id is None:
        raise Forbidden("a shipment is received by its station")
    order = await _order(session, scope, parts_order_id)
    if order.status != PartsOrderStatus.SHIPPED:
        raise Conflict(f"parts order {order.number} is {order.status}; only a shipped order is received")
    lines = (await lines_of(session, scope, [order.id]))[order.id]
    known = {line.id for line in lines}
    problems = {f"receipts.{line_id}": "not a line of this order" for line_id in receipts if line_id not in known}
    for line in lines:
        receipt = receipts.get(line.id)
        if receipt is not None and (receipt.received < 0 or len(receipt.note) > 500):
            problems[f"receipts.{line.position}"] = "a quantity of 0 or more, a note of at most 500 characters"
    if problems:
        raise ValidationFailed("the receipt does not fit the shipment", fields=problems)
    for line in lines:
        receipt = receipts.get(line.id) or Receipt(received=line.shipped or 0)
        short = receipt.received < (line.shipped or 0)
        line.received = receipt.received
        line.discrepancy = (
            receipt.discrepancy if receipt.discrepancy != Discrepancy.NONE or not short else Discrepancy.MISSING
        )
        line.discrepancy_note = receipt.note.strip()
    order.status, order.received_at, order.received_by = PartsOrderStatus.RECEIVED, datetime.now(UTC), scope.actor_id
    await session.flush()
    claims = sum(1 for line in lines if line.discrepancy != Discrepancy.NONE)
    await journal.record(
        session, scope, entity="parts_order", entity_id=order.id, action="received", after={"transit_claims": claims}
    )
    return order


async def parts_orders_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, PartsOrder]:
    require(scope, Permission.parts_orders_read)
    return {row.id: row for row in await session.scalars(select(PartsOrder).where(PartsOrder.id.in_(ids)))}


async def list_parts_orders(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[PartsOrderStatus] = (),
    kind: PartsOrderKind | None = None,
) -> list[PartsOrder]:
    """Parts orders, newest first (a station its own, HQ its network's; emergencies first is the caller's
    filter); first + 1 rows."""
    require(scope, Permission.parts_orders_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(PartsOrder.status.in_([str(s) for s in status]))
    if kind is not None:
        where.append(PartsOrder.kind == str(kind))
    if after is not None:
        where.append(tuple_(PartsOrder.submitted_at, PartsOrder.id) < tuple_(cursor_time(after[0]), after[1]))
    query = select(PartsOrder).where(*where).order_by(PartsOrder.submitted_at.desc(), PartsOrder.id.desc())
    return list(await session.scalars(query.limit(first + 1)))


@dataclass(frozen=True)
class ShippingAccuracy:
    station_id: UUID
    shipped_lines: int
    accurate_lines: int

    @property
    def percent(self) -> int | None:
        return rules.shipping_accuracy(self.shipped_lines, self.accurate_lines)

    @property
    def meets_target(self) -> bool:
        return self.percent is not None and self.percent >= rules.SHIPPING_ACCURACY_TARGET


# One statement for every station of the month (set-based): the lines shipped, and those received whole
# and without a discrepancy.
_ACCURACY = text(
    """
    SELECT o.station_id, count(*) AS shipped_lines,
           count(*) FILTER (WHERE l.discrepancy = 'none' AND l.received = l.shipped) AS accurate_lines
    FROM parts_orders o JOIN parts_order_lines l ON l.station_id = o.station_id AND l.parts_order_id = o.id
    WHERE o.status = 'received' AND l.shipped > 0 AND o.shipped_at >= :start AND o.shipped_at < :end
    GROUP BY o.station_id ORDER BY o.station_id
    """
)


async def shipping_accuracy(session: AsyncSession, scope: Scope, *, month: date) -> list[ShippingAccuracy]:
    """Each station's shipping accuracy of the month `month` falls in (HQ: every station; a station: its own)."""
    require(scope, Permission.parts_orders_read)
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=UTC)
    rows = await session.execute(_ACCURACY, {"start": start, "end": end})
    return [ShippingAccuracy(row.station_id, row.shipped_lines, row.accurate_lines) for row in rows]
