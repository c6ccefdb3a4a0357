"""A settlement run (issue 16): one network's month settled for 300 stations with 300 approved claims each
(two lines a claim: 180,000 lines) by `settlements.run_settlement` — in HQ's scope under RLS, with the
already-paid and waiting-part checks, the statements, their lines and their journal rows — against one plain
`INSERT … SELECT` of the same claim lines into a table of the same shape (its indexes and checks; no foreign
keys, no paid or waiting-part checks, no statements, no journal, no RLS).
Interleaved rounds, each rolled back so the next finds the same work; the ratio of medians. Target: <= 2x.

    python bench/settlement_run.py [--stations 300] [--claims 300] [--rounds 3]

Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database `dealernet_bench`; the network
stays (each run makes a new one).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import create_engine, make_sessionmaker, new_id
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.warranty.service import settlements
from dealernet.worker import register_jobs
from dealernet.workshop.demo import demo_vin

LINES = (("labour", Decimal("1.50"), Decimal("80.00")), ("part", Decimal("1.00"), Decimal("420.00")))


class _RolledBack(Exception):
    """Leaves a round's transaction: the next round finds the same work."""


async def _world(settings: object, admin_url: str, stations: int, claims: int) -> UUID:
    """A network with `stations` live stations, each with `claims` approved claims of completed repair orders."""
    network, now = new_id(), datetime.now(UTC)
    async with bootstrap.seed_session(settings, admin_url) as seed:  # type: ignore[arg-type]
        raw = (await (await seed.connection()).get_raw_connection()).driver_connection
        copy = raw.copy_records_to_table  # type: ignore[union-attr]
        await copy("networks", columns=["id", "code", "name", "time_zone"],
                   records=[(network, f"ST-{network.hex[-8:]}", "Settlement bench", "Asia/Shanghai")])  # fmt: skip
        part, operation = new_id(), new_id()
        parts = ["id", "network_id", "part_number", "name_zh", "name_en", "component_group", "unit"]
        await copy("parts", columns=parts, records=[(part, network, "SB-P", "件", "pad", "BRAKES", "EA")])
        await copy("labour_operations",
                   columns=["id", "network_id", "code", "description", "flat_rate_hours", "component_group"],
                   records=[(operation, network, "SB-OP", "op", Decimal("1.50"), "BRAKES")])  # fmt: skip
        station_rows, customers, vehicles, orders, order_lines, claim_rows, claim_lines = [], [], [], [], [], [], []
        for s in range(stations):
            station, customer, vehicle = new_id(), new_id(), new_id()
            station_rows.append((station, network, f"SB-{s:04d}", f"Station {s}", "City", "active"))
            customers.append((station, customer, network, "客户", "13900000001"))
            vehicles.append((vehicle, network, demo_vin("J6P", s), "J6P", (now - timedelta(days=500)).date(),
                             (now - timedelta(days=400)).date()))  # fmt: skip
            for n in range(claims):
                order, claim = new_id(), new_id()
                orders.append((station, order, network, f"RO{n:08d}", "completed", vehicle, customer, "walk_in", 10_000,
                               4, "noise", now, now, now - timedelta(hours=3), now - timedelta(hours=2)))  # fmt: skip
                decided = (now - timedelta(hours=1), now - timedelta(minutes=30))  # submitted, decided
                claim_rows.append((station, claim, network, f"WC{n:08d}", order, vehicle, "normal", "approved",
                                   (now - timedelta(hours=3)).date(), 10_000, part, Decimal("540.00"),
                                   Decimal("540.00"), 3, *decided))  # fmt: skip
                for position, (kind, quantity, price) in enumerate(LINES, start=1):
                    line, amount = new_id(), quantity * price
                    op, pt = (operation, None) if kind == "labour" else (None, part)
                    order_lines.append((station, line, network, order, position, kind, "warranty", op, pt, quantity,
                                        price, amount, "consented"))  # fmt: skip
                    claim_lines.append((station, new_id(), network, claim, position, line, kind, op, pt, quantity,
                                        price, amount, amount))  # fmt: skip
        await copy("stations", columns=["id", "network_id", "code", "name", "city", "status"], records=station_rows)
        await copy("customers", columns=["station_id", "id", "network_id", "name", "phone"], records=customers)
        await copy("vehicles", columns=["id", "network_id", "vin", "model", "production_date", "sale_date"],
                   records=vehicles)  # fmt: skip
        await copy("repair_orders", columns=["station_id", "id", "network_id", "number", "status", "vehicle_id",
                   "customer_id", "arrival", "odometer_km", "fuel_eighths", "concern", "promised_at",
                   "customer_notice_at", "received_at", "completed_at"], records=orders)  # fmt: skip
        await copy("repair_order_lines", columns=["station_id", "id", "network_id", "repair_order_id", "position",
                   "kind", "service_type", "labour_operation_id", "part_id", "quantity", "unit_price", "amount",
                   "consent"], records=order_lines)  # fmt: skip
        await copy("claims", columns=["station_id", "id", "network_id", "number", "repair_order_id", "vehicle_id",
                   "claim_type", "status", "repair_date", "odometer_km", "causal_part_id", "claimed_amount",
                   "approved_amount", "version", "submitted_at", "decided_at"], records=claim_rows)  # fmt: skip
        await copy("claim_lines", columns=["station_id", "id", "network_id", "claim_id", "position",
                   "repair_order_line_id", "kind", "labour_operation_id", "part_id", "quantity", "unit_price", "amount",
                   "approved_amount"], records=claim_lines)  # fmt: skip
        await seed.execute(text("ANALYZE claims, claim_lines, settlement_lines, part_returns, claim_chargebacks"))
    return network


