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

from dealernet import bootstrap
from dealernet.db import create_engine, make_sessionmaker
from dealernet.embedded import resolve_servers
from dealernet.settings import load_settings
from dealernet.tenants.demo import seed_demo
from dealernet.tenants.http import authenticate
from dealernet.tenants.keys import KeyStore
from dealernet.tenants.models import Membership
from dealernet.tenants.service import claims_of, scope_for


async def timed(n: int, work: Callable[[], Awaitable[object]]) -> float:
    """Median of 5 rounds of n calls, in milliseconds per call."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            await work()
        rounds.append((time.perf_counter() - start) * 1000 / n)
    return statistics.median(rounds)


async def main(requests: int) -> None:
    settings = load_settings(database="dealernet_bench")
    servers = resolve_servers(settings)
    await bootstrap.bootstrap(settings, servers.postgres_admin_url)
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
    baseline = await timed(requests, transaction(prebuilt))
    scoped = await timed(requests, transaction(member_scope))
    cached = await timed(requests, verify)
    uncached = await timed(requests // 5, verify_new)
    overhead = cached + (scoped - baseline)
    print(f"W6 authenticated request overhead ({requests} requests, median of 5 rounds)")
    print(f"  verify (known token)         {cached:.4f} ms")
    print(f"  verify (new token, ES256)    {uncached:.4f} ms")
    print(f"  transaction, pre-built scope {baseline:.4f} ms   (baseline)")
    print(f"  transaction, token's scope   {scoped:.4f} ms   ({scoped / baseline:.2f}x baseline)")
    print(f"  overhead per request         {overhead:.4f} ms   (target <= 0.15 ms)")
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    asyncio.run(main(parser.parse_args().requests))
