"""The slice of the foundation issue, over HTTP, exactly as a newcomer meets it after `make demo`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from arq import ArqRedis
from obstore.store import MemoryStore
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.network.demo import DEMO_APPLICANT_LOGIN, seed_demo_onboarding
from dealernet.policy.demo import seed_demo_policy
from dealernet.tenants.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, seed_demo
from dealernet.worker import HEARTBEAT_KEY
from tests.factories import network_today

VIEWER = "{ viewer { id email network { id name } station { id code name } } }"
STATIONS = "{ stations(first: 20) { edges { node { id code name } } pageInfo { hasNextPage endCursor } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on Station { code } } }"


async def login(client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD) -> httpx.Response:
    return await client.post("/auth/token", data={"grant_type": "password", "username": username, "password": password})


async def bearer(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    response = await login(client, username)
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def ask(client: httpx.AsyncClient, query: str, headers: dict[str, str], **variables: Any) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
async def demo(seed: AsyncSession) -> None:
    await seed_demo(seed)
    await seed.flush()


@pytest.mark.usefixtures("demo")
async def test_login_answers_an_oauth2_token_response(client: httpx.AsyncClient) -> None:
    response = await login(client, "hq@demo-motors.test")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.usefixtures("demo")
async def test_wrong_password_and_unknown_user_get_the_same_answer(client: httpx.AsyncClient) -> None:
    wrong = await login(client, "hq@demo-motors.test", "not-the-password")
    unknown = await login(client, "nobody@demo-motors.test", "not-the-password")

    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": "invalid_grant", "error_description": "invalid username or password"}
    )


@pytest.mark.usefixtures("demo")
async def test_hq_viewer_has_a_network_and_no_station(client: httpx.AsyncClient) -> None:
    body = await ask(client, VIEWER, await bearer(client, "hq@demo-motors.test"))

    viewer = body["data"]["viewer"]
    assert viewer["email"] == "hq@demo-motors.test"
    assert viewer["network"]["name"] == "Demo Motors"
    assert viewer["station"] is None


@pytest.mark.usefixtures("demo")
async def test_station_viewer_sees_its_station(client: httpx.AsyncClient) -> None:
    body = await ask(client, VIEWER, await bearer(client, "manager@sh01.demo-motors.test"))

    assert body["data"]["viewer"]["station"]["code"] == "SH01"
    assert body["data"]["viewer"]["network"]["name"] == "Demo Motors"


@pytest.mark.usefixtures("demo")
async def test_hq_lists_both_stations_and_a_station_only_itself(client: httpx.AsyncClient) -> None:
    hq = await ask(client, STATIONS, await bearer(client, "hq@demo-motors.test"))
    sh01 = await ask(client, STATIONS, await bearer(client, "manager@sh01.demo-motors.test"))

    assert [e["node"]["code"] for e in hq["data"]["stations"]["edges"]] == ["BJ02", "SH01"]
    assert hq["data"]["stations"]["pageInfo"]["hasNextPage"] is False
    assert [e["node"]["code"] for e in sh01["data"]["stations"]["edges"]] == ["SH01"]


@pytest.mark.usefixtures("demo")
async def test_node_of_another_station_is_null_like_a_missing_id(client: httpx.AsyncClient) -> None:
    hq = await ask(client, STATIONS, await bearer(client, "hq@demo-motors.test"))
    ids = {e["node"]["code"]: e["node"]["id"] for e in hq["data"]["stations"]["edges"]}
    sh01 = await bearer(client, "manager@sh01.demo-motors.test")

    own = await ask(client, NODE, sh01, id=ids["SH01"])
    other = await ask(client, NODE, sh01, id=ids["BJ02"])
    missing = await ask(client, NODE, sh01, id=ids["BJ02"][:-4] + "AAAA")

    assert own == {"data": {"node": {"id": ids["SH01"], "code": "SH01"}}}
    assert other == missing == {"data": {"node": None}}


@pytest.mark.usefixtures("demo")
async def test_without_token_viewer_is_null_and_protected_fields_are_unauthenticated(
    client: httpx.AsyncClient,
) -> None:
    viewer = await ask(client, VIEWER, {})
    stations = await ask(client, STATIONS, {})

    assert viewer == {"data": {"viewer": None}}
    assert stations["data"] is None
    assert [e["extensions"]["code"] for e in stations["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.usefixtures("demo")
async def test_refresh_rotates_and_a_replayed_token_revokes_the_family(client: httpx.AsyncClient) -> None:
    first = (await login(client, "hq@demo-motors.test")).json()["refresh_token"]

    rotated = await client.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": first})
    replayed = await client.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": first})
    after_theft = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": rotated.json()["refresh_token"]}
    )

    assert rotated.status_code == 200
    assert rotated.json()["refresh_token"] != first
    assert replayed.status_code == 401
    assert after_theft.status_code == 401


async def test_health_ready_and_metrics(client: httpx.AsyncClient, redis: ArqRedis) -> None:
    await ask(client, "query Probe { viewer { id } }", {})
    await redis.delete(HEARTBEAT_KEY)
    no_worker = await client.get("/ready")  # issue 14 item 19: it answered 200 while jobs piled up
    await redis.set(HEARTBEAT_KEY, (datetime.now(UTC) - timedelta(minutes=5)).isoformat())
    stalled = await client.get("/ready")
    await redis.set(HEARTBEAT_KEY, datetime.now(UTC).isoformat())

    health = await client.get("/health")
    ready = await client.get("/ready")
    metrics = await client.get("/metrics")

    assert (no_worker.status_code, no_worker.json()["worker"]) == (503, "no worker has beaten in 10 minutes")
    assert stalled.status_code == 503
    assert stalled.json()["worker"].startswith("stalled: last beat")
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "database": "ok", "migrations": "ok", "redis": "ok", "worker": "ok"}
    assert 'dealernet_graphql_operations_total{operation="Probe",outcome="ok",type="query"}' in metrics.text
    assert "dealernet_graphql_operation_seconds_bucket" in metrics.text
    assert 'requests_total{app_name="dealernet",method="GET",path="/ready",status_code="200"}' in metrics.text


async def test_every_response_carries_a_request_id(client: httpx.AsyncClient) -> None:
    given = await client.get("/health", headers={"X-Request-ID": "trace-123"})
    made = await client.get("/health")

    assert given.headers["x-request-id"] == "trace-123"
    assert len(made.headers["x-request-id"]) == 32


async def test_graphiql_is_served_in_development(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_queries_via_get_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", params={"query": "{ viewer { id } }"})

    assert response.status_code == 400
    assert "data" not in response.text


async def test_a_form_post_is_not_executed(client: httpx.AsyncClient) -> None:
    response = await client.post("/graphql", data={"query": "{ viewer { id } }"})

    assert response.status_code in (400, 415)


@pytest.mark.usefixtures("demo")
async def test_the_demo_supplier_client_gets_a_token(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    )
    assert response.status_code == 200, response.text
    assert set(response.json()) == {"access_token", "token_type", "expires_in"}


async def test_the_demo_policy_as_station_sh01_sees_it(client: httpx.AsyncClient, seed: AsyncSession) -> None:
    await seed_demo_policy(seed, await seed_demo(seed))
    sh01 = await bearer(client, "manager@sh01.demo-motors.test")
    bj02 = await bearer(client, "manager@bj02.demo-motors.test")
    listing = "{ publications(first: 20) { edges { node { kind phase } } } }"
    sh01_sees = [e["node"] for e in (await ask(client, listing, sh01))["data"]["publications"]["edges"]]
    assert {"kind": "PRICE_LIST", "phase": "ANNOUNCED"} in sh01_sees
    assert len(sh01_sees) == 7
    assert len((await ask(client, listing, bj02))["data"]["publications"]["edges"]) == 6
    ids = (
        '{ parts(first: 10, search: "BP-3501") { edges { node { id } } } '
        "labourOperations(first: 10) { edges { node { id code } } } }"
    )
    found = (await ask(client, ids, sh01))["data"]
    part = found["parts"]["edges"][0]["node"]["id"]
    operation = next(e["node"]["id"] for e in found["labourOperations"]["edges"] if e["node"]["code"] == "BR-0101")
    today = network_today().isoformat()
    as_of = """query($p: ID!, $o: ID!, $on: Date!) { policyAsOf(on: $on, partId: $p, operationId: $o) {
      price { listPrice } labourRate { hourlyRate } labourAmount coverage { months km } } }"""
    assert (await ask(client, as_of, sh01, p=part, o=operation, on=today))["data"]["policyAsOf"] == {
        "price": {"listPrice": "420.00"},
        "labourRate": {"hourlyRate": "110.00"},
        "labourAmount": "132.00",
        "coverage": {"months": 12, "km": 30000},
    }


async def test_the_demo_pipeline(client: httpx.AsyncClient, seed: AsyncSession) -> None:
    network = await seed_demo(seed)
    await seed_demo_policy(seed, network)
    await seed_demo_onboarding(seed, network, DEMO_PASSWORD, MemoryStore())
    hq = await bearer(client, "hq@demo-motors.test")
    pipeline = "{ applications(first: 10) { edges { node { stage stageLabel { zh } } } } }"
    stages = [e["node"]["stage"] for e in (await ask(client, pipeline, hq))["data"]["applications"]["edges"]]
    assert sorted(stages) == ["ACTIVE", "APPROVED", "DRAFT", "RECTIFICATION", "RESERVE", "SHORTLISTED", "SUBMITTED"]
    applicant = await bearer(client, DEMO_APPLICANT_LOGIN)
    mine = (await ask(client, "{ myApplication { stage missingForSubmission } }", applicant))["data"]["myApplication"]
    assert mine == {"stage": "DRAFT", "missingForSubmission": ["siteAddress", "BUSINESS_LICENCE", "TAX_REGISTRATION"]}
    assert len((await ask(client, pipeline, applicant))["data"]["applications"]["edges"]) == 1
