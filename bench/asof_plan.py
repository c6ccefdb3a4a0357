"""The as-of price lookup over 1,000 versions of one part (issue 5): its plan must stay an index scan.

    python bench/asof_plan.py [--versions 1000] [--parts 2000]

Seeds (set-based) one network with a station, `--parts` parts with 10 price versions each, and for part 0
`--versions` consecutive versions (one price list per day), all delivered to the station; then prints
EXPLAIN ANALYZE
of the lookup exactly as `policy.prices.price_as_of` runs it, as HQ, and its median time.
Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database `dealernet_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.db import create_engine, make_sessionmaker, new_id, scoped_session
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.policy.service.prices import _PRICE_AS_OF, NATIONAL

START = date(2020, 1, 1)
SEED = """
INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit)
SELECT uuid_generate_v7(), :network, 'B-' || lpad(i::text, 6, '0'), '', 'bench part', 'G', 'EA'
FROM generate_series(0, :parts - 1) i;

INSERT INTO publications (id, network_id, kind, title, status, effective_on, target_all, acknowledge_within_days,
                          published_at)
SELECT uuid_generate_v7(), :network, 'price_list', 'v' || i, 'published', CAST(:start AS date) + i, true, 14, now()
FROM generate_series(0, :versions - 1) i;

INSERT INTO part_prices (id, network_id, publication_id, part_id, currency, list_price, dealer_price, valid_from,
                         valid_to, in_force)
SELECT uuid_generate_v7(), :network, p.id, (SELECT id FROM parts WHERE network_id = :network
                                            AND part_number = 'B-000000'),
       'CNY', 100 + (p.effective_on - CAST(:start AS date)), 80, p.effective_on, p.effective_on + 1, true
FROM publications p WHERE p.network_id = :network;

INSERT INTO part_prices (id, network_id, publication_id, part_id, currency, list_price, dealer_price, valid_from,
                         valid_to, in_force)
SELECT uuid_generate_v7(), :network, pub.id, t.id, 'CNY', 10, 8, CAST(:start AS date) + 100 * k,
       CAST(:start AS date) + 100 * (k + 1), true
FROM parts t CROSS JOIN generate_series(0, 9) k
JOIN publications pub ON pub.network_id = :network AND pub.effective_on = CAST(:start AS date) + k
WHERE t.network_id = :network AND t.part_number <> 'B-000000';

INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by)
SELECT uuid_generate_v7(), :network, p.id, :station, now() FROM publications p WHERE p.network_id = :network;
"""


async def main(versions: int, parts: int) -> None:
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network, station = new_id(), new_id()
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
        await seed.execute(
            text("INSERT INTO networks (id, code, name, time_zone) VALUES (:id, :code, 'Bench', 'Asia/Shanghai')"),
            {"id": network, "code": f"B{network.hex[-8:]}"},
        )
        await seed.execute(
            text(
                "INSERT INTO stations (id, network_id, code, name, city, status) "
                "VALUES (:id, :n, 'S1', 's', '', 'active')"
            ),
            {"id": station, "n": network},
        )
        for statement in filter(str.strip, SEED.split(";")):
            await seed.execute(
                text(statement),
                {"network": network, "station": station, "parts": parts, "versions": versions, "start": START},
            )
        part = (
            await seed.execute(
                text("SELECT id FROM parts WHERE network_id = :n AND part_number = 'B-000000'"), {"n": network}
            )
        ).scalar()
    # As the administrator: ANALYZE skips tables the seed role does not own (silently, to the client).
    admin = create_engine(bootstrap.async_url(servers.postgres_admin_url, database=settings.database_name), pool_size=1)
    async with admin.connect() as conn:
        await conn.execute(text("ANALYZE parts, publications, part_prices, publication_deliveries"))
        await conn.commit()
    await admin.dispose()

    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    hq = Scope(db_role=DbRole.oem, network_id=network)
    on = START + timedelta(days=versions // 2)
    params = {"part": part, "currency": "CNY", "on": on, "region": None, "national": NATIONAL, "station": station}
    async with scoped_session(make_sessionmaker(engine), hq) as session:
        plan = await session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) {_PRICE_AS_OF.text}"), params)
        print(f"as-of lookup: part with {versions} versions, {parts} parts, on {on}")
        for (line,) in plan:
            print("  " + line)
        timings = []
        for _ in range(200):
            started = time.perf_counter()
            await session.execute(_PRICE_AS_OF, params)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"  median {statistics.median(timings):.3f} ms per lookup (200 runs, one round trip each)")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--parts", type=int, default=2000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.versions, arguments.parts))
