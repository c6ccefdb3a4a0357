"""Repair orders (工单), the seeds' document chain at a station: reception (接车 / 预检单) → quote lines with the
customer's consent (报价单) → work, each line's technician passing the dispatch check → completion inspection
(竣工检验, with a certificate for second-level maintenance and above) → settlement sheet (结算单) → handover.

Every step is timestamped and journaled. Lines are priced as of today at the station (the labour rate and
part prices delivered to it) and change until the completion; from the settlement the order is immutable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, storage
from dealernet.core.access import Permission, Role, require, require_station
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.network.service.training import can_dispatch
from dealernet.policy.models import LabourOperation, Part
from dealernet.policy.rules import SERVICE_TYPES, RepairLevel, ServiceType
from dealernet.policy.service.as_of import labour_rate_as_of
from dealernet.policy.service.prices import price_as_of
from dealernet.tenants.models import Membership, Station
from dealernet.tenants.service.directory import network_today
from dealernet.workshop import rules
from dealernet.workshop.models import (
    Customer,
    RepairOrder,
    RepairOrderFile,
    RepairOrderLine,
    StationCounter,
    Vehicle,
)
from dealernet.workshop.rules import Arrival, Consent, LineKind, RepairOrderStatus

MAX_QUANTITY = Decimal("99999999.99")
MAX_BELONGINGS = 50


@dataclass(frozen=True)
class Reception:
    """What the reception sheet records when the vehicle is checked in."""

    vehicle_id: UUID
    customer_id: UUID
    odometer_km: int
    fuel_eighths: int
    concern: str
    promised_at: datetime
    arrival: Arrival = Arrival.WALK_IN
    visible_damage: str = ""
    belongings: Sequence[str] = ()
    repair_level: RepairLevel | None = None
    odometer_reason: str = ""  # why the odometer reads lower than before (a replaced instrument, say)


@dataclass(frozen=True)
class Totals:
    """The settlement sheet's amounts per service type, of the consented lines."""

    by_service_type: dict[str, Decimal] = field(default_factory=dict)

    @property
    def customer_pays(self) -> Decimal:
        return self.by_service_type.get(ServiceType.PAID, Decimal("0.00"))

    @property
    def claimed_from_oem(self) -> Decimal:
        return self.by_service_type.get(ServiceType.WARRANTY, Decimal("0.00"))


def totals_of(lines: Sequence[RepairOrderLine]) -> Totals:
    amounts = {service_type: Decimal("0.00") for service_type in SERVICE_TYPES}
    for line in lines:
        if line.consent == Consent.CONSENTED:
            amounts[line.service_type] += line.amount
    return Totals(amounts)


def _station_of(scope: Scope) -> UUID:
    return require_station(scope, "repair orders are written by the station doing the work")


async def next_in_station_series(session: AsyncSession, scope: Scope, series: str, count: int = 1) -> int:
    """The next number of a station's own series (its repair orders, certificates, parts orders per year);
    with `count`, the last of that many taken at once (a bulk file's orders)."""
    statement = (
        insert(StationCounter)
        .values(station_id=scope.station_id, series=series, network_id=scope.network_id, value=count)
        .on_conflict_do_update(
            index_elements=[StationCounter.station_id, StationCounter.series],
            set_={"value": StationCounter.value + count},
        )
        .returning(StationCounter.value)
    )
    return int((await session.execute(statement)).scalar_one())


def _check_reception(data: Reception, now: datetime) -> None:
    problems: dict[str, str] = {}
    if not 0 <= data.odometer_km <= 10_000_000:
        problems["odometer_km"] = "0 to 10,000,000 km"
    if not 0 <= data.fuel_eighths <= 8:
        problems["fuel_eighths"] = "0 (empty) to 8 (full)"
    if not data.concern.strip():
        problems["concern"] = "the customer's concern, in their words"
    if data.promised_at <= now:
        problems["promised_at"] = "a time after the reception"
    if len(data.belongings) > MAX_BELONGINGS or any(not b.strip() or len(b) > 200 for b in data.belongings):
        problems["belongings"] = f"at most {MAX_BELONGINGS} items of 1 to 200 characters"
    if len(data.odometer_reason) > 300:
        problems["odometer_reason"] = "at most 300 characters"
    if problems:
        raise ValidationFailed("the reception sheet is not complete", fields=problems)


