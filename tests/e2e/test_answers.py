"""Issue 14 item 5: malformed or unlucky requests get the same typed answer as their well-formed neighbours
— never HTTP 500, never INTERNAL for a client's mistake, and not logged as unexpected."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.core.db import new_id
from tests.conftest import PartnerWorld, Tenants, graphql
from tests.e2e.test_identity import ask, token
from tests.factories import PASSWORD, network_today


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors") or []]


@pytest.fixture
def unexpected(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.ERROR)
    return caplog


def no_unexpected_errors(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == [], logged


async def test_a_forbidden_field_beside_an_allowed_one(
    client: httpx.AsyncClient, tenants: Tenants, unexpected: pytest.LogCaptureFixture
) -> None:
    query = (
        "{ publications(first: 20) { edges { node { id labourRates { regionId } deliveryCounts { delivered } } } } }"
    )
    response = await client.post("/graphql", json={"query": query}, headers=tenants.manager_a.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(codes(body)) <= {"FORBIDDEN"}
    no_unexpected_errors(unexpected)


@pytest.mark.parametrize("payload", [b"null", b'"hello"', b"1", b"[]", b"{", b""])
async def test_a_body_that_is_no_graphql_request(
    client: httpx.AsyncClient, tenants: Tenants, payload: bytes, unexpected: pytest.LogCaptureFixture
) -> None:
    response = await client.post(
        "/graphql", content=payload, headers={**tenants.hq_x.headers, "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    no_unexpected_errors(unexpected)


@pytest.mark.parametrize("field", ["username", "password", "client_id", "client_secret"])
async def test_a_nul_in_the_token_endpoint(
    client: httpx.AsyncClient, tenants: Tenants, field: str, unexpected: pytest.LogCaptureFixture
) -> None:
    grant = "password" if field in ("username", "password") else "client_credentials"
    form = {"grant_type": grant, "username": "a@b.test", "password": "x", "client_id": "c", "client_secret": "s"}
    form[field] = "bad\x00value"
    response = await token(client, **form)
    assert response.status_code in (400, 401), response.text
    no_unexpected_errors(unexpected)


async def test_a_nul_in_an_upload_filename(
    client: httpx.AsyncClient, tenants: Tenants, unexpected: pytest.LogCaptureFixture
) -> None:
    files = {"file": ("cata\x00logue.csv", b"part_number,name_zh,name_en,component_group\nP-1,a,b,G\n", "text/csv")}
    response = await client.post("/imports", headers=tenants.hq_x.headers, data={"kind": "parts"}, files=files)
    assert response.status_code in (202, 400), response.text
    no_unexpected_errors(unexpected)


async def test_a_partners_node_on_a_station_or_region(
    client: httpx.AsyncClient,
    tenants: Tenants,
    partner_world: PartnerWorld,
    seed: AsyncSession,
    unexpected: pytest.LogCaptureFixture,
) -> None:
    issued = await token(
        client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret=PASSWORD
    )
    access = issued.json()["access_token"]
    region = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'R1', 'R1')"),
        {"id": region, "n": tenants.network_x},
    )
    # Not in a partner's slice: answered like a missing node (its own network it may read).
    targets = [("Station", tenants.station_a), ("Region", region), ("User", tenants.hq_x.user_id)]
    targets += [("Application", new_id()), ("Publication", new_id())]
    for type_name, value in targets:
        body = await ask(
            client, "query($i: ID!) { node(id: $i) { id } }", access, i=str(GlobalID(type_name, str(value)))
        )
        assert "INTERNAL" not in codes(body), body
        assert (body.get("data") or {}).get("node") is None
    no_unexpected_errors(unexpected)


@pytest.mark.parametrize("first", [1e30, 2**40, -1])
async def test_an_int_out_of_range(
    client: httpx.AsyncClient, tenants: Tenants, first: float, unexpected: pytest.LogCaptureFixture
) -> None:
    body = await graphql(client, "query($f: Int!) { stations(first: $f) { edges { cursor } } }", tenants.hq_x, f=first)
    assert codes(body) == ["VALIDATION"], body
    no_unexpected_errors(unexpected)


async def test_a_lone_surrogate_in_a_search(
    client: httpx.AsyncClient, tenants: Tenants, unexpected: pytest.LogCaptureFixture
) -> None:
    query = b'"query($s: String) { parts(first: 5, search: $s) { edges { cursor } } }"'
    content = b'{"query": ' + query + b', "variables": {"s": "\\ud800x"}}'
    response = await client.post(
        "/graphql", content=content, headers={**tenants.hq_x.headers, "Content-Type": "application/json"}
    )
    assert response.status_code in (200, 400), response.text
    assert "INTERNAL" not in codes(response.json()), response.text
    no_unexpected_errors(unexpected)


async def test_a_deactivated_users_token_with_two_root_fields(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession, unexpected: pytest.LogCaptureFixture
) -> None:
    await seed.execute(
        text("UPDATE memberships SET is_active = false WHERE id = :m"), {"m": tenants.manager_b.scope.membership_id}
    )
    body = await graphql(client, "{ viewer { id } stations(first: 1) { edges { cursor } } }", tenants.manager_b)
    assert codes(body), body
    assert set(codes(body)) == {"UNAUTHENTICATED"}, body
    no_unexpected_errors(unexpected)


SPEC_MEDIA = "application/graphql-response+json"


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        ("{", None),  # a parse failure
        ("{ noSuchField }", None),  # a validation failure
        ("query Q($first: Int) { stations(first: $first) { edges { node { id } } } }", {"first": "ten"}),  # coercion
    ],
)
async def test_a_request_error_is_a_400_without_data_in_the_specs_media_type(
    client: httpx.AsyncClient, tenants: Tenants, document: str, variables: dict[str, Any] | None
) -> None:
    """Issue 14 item 16: parse, validation and coercion failures answered 200 with data: null in every media type."""
    request = {"query": document, "variables": variables}
    spec = await client.post(
        "/graphql", json=request, headers={**tenants.hq_x.headers, "Accept": f"{SPEC_MEDIA}, application/json;q=0.9"}
    )
    assert (spec.status_code, spec.headers["content-type"].split(";")[0]) == (400, SPEC_MEDIA)
    assert "data" not in spec.json()
    assert codes(spec.json()) == ["VALIDATION"]
    legacy = await client.post("/graphql", json=request, headers={**tenants.hq_x.headers, "Accept": "application/json"})
    assert (legacy.status_code, legacy.headers["content-type"].split(";")[0]) == (200, "application/json")
    assert legacy.json()["data"] is None


async def test_an_execution_error_keeps_its_200_and_data_in_the_specs_media_type(
    client: httpx.AsyncClient, tenants: Tenants, unexpected: pytest.LogCaptureFixture
) -> None:
    """A field error is not a request error: the operation ran, so `data` is there — null up to the nearest
    nullable field. A failing non-null root field beside a running one answered HTTP 500: graphql-core
    cancelled the sibling's statement in flight and the connection went down (item 5)."""
    spec = {**tenants.manager_a.headers, "Accept": SPEC_MEDIA}
    nested = "{ publications(first: 20) { edges { node { id labourRates { regionId } } } } }"
    root = "{ viewer { email } apiClients { id } }"  # a station may not see the API clients
    for query, data in ((nested, "present"), (root, "null")):
        answer = await client.post("/graphql", json={"query": query}, headers=spec)
        assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (200, SPEC_MEDIA), answer.text
        body = answer.json()
        assert "data" in body
        assert (body["data"] is None) == (data == "null")
        assert set(codes(body)) <= {"FORBIDDEN"}
    assert codes(body) == ["FORBIDDEN"]  # the root case
    no_unexpected_errors(unexpected)


async def test_every_bad_id_of_an_input_is_named_at_once(client: httpx.AsyncClient, tenants: Tenants) -> None:
    """Issue 14 item 14: the id parser stopped at the first bad id, so a client fixed one at a time."""
    good_station = str(GlobalID("Station", str(tenants.station_a)))
    document = """mutation($i: DraftBulletinInput!) { draftBulletin(input: $i) {
      ... on ValidationError { message fields { field message } } } }"""
    bulletin = {
        "title": "Brake hose check",
        "effectiveOn": str(network_today()),
        "number": "TSB-1",
        "body": "Check the hoses.",
        "partIds": ["nope"],
        "target": {"regionIds": ["bad", "worse"], "stationIds": [good_station, "x"]},
    }
    answer = await graphql(client, document, tenants.hq_x, i=bulletin)
    named = {f["field"] for f in answer["data"]["draftBulletin"]["fields"]}
    assert named == {"partIds.0", "target.regionIds.0", "target.regionIds.1", "target.stationIds.1"}
