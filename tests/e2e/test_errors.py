"""Unexpected failures leave as INTERNAL with a fixed message: no SQL, stack or data (SECURITY.md GQL-9)."""

from __future__ import annotations

import time

import httpx
import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.tenants.service import directory
from tests.conftest import Tenants

# A station's region has no SQL form, so the resolvers answer this page: the path these tests break on purpose.
STATIONS = "{ stations(first: 5) { edges { node { code region { code } } } } }"


@pytest.mark.parametrize(
    "failure",
    [
        ProgrammingError("SELECT secret_column FROM stations", {}, Exception("relation does not exist")),
        KeyError("owner_phone=13800000000"),
        TimeoutError("canceling statement due to statement timeout"),
    ],
)
async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    client: httpx.AsyncClient, tenants: Tenants, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(directory, "list_stations", broken)
    with structlog.testing.capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        response = await client.post(
            "/graphql", json={"query": STATIONS}, headers={**tenants.hq_x.headers, "X-Request-ID": "req-42"}
        )

    body = response.json()
    assert response.status_code == 200
    assert body["errors"] == [
        {
            "message": "Internal server error",
            "locations": [{"line": 1, "column": 3}],
            "path": ["stations"],
            "extensions": {"code": "INTERNAL"},
        }
    ]
    for secret in ("secret_column", "13800000000", "statement timeout", "Traceback"):
        assert secret not in response.text
    assert [(entry["event"], entry["request_id"]) for entry in logs] == [("unexpected error in resolver", "req-42")]


async def test_a_statement_past_the_timeout_answers_timeout_and_the_connection_is_reused(
    client: httpx.AsyncClient, tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECURITY.md GQL-9 and INT-7 with a real PostgreSQL statement_timeout."""
    real = directory.list_stations

    async def slow(session: AsyncSession, *args: object, **kwargs: object) -> object:
        await session.execute(text("SET LOCAL statement_timeout = '100ms'"))
        await session.execute(text("SELECT pg_sleep(5)"))
        raise AssertionError("the statement should have been cancelled")

    monkeypatch.setattr(directory, "list_stations", slow)
    started = time.monotonic()
    response = await client.post("/graphql", json={"query": STATIONS}, headers=tenants.hq_x.headers)
    elapsed = time.monotonic() - started

    assert elapsed < 3
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["TIMEOUT"]
    for leak in ("pg_sleep", "statement_timeout", "canceling", "Traceback"):
        assert leak not in response.text

    monkeypatch.setattr(directory, "list_stations", real)
    again = await client.post("/graphql", json={"query": STATIONS}, headers=tenants.hq_x.headers)
    assert "errors" not in again.json()
    assert {e["node"]["code"] for e in again.json()["data"]["stations"]["edges"]} == {"SH01", "BJ02"}


async def test_text_postgresql_cannot_store_is_a_validation_error(client: httpx.AsyncClient, tenants: Tenants) -> None:
    """A NUL character in an argument reaches PostgreSQL, which refuses it: the client's input, so VALIDATION
    (found by the GQL-10 fuzzer), and the next request on the connection works."""
    query = "query($m: String!) { serviceBom(vehicleModel: $m) { quantity } }"
    plain = await client.post(
        "/graphql", json={"query": query, "variables": {"m": "J6P"}}, headers=tenants.hq_x.headers
    )
    assert plain.json() == {"data": {"serviceBom": []}}
    response = await client.post(
        "/graphql", json={"query": query, "variables": {"m": "J6P\u0000"}}, headers=tenants.hq_x.headers
    )
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["VALIDATION"]
    assert "0x00" not in response.text
    again = await client.post("/graphql", json={"query": STATIONS}, headers=tenants.hq_x.headers)
    assert "errors" not in again.json()


# A cursor that decodes (base64 of a JSON list of two strings) but holds no timestamp or date.
NOT_A_TIME = "WyJub3QgYSBkYXRlIiwgIngiXQ=="
TIMED_LISTS = (
    "imports", "notifications", "partsOrders", "claims", "claimReviewQueue", "preauthorisations", "partReturns",
    "recoveryClaims", "settlements", "recoveryStatements", "repairOrders", "applications", "publications",
)  # fmt: skip


@pytest.mark.parametrize("root", TIMED_LISTS)
async def test_a_cursor_without_a_time_is_a_validation_error_on_every_list(
    client: httpx.AsyncClient, tenants: Tenants, root: str
) -> None:
    """Found by the compiled pages' corpus: such a cursor made the lists answer INTERNAL (a ValueError)."""
    query = f'{{ {root}(first: 2, after: "{NOT_A_TIME}") {{ edges {{ cursor }} }} }}'
    body = (await client.post("/graphql", json={"query": query}, headers=tenants.hq_x.headers)).json()

    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"], body
