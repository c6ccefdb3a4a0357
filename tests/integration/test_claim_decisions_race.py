"""Twenty HQ auditors approve the same claim at once (issue 16): exactly one wins; the other nineteen are
told the claim changed (CONFLICT); one journal row, one approved amount. Real concurrent transactions on
their own connections, so the network is committed and removed afterwards."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import make_sessionmaker, new_id
from dealernet.core.errors import Conflict
from dealernet.core.scope import SEED_SCOPE, DbRole, Scope
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.policy.models import LabourOperation
from dealernet.warranty.models import Claim, ClaimLine
from dealernet.warranty.rules import ClaimDecision
from dealernet.warranty.service import claims, settlements
from dealernet.workshop.models import Customer, RepairOrder, RepairOrderLine, Vehicle
from tests.factories import NetworkFactory, StationFactory, network_today, persist

AUDITORS = 20


@dataclass
class Committed:
    maker: async_sessionmaker[AsyncSession]
    network_id: UUID
    claim_id: UUID


@pytest.fixture
async def committed(engine: AsyncEngine) -> AsyncIterator[Committed]:
    """A network with a station, its completed repair order and a submitted claim of it, committed."""
    network = NetworkFactory.build()
    station = StationFactory.build(network_id=network.id)
    now = datetime.now(UTC)
    vehicle = Vehicle(id=new_id(), network_id=network.id, vin="LSVAM418XC2184843", model="J6P",
                      production_date=network_today() - timedelta(days=400))  # fmt: skip
    customer = Customer(station_id=station.id, id=new_id(), network_id=network.id, name="A", phone="13900000001")
    operation = LabourOperation(id=new_id(), network_id=network.id, code="BR-01", description="d",
                                flat_rate_hours=Decimal("1.50"), component_group="BRAKES")  # fmt: skip
    order = RepairOrder(
        station_id=station.id, id=new_id(), network_id=network.id, number="RO1", status="completed",
        vehicle_id=vehicle.id, customer_id=customer.id, arrival="walk_in", odometer_km=1000, fuel_eighths=4,
        concern="noise", promised_at=now, received_at=now - timedelta(hours=2), customer_notice_at=now,
        completed_at=now - timedelta(hours=1),
    )  # fmt: skip
    line = RepairOrderLine(
        station_id=station.id, id=new_id(), network_id=network.id, repair_order_id=order.id, position=1,
        kind="labour", service_type="warranty", labour_operation_id=operation.id, quantity=Decimal("1.50"),
        unit_price=Decimal("80.00"), amount=Decimal("120.00"), consent="consented",
    )  # fmt: skip
    claim = Claim(
        station_id=station.id, id=new_id(), network_id=network.id, number="WC1", repair_order_id=order.id,
        vehicle_id=vehicle.id, claim_type="normal", status="submitted", repair_date=network_today(),
        odometer_km=1000, claimed_amount=Decimal("120.00"), version=2, submitted_at=now,
    )  # fmt: skip
    claim_line = ClaimLine(
        station_id=station.id, id=new_id(), network_id=network.id, claim_id=claim.id, position=1,
        repair_order_line_id=line.id, kind="labour", labour_operation_id=operation.id, quantity=Decimal("1.50"),
        unit_price=Decimal("80.00"), amount=Decimal("120.00"),
    )  # fmt: skip
    maker = make_sessionmaker(engine)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        for row in (network, station, vehicle, customer, operation, order, line, claim, claim_line):
            await persist(session, row)
        await session.commit()
    try:
        yield Committed(maker, network.id, claim.id)
    finally:
        async with maker(info={"scope": SEED_SCOPE}) as session:
            for table in (
                "settlement_lines", "settlements", "claim_lines", "claims", "repair_order_lines", "repair_orders",
                "customers", "vehicles",
                "labour_operations", "journal", "journal_heads", "stations",
            ):  # fmt: skip
                await session.execute(text(f"DELETE FROM {table} WHERE network_id = :n"), {"n": network.id})
            await session.execute(text("DELETE FROM networks WHERE id = :n"), {"n": network.id})
            await session.commit()


async def test_twenty_approvals_at_once_one_wins(committed: Committed) -> None:
    auditor = Scope(
        db_role=DbRole.oem,
        network_id=committed.network_id,
        actor_id=new_id(),
        role=Role.HQ_WARRANTY_AUDITOR.value,
        permissions=permissions_of(Role.HQ_WARRANTY_AUDITOR),
    )
    start = asyncio.Event()

    async def approve() -> str:
        await start.wait()
        try:
            async with new_unit_of_work(committed.maker, auditor, queue=None) as session:
                await claims.decide_claim(
                    session, auditor, claim_id=committed.claim_id, version=2, decision=ClaimDecision.APPROVE
                )
        except Conflict:
            return "conflict"
        return "approved"

    tasks = [asyncio.create_task(approve()) for _ in range(AUDITORS)]
    start.set()
    outcomes = Counter(await asyncio.gather(*tasks))
    assert outcomes == {"approved": 1, "conflict": AUDITORS - 1}
    async with committed.maker(info={"scope": SEED_SCOPE}) as session:
        row = (
            await session.execute(
                text("SELECT status, version, approved_amount FROM claims WHERE id = :c"), {"c": committed.claim_id}
            )
        ).one()
        assert tuple(row) == ("approved", 3, Decimal("120.00"))
        decided = await session.scalar(
            text("SELECT count(*) FROM journal WHERE entity_id = :c AND action = 'decided'"),
            {"c": committed.claim_id},
        )
        assert decided == 1
    # The month's settlement pays the one approval once, however often it runs.
    for _ in range(2):
        async with new_unit_of_work(committed.maker, auditor, queue=None) as session:
            await settlements.run_settlement(session, auditor, period_start=network_today().replace(day=1),
                                             period_end=network_today())  # fmt: skip
    async with committed.maker(info={"scope": SEED_SCOPE}) as session:
        paid = await session.execute(
            text("SELECT count(*), sum(amount) FROM settlement_lines WHERE claim_id = :c"), {"c": committed.claim_id}
        )
        assert tuple(paid.one()) == (1, Decimal("120.00"))
