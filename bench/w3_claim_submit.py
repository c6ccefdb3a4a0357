"""W3 (../shared/BENCH.md, issue 16): submitting one warranty claim — the checks as of the repair date, the
adjudication kept, the claim updated, the journal row — at concurrency 8, against a raw asyncpg transaction
doing the same writes (the adjudication row, the claim's update, the journal row) without the reads.

    python bench/w3_claim_submit.py [--claims 400] [--concurrency 8]

A network of its own with one live station, its completed repair orders (a warranty labour line and a part
line each) and their draft claims, made set-based; half are submitted through `claims.submit_claim`, each
in its unit of work, the other half by the raw writes; latencies per request, p50 and p95. Targets: p95 <=
50 ms and <= 1.5x the raw transaction's. Uses DEALERNET_DATABASE_URL (else the embedded server) and its own
database `dealernet_bench`; the network stays (each run makes a new one).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import create_engine, make_sessionmaker, new_id
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.warranty.service import claims
from dealernet.worker import register_jobs
from dealernet.workshop.demo import demo_vin


async def _world(settings: object, admin_url: str, count: int) -> tuple[UUID, UUID, list[UUID]]:
    """A network, a live station and `count` draft claims of completed repair orders, written with COPY."""
    network, station, now = new_id(), new_id(), datetime.now(UTC)
    async with bootstrap.seed_session(settings, admin_url) as seed:  # type: ignore[arg-type]
        raw = (await (await seed.connection()).get_raw_connection()).driver_connection
        copy = raw.copy_records_to_table  # type: ignore[union-attr]
        await copy(
            "networks",
            columns=["id", "code", "name", "time_zone"],
            records=[(network, f"W3-{network.hex[-8:]}", "W3", "Asia/Shanghai")],
        )
        await copy(
            "stations",
            columns=["id", "network_id", "code", "name", "city", "status"],
            records=[(station, network, "W3-1", "W3 station", "City", "active")],
        )
        part, operation, customer = new_id(), new_id(), new_id()
        await copy(
            "parts",
            columns=["id", "network_id", "part_number", "name_zh", "name_en", "component_group", "unit"],
            records=[(part, network, "W3-P", "件", "caliper", "BRAKES", "EA")],
        )
        await copy(
            "labour_operations",
            columns=["id", "network_id", "code", "description", "flat_rate_hours", "component_group"],
            records=[(operation, network, "W3-OP", "op", Decimal("1.50"), "BRAKES")],
        )
        await copy(
            "customers",
            columns=["station_id", "id", "network_id", "name", "phone"],
            records=[(station, customer, network, "客户", "13900000001")],
        )
        vehicles = [
            (
                new_id(),
                network,
                demo_vin("J6P", n),
                "J6P",
                (now - timedelta(days=500)).date(),
                (now - timedelta(days=400)).date(),
            )
            for n in range(count)
        ]
        await copy(
            "vehicles", columns=["id", "network_id", "vin", "model", "production_date", "sale_date"], records=vehicles
        )
        orders, lines, drafts, claim_lines = [], [], [], []
        for n, vehicle in enumerate(vehicles):
            order, claim = new_id(), new_id()
            orders.append(
                (
                    station,
                    order,
                    network,
                    f"RO{n:08d}",
                    "completed",
                    vehicle[0],
                    customer,
                    "walk_in",
                    10_000,
                    4,
                    "noise",
                    now - timedelta(hours=1),
                    now - timedelta(hours=1),
                    now - timedelta(hours=3),
                    now - timedelta(hours=2),
                )
            )
            drafts.append(
                (
                    station,
                    claim,
                    network,
                    f"WC{n:08d}",
                    order,
                    vehicle[0],
                    "normal",
                    "draft",
                    (now - timedelta(hours=3)).date(),
                    10_000,
                    part,
                    Decimal("540.00"),
                    1,
                )
            )
            for position, (kind, op, pt, qty, price) in enumerate(
                (
                    ("labour", operation, None, Decimal("1.50"), Decimal("80.00")),
                    ("part", None, part, Decimal("1.00"), Decimal("420.00")),
                ),
                start=1,
            ):
                line = new_id()
                amount = (qty * price).quantize(Decimal("0.01"))
                lines.append(
                    (station, line, network, order, position, kind, "warranty", op, pt, qty, price, amount, "consented")
                )
                claim_lines.append(
                    (station, new_id(), network, claim, position, line, kind, op, pt, qty, price, amount)
                )
        await copy(
            "repair_orders",
            columns=[
                "station_id",
                "id",
                "network_id",
                "number",
                "status",
                "vehicle_id",
                "customer_id",
                "arrival",
                "odometer_km",
                "fuel_eighths",
                "concern",
                "promised_at",
                "customer_notice_at",
                "received_at",
                "completed_at",
            ],
            records=orders,
        )
        await copy(
            "repair_order_lines",
            columns=[
                "station_id",
                "id",
                "network_id",
                "repair_order_id",
                "position",
                "kind",
                "service_type",
                "labour_operation_id",
                "part_id",
                "quantity",
                "unit_price",
                "amount",
                "consent",
            ],
            records=lines,
        )
        await copy(
            "claims",
            columns=[
                "station_id",
                "id",
                "network_id",
                "number",
                "repair_order_id",
                "vehicle_id",
                "claim_type",
                "status",
                "repair_date",
                "odometer_km",
                "causal_part_id",
                "claimed_amount",
                "version",
            ],
            records=drafts,
        )
        await copy(
            "claim_lines",
            columns=[
                "station_id",
                "id",
                "network_id",
                "claim_id",
                "position",
                "repair_order_line_id",
                "kind",
                "labour_operation_id",
                "part_id",
                "quantity",
                "unit_price",
                "amount",
            ],
            records=claim_lines,
        )
    return network, station, [d[1] for d in drafts]


_RAW_WRITES = (
    "INSERT INTO claim_adjudications (station_id, id, network_id, claim_id, as_of, occasion, versions, flags) "
    "VALUES ($1, $2, $3, $4, current_date, 'submitted', $5::jsonb, $6::jsonb)",
    "UPDATE claims SET status = 'submitted', submitted_at = now(), adjudication_id = $2, version = version + 1 "
    "WHERE station_id = $1 AND id = $3",
    "INSERT INTO journal (id, network_id, station_id, entity, entity_id, action, after, request_id) "
    "VALUES ($1, $2, $3, 'claim', $4, 'submitted', $5::jsonb, '')",
)


async def _timed(jobs: list[Callable[[], Awaitable[None]]], concurrency: int) -> list[float]:
    queue = list(jobs)
    latencies: list[float] = []

    async def worker() -> None:
        while queue:
            job = queue.pop()
            started = time.perf_counter()
            await job()
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def main(count: int, concurrency: int) -> None:
    register_jobs()
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network, station, drafts = await _world(settings, servers.postgres_admin_url, count)
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=concurrency)
    sessionmaker = make_sessionmaker(engine)
    clerk = Scope(
        db_role=DbRole.station,
        network_id=network,
        station_id=station,
        actor_id=new_id(),
        role=Role.STATION_WARRANTY_CLERK.value,
        permissions=permissions_of(Role.STATION_WARRANTY_CLERK),
    )
    half = len(drafts) // 2

    def submit(claim_id: UUID) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with new_unit_of_work(sessionmaker, clerk, queue=None) as session:
                await claims.submit_claim(session, clerk, claim_id=claim_id)

        return run

    def raw(claim_id: UUID) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with engine.connect() as connection:
                driver = (await connection.get_raw_connection()).driver_connection
                async with driver.transaction():  # type: ignore[union-attr]
                    await driver.execute(
                        "SELECT set_config('dealernet.network_id', $1, true), "  # type: ignore[union-attr]
                        "set_config('dealernet.station_id', $2, true)",
                        str(network),
                        str(station),
                    )
                    await driver.execute("SET LOCAL ROLE app_station")  # type: ignore[union-attr]
                    adjudication = new_id()
                    await driver.execute(_RAW_WRITES[0], station, adjudication, network, claim_id, "{}", "[]")  # type: ignore[union-attr]
                    await driver.execute(_RAW_WRITES[1], station, adjudication, claim_id)  # type: ignore[union-attr]
                    await driver.execute(
                        _RAW_WRITES[2],
                        new_id(),
                        network,
                        station,
                        claim_id,  # type: ignore[union-attr]
                        json.dumps({"status": "submitted"}),
                    )

        return run

    await _timed([submit(c) for c in drafts[:8]], concurrency)  # warm up
    service = await _timed([submit(c) for c in drafts[8:half]], concurrency)
    baseline = await _timed([raw(c) for c in drafts[half:]], concurrency)
    await engine.dispose()
    print(f"W3: submit one warranty claim, {len(service)} vs {len(baseline)} requests at concurrency {concurrency}")
    print(f"  raw asyncpg, the same writes   p50 {statistics.median(baseline):6.1f} ms   p95 {_p95(baseline):6.1f} ms")
    print(
        f"  submit_claim (checks, writes)  p50 {statistics.median(service):6.1f} ms   p95 {_p95(service):6.1f} ms"
        f"   ({_p95(service) / _p95(baseline):.2f}x the raw p95; targets <= 50 ms and <= 1.5x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.claims, arguments.concurrency))
