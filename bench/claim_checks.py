"""The check suite's SQL for one claim (issue 16): every statement a submission runs, named and timed, and the
plans of the cross-station checks (duplicate, odometer, first maintenance, the part's earlier fitting) on a
station with 100,000 claims — each must be an index scan, not a walk of the claims or repair orders.

    python bench/claim_checks.py [--claims 100000] [--submissions 200]

Builds W3's world (bench/w3_claim_submit.py: one live station, a vehicle, a completed repair order and a
draft claim per claim, written with COPY), submits `--submissions` of the drafts one after another through
`claims.submit_claim`, and prints each statement's name, count, median and p95; then EXPLAIN ANALYZE of the
cross-station function's four queries, as the function runs them (its owner's role), for the last claim.
Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database `dealernet_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text
from w3_claim_submit import _world  # type: ignore[import-not-found]

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

WINDOW = timedelta(days=90)  # the claim rules' default duplicate window

# A statement's name: the first of these its SQL contains (the facts in the order the checks gather them).
NAMES = (
    ("set_config(", "tenant scope"),
    ("FROM claims WHERE", "the claim, for update"),
    ("FROM stations JOIN networks", "station, order, vehicle, zone"),
    ("FROM claim_lines", "the claim's lines"),
    ("FROM parts", "the parts"),
    ("FROM labour_operations", "the labour operations"),
    ("FROM warranty_terms", "warranty terms in force"),
    ("warranty_coverages", "coverage in force"),
    ("FROM labour_rates", "labour rate in force"),
    ("FROM part_prices", "a part's price in force"),
    ("FROM publications", "the versions' titles"),
    ("claim_cross_station_facts", "cross-station facts, claim rate, pre-authorisation"),
    ("INSERT INTO claim_adjudications", "the adjudication"),
    ("UPDATE claims", "the claim"),
    ("INSERT INTO journal", "the journal row"),
)

# The function's queries, as migration 0055 wrote them, for EXPLAIN (a SQL function's body is not explained).
PLANS = {
    "duplicate (VIN and causal part in the window)": """
        SELECT count(*) FROM claims c WHERE c.network_id = :n AND c.vehicle_id = :v AND c.causal_part_id = :p
          AND c.repair_date BETWEEN :since AND :until AND c.id <> :claim AND c.status NOT IN ('draft', 'rejected')""",
    "odometer before this repair": """
        SELECT max(r.odometer_km) FROM repair_orders r WHERE r.network_id = :n AND r.vehicle_id = :v
          AND r.received_at < :before AND r.id <> :order AND r.status <> 'cancelled'""",
    "first maintenances of the vehicle": """
        SELECT count(*) FROM claims c WHERE c.network_id = :n AND c.vehicle_id = :v
          AND c.claim_type = 'first_maintenance' AND c.id <> :claim AND c.status NOT IN ('draft', 'rejected')""",
    "the part's earlier fitting": """
        SELECT r.received_at, r.odometer_km FROM repair_orders r
        JOIN repair_order_lines l ON l.station_id = r.station_id AND l.repair_order_id = r.id
        WHERE r.network_id = :n AND r.vehicle_id = :v AND r.received_at < :before AND r.id <> :order
          AND r.status IN ('completed', 'settled', 'handed_over') AND l.part_id = :p AND l.consent = 'consented'
        ORDER BY r.received_at DESC LIMIT 1""",
}


def _name(statement: str) -> str:
    flat = " ".join(statement.split())
    return next((name for needle, name in NAMES if needle in flat), flat[:40])


async def main(count: int, submissions: int) -> None:
    register_jobs()
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    begun = time.perf_counter()
    network, station, drafts = await _world(settings, servers.postgres_admin_url, count)
    print(f"{count:,} claims generated in {time.perf_counter() - begun:.0f} s")
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    timings: dict[str, list[float]] = defaultdict(list)

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def started(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def ended(conn: Any, cursor: Any, statement: str, params: Any, context: Any, executemany: bool) -> None:
        timings[_name(statement)].append((time.perf_counter() - conn.info["started"]) * 1000)

    role = Role.STATION_WARRANTY_CLERK
    clerk = Scope(db_role=DbRole.station, network_id=network, station_id=station, actor_id=new_id(),
                  role=role.value, permissions=permissions_of(role))  # fmt: skip
    sessionmaker = make_sessionmaker(engine)
    for claim_id in drafts[:submissions]:
        async with new_unit_of_work(sessionmaker, clerk, queue=None) as session:
            await claims.submit_claim(session, clerk, claim_id=claim_id)
    print(f"\nOne submission's statements ({submissions} submissions, one after another), in ms:")
    order = {name: n for n, (_, name) in enumerate(NAMES)}
    for name, values in sorted(timings.items(), key=lambda item: order.get(item[0], 99)):
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        print(f"  {name:<52} x{len(values) // submissions:<2} median {statistics.median(values):6.2f}   p95 {p95:6.2f}")
    # As the function runs: its owner's role (it reads across stations; RLS does not narrow it), the network set.
    admin = create_engine(bootstrap.async_url(servers.postgres_admin_url, database=settings.database_name), pool_size=1)
    async with admin.connect() as connection:
        await connection.execute(
            text("SELECT set_config('dealernet.network_id', :n, false), set_config('dealernet.station_id', :s, false)"),
            {"n": str(network), "s": str(station)},
        )
        await connection.execute(text("SET ROLE dealernet_seed"))
        last = (
            await connection.execute(
                text(
                    "SELECT c.id, c.vehicle_id, c.causal_part_id, c.repair_date, r.id AS order_id, r.received_at "
                    "FROM claims c JOIN repair_orders r ON r.station_id = c.station_id AND r.id = c.repair_order_id "
                    "WHERE c.id = :c"
                ),
                {"c": drafts[submissions - 1]},
            )
        ).one()
        values = {"n": network, "v": last.vehicle_id, "p": last.causal_part_id, "claim": last.id,
                  "since": last.repair_date - WINDOW, "until": last.repair_date + WINDOW,
                  "before": last.received_at, "order": last.order_id}  # fmt: skip
        for name, query in PLANS.items():
            plan = await connection.execute(text("EXPLAIN (ANALYZE, COSTS OFF, BUFFERS OFF) " + query), values)
            print(f"\n{name}:")
            print("\n".join("  " + row[0] for row in plan))
        await connection.execute(text("RESET ROLE"))
    await admin.dispose()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--submissions", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.claims, arguments.submissions))
