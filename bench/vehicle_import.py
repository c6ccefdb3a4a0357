"""Issue 15: importing the vehicle register — 100,000 vehicles from a CSV (or XLSX) upload — against a plain
COPY of the same rows into `vehicles`, in one process and run.

    python bench/vehicle_import.py [--rows 100000] [--rounds 3] [--xlsx]

Each round, in transactions rolled back afterwards: the import as the job runs it — `start_import` (size,
format and header checks, SHA-256, the file kept, the job queued) and `run_import` (every row checked with
the API's rules, the VIN check digit included; COPY into a staging table; one INSERT … SELECT … ON CONFLICT
into the register; the import row and the journal) — vs. asyncpg's `copy_records_to_table` of the same
rows, already checked, straight into `vehicles`. Medians. Target: import <= 2x the COPY, "well under a
minute" for 100,000 rows. Uses DEALERNET_DATABASE_URL (else the embedded server) and its own database.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import time
from datetime import date, timedelta

import openpyxl
from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import create_engine, make_sessionmaker, new_id, scoped_session
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.policy.service import imports
from dealernet.worker import register_jobs
from dealernet.workshop.demo import demo_vin
from dealernet.workshop.service.vehicle_imports import VEHICLES

COLUMNS = ["id", "network_id", "vin", "model", "production_date", "sale_date", "selling_dealer"]
HEADER = ("vin", "model", "production_date", "sale_date", "selling_dealer")


def vehicles(count: int) -> list[tuple[str, str, date, date | None, str]]:
    built = date(2024, 1, 1)
    return [
        (
            demo_vin("J6P" if n % 3 else "J7", n),
            "J6P" if n % 3 else "J7",
            built + timedelta(days=n % 700),
            built + timedelta(days=n % 700 + 30) if n % 5 else None,
            f"Dealer {n % 300:03d}",
        )
        for n in range(count)
    ]


def register_file(rows: list[tuple[str, str, date, date | None, str]], *, xlsx: bool) -> bytes:
    if not xlsx:
        lines = [",".join(HEADER)] + [f"{v},{m},{p},{s or ''},{d}" for v, m, p, s, d in rows]
        return ("\n".join(lines) + "\n").encode()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def main(count: int, rounds: int, xlsx: bool) -> None:
    register_jobs()
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network = new_id()
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
        await seed.execute(
            text("INSERT INTO networks (id, code, name, time_zone) VALUES (:id, :code, 'VI', 'Asia/Shanghai')"),
            {"id": network, "code": f"VI{network.hex[-8:]}"},
        )
    rows = vehicles(count)
    content = register_file(rows, xlsx=xlsx)
    filename = "register.xlsx" if xlsx else "register.csv"
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=1)
    sessionmaker = make_sessionmaker(engine)
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network,
        actor_id=None,
        role="hq_admin",
        permissions=permissions_of(Role.HQ_ADMIN),
    )

    async def one_round() -> tuple[float, float, int]:
        async with scoped_session(sessionmaker, hq) as session:
            started = time.perf_counter()
            queued = await imports.start_import(session, hq, kind=VEHICLES, filename=filename, content=content)
            done = await imports.run_import(session, hq, import_id=queued.row.id)
            import_ms = (time.perf_counter() - started) * 1000
            written = done.rows_written or 0
            await session.rollback()
        records = [(new_id(), network, v, m, p, s, d) for v, m, p, s, d in rows]
        # COPY refuses tables under row-level security, so the plain COPY runs as the seed role (BYPASSRLS).
        async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
            connection = await seed.connection()
            raw = await connection.get_raw_connection()
            copy = raw.driver_connection.copy_records_to_table  # type: ignore[union-attr]
            started = time.perf_counter()
            await copy("vehicles", records=records, columns=COLUMNS)
            copy_ms = (time.perf_counter() - started) * 1000
            await seed.rollback()
        return import_ms, copy_ms, written

    await one_round()  # warm up
    results = [await one_round() for _ in range(rounds)]
    import_ms = statistics.median(r[0] for r in results)
    copy_ms = statistics.median(r[1] for r in results)
    written = results[0][2]
    print(f"Vehicle register import of {count:,} rows from {filename} ({rounds} rounds, medians; {written:,} written)")
    print(f"  COPY of the checked rows into vehicles (baseline)      {copy_ms:.0f} ms")
    ratio = import_ms / copy_ms
    print(
        f"  import: checks, staging COPY, set-based merge, journal  {import_ms:.0f} ms   ({ratio:.2f}x, target <= 2x)"
    )
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xlsx", action="store_true", help="upload an XLSX file instead of CSV")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.rounds, arguments.xlsx))
