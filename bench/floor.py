"""The per-request floor (issue 17): what the smallest GraphQL requests cost the server, against the app's own
`/health` in the same run, and what the garbage collector does to the tail.

    python bench/floor.py [--requests 3000] [--rounds 3]

The app in this process (the embedded servers, the demo network seeded), driven over ASGI by one client at
concurrency 1: `/health`, `{ __typename }`, and `{ viewer { email } }` as the demo's HQ admin. Each workload is
run with the interpreter's default collector and with the server's setting (`dealernet.app.tune_gc`: the
start-up heap frozen); interleaved rounds; req/s, p50 and p99 of each, and each
GraphQL workload's cost as a ratio to `/health`'s.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable

import httpx

from dealernet import provision
from dealernet.app import create_app, tune_gc
from dealernet.cli import _seed_demo
from dealernet.core.embedded import resolve_servers
from dealernet.core.settings import load_settings
from dealernet.tenants.demo import DEMO_PASSWORD
from dealernet.worker import register_jobs

DEFAULT_THRESHOLD = gc.get_threshold()


async def _timed(call: Callable[[], Awaitable[httpx.Response]], count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await call()
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return latencies


def _line(name: str, values: list[float]) -> str:
    p99 = statistics.quantiles(values, n=100)[-1]
    rate = len(values) / (sum(values) / 1000)
    return f"  {name:<34} {rate:7.0f} req/s   p50 {statistics.median(values):6.2f} ms   p99 {p99:6.2f} ms"


async def main(count: int, rounds: int) -> None:
    register_jobs()
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    await _seed_demo(settings, servers)  # once; again it adds nothing
    app = create_app(settings)
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (
                await client.post(
                    "/auth/token",
                    data={"grant_type": "password", "username": "hq@demo-motors.test", "password": DEMO_PASSWORD},
                )
            ).json()["access_token"]
            bearer = {"Authorization": f"Bearer {token}"}
            workloads = {
                "/health": lambda: client.get("/health"),
                "{ __typename }": lambda: client.post("/graphql", json={"query": "{ __typename }"}),
                "{ viewer { email } } (HQ admin)": lambda: client.post(
                    "/graphql", json={"query": "{ viewer { email } }"}, headers=bearer
                ),
            }
            results: dict[tuple[str, str], list[float]] = {}
            for _ in range(rounds):
                for setting in ("default collector", "tuned collector"):
                    gc.unfreeze()
                    gc.set_threshold(*DEFAULT_THRESHOLD)
                    if setting == "tuned collector":
                        tune_gc()
                    for name, call in workloads.items():
                        results.setdefault((setting, name), []).extend(await _timed(call, count))
    for setting in ("default collector", "tuned collector"):
        print(setting)
        health = statistics.median(results[(setting, "/health")])
        for name in workloads:
            values = results[(setting, name)]
            print(_line(name, values) + f"   {statistics.median(values) / health:5.1f}x /health")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
