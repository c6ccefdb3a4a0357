"""Issue 14 item 20: while Redis is down nobody could log in (500), and registration and an import's progress
answered INTERNAL. Decided per path: sign-in and registration answer a clear 503 / UNAVAILABLE with
Retry-After (a throttle without its counters cannot tell a guess from a login, and the public form stays
limited or closed, never unlimited); an import's progress is simply not shown. The Redis here is one that
is not there: a port nothing listens on (the shared server is never stopped)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.app import create_app
from dealernet.core.db import new_id
from dealernet.core.settings import Settings
from dealernet.policy.service import imports
from tests.conftest import Tenants, free_port, graphql, running_lifespan
from tests.factories import PASSWORD


@pytest.fixture
async def without_redis(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[httpx.AsyncClient]:
    gone = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    app = create_app(settings, sessionmaker=sessionmaker, redis=gone)
    async with (
        running_lifespan(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
    ):
        yield http
    await gone.aclose()


async def test_sign_in_answers_503_with_retry_after(without_redis: httpx.AsyncClient, tenants: Tenants) -> None:
    form = {"grant_type": "password", "username": tenants.manager_a.email, "password": PASSWORD}
    answer = await without_redis.post("/auth/token", data=form)
    assert answer.status_code == 503, answer.text
    assert answer.json()["error"] == "temporarily_unavailable"
    assert int(answer.headers["Retry-After"]) > 0


async def test_registration_answers_unavailable(without_redis: httpx.AsyncClient) -> None:
    query = """mutation { registerApplicant(input: {networkCode: "X", companyName: "Y", email: "y@y.test"}) {
      __typename } }"""
    body = await graphql(without_redis, query)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAVAILABLE"]


async def test_an_imports_progress_is_not_shown_rather_than_an_error() -> None:
    gone = ArqRedis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5)
    try:
        assert await imports.read_progress(gone, new_id()) is None
        await imports.redis_progress(gone, new_id())(1, 2)  # the job goes on
    finally:
        await gone.aclose()


async def test_what_needs_no_redis_keeps_working(without_redis: httpx.AsyncClient, tenants: Tenants) -> None:
    body = await graphql(without_redis, "{ viewer { role } }", tenants.manager_a)
    assert body["data"]["viewer"]["role"] == "station_manager"