# The baseline: the same approved lines written once, plainly, into a table shaped like settlement_lines.
_BASELINE = text(
    """
    INSERT INTO bench_settlement_lines (station_id, id, network_id, settlement_id, kind, claim_id, claim_line_id,
                                        chargeback_id, amount, description)
    SELECT l.station_id, uuid_generate_v7(), l.network_id, l.station_id, 'claim_line', l.claim_id, l.id, NULL,
           l.approved_amount, left(c.number || ' line ' || l.position || ' (' || l.kind || ')', 300)
    FROM claims c JOIN claim_lines l ON l.station_id = c.station_id AND l.claim_id = c.id
    WHERE c.network_id = :n AND c.status IN ('approved', 'partly_approved') AND l.approved_amount > 0
    """
)


async def main(stations: int, claims: int, rounds: int) -> None:
    register_jobs()
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    started = time.perf_counter()
    network = await _world(settings, servers.postgres_admin_url, stations, claims)
    print(f"generated {stations} stations x {claims} claims in {time.perf_counter() - started:.0f} s")
    app = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    admin = create_engine(bootstrap.async_url(servers.postgres_admin_url, database=settings.database_name), pool_size=1)
    hq = Scope(db_role=DbRole.oem, network_id=network, actor_id=new_id(), role=Role.HQ_WARRANTY_AUDITOR.value,
               permissions=permissions_of(Role.HQ_WARRANTY_AUDITOR))  # fmt: skip
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the network's today
    service_times, baseline_times, statements = [], [], 0

    async def service_round() -> float:
        nonlocal statements
        begun = time.perf_counter()
        try:
            async with new_unit_of_work(make_sessionmaker(app), hq, queue=None) as session:
                made = await settlements.run_settlement(
                    session, hq, period_start=today.replace(day=1), period_end=today
                )
                statements = len(made)
                elapsed = time.perf_counter() - begun
                raise _RolledBack
        except _RolledBack:
            return elapsed

    async def baseline_round(keys: bool) -> float:
        async with admin.connect() as connection:
            transaction = await connection.begin()
            # Its indexes and checks (and with `keys` its foreign keys to the claim lines); no RLS.
            await connection.execute(
                text(
                    "CREATE TABLE bench_settlement_lines "  # gone with the rollback
                    "(LIKE settlement_lines INCLUDING INDEXES INCLUDING CONSTRAINTS)"
                )
            )
            if keys:
                await connection.execute(
                    text(
                        "ALTER TABLE bench_settlement_lines ADD FOREIGN KEY (station_id, claim_id, claim_line_id) "
                        "REFERENCES claim_lines (station_id, claim_id, id)"
                    )
                )
            begun = time.perf_counter()
            await connection.execute(_BASELINE, {"n": network})
            elapsed = time.perf_counter() - begun
            await transaction.rollback()
            return elapsed

    async def vacuum() -> None:  # what a rolled-back round left behind is not the next round's cost
        async with admin.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM settlement_lines, settlements, journal, claim_lines, claims"))

    keyed_times: list[float] = []
    await service_round()  # warm up all three
    await baseline_round(False)
    await baseline_round(True)
    for _ in range(rounds):
        await vacuum()
        service_times.append(await service_round())
        await vacuum()
        baseline_times.append(await baseline_round(False))
        await vacuum()
        keyed_times.append(await baseline_round(True))
    await app.dispose()
    await admin.dispose()
    ratio = statistics.median(service_times) / statistics.median(baseline_times)
    keyed = statistics.median(service_times) / statistics.median(keyed_times)
    print(f"settlement run, {stations * claims * len(LINES):,} lines, {statements} statements per run")
    print("  one INSERT ... SELECT              " + "  ".join(f"{t * 1000:7.0f} ms" for t in baseline_times))
    print("  the same, with the claim-line key  " + "  ".join(f"{t * 1000:7.0f} ms" for t in keyed_times))
    print("  run_settlement                     " + "  ".join(f"{t * 1000:7.0f} ms" for t in service_times))
    print(f"  ratio of medians {ratio:.2f}x the plain insert, {keyed:.2f}x the keyed one (target <= 2x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=300)
    parser.add_argument("--claims", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.stations, arguments.claims, arguments.rounds))
