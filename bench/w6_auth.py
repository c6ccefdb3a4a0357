"""W6 (../shared/BENCH.md): what authentication adds to a request, against the same work with a pre-built
scope, measured in one process and one run.

    python bench/w6_auth.py [--requests 3000]

Parts, each timed per request:
  verify      bearer header -> claims -> Scope (a token seen before: the verified-token cache)
  verify-new  the same for a token never seen (ES256 signature check)
  scope       one transaction: scope statement + `SELECT 1`, for a membership token (the statement also
              checks the membership is active) vs. a pre-built scope without that check (baseline)
Overhead per request = verify + (scope - baseline). Target: <= 0.15 ms.
Uses DEALERNET_DATABASE_URL / DEALERNET_REDIS_URL when set (else the embedded servers) and its own
database `dealernet_bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import time
from collections.abc import Awaitable, Callable

from sqlalchemy import select, text

from dealernet import provision
from dealernet.core import bootstrap
from dealernet.core.db import create_engine, make_sessionmaker
from dealernet.core.embedded import resolve_servers
from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.settings import load_settings
from dealernet.tenants.demo import DEMO_PASSWORD, seed_demo
from dealernet.tenants.http import authenticate
from dealernet.tenants.models import Membership
from dealernet.tenants.service import sign_in
from dealernet.tenants.service.keys import KeyStore
from dealernet.tenants.service.sign_in import claims_of, scope_for

DEMO_MANAGER = "manager@sh01.demo-motors.test"


async def timed(n: int, work: Callable[[], Awaitable[object]]) -> float:
    """Median of 5 rounds of n calls, in milliseconds per call."""
    return (await interleaved(n, work))[0]


async def interleaved(n: int, *works: Callable[[], Awaitable[object]], rounds: int = 7) -> list[float]:
    """Each work's median over `rounds` rounds of n calls, the works taking turns inside every round, so
    a slow patch of the machine hits them alike. Milliseconds per call."""
    times: list[list[float]] = [[] for _ in works]
    for _ in range(rounds):
        for index, work in enumerate(works):
            start = time.perf_counter()
            for _ in range(n):
                await work()
            times[index].append((time.perf_counter() - start) * 1000 / n)
    return [statistics.median(t) for t in times]


async def p99_while(
    work: Callable[[], Awaitable[object]], background: Callable[[], Awaitable[object]] | None, *, requests: int
) -> float:
    """p99 latency (ms) of `work` run by 4 concurrent callers, with 8 `background` calls (logins) looping
    beside them when given."""
    latencies: list[float] = []
    stop = asyncio.Event()

    async def caller() -> None:
        for _ in range(requests // 4):
            start = time.perf_counter()
            await work()
            latencies.append((time.perf_counter() - start) * 1000)

    async def login_loop() -> None:
        while not stop.is_set():
            assert background is not None
            await background()

    logins = [asyncio.create_task(login_loop()) for _ in range(8 if background else 0)]
    await asyncio.gather(*(caller() for _ in range(4)))
    stop.set()
    await asyncio.gather(*logins)
    return statistics.quantiles(latencies, n=100)[98]


async def main(requests: int) -> None:
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await provision.provision(settings, servers.postgres_admin_url)
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as session:
        await seed_demo(session)
        membership = (await session.scalars(select(Membership).where(Membership.role == "station_manager"))).first()
        assert membership is not None
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url), pool_size=2)
    sessionmaker = make_sessionmaker(engine)
    keys = KeyStore(settings)
    signer = await keys.current(sessionmaker)
    claims = claims_of(membership)
    header = f"Bearer {signer.issue(claims)}"
    member_scope = scope_for(claims)
    prebuilt = dataclasses.replace(member_scope, membership_id=None)  # same tenant, no active-check

    async def verify() -> object:
        return await authenticate(keys, sessionmaker, header)

    fresh = [f"Bearer {signer.issue(claims)}" for _ in range(requests)]
    tokens = iter(fresh * 5)

    async def verify_new() -> object:
        return await authenticate(keys, sessionmaker, next(tokens))

    def transaction(scope: object) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            async with sessionmaker(info={"scope": scope}) as session:
                result = await session.execute(text("SELECT 1"))
                await session.rollback()
                return result

        return run

    for work in (verify, transaction(member_scope), transaction(prebuilt)):  # warm up
        await timed(200, work)
    baseline, scoped = await interleaved(requests // 2, transaction(prebuilt), transaction(member_scope), rounds=10)
    cached = await timed(requests, verify)
    uncached = await timed(requests // 5, verify_new)
    overhead = cached + (scoped - baseline)

    async def login() -> object:
        async with sessionmaker(info={"scope": AUTH_SCOPE}) as session:
            pair = await sign_in.login(
                session, email=DEMO_MANAGER, password=DEMO_PASSWORD, signer=signer, refresh_days=1
            )
            await session.rollback()
            return pair

    async def request() -> object:
        found, _ = await verify()
        return await transaction(found)()

    quiet = await p99_while(request, None, requests=requests)
    busy = await p99_while(request, login, requests=requests)
    print(f"W6 authenticated request overhead ({requests} requests, medians of interleaved rounds)")
    print(f"  verify (known token)         {cached:.4f} ms")
    print(f"  verify (new token, ES256)    {uncached:.4f} ms")
    print(f"  transaction, pre-built scope {baseline:.4f} ms   (baseline)")
    print(f"  transaction, token's scope   {scoped:.4f} ms   ({scoped / baseline:.2f}x baseline)")
    print(f"  overhead per request         {overhead:.4f} ms   (target <= 0.15 ms)")
    print(f"  request p99, quiet           {quiet:.3f} ms")
    print(f"  request p99, 8 logins run    {busy:.3f} ms   ({busy / quiet:.2f}x quiet; argon2 runs in threads)")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
