"""The database connection of a request is terminated in the middle of it (a failover, an administrator's
pg_terminate_backend): the client gets a typed UNAVAILABLE to retry, never a bare HTTP 500, and the next
request is served on a fresh connection (issue 14 item 5). The app runs on an engine of its own, as in
production, against a network committed for the test."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from arq import ArqRedis
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dealernet.app import create_app
from dealernet.core.access import Role
from dealernet.core.bootstrap import app_url
from dealernet.core.db import async_url, create_engine, make_sessionmaker
from dealernet.core.embedded import Servers
from dealernet.core.scope import SEED_SCOPE, Scope
from dealernet.core.settings import Settings
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from tests.conftest import running_lifespan
from tests.factories import MembershipFactory, UserFactory, persist


@pytest.fixture
async def hq_token(engine: AsyncEngine, committed_network: Scope, signer: TokenSigner) -> AsyncIterator[str]:
    user = UserFactory.build()
    membership = MembershipFactory.build(user_id=user.id, network_id=committed_network.network_id)
    maker = make_sessionmaker(engine)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        await persist(session, user)
        await persist(session, membership)
        await session.commit()
    claims = AccessClaims(
        subject=user.id,
        network_id=committed_network.network_id,
        role=Role.HQ_ADMIN.value,
        membership_id=membership.id,
        second_factor=True,
    )
    yield signer.issue(claims)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        await session.execute(text("DELETE FROM memberships WHERE id = :m"), {"m": membership.id})
        await session.execute(text("DELETE FROM users WHERE id = :u"), {"u": user.id})
        await session.commit()


async def test_a_connection_terminated_mid_request_answers_unavailable_and_the_next_request_works(
    settings: Settings, servers: Servers, redis: ArqRedis, hq_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    app_engine = create_engine(app_url(settings, servers.postgres_admin_url))
    armed = {"kill": True}

    @event.listens_for(app_engine.sync_engine, "before_cursor_execute")
    def terminate(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if armed["kill"] and "FROM users" in statement:
            armed["kill"] = False
            conn.exec_driver_sql("RESET ROLE")  # as the login role, which may end its own backend
            conn.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")

    app = create_app(settings, sessionmaker=make_sessionmaker(app_engine), redis=redis)
    caplog.set_level(logging.ERROR)
    headers = {"Authorization": f"Bearer {hq_token}"}
    try:
        async with (
            running_lifespan(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
        ):
            # (the viewer's network has no SQL form, so the resolvers answer: the path this test is about)
            viewer = {"query": "{ viewer { email network { id } } }"}
            lost = await http.post("/graphql", json=viewer, headers=headers)
            again = await http.post("/graphql", json=viewer, headers=headers)
    finally:
        await app_engine.dispose()
    assert armed["kill"] is False  # the fault was injected
    assert lost.status_code == 200, lost.text
    assert [e["extensions"]["code"] for e in lost.json()["errors"]] == ["UNAVAILABLE"]
    assert again.status_code == 200
    assert again.json()["data"]["viewer"]["email"].endswith("@example.test")
    bare = [r for r in caplog.records if r.levelno >= logging.ERROR and "unexpected error" in r.getMessage()]
    assert not [r for r in bare if r.name == "dealernet.http"], "answered as a bare 500"


async def test_a_compiled_page_on_a_connection_that_died_in_the_pool_is_read_again_on_a_new_one(
    settings: Settings, servers: Servers, redis: ArqRedis, hq_token: str
) -> None:
    """The API pings no connection at checkout (a round trip per request): a page read on a connection that
    died while pooled runs once more on a fresh one, and the client never sees the failover."""
    app_engine = create_engine(app_url(settings, servers.postgres_admin_url), pre_ping=False)
    pids: list[int] = []

    @event.listens_for(app_engine.sync_engine, "connect")
    def remember(dbapi_connection: Any, _: Any) -> None:
        pids.append(dbapi_connection.driver_connection.get_server_pid())

    app = create_app(settings, sessionmaker=make_sessionmaker(app_engine), redis=redis)
    headers = {"Authorization": f"Bearer {hq_token}"}
    page = {"query": "{ parts(first: 5) { edges { node { id } } pageInfo { hasNextPage } } }"}
    admin = create_engine(async_url(servers.postgres_admin_url, database=settings.database_name), pool_size=1)
    try:
        async with (
            running_lifespan(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
        ):
            before = await http.post("/graphql", json=page, headers=headers)
            async with admin.connect() as connection:
                killed = await connection.scalar(
                    text("SELECT count(pg_terminate_backend(p)) FROM unnest(CAST(:p AS int[])) AS p"), {"p": pids}
                )
            after = await http.post("/graphql", json=page, headers=headers)
            viewer = await http.post("/graphql", json={"query": "{ viewer { email } }"}, headers=headers)
    finally:
        await app_engine.dispose()
        await admin.dispose()
    assert killed == 1  # the pooled connection was terminated
    assert before.headers["server-timing"].startswith("compiled")
    assert after.status_code == 200
    assert after.headers["server-timing"].startswith("compiled")
    assert after.json() == before.json() == {"data": {"parts": {"edges": [], "pageInfo": {"hasNextPage": False}}}}
    assert len(pids) == 2  # the page was read again on a new connection
    assert viewer.json()["data"]["viewer"]["email"].endswith("@example.test")
