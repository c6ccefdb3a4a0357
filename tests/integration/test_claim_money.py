"""Money stays exact through a claim's decisions (issue 16): for any lines, any goodwill share and any
partial approval or rejection, the claim's amounts are its lines' sums to the cent as PostgreSQL stores them,
and the settlement pays exactly the approved amount less any chargeback — drift 0.00. A property test over
the service and the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import LabourOperation, Part
from dealernet.warranty.models import Claim, ClaimLine, PartReturn
from dealernet.warranty.rules import CENT, ClaimDecision, ReasonCode, goodwill_amount
from dealernet.warranty.service import claims, part_returns, settlements
from dealernet.workshop.demo import demo_vin
from dealernet.workshop.models import Customer, RepairOrder, RepairOrderLine, Vehicle
from tests.conftest import Scoped, Tenants
from tests.factories import network_today

CENTS = st.integers(min_value=1, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
LINES = st.lists(st.tuples(CENTS, st.integers(min_value=0, max_value=100)), min_size=1, max_size=6)


async def _claim_with(seed: AsyncSession, t: Tenants, amounts: list[Decimal], percent: Decimal | None) -> Claim:
    """A submitted claim of station A with lines of these amounts, written directly (the money is the point)."""
    station, network, now = t.station_a, t.network_x, datetime.now(UTC)
    serial = int(new_id().hex[-6:], 16) % 1_000_000
    vehicle = Vehicle(id=new_id(), network_id=network, vin=demo_vin("J6P", serial), model="J6P",
                      production_date=network_today() - timedelta(days=400))  # fmt: skip
    customer = Customer(station_id=station, id=new_id(), network_id=network, name="A", phone="13900000001")
    operation = LabourOperation(id=new_id(), network_id=network, code=f"M-{new_id().hex[-8:].upper()}", description="d",
                                flat_rate_hours=1, component_group="G")  # fmt: skip
    order = RepairOrder(
        station_id=station, id=new_id(), network_id=network, number=f"R{new_id().hex[:12]}", status="completed",
        vehicle_id=vehicle.id, customer_id=customer.id, arrival="walk_in", odometer_km=1000, fuel_eighths=4,
        concern="noise", promised_at=now, received_at=now - timedelta(hours=2), customer_notice_at=now,
        completed_at=now - timedelta(hours=1),
    )  # fmt: skip
    seed.add_all([vehicle, customer, operation])
    await seed.flush()
    seed.add(order)
    await seed.flush()
    claim = Claim(
        station_id=station, id=new_id(), network_id=network, number=f"W{new_id().hex[:12]}", repair_order_id=order.id,
        vehicle_id=vehicle.id, claim_type="goodwill" if percent else "normal", status="submitted",
        repair_date=network_today(), odometer_km=1000, goodwill_percent=percent, claimed_amount=Decimal("0.00"),
        version=1, submitted_at=now,
    )  # fmt: skip
    seed.add(claim)
    await seed.flush()
    total = Decimal("0.00")
    for n, amount in enumerate(amounts, start=1):
        line = RepairOrderLine(
            station_id=station, id=new_id(), network_id=network, repair_order_id=order.id, position=n, kind="labour",
            service_type="warranty", labour_operation_id=operation.id, quantity=1, unit_price=amount, amount=amount,
            consent="consented",
        )  # fmt: skip
        seed.add(line)
        await seed.flush()
        share = goodwill_amount(amount, percent) if percent else amount
        seed.add(
            ClaimLine(
                station_id=station, id=new_id(), network_id=network, claim_id=claim.id, position=n,
                repair_order_line_id=line.id, kind="labour", labour_operation_id=operation.id, quantity=1,
                unit_price=amount, amount=share,
            )
        )  # fmt: skip
        total += share
    claim.claimed_amount = total
    await seed.flush()
    return claim


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=LINES, goodwill=st.sampled_from([None, Decimal("50.00"), Decimal("33.33")]), reject=st.booleans(),
       charge_back=st.booleans())  # fmt: skip
async def test_a_claim_s_amounts_are_its_lines_sums_after_any_decision(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, lines: list[tuple[Decimal, int]], goodwill: Decimal | None,
    reject: bool, charge_back: bool,
) -> None:  # fmt: skip
    claim = await _claim_with(seed, tenants, [amount for amount, _ in lines], goodwill)
    part = Part(id=new_id(), network_id=tenants.network_x, part_number=f"M-{new_id().hex[-8:].upper()}", name_zh="件",
                name_en="part", component_group="G")  # fmt: skip
    seed.add(part)
    await seed.flush()
    role = Role.HQ_WARRANTY_AUDITOR
    auditor = Scope(
        db_role=DbRole.oem, network_id=tenants.network_x, actor_id=new_id(), role=role, permissions=permissions_of(role)
    )
    async with scoped(auditor) as session:
        query = text("SELECT id, amount FROM claim_lines WHERE claim_id = :c ORDER BY position")
        stored = (await session.execute(query, {"c": claim.id})).all()
        if reject:
            await claims.decide_claim(session, auditor, claim_id=claim.id, version=1, decision=ClaimDecision.REJECT,
                                      reason=ReasonCode.OTHER)  # fmt: skip
        else:
            kept = [((amount * percent / 100).quantize(CENT), line_id, amount)
                    for (line_id, amount), (_, percent) in zip(stored, lines, strict=True)]  # fmt: skip
            cut = [
                claims.Adjustment(line_id, part, ReasonCode.OTHER) for part, line_id, amount in kept if part < amount
            ]
            decision = ClaimDecision.PARTLY_APPROVE if cut else ClaimDecision.APPROVE
            await claims.decide_claim(session, auditor, claim_id=claim.id, version=1, decision=decision,
                                      adjustments=cut)  # fmt: skip
        await session.flush()
        claimed, approved, lines_claimed, lines_approved = (await session.execute(text(
            "SELECT c.claimed_amount, c.approved_amount, sum(l.amount), sum(l.approved_amount) FROM claims c "
            "JOIN claim_lines l ON l.station_id = c.station_id AND l.claim_id = c.id WHERE c.id = :c "
            "GROUP BY c.claimed_amount, c.approved_amount"), {"c": claim.id})).one()  # fmt: skip
        assert claimed == lines_claimed  # drift 0.00
        assert approved == lines_approved
        assert Decimal("0.00") <= approved <= claimed
        assert (approved == Decimal("0.00")) if reject else True
        # The first line's part came back the station's liability: its approved amount is charged back.
        charged = Decimal("0.00")
        first = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == claim.id, ClaimLine.position == 1))
        assert first is not None
        if charge_back and first.approved_amount:
            returned = PartReturn(station_id=claim.station_id, id=new_id(), network_id=claim.network_id,
                                  claim_id=claim.id, claim_line_id=first.id, part_id=part.id,
                                  tag_number=f"T-{first.id.hex[-12:]}",
                                  due_on=network_today(), send_to="HQ", status="inspected", verdict="station_fault",
                                  carrier="SF", shipped_at=datetime.now(UTC))  # fmt: skip
            session.add(returned)
            await session.flush()
            charged = (
                await part_returns.charge_back(session, auditor, returned, reason="station_fault", note="n")
            ).amount
        # The settlement pays exactly what was approved less what was charged back, and its statement adds up.
        today = network_today()
        made = await settlements.run_settlement(session, auditor, period_start=today.replace(day=1), period_end=today)
        assert sum((s.total for s in made), Decimal("0.00")) == approved - charged
        for statement in made:
            total = await session.scalar(
                text("SELECT sum(amount) FROM settlement_lines WHERE settlement_id = :s"), {"s": statement.id}
            )
            assert total == statement.total == statement.claims_amount + statement.adjustments_amount - charged
            assert statement.chargebacks_amount == charged
        await session.rollback()