async def receive(session: AsyncSession, scope: Scope, data: Reception) -> RepairOrder:
    """Check a vehicle in: the reception sheet, numbered in the station's series of the year."""
    require(scope, Permission.repair_orders_manage)
    _station_of(scope)
    now = datetime.now(UTC)
    _check_reception(data, now)
    if await session.get(Vehicle, data.vehicle_id) is None:
        raise NotFound("no such vehicle in the register", fields={"vehicle_id": "not found"})
    if await session.get(Customer, (scope.station_id, data.customer_id)) is None:
        raise NotFound("no such customer of your station", fields={"customer_id": "not found"})
    last = await session.scalar(text("SELECT vehicle_last_odometer(:v)"), {"v": data.vehicle_id})
    if last is not None and data.odometer_km < last and not data.odometer_reason.strip():
        raise Conflict(
            f"the odometer reads {data.odometer_km:,} km, lower than the {last:,} km recorded before: "
            "say why (a replaced instrument cluster, say)",
            fields={"odometer_km": f"lower than {last:,} km"},
        )
    today = await network_today(session, scope.network_id)
    comeback_of = await _comeback_of(session, scope, data, now, today)
    order = RepairOrder(
        station_id=scope.station_id,
        id=new_id(),
        network_id=scope.network_id,
        number=rules.repair_order_number(
            today.year, await next_in_station_series(session, scope, f"repair_order:{today.year}")
        ),
        status=RepairOrderStatus.RECEIVED,
        vehicle_id=data.vehicle_id,
        customer_id=data.customer_id,
        arrival=data.arrival,
        odometer_km=data.odometer_km,
        odometer_reason=data.odometer_reason.strip(),
        fuel_eighths=data.fuel_eighths,
        visible_damage=data.visible_damage.strip(),
        belongings=[b.strip() for b in data.belongings],
        concern=data.concern.strip(),
        repair_level=data.repair_level,
        promised_at=data.promised_at,
        customer_notice_at=rules.customer_notice_at(now, data.promised_at),
        received_at=now,
        received_by=scope.actor_id,
        comeback_of=comeback_of,
    )
    session.add(order)
    await session.flush()
    after = {"number": order.number, "odometer_km": order.odometer_km, "promised_at": order.promised_at.isoformat(),
             "comeback_of": str(comeback_of) if comeback_of else None}  # fmt: skip
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="received", after=after)
    return order


# The repair-quality guarantees of the warranty terms in force at the station (delivered to it).
_GUARANTEES = text(
    """
    SELECT t.repair_guarantees FROM warranty_terms t JOIN publications p ON p.id = t.publication_id
    WHERE p.status = 'published' AND p.effective_on <= :on AND EXISTS (SELECT 1 FROM publication_deliveries d
          WHERE d.publication_id = p.id AND d.station_id = :station)
    ORDER BY p.effective_on DESC LIMIT 1
    """
)


async def _comeback_of(session: AsyncSession, scope: Scope, data: Reception, now: datetime, today: date) -> UUID | None:
    """The station's last completed repair of this vehicle, when the vehicle is back within that repair's
    quality guarantee (its days and km, whichever ends first, from the warranty terms in force)."""
    previous = await session.scalar(
        select(RepairOrder)
        .where(
            RepairOrder.vehicle_id == data.vehicle_id,
            RepairOrder.completed_at.is_not(None),
            RepairOrder.repair_level.is_not(None),
        )
        .order_by(RepairOrder.completed_at.desc())
        .limit(1)
    )
    if previous is None or previous.completed_at is None or previous.repair_level is None:
        return None
    guarantees = await repair_guarantees(session, scope.station_id, today)
    back = rules.is_comeback_of(
        guarantees,
        repair_level=previous.repair_level,
        days_since=(now - previous.completed_at).days,
        km_since=data.odometer_km - previous.odometer_km,
    )
    return previous.id if back else None


async def repair_guarantees(session: AsyncSession, station_id: UUID | None, on: date) -> list[dict[str, Any]]:
    """The repair-quality guarantees of the warranty terms in force at the station on a date."""
    return list(await session.scalar(_GUARANTEES, {"on": on, "station": station_id}) or [])


