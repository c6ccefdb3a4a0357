"""SECURITY.md ISO-9: a pool of two connections, thousands of interleaved requests from two stations, two
HQs and a partner client, one in ten cancelled mid-flight. No response carries another tenant's rows, and
afterwards no connection is left inside a transaction.

Unlike the rest of the suite this test commits its tenants (the app runs on its own pool, so it cannot
share the test's transaction) and deletes them at the end.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

import httpx
import pytest
from arq import ArqRedis
from sqlalchemy import text
from strawberry import relay

from dealernet.app import create_app
from dealernet.core import bootstrap
from dealernet.core.access import Role
from dealernet.core.db import TEST_LOGIN_ROLE, create_engine, make_sessionmaker
from dealernet.core.embedded import Servers
from dealernet.core.settings import Settings
from dealernet.tenants.models import ApiClient, PartnerKind
from dealernet.tenants.service.partners import link_partner
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from tests.conftest import running_lifespan
from tests.factories import MembershipFactory, NetworkFactory, StationFactory, UserFactory, persist

REQUESTS = 2000
CONCURRENCY = 24
CANCEL_SHARE = 0.1
STATIONS = "{ stations(first: 100) { edges { node { id } } } }"
PARTNER = "query($id: ID!) { node(id: $id) { id } }"


@dataclass(frozen=True)
class Caller:
    name: str
    token: str
    query: str
    ids: frozenset[str]  # the ids it must see, exactly
    variables: dict[str, str] | None = None


def gid(type_name: str, value: UUID) -> str:
    return str(relay.GlobalID(type_name, str(value)))


@pytest.fixture
async def committed_world(
    settings: Settings, servers: Servers, engine: object, signer: TokenSigner
) -> AsyncIterator[list[Caller]]:
    net_x, net_y = (
        NetworkFactory.build(code=f"P9X{random.randrange(10**6)}"),
        NetworkFactory.build(code=f"P9Y{random.randrange(10**6)}"),
    )
    a, b = StationFactory.build(network_id=net_x.id), StationFactory.build(network_id=net_x.id)
    c = StationFactory.build(network_id=net_y.id)
    people = [
        ("manager A", net_x.id, a.id, Role.STATION_MANAGER),
        ("manager B", net_x.id, b.id, Role.STATION_MANAGER),
        ("HQ X", net_x.id, None, Role.HQ_ADMIN),
        ("HQ Y", net_y.id, None, Role.HQ_ADMIN),
    ]
    callers: list[Caller] = []
    async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
        await persist(seed, net_x, net_y)
        await persist(seed, a, b, c)
        partner = await link_partner(
            seed, network_id=net_x.id, code=f"P9{random.randrange(10**6)}", name="P", kind=PartnerKind.SUPPLIER
        )
        client = ApiClient(
            id=UserFactory.build().id,
            client_id=f"iso9_{random.randrange(10**9)}",
            network_id=net_x.id,
            partner_id=partner.id,
            name="P client",
            secret_hash="-",
            scopes=["parts:read"],
            allow_list_only=False,
            is_active=True,
        )
        await persist(seed, client)
        sees = {
            "manager A": {gid("Station", a.id)},
            "manager B": {gid("Station", b.id)},
            "HQ X": {gid("Station", a.id), gid("Station", b.id)},
            "HQ Y": {gid("Station", c.id)},
        }
        for name, network, station, role in people:
            user = UserFactory.build()
            membership = MembershipFactory.build(user_id=user.id, network_id=network, station_id=station, role=role)
            await persist(seed, user)
            await persist(seed, membership)
            claims = AccessClaims(
                subject=user.id,
                network_id=network,
                role=role.value,
                membership_id=membership.id,
                station_id=station,
                second_factor=True,
            )
            callers.append(Caller(name, signer.issue(claims), STATIONS, frozenset(sees[name])))
        client_claims = AccessClaims(
            subject=client.id,
            network_id=net_x.id,
            role="partner_client",
            partner_id=partner.id,
            client_id=client.id,
            scopes=("parts:read",),
        )
        callers.append(
            Caller(
                "partner P",
                signer.issue(client_claims),
                PARTNER,
                frozenset({gid("Partner", partner.id)}),
                {"id": gid("Partner", partner.id)},
            )
        )
    try:
        yield callers
    finally:
        async with bootstrap.seed_session(settings, servers.postgres_admin_url) as seed:
            networks = {"x": net_x.id, "y": net_y.id}
            users = (
                (
                    await seed.execute(
                        text("DELETE FROM memberships WHERE network_id IN (:x, :y) RETURNING user_id"), networks
                    )
                )
                .scalars()
                .all()
            )
            await seed.execute(text("DELETE FROM users WHERE id = ANY(:ids)"), {"ids": list(users)})
            await seed.execute(text("DELETE FROM api_clients WHERE network_id IN (:x, :y)"), networks)
            partners = (
                (
                    await seed.execute(
                        text("DELETE FROM partner_networks WHERE network_id IN (:x, :y) RETURNING partner_id"), networks
                    )
                )
                .scalars()
                .all()
            )
            await seed.execute(text("DELETE FROM partners WHERE id = ANY(:ids)"), {"ids": list(partners)})
            await seed.execute(text("DELETE FROM stations WHERE network_id IN (:x, :y)"), networks)
            await seed.execute(text("DELETE FROM networks WHERE id IN (:x, :y)"), networks)


async def test_iso9_interleaved_and_cancelled_requests_on_a_pool_of_two(
    settings: Settings, servers: Servers, committed_world: list[Caller], redis: ArqRedis
) -> None:
    engine = create_engine(
        bootstrap.app_url(settings, servers.postgres_admin_url, login=TEST_LOGIN_ROLE), pool_size=2, max_overflow=0
    )
    app = create_app(settings, sessionmaker=make_sessionmaker(engine), redis=redis)
    leaks: list[tuple[str, object]] = []
    done = cancelled = 0
    rng = random.Random(9)

    async with (
        running_lifespan(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
    ):

        async def one(caller: Caller) -> None:
            nonlocal done
            response = await http.post(
                "/graphql",
                json={"query": caller.query, "variables": caller.variables or {}},
                headers={"Authorization": f"Bearer {caller.token}"},
            )
            body = response.json()
            data = body.get("data") or {}
            seen = {edge["node"]["id"] for edge in (data.get("stations") or {}).get("edges", [])}
            seen |= {data["node"]["id"]} if data.get("node") else set()
            if seen != caller.ids:
                leaks.append((caller.name, body))
            done += 1

        async def worker(jobs: list[Caller]) -> None:
            nonlocal cancelled
            for caller in jobs:
                task = asyncio.create_task(one(caller))
                if rng.random() < CANCEL_SHARE:
                    await asyncio.sleep(rng.random() * 0.004)
                    task.cancel()
                try:
                    await task
                except asyncio.CancelledError:
                    cancelled += 1

        schedule = [committed_world[i % len(committed_world)] for i in range(REQUESTS)]
        rng.shuffle(schedule)
        await asyncio.gather(*(worker(schedule[i::CONCURRENCY]) for i in range(CONCURRENCY)))

    idle_in_transaction = await _admin_scalar(
        settings,
        servers,
        "SELECT count(*) FROM pg_stat_activity WHERE usename = :login AND state LIKE 'idle in transaction%'",
    )
    checked_out = engine.pool.checkedout()  # type: ignore[attr-defined]
    await engine.dispose()

    print(f"ISO-9: requests {REQUESTS}, answered {done}, cancelled {cancelled}, leaks {len(leaks)}")
    assert leaks == []
    assert cancelled > REQUESTS * CANCEL_SHARE / 4  # the schedule really did cancel requests mid-flight
    assert done + cancelled == REQUESTS
    assert idle_in_transaction == 0
    assert checked_out == 0


async def _admin_scalar(settings: Settings, servers: Servers, sql: str) -> int:
    engine = create_engine(
        bootstrap.async_url(servers.postgres_admin_url, database=settings.database_name), pool_size=1
    )
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql), {"login": TEST_LOGIN_ROLE})).scalar() or 0)
    finally:
        await engine.dispose()
