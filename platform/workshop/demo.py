"""The demo network's workshop (development and test only): a register of J6P and J7 vehicles, some sold a
year or two ago, some still at the factory (as the HQ admin); and at each live station its customers, a
dozen repair orders at every step of the chain — received with a quote waiting, a line refused, in work,
and, where the station may be dispatched the work, completed, settled and handed over (as its manager) —
two cars back within their repair guarantee (comebacks, the rework free), and parts orders at every step
(submitted, allocated and shipped by HQ, received with a transit claim). All through the services, so they
are numbered and journaled like real ones. Seeding again adds nothing once the demo has vehicles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.errors import DomainError
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import LabourOperation, Part
from dealernet.policy.rules import RepairLevel, ServiceType
from dealernet.tenants.models import Membership, Station
from dealernet.tenants.service.directory import network_today
from dealernet.workshop.models import RepairOrder, Vehicle
from dealernet.workshop.rules import Arrival, Discrepancy, LineKind, PartsOrderKind, check_digit
from dealernet.workshop.service import customers, parts_orders, repair_orders, vehicles

DEMO_WMI = "LDN"  # the demo maker's world manufacturer identifier
DEMO_VEHICLES = 264  # 220 sold: each demo repair order a car of its own
ROUNDS = 12  # each live station: a dozen repair orders at each stage
COMEBACKS = 2  # and two cars back within the guarantee of a handover


def demo_vin(model: str, serial: int) -> str:
    """A valid VIN of the demo maker: WMI, model descriptor, check digit, model year S (2025), plant 1."""
    body = f"{DEMO_WMI}{model.ljust(5, '0')[:5]}0S1{serial:06d}"
    return body[:8] + check_digit(body) + body[9:]


async def seed_demo_workshop(session: AsyncSession, network_id: UUID) -> None:
    """Register the demo vehicles once. The session is the seed session; the service runs as the HQ admin."""
    if await session.scalar(select(Vehicle.id).where(Vehicle.network_id == network_id).limit(1)) is not None:
        return
    admin = await session.scalar(
        select(Membership.user_id).where(Membership.network_id == network_id, Membership.role == Role.HQ_ADMIN.value)
    )
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network_id,
        actor_id=admin,
        role=Role.HQ_ADMIN.value,
        permissions=permissions_of(Role.HQ_ADMIN),
        second_factor=True,
    )
    today = await network_today(session, network_id)
    registered = []
    for serial in range(1, DEMO_VEHICLES + 1):
        model = "J6P" if serial % 3 else "J7"
        built = today - timedelta(days=30 + serial * 29)
        sold = built + timedelta(days=21) if serial % 6 else None  # every sixth still at the dealer's yard
        vehicle = await vehicles.register_vehicle(
            session,
            hq,
            vehicles.VehicleInput(
                vin=demo_vin(model, serial),
                model=model,
                production_date=built,
                sale_date=sold,
                selling_dealer="Demo Motors Shanghai" if serial % 2 else "Demo Motors Beijing",
                first_registration=sold + timedelta(days=3) if sold else None,
            ),
        )
        if sold:
            registered.append(vehicle.id)
    await _repair_orders(session, hq, network_id, registered)


CUSTOMERS = (("王建国", "13900010001"), ("李秀英", "13900010002"), ("张伟", "13900010003"), ("刘洋", "13900010004"))
# Each demo repair order: how far along the chain it gets.
STAGES = ("received", "refused_in_part", "in_work", "handed_over", "handed_over", "settled")


async def _repair_orders(session: AsyncSession, hq: Scope, network_id: UUID, sold: list[UUID]) -> None:
    managers = (
        await session.execute(
            select(Membership.user_id, Membership.station_id)
            .join(Station, Station.id == Membership.station_id)
            .where(Membership.network_id == network_id, Membership.role == Role.STATION_MANAGER.value)
            .where(Station.status == "active")
            .order_by(Station.code)
        )
    ).all()
    visits = len(managers) * ROUNDS * len(STAGES)
    operation = await session.scalar(select(LabourOperation.id).where(LabourOperation.code == "BR-0101"))
    part = await session.scalar(select(Part.id).where(Part.part_number == "BP-3501"))
    if operation is None or part is None:  # the policy demo was not seeded (a database with imported parts)
        return
    for n, (manager, station_id) in enumerate(managers):
        scope = Scope(
            db_role=DbRole.station,
            network_id=network_id,
            station_id=station_id,
            actor_id=manager,
            role=Role.STATION_MANAGER.value,
            permissions=permissions_of(Role.STATION_MANAGER),
        )
        people = [
            (await customers.create_customer(session, scope, customers.CustomerInput(name, phone))).id
            for name, phone in CUSTOMERS
        ]
        technician = await session.scalar(
            select(Membership.user_id).where(
                Membership.station_id == station_id, Membership.role == Role.STATION_TECHNICIAN.value
            )
        )
        handed_over: list[tuple[UUID, int]] = []
        for k in range(ROUNDS * len(STAGES)):
            index = n * ROUNDS * len(STAGES) + k  # a car's later visits read higher odometers, 100,000 km on
            vehicle, stage, odometer = sold[index % len(sold)], STAGES[k % len(STAGES)], 10_000 + 1_000 * index
            visit = Visit(vehicle, people[k % len(people)], odometer, k)
            last_visit = index + len(sold) >= visits  # a comeback's odometer must stay the car's highest
            done = await _one(session, scope, stage, visit, operation, part, technician)
            guaranteed = k % 2 == 1  # second-level maintenance: the demo terms guarantee it 5,000 km or 30 days
            if done and stage == "handed_over" and last_visit and guaranteed:
                handed_over.append((vehicle, odometer))
        for k, (vehicle, odometer) in enumerate(handed_over[:COMEBACKS]):
            await _comeback(session, scope, Visit(vehicle, people[k], odometer + 600, k), operation)
        await _parts_orders(session, scope, hq, part, sold[n % len(sold)])


@dataclass(frozen=True)
class Visit:
    vehicle: UUID
    customer: UUID
    odometer_km: int
    k: int  # the visit's place in the demo, for its variations


async def _reception(session: AsyncSession, scope: Scope, visit: Visit) -> RepairOrder:
    k = visit.k
    return await repair_orders.receive(
        session,
        scope,
        repair_orders.Reception(
            vehicle_id=visit.vehicle,
            customer_id=visit.customer,
            odometer_km=visit.odometer_km,
            fuel_eighths=2 + k % 6,
            concern="刹车异响 / brakes squeal" if k % 2 else "首保 / first maintenance",
            promised_at=datetime.now(UTC) + timedelta(hours=4 + 20 * (k % 3)),
            arrival=Arrival.APPOINTMENT if k % 2 else Arrival.WALK_IN,
            belongings=["umbrella"] if k % 3 == 0 else [],
            repair_level=RepairLevel.SECOND_LEVEL_MAINTENANCE if k % 2 else RepairLevel.MINOR_REPAIR,
        ),
    )


async def _comeback(session: AsyncSession, scope: Scope, visit: Visit, operation: UUID) -> None:
    """The car is back a few hundred km after its handover: a comeback, its paid rework free, in work."""
    order = await _reception(session, scope, visit)
    line = await repair_orders.add_line(
        session, scope, repair_order_id=order.id, kind=LineKind.LABOUR, service_type=ServiceType.PAID,
        labour_operation_id=operation, concern="the squeal is back",
    )  # fmt: skip
    await repair_orders.record_consent(session, scope, repair_order_id=order.id, line_ids=[line.id], consented=True)
    await repair_orders.start_work(session, scope, repair_order_id=order.id)


async def _parts_orders(session: AsyncSession, scope: Scope, hq: Scope, part: UUID, vehicle: UUID) -> None:
    """A stock order waiting for HQ, an emergency order on its way, and a delivery with a damaged box."""
    await parts_orders.place_order(session, scope, kind=PartsOrderKind.STOCK, lines=[(part, 8)])
    emergency = await parts_orders.place_order(
        session, scope, kind=PartsOrderKind.EMERGENCY, lines=[(part, 2)], vehicle_id=vehicle, note="vehicle off road"
    )
    delivered = await parts_orders.place_order(session, scope, kind=PartsOrderKind.STOCK, lines=[(part, 6)])
    for order in (emergency, delivered):
        line = (await parts_orders.lines_of(session, scope, [order.id]))[order.id][0]
        await parts_orders.allocate(session, hq, parts_order_id=order.id, allocated={line.id: line.ordered})
        await parts_orders.ship(session, hq, parts_order_id=order.id, carrier="顺丰 SF Express",
                                tracking_number=f"SF{order.number}")  # fmt: skip
    line = (await parts_orders.lines_of(session, scope, [delivered.id]))[delivered.id][0]
    receipt = parts_orders.Receipt(received=5, discrepancy=Discrepancy.DAMAGED, note="one box crushed")
    await parts_orders.receive(session, scope, parts_order_id=delivered.id, receipts={line.id: receipt})


async def _one(
    session: AsyncSession,
    scope: Scope,
    stage: str,
    visit: Visit,
    operation: UUID,
    part: UUID,
    technician: UUID | None,
) -> bool:
    """One repair order taken as far as `stage`; False where the station may not be dispatched the work."""
    order = await _reception(session, scope, visit)
    labour = await repair_orders.add_line(
        session,
        scope,
        repair_order_id=order.id,
        kind=LineKind.LABOUR,
        service_type=ServiceType.WARRANTY if visit.k % 2 else ServiceType.PAID,
        labour_operation_id=operation,
        concern="brakes squeal",
    )
    # Under warranty the pads are claimed with the labour (their return and the supplier's recovery follow).
    pads = await repair_orders.add_line(
        session,
        scope,
        repair_order_id=order.id,
        kind=LineKind.PART,
        service_type=ServiceType.WARRANTY if visit.k % 2 else ServiceType.PAID,
        part_id=part,
    )
    if stage == "received":
        return True
    await repair_orders.record_consent(session, scope, repair_order_id=order.id, line_ids=[labour.id], consented=True)
    refused = stage == "refused_in_part"
    await repair_orders.record_consent(
        session, scope, repair_order_id=order.id, line_ids=[pads.id], consented=not refused
    )
    if refused:
        return True
    await repair_orders.start_work(session, scope, repair_order_id=order.id)
    if stage == "in_work":
        return True
    if technician is None:
        return False
    try:  # a station without a contract in force or a certified technician stays in work
        for line in (labour, pads):
            await repair_orders.assign_technician(
                session, scope, repair_order_id=order.id, line_id=line.id, technician_id=technician
            )
    except DomainError:
        return False
    await repair_orders.complete(session, scope, repair_order_id=order.id)
    await repair_orders.settle(session, scope, repair_order_id=order.id)
    if stage == "handed_over":
        await repair_orders.hand_over(session, scope, repair_order_id=order.id)
    return True