async def _order(session: AsyncSession, scope: Scope, repair_order_id: UUID, *, lock: bool = True) -> RepairOrder:
    order = await session.get(RepairOrder, (_station_of(scope), repair_order_id), with_for_update=lock)
    if order is None:
        raise NotFound("no such repair order", fields={"repair_order_id": "not found"})
    return order


async def _lines(session: AsyncSession, order: RepairOrder) -> list[RepairOrderLine]:
    query = (
        select(RepairOrderLine)
        .where(RepairOrderLine.station_id == order.station_id, RepairOrderLine.repair_order_id == order.id)
        .order_by(RepairOrderLine.position)
    )
    return list(await session.scalars(query))


def _line(lines: Sequence[RepairOrderLine], line_id: UUID) -> RepairOrderLine:
    line = next((line for line in lines if line.id == line_id), None)
    if line is None:
        raise NotFound("no such line on this repair order", fields={"line_id": "not found"})
    return line


def _editable(order: RepairOrder) -> None:
    if order.status not in rules.EDITABLE:
        raise Conflict(f"repair order {order.number} is {order.status}: its lines no longer change")


async def add_line(
    session: AsyncSession,
    scope: Scope,
    *,
    repair_order_id: UUID,
    kind: LineKind,
    service_type: ServiceType,
    labour_operation_id: UUID | None = None,
    part_id: UUID | None = None,
    quantity: Decimal | None = None,
    concern: str = "",
    invoice: Invoice | None = None,
) -> RepairOrderLine:
    """Quote a line, priced as of today at the station: a labour operation (its flat-rate hours, unless
    `quantity` says otherwise, x the labour rate), a part (`quantity` x its list price), or sublet work or
    another cost at its `invoice`. It waits for the customer's consent; a line added after the customer
    consented to others is marked as extra work."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    _editable(order)
    if quantity is not None and not (
        quantity.is_finite() and 0 < quantity <= MAX_QUANTITY and quantity == round(quantity, 2)
    ):
        raise ValidationFailed("a quantity above 0 with at most two decimals", fields={"quantity": "above 0"})
    station = await session.get(Station, order.station_id)
    assert station is not None
    today = await network_today(session, scope.network_id)
    source: UUID | None
    if kind == LineKind.LABOUR:
        quantity, unit_price, source = await _labour_price(session, station, labour_operation_id, quantity, today)
    elif kind == LineKind.PART:
        quantity, unit_price, source = await _part_price(session, scope, station, part_id, quantity, today)
    else:
        invoice = _check_invoice(invoice)
        quantity, unit_price, source = quantity or Decimal("1.00"), invoice.unit_price, None
    if order.comeback_of is not None and service_type == ServiceType.PAID:
        unit_price = Decimal("0.00")  # rework within the repair-quality guarantee is free to the customer
    lines = await _lines(session, order)
    line = RepairOrderLine(
        station_id=order.station_id,
        id=new_id(),
        network_id=order.network_id,
        repair_order_id=order.id,
        position=len(lines) + 1,
        kind=kind,
        service_type=service_type,
        labour_operation_id=labour_operation_id if kind == LineKind.LABOUR else None,
        part_id=part_id if kind == LineKind.PART else None,
        quantity=quantity,
        unit_price=unit_price,
        amount=rules.line_amount(quantity, unit_price),
        price_source=source,
        consent=Consent.PENDING,
        added_after_consent=any(existing.consent == Consent.CONSENTED for existing in lines),
        concern=concern.strip(),
        description=invoice.description.strip() if invoice and kind not in rules.PRICED_BY_POLICY else "",
        reference=invoice.reference.strip() if invoice and kind not in rules.PRICED_BY_POLICY else "",
    )
    session.add(line)
    await session.flush()
    after = {"position": line.position, "kind": kind, "service_type": service_type, "amount": str(line.amount)}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="line_quoted", after=after)
    return line


MAX_INVOICE = Decimal("9999999.99")  # a line's unit price: numeric(12, 2), and then some sense


@dataclass(frozen=True, slots=True)
class Invoice:
    """What sublet work or another cost is charged at: its description, the invoice's number and price."""

    description: str
    unit_price: Decimal
    reference: str = ""


