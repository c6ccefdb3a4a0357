"""W5 (../shared/BENCH.md): publishing a price list to 1,000 stations against one set-based INSERT … SELECT
of the same delivery rows, in one process and run.

    python bench/w5_publish.py [--stations 1000] [--rounds 7]

Each round, in a transaction that is rolled back afterwards: `policy.publications.publish` of a draft
national price list with one price (closing the previous version, bringing the new one into force,
1,000 delivery rows, the fan-out job enqueued in the outbox, the journal row) vs. the bare `INSERT INTO
publication_deliveries … SELECT … FROM stations` for the same stations. Medians. Target: publish <= 2x
the baseline. Also shown: the fan-out job itself (1,000 in-app notifications, set-based), which the
worker runs after the commit.
Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database `dealernet_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import create_engine, make_sessionmaker, new_id, scoped_session
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.policy.service import prices, publications

BASELINE = text(
    """
    INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by)
    SELECT uuid_generate_v7(), s.network_id, :publication, s.id, now() + interval '14 days'
    FROM stations s WHERE s.network_id = :network AND s.status = 'active'
    """
)


async def main(stations: int, rounds: int) -> None:
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network, part = new_id(), new_id()
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
        await seed.execute(
            text("INSERT INTO networks (id, code, name, time_zone) VALUES (:id, :code, 'W5', 'Asia/Shanghai')"),
            {"id": network, "code": f"W5{network.hex[-8:]}"},
        )
        await seed.execute(
            text(
                "INSERT INTO stations (id, network_id, code, name, city, status) "
                "SELECT uuid_generate_v7(), :n, 'S' || lpad(i::text, 5, '0'), 'station', '', 'active' "
                "FROM generate_series(1, :count) i"
            ),
            {"n": network, "count": stations},
        )
        await seed.execute(
            text(
                "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
                "VALUES (:id, :n, 'W5-1', '', 'part', 'G', 'EA')"
            ),
            {"id": part, "n": network},
        )
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    hq = Scope(db_role=DbRole.oem, network_id=network, role="hq_admin", permissions=permissions_of(Role.HQ_ADMIN))

    async def one_round() -> tuple[float, float, int, float]:
        async with scoped_session(sessionmaker, hq) as session:
            draft = await prices.draft_price_list(session, hq, title="W5", effective_on=date(2026, 1, 1))
            await prices.set_price(
                session,
                hq,
                publication_id=draft.id,
                part_id=part,
                currency="CNY",
                list_price=Decimal("10.00"),
                dealer_price=Decimal("8.00"),
            )
            started = time.perf_counter()
            published = await publications.publish(session, hq, publication_id=draft.id)
            publish_ms = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            await session.execute(publications._NOTIFY, {"publication": draft.id})
            fan_out_ms = (time.perf_counter() - started) * 1000
            await session.rollback()
        async with scoped_session(sessionmaker, hq) as session:
            draft = await prices.draft_price_list(session, hq, title="W5 baseline", effective_on=date(2026, 1, 1))
            started = time.perf_counter()
            await session.execute(BASELINE, {"publication": draft.id, "network": network})
            baseline_ms = (time.perf_counter() - started) * 1000
            await session.rollback()
        return publish_ms, baseline_ms, published.deliveries, fan_out_ms

    await one_round()  # warm up
    results = [await one_round() for _ in range(rounds)]
    publish_ms = statistics.median(r[0] for r in results)
    baseline_ms = statistics.median(r[1] for r in results)
    print(f"W5 publish to {results[0][2]} stations ({rounds} rounds, medians)")
    print(f"  INSERT … SELECT of the deliveries (baseline)  {baseline_ms:.2f} ms")
    ratio = publish_ms / baseline_ms
    what = "publish (prices in force, deliveries, job enqueued, journal)"
    print(f"  {what} {publish_ms:.2f} ms   ({ratio:.2f}x, target <= 2x)")
    fan_out_ms = statistics.median(r[3] for r in results)
    print(f"  then, in the worker: the fan-out job's notifications INSERT … SELECT  {fan_out_ms:.2f} ms")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.stations, arguments.rounds))
