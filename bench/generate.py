"""The data set the workshop, claims and fast-path benchmarks stand on (issue 15): one network with 300
stations in 6 regions, 3,000 parts, 200 labour operations, 200,000 vehicles, 20 customers per station and
50,000 repair orders of 1 to 5 lines — a fixed seed, so every run builds the same rows, written with COPY.

    python bench/generate.py [--scale 1.0] [--seed 7] [--database dealernet_bench]

`--scale` multiplies stations, parts, vehicles and repair orders. Prints the counts and the time taken
(target: under two minutes at scale 1). Uses DEALERNET_DATABASE_URL (else the embedded server); the
network it builds is new each run (code GEN-<n>), so runs add up in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from sqlalchemy import text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.db import new_id
from dealernet.core.embedded import resolve_servers
from dealernet.core.settings import load_settings
from dealernet.workshop.rules import check_digit, customer_notice_at, repair_order_number

GROUPS = ("BRAKES", "ENGINE", "BODY", "CHASSIS", "ELECTRICAL", "TRANSMISSION")
MODELS = ("J6P", "J7", "JH6", "T5")
SERVICE_TYPES = ("paid", "paid", "warranty", "contract", "internal")
STATUSES = ("handed_over",) * 7 + ("settled", "completed", "in_work", "received", "cancelled")


def vin(rng: random.Random, serial: int) -> str:
    body = f"LGN{rng.choice(MODELS):0<5}0T{rng.randint(1, 9)}{serial:06d}"[:17].ljust(17, "0")
    return body[:8] + check_digit(body) + body[9:]


async def copy(connection: Any, table: str, columns: Sequence[str], records: list[tuple[Any, ...]]) -> None:
    await connection.copy_records_to_table(table, records=records, columns=list(columns))


async def main(scale: float, seed: int, database: str) -> None:
    started = time.perf_counter()
    rng = random.Random(seed)
    counts = {
        "stations": int(300 * scale),
        "parts": int(3_000 * scale),
        "operations": 200,
        "vehicles": int(200_000 * scale),
        "repair_orders": int(50_000 * scale),
    }
    settings = load_settings(database=database)
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    network = new_id()
    today = datetime.now(UTC).date()
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed_session:
        connection = (await (await seed_session.connection()).get_raw_connection()).driver_connection
        number = await seed_session.scalar(text("SELECT count(*) + 1 FROM networks WHERE code LIKE 'GEN-%'"))
        await copy(
            connection,
            "networks",
            ("id", "code", "name", "time_zone"),
            [(network, f"GEN-{number}", f"Generated network {number}", "Asia/Shanghai")],
        )
        regions = [(new_id(), network, f"R{n}", f"Region {n}") for n in range(6)]
        await copy(connection, "regions", ("id", "network_id", "code", "name"), regions)
        stations = [
            (new_id(), network, f"GEN{n:04d}", f"Station {n}", "City", "active", regions[n % 6][0], "ABC"[n % 3])
            for n in range(counts["stations"])
        ]
        await copy(
            connection,
            "stations",
            ("id", "network_id", "code", "name", "city", "status", "region_id", "tier"),
            stations,
        )
        parts = [
            (new_id(), network, f"P-{n:06d}", f"零件{n}", f"Part {n}", GROUPS[n % len(GROUPS)], "EA")
            for n in range(counts["parts"])
        ]
        await copy(
            connection,
            "parts",
            ("id", "network_id", "part_number", "name_zh", "name_en", "component_group", "unit"),
            parts,
        )
        operations = [
            (
                new_id(),
                network,
                f"OP-{n:04d}",
                f"Operation {n}",
                Decimal(f"{rng.randint(3, 60) / 10:.2f}"),
                GROUPS[n % len(GROUPS)],
            )
            for n in range(counts["operations"])
        ]
        await copy(
            connection,
            "labour_operations",
            ("id", "network_id", "code", "description", "flat_rate_hours", "component_group"),
            operations,
        )
        vehicles = []
        for n in range(counts["vehicles"]):
            built = today - timedelta(days=rng.randint(30, 1_500))
            sold = built + timedelta(days=rng.randint(7, 120)) if rng.random() < 0.9 else None
            sold = sold if sold is None or sold <= today else None
            vehicles.append((new_id(), network, vin(rng, n), rng.choice(MODELS), built, sold, f"Dealer {n % 500}"))
        await copy(
            connection,
            "vehicles",
            ("id", "network_id", "vin", "model", "production_date", "sale_date", "selling_dealer"),
            vehicles,
        )
        customers: dict[UUID, list[UUID]] = {}
        customer_rows = []
        for station in stations:
            ids = [new_id() for _ in range(20)]
            customers[station[0]] = ids
            customer_rows += [
                (station[0], c, network, f"客户{k}", f"139{rng.randint(0, 99_999_999):08d}") for k, c in enumerate(ids)
            ]
        await copy(connection, "customers", ("station_id", "id", "network_id", "name", "phone"), customer_rows)
        orders, lines, counters = [], [], {}
        sold_vehicles = [v for v in vehicles if v[5] is not None]
        for n in range(counts["repair_orders"]):
            station = stations[n % len(stations)][0]
            seq = counters[station] = counters.get(station, 0) + 1
            vehicle = rng.choice(sold_vehicles)
            received = datetime.combine(today - timedelta(days=rng.randint(0, 365)), datetime.min.time(), UTC)
            received += timedelta(hours=rng.randint(8, 17))
            status = rng.choice(STATUSES)
            done = (
                received + timedelta(hours=rng.randint(2, 48))
                if status in ("completed", "settled", "handed_over")
                else None
            )
            order = new_id()
            orders.append(
                (
                    station,
                    order,
                    network,
                    repair_order_number(received.year, seq),
                    status,
                    vehicle[0],
                    rng.choice(customers[station]),
                    "walk_in",
                    rng.randint(1_000, 150_000),
                    rng.randint(0, 8),
                    "客户描述的故障",
                    received + timedelta(hours=6),
                    customer_notice_at(received, received + timedelta(hours=6)),
                    received,
                    done,
                    done if status in ("settled", "handed_over") else None,
                    done if status == "handed_over" else None,
                )
            )
            for position in range(1, rng.randint(1, 5) + 1):
                labour = rng.random() < 0.5
                operation, part = (rng.choice(operations), None) if labour else (None, rng.choice(parts))
                quantity = operation[4] if operation else Decimal(rng.randint(1, 4))
                price = Decimal("110.00") if labour else Decimal(f"{rng.randint(20, 2_000)}.00")
                lines.append(
                    (
                        station,
                        new_id(),
                        network,
                        order,
                        position,
                        "labour" if labour else "part",
                        rng.choice(SERVICE_TYPES),
                        operation[0] if operation else None,
                        part[0] if part else None,
                        quantity,
                        price,
                        (quantity * price).quantize(Decimal("0.01")),
                        "consented",
                    )
                )
        await copy(
            connection,
            "repair_orders",
            (
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
                "settled_at",
                "handed_over_at",
            ),
            orders,
        )
        await copy(
            connection,
            "repair_order_lines",
            (
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
            ),
            lines,
        )
        await copy(
            connection,
            "station_counters",
            ("station_id", "series", "network_id", "value"),
            [(s, f"repair_order:{today.year}", network, v) for s, v in counters.items()],
        )
        await seed_session.commit()
    elapsed = time.perf_counter() - started
    print(f"network GEN-{number} ({network}), seed {seed}, scale {scale}")
    for name, value in {**counts, "customers": len(customer_rows), "repair_order_lines": len(lines)}.items():
        print(f"  {name:<20} {value:>9,}")
    print(f"  built in {elapsed:.1f} s (target: under 120 s at scale 1)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default="dealernet_bench")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.scale, arguments.seed, arguments.database))