def _check_invoice(invoice: Invoice | None) -> Invoice:
    price = invoice.unit_price if invoice else Decimal("NaN")
    problems: dict[str, str] = {}
    if invoice is None or not invoice.description.strip() or len(invoice.description) > 300:
        problems["description"] = "what the sublet work or cost is, 1 to 300 characters"
    if not (price.is_finite() and 0 < price <= MAX_INVOICE and price == price.quantize(Decimal("0.01"))):
        problems["unit_price"] = f"the invoiced amount: above 0.00, at most {MAX_INVOICE:,}, two decimals"
    if invoice is not None and len(invoice.reference) > 100:
        problems["reference"] = "at most 100 characters"
    if problems or invoice is None:
        raise ValidationFailed("sublet work and other costs are charged at their invoice", fields=problems)
    return invoice


async def _labour_price(
    session: AsyncSession, station: Station, operation_id: UUID | None, hours: Decimal | None, today: date
) -> tuple[Decimal, Decimal, UUID]:
    operation = await session.get(LabourOperation, operation_id) if operation_id else None
    if operation is None:
        raise NotFound("no such labour operation", fields={"labour_operation_id": "not found"})
    rate = await labour_rate_as_of(session, station, on=today)
    if rate is None:
        raise Conflict("no labour rate is in force at your station today", fields={"labour_operation_id": "no rate"})
    return hours or operation.flat_rate_hours, rate.hourly_rate, rate.rate_id


async def _part_price(
    session: AsyncSession, scope: Scope, station: Station, part_id: UUID | None, quantity: Decimal | None, today: date
) -> tuple[Decimal, Decimal, UUID]:
    part = await session.get(Part, part_id) if part_id else None
    if part is None:
        raise NotFound("no such part", fields={"part_id": "not found"})
    price = await price_as_of(session, scope, part_id=part.id, station_id=station.id, on=today)
    if price is None:
        raise Conflict(
            f"part {part.part_number} has no price in force at your station today", fields={"part_id": "no price"}
        )
    return quantity or Decimal("1.00"), price.list_price, price.price_id


async def record_consent(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, line_ids: Sequence[UUID], consented: bool
) -> list[RepairOrderLine]:
    """The customer's yes or no to quoted lines, recorded with who took it and when (a refusal too)."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    _editable(order)
    lines = {line.id: line for line in await _lines(session, order)}
    unknown = [str(i) for i in line_ids if i not in lines]
    if unknown or not line_ids:
        raise NotFound("no such line on this repair order", fields={"line_ids": ", ".join(unknown) or "none given"})
    answered = [lines[i] for i in line_ids if lines[i].consent != Consent.PENDING]
    if answered:
        positions = ", ".join(str(line.position) for line in answered)
        raise Conflict(f"line(s) {positions} were answered already; quote the work again as a new line")
    now, answer = datetime.now(UTC), Consent.CONSENTED if consented else Consent.REFUSED
    for line_id in line_ids:
        line = lines[line_id]
        line.consent, line.consent_recorded_by, line.consent_recorded_at = answer, scope.actor_id, now
    await session.flush()
    after = {"lines": [lines[i].position for i in line_ids], "consent": answer}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="consent", after=after)
    return [lines[i] for i in line_ids]


async def _move(session: AsyncSession, scope: Scope, order: RepairOrder, to: RepairOrderStatus) -> None:
    if not rules.can_move(RepairOrderStatus(order.status), to):
        raise Conflict(f"repair order {order.number} is {order.status}; it cannot become {to}")
    before = {"status": order.status}
    order.status = to
    await session.flush()
    await journal.record(
        session, scope, entity="repair_order", entity_id=order.id, action=str(to), before=before, after={"status": to}
    )


async def start_work(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    """The customer consented to some of the quote: the work starts."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    if not any(line.consent == Consent.CONSENTED for line in await _lines(session, order)):
        raise Conflict("the customer has consented to no line yet")
    order.work_started_at = datetime.now(UTC)
    await _move(session, scope, order, RepairOrderStatus.IN_WORK)
    return order


