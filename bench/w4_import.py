"""W4 (../shared/BENCH.md): importing 10,000 price rows from a CSV file against a plain COPY of the same
rows into part_prices, in one process and run.

    python bench/w4_import.py [--rows 10000] [--rounds 5] [--xlsx]

Each round, in transactions rolled back afterwards: the import as the job runs it — `start_import` (size,
format and header checks, SHA-256, the file kept, the job queued) and `run_import` (every row checked,
COPY into a staging table, part numbers resolved set-based, one INSERT … SELECT … ON CONFLICT, the import
row and the journal) — vs. asyncpg's `copy_records_to_table` of the same 10,000 rows, already resolved to
part ids, straight into part_prices. Medians. Target: import <= 2x the COPY.
Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database `dealernet_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from datetime import date
from decimal import Decimal
from uuid import UUID

import openpyxl
from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import create_engine, make_sessionmaker, new_id, scoped_session
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.policy.service import imports, prices

COLUMNS = ["id", "network_id", "publication_id", "part_id", "currency", "list_price", "dealer_price", "valid_from"]


def price_file(count: int, *, xlsx: bool) -> bytes:
    rows = [(f"W4-{n:06d}", "CNY", f"{100 + n % 900}.{n % 100:02d}", f"{80 + n % 700}.50") for n in range(count)]
    header = ("part_number", "currency", "list_price", "dealer_price")
    if not xlsx:
        return ("\n".join(",".join(r) for r in [header, *rows]) + "\n").encode()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def main(count: int, rounds: int, xlsx: bool) -> None:
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network = new_id()
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
        await seed.execute(
            text("INSERT INTO networks (id, code, name, time_zone) VALUES (:id, :code, 'W4', 'Asia/Shanghai')"),
            {"id": network, "code": f"W4{network.hex[-8:]}"},
        )
        await seed.execute(
            text(
                "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
                "SELECT uuid_generate_v7(), :n, 'W4-' || lpad(i::text, 6, '0'), '', 'part', 'G', 'EA' "
                "FROM generate_series(0, :count - 1) i"
            ),
            {"n": network, "count": count},
        )
        part_ids = {
            number: part_id
            for number, part_id in await seed.execute(
                text("SELECT part_number, id FROM parts WHERE network_id = :n"), {"n": network}
            )
        }
    content = price_file(count, xlsx=xlsx)
    filename = "prices.xlsx" if xlsx else "prices.csv"
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network,
        actor_id=None,
        role="hq_admin",
        permissions=permissions_of(Role.HQ_ADMIN),
    )

    async def draft(session: object) -> UUID:
        return (await prices.draft_price_list(session, hq, title="W4", effective_on=date(2027, 1, 1))).id  # type: ignore[arg-type]

    async def one_round() -> tuple[float, float, int]:
        async with scoped_session(sessionmaker, hq) as session:
            price_list = await draft(session)
            started = time.perf_counter()
            queued = await imports.start_import(
                session, hq, kind=imports.PRICES, filename=filename, content=content, publication_id=price_list
            )
            done = await imports.run_import(session, hq, import_id=queued.row.id)
            import_ms = (time.perf_counter() - started) * 1000
            written = done.rows_written or 0
            await session.rollback()
        # COPY refuses tables under row-level security, so the plain COPY runs as the seed role (BYPASSRLS).
        async with scoped_session(sessionmaker, hq) as session:
            price_list = await draft(session)
            await session.commit()
        records = [
            (
                new_id(),
                network,
                price_list,
                part_ids[f"W4-{n:06d}"],
                "CNY",
                Decimal(f"{100 + n % 900}.{n % 100:02d}"),
                Decimal(f"{80 + n % 700}.50"),
                date(2027, 1, 1),
            )
            for n in range(count)
        ]
        async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
            connection = await seed.connection()
            raw = await connection.get_raw_connection()
            copy = raw.driver_connection.copy_records_to_table  # type: ignore[union-attr]
            started = time.perf_counter()
            await copy("part_prices", records=records, columns=COLUMNS)
            copy_ms = (time.perf_counter() - started) * 1000
            await seed.rollback()
        return import_ms, copy_ms, written

    await one_round()  # warm up
    results = [await one_round() for _ in range(rounds)]
    import_ms = statistics.median(r[0] for r in results)
    copy_ms = statistics.median(r[1] for r in results)
    print(f"W4 import of {count:,} price rows from {filename} ({rounds} rounds, medians; {results[0][2]:,} written)")
    print(f"  COPY of the resolved rows into part_prices (baseline)  {copy_ms:.1f} ms")
    ratio = import_ms / copy_ms
    print(
        f"  import: checks, staging COPY, set-based merge, journal  {import_ms:.1f} ms   ({ratio:.2f}x, target <= 2x)"
    )
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--xlsx", action="store_true", help="upload an XLSX file instead of CSV")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.rounds, arguments.xlsx))
