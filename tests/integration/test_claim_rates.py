"""Each station's claim rate this month against its network's (issue 16, the CLAIM_RATE_SPIKE check's facts):
the daily job counts claims and repair orders per active station in each network's own month, beside the
network's median; a station with enough claims far above the median is spiking — the others, and another
network's stations, are not. Computed again, the month's row is replaced, not doubled."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.warranty import jobs
from dealernet.warranty.service import claim_rates
from tests.conftest import Scoped, Tenants
from tests.factories import StationFactory, network_today, persist
from tests.integration.test_claim_money import _claim_with

# Repair orders received now (always this month, whatever the calendar), each a car of the station's own.
_ORDERS = text(
    """
    WITH customer AS (
      INSERT INTO customers (station_id, id, network_id, name, phone)
      VALUES (:s, uuid_generate_v7(), :n, '客户', '13900000002') RETURNING id
    )
    INSERT INTO repair_orders (station_id, id, network_id, number, status, vehicle_id, customer_id, arrival,
                               odometer_km, fuel_eighths, concern, promised_at, customer_notice_at, received_at)
    SELECT :s, uuid_generate_v7(), :n, 'RB' || k, 'received', :v, (SELECT id FROM customer), 'walk_in', 1000, 4,
           'noise', now() + interval '1 day', now() + interval '20 hours', now()
    FROM generate_series(1, :count) AS k
    """
)

_ONE_CLAIM = text(
    """
    INSERT INTO claims (station_id, id, network_id, number, repair_order_id, vehicle_id, claim_type, status,
                        repair_date, odometer_km, claimed_amount, version, submitted_at)
    SELECT r.station_id, uuid_generate_v7(), r.network_id, 'WB1', r.id, r.vehicle_id, 'normal', 'submitted', :today,
           1000, 0, 1, now()
    FROM repair_orders r WHERE r.station_id = :s AND r.network_id = :n LIMIT 1
    """
)


async def test_a_station_claiming_far_above_its_network_is_spiking(
    seed: AsyncSession, tenants: Tenants, sessionmaker: async_sessionmaker[AsyncSession], scoped: Scoped
) -> None:
    quiet = StationFactory.build(network_id=tenants.network_x, code="QUIET-1")
    await persist(seed, quiet)
    for _ in range(6):  # station A: six claims of six repair orders
        await _claim_with(seed, tenants, [Decimal("100.00")], None)
    await seed.execute(text("UPDATE repair_orders SET received_at = now() WHERE station_id = :s"),
                       {"s": tenants.station_a})  # fmt: skip
    vehicle = await seed.scalar(text("SELECT vehicle_id FROM claims LIMIT 1"))
    for station, count in ((tenants.station_b, 10), (quiet.id, 10)):
        await seed.execute(_ORDERS, {"s": station, "n": tenants.network_x, "v": vehicle, "count": count})
    await seed.execute(_ONE_CLAIM, {"s": tenants.station_b, "n": tenants.network_x, "today": network_today()})
    await seed.flush()

    assert await jobs.compute_claim_rates(sessionmaker) == 1
    rows = await seed.execute(
        text("SELECT station_id, claims, repair_orders, rate, network_rate, spiking FROM station_claim_rates")
    )
    found = {row.station_id: tuple(row)[1:] for row in rows}
    median = Decimal("10.00")  # of A's 100.00, B's 10.00 and the quiet station's 0.00
    assert found[tenants.station_a] == (6, 6, Decimal("100.00"), median, True)
    assert found[tenants.station_b] == (1, 10, Decimal("10.00"), median, False)
    assert found[quiet.id] == (0, 10, Decimal("0.00"), median, False)
    assert found[tenants.station_c][-1] is False  # network Y's station, by Y's own median
    month = await seed.scalar(text("SELECT DISTINCT month FROM station_claim_rates WHERE network_id = :n"),
                              {"n": tenants.network_x})  # fmt: skip
    assert month == network_today().replace(day=1)

    # HQ reads its network's, spiking first; a station its own.
    async with scoped(tenants.hq_x.scope) as session:
        rates = await claim_rates.claim_rates(session, tenants.hq_x.scope)
        assert [(r.station_id, r.spiking) for r in rates] == [
            (tenants.station_a, True), (tenants.station_b, False), (quiet.id, False)
        ]  # fmt: skip
    async with scoped(tenants.manager_b.scope) as session:
        assert [r.station_id for r in await claim_rates.claim_rates(session, tenants.manager_b.scope)] == [
            tenants.station_b
        ]

    assert await jobs.compute_claim_rates(sessionmaker, min_claims=10) == 0  # too few claims to be a trend
    assert await seed.scalar(text("SELECT count(*) FROM station_claim_rates WHERE network_id = :n"),
                             {"n": tenants.network_x}) == 3  # fmt: skip