async def assign_technician(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, line_id: UUID, technician_id: UUID
) -> RepairOrderLine:
    """Give a consented line to a technician of the station — if the station may do work of the line's
    service type (and the order's repair level) today: its contract, term, tier and certified technicians."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    _editable(order)
    line = _line(await _lines(session, order), line_id)
    if line.consent != Consent.CONSENTED:
        raise Conflict(f"line {line.position} is {line.consent}: only consented work is done")
    technician = await session.scalar(
        select(Membership.id).where(
            Membership.user_id == technician_id,
            Membership.station_id == order.station_id,
            Membership.role == Role.STATION_TECHNICIAN.value,
            Membership.is_active,
        )
    )
    if technician is None:
        raise NotFound("no such technician at your station", fields={"technician_id": "not found"})
    today = await network_today(session, scope.network_id)
    verdict = await can_dispatch(
        session,
        scope,
        station_id=order.station_id,
        service_type=line.service_type,
        on=today,
        repair_level=order.repair_level,
    )
    if not verdict.allowed:
        raise Conflict(f"your station may not do this {line.service_type} work today: {verdict.reason}")
    line.technician_id = technician_id
    await session.flush()
    after = {"line": line.position, "technician_id": str(technician_id)}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="assigned", after=after)
    return line


async def record_work(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, line_id: UUID, cause: str, correction: str
) -> RepairOrderLine:
    """The 3C narrative's cause and correction of a worked line (the concern came with the quote)."""
    require(scope, Permission.repair_orders_work)
    order = await _order(session, scope, repair_order_id)
    _editable(order)
    line = _line(await _lines(session, order), line_id)
    problems = {name: "at most 4,000 characters" for name, value in (("cause", cause), ("correction", correction))
                if len(value) > 4_000}  # fmt: skip
    if problems:
        raise ValidationFailed("the narrative is too long", fields=problems)
    line.cause, line.correction = cause.strip(), correction.strip()
    await session.flush()
    await journal.record(
        session, scope, entity="repair_order", entity_id=order.id, action="work_recorded", after={"line": line.position}
    )
    return line


async def complete(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    """The completion inspection: the inspector signs off every consented line worked by a technician;
    second-level maintenance and above get the next completion certificate number."""
    require(scope, Permission.repair_orders_inspect)
    order = await _order(session, scope, repair_order_id)
    lines = await _lines(session, order)
    pending = [str(line.position) for line in lines if line.consent == Consent.PENDING]
    if pending:
        raise Conflict(f"line(s) {', '.join(pending)} still wait for the customer's answer")
    unworked = [  # sublet work and other costs are not the station's technicians' work
        str(line.position)
        for line in lines
        if line.consent == Consent.CONSENTED and line.technician_id is None and line.kind in rules.PRICED_BY_POLICY
    ]
    if unworked:
        raise Conflict(f"line(s) {', '.join(unworked)} have no technician")
    today = await network_today(session, scope.network_id)
    if order.repair_level in rules.CERTIFIED_LEVELS:
        order.certificate_number = rules.certificate_number(
            today.year, await next_in_station_series(session, scope, f"completion_certificate:{today.year}")
        )
    order.completed_at, order.inspected_by = datetime.now(UTC), scope.actor_id
    await _move(session, scope, order, RepairOrderStatus.COMPLETED)
    return order


async def settle(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    """The settlement sheet: the amounts are final, the order immutable from here."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    order.settled_at = datetime.now(UTC)
    await _move(session, scope, order, RepairOrderStatus.SETTLED)
    return order


async def hand_over(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    order.handed_over_at = datetime.now(UTC)
    await _move(session, scope, order, RepairOrderStatus.HANDED_OVER)
    return order


async def cancel(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    order.cancelled_at = datetime.now(UTC)
    await _move(session, scope, order, RepairOrderStatus.CANCELLED)
    return order


async def record_customer_told(session: AsyncSession, scope: Scope, *, repair_order_id: UUID) -> RepairOrder:
    """The service adviser told the customer the car is (nearly) ready — once per promise."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    if order.status not in rules.EDITABLE | {RepairOrderStatus.COMPLETED}:
        raise Conflict(f"repair order {order.number} is {order.status}: there is nothing to tell the customer")
    if order.customer_told_at is not None:
        raise Conflict(f"the customer was told at {order.customer_told_at.isoformat()}")
    now = datetime.now(UTC)
    order.customer_told_at, order.customer_told_by = now, scope.actor_id
    await session.flush()
    after = {"told_at": now.isoformat(), "on_time": now <= order.customer_notice_at}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="customer_told", after=after)
    return order


async def delay(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, promised_at: datetime, reason: str
) -> RepairOrder:
    """The car will not be ready as promised: the customer is told (as ahead of the old promise as the rule
    asks; journaled when later) and the new promise has its own notice time."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    if order.status not in rules.EDITABLE:
        raise Conflict(f"repair order {order.number} is {order.status}: its promise no longer moves")
    now, reason = datetime.now(UTC), reason.strip()
    problems: dict[str, str] = {}
    if promised_at <= max(now, order.promised_at):
        problems["promised_at"] = "later than now and than the promise it moves"
    if not reason or len(reason) > 300:
        problems["reason"] = "1 to 300 characters: why the car is late"
    if problems:
        raise ValidationFailed("the delay is not complete", fields=problems)
    before = {"promised_at": order.promised_at.isoformat(), "customer_notice_at": order.customer_notice_at.isoformat()}
    told_late = now > order.customer_notice_at
    order.promised_at = promised_at
    order.customer_notice_at = rules.customer_notice_at(order.received_at, promised_at)
    order.customer_reminded_at = order.customer_told_at = order.customer_told_by = None
    await session.flush()
    after = {"promised_at": promised_at.isoformat(), "reason": reason, "told_late": told_late}
    await journal.record(
        session, scope, entity="repair_order", entity_id=order.id, action="delayed", before=before, after=after
    )
    return order


async def reverse_line(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, line_id: UUID, reason: str
) -> RepairOrderLine:
    """Correct a settled order: a new line reversing a consented one (its quantity and amount negated),
    naming it and why. The settled lines themselves never change; a line is reversed once."""
    require(scope, Permission.repair_orders_manage)
    order = await _order(session, scope, repair_order_id)
    if order.status not in (RepairOrderStatus.SETTLED, RepairOrderStatus.HANDED_OVER):
        raise Conflict(f"repair order {order.number} is {order.status}: until it is settled its lines change")
    if not reason.strip() or len(reason.strip()) > 300:
        raise ValidationFailed("say why the line is reversed", fields={"reason": "1 to 300 characters"})
    lines = await _lines(session, order)
    line = _line(lines, line_id)
    if line.corrects is not None or line.consent != Consent.CONSENTED:
        raise Conflict(f"line {line.position} is not settled work that can be reversed")
    if any(other.corrects == line.id for other in lines):
        raise Conflict(f"line {line.position} is reversed already")
    reversal = RepairOrderLine(
        station_id=order.station_id,
        id=new_id(),
        network_id=order.network_id,
        repair_order_id=order.id,
        position=len(lines) + 1,
        kind=line.kind,
        service_type=line.service_type,
        labour_operation_id=line.labour_operation_id,
        part_id=line.part_id,
        quantity=-line.quantity,
        unit_price=line.unit_price,
        amount=-line.amount,
        price_source=line.price_source,
        consent=Consent.CONSENTED,
        technician_id=line.technician_id,
        corrects=line.id,
        correction_reason=reason.strip(),
    )
    session.add(reversal)
    await session.flush()
    after = {"reverses": line.position, "amount": str(reversal.amount), "reason": reversal.correction_reason}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="line_reversed", after=after)
    return reversal


async def repair_orders_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, RepairOrder]:
    require(scope, Permission.repair_orders_read)
    return {row.id: row for row in await session.scalars(select(RepairOrder).where(RepairOrder.id.in_(ids)))}


async def lines_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[RepairOrderLine]]:
    """Each repair order's lines in order (for a DataLoader)."""
    require(scope, Permission.repair_orders_read)
    query = select(RepairOrderLine).where(RepairOrderLine.repair_order_id.in_(ids)).order_by(RepairOrderLine.position)
    return group_by(await session.scalars(query), ids, lambda line: line.repair_order_id)


async def list_repair_orders(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[RepairOrderStatus] = (),
    vin: str | None = None,
    received_from: datetime | None = None,
    received_before: datetime | None = None,
    service_type: ServiceType | None = None,
    technician_id: UUID | None = None,
) -> list[RepairOrder]:
    """Repair orders, newest reception first (a station its own, HQ its network's), narrowed by status,
    vehicle, reception time, a line's service type or technician; first + 1 rows."""
    require(scope, Permission.repair_orders_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(RepairOrder.status.in_([str(s) for s in status]))
    if vin:
        where.append(RepairOrder.vehicle_id.in_(select(Vehicle.id).where(Vehicle.vin == rules.normal_vin(vin))))
    if received_from is not None:
        where.append(RepairOrder.received_at >= received_from)
    if received_before is not None:
        where.append(RepairOrder.received_at < received_before)
    if service_type is not None or technician_id is not None:
        line = select(RepairOrderLine.repair_order_id).where(RepairOrderLine.station_id == RepairOrder.station_id)
        if service_type is not None:
            line = line.where(RepairOrderLine.service_type == str(service_type))
        if technician_id is not None:
            line = line.where(RepairOrderLine.technician_id == technician_id)
        where.append(RepairOrder.id.in_(line))
    if after is not None:
        key = (cursor_time(after[0]), after[1])
        where.append(tuple_(RepairOrder.received_at, RepairOrder.id) < tuple_(*key))
    query = select(RepairOrder).where(*where).order_by(RepairOrder.received_at.desc(), RepairOrder.id.desc())
    return list(await session.scalars(query.limit(first + 1)))


MAX_FILES = 50


async def attach_file(
    session: AsyncSession, scope: Scope, store: storage.Store, *, repair_order_id: UUID, filename: str, content: bytes
) -> RepairOrderFile:
    """A photo or document of a repair order (a PDF or an image): the bytes to the store under a key of ours,
    the metadata here (the bytes go again if the row cannot be written). Not on a cancelled order."""
    require(scope, Permission.repair_orders_work)
    order = await _order(session, scope, repair_order_id)
    if order.status == RepairOrderStatus.CANCELLED:
        raise Conflict(f"repair order {order.number} is cancelled")
    checked = storage.check_file(filename, content)
    count = await session.scalar(
        select(func.count()).where(
            RepairOrderFile.station_id == order.station_id, RepairOrderFile.repair_order_id == order.id
        )
    )
    if (count or 0) >= MAX_FILES:
        raise ValidationFailed(f"at most {MAX_FILES} files per repair order", fields={"file": "too many"})
    file_id = new_id()
    row = RepairOrderFile(
        station_id=order.station_id,
        id=file_id,
        network_id=order.network_id,
        repair_order_id=order.id,
        filename=checked.filename,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        storage_key=f"{order.network_id}/repair_orders/{order.station_id}/{order.id}/{file_id}",
        uploaded_by=scope.actor_id,
    )
    await storage.keep(session, store, row.storage_key, content, row, conflict="the file exists already")
    after = {"file": checked.filename, "sha256": checked.sha256}
    await journal.record(session, scope, entity="repair_order", entity_id=order.id, action="file_attached", after=after)
    return row


async def files_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[RepairOrderFile]]:
    """Each repair order's files, oldest first (for a DataLoader)."""
    require(scope, Permission.repair_orders_read)
    query = (
        select(RepairOrderFile)
        .where(RepairOrderFile.repair_order_id.in_(ids))
        .order_by(RepairOrderFile.uploaded_at, RepairOrderFile.id)
    )
    return group_by(await session.scalars(query), ids, lambda row: row.repair_order_id)


async def read_file(
    session: AsyncSession, scope: Scope, store: storage.Store, *, file_id: UUID
) -> tuple[RepairOrderFile, bytes]:
    """A file the caller may see: its station's, or (HQ) its network's."""
    require(scope, Permission.repair_orders_read)
    row = await session.scalar(select(RepairOrderFile).where(RepairOrderFile.id == file_id))
    if row is None:
        raise NotFound("no such file", fields={"file_id": "not found"})
    return row, await storage.get(store, row.storage_key)
