"""Production: no introspection, no GraphiQL, no "did you mean" (SECURITY.md GQL-6/7), limits on (GQL-1..5)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from dealernet.api import MAX_ALIASES, MAX_DEPTH
from dealernet.core.settings import Settings, load_settings
from tests.conftest import Serve, Tenants


@pytest.fixture
async def production(settings: Settings, serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    prod = load_settings(
        env="production",
        database_url="postgresql://u@db:5432/d",
        redis_url="redis://r:6379/0",
        signing_key=settings.signing_key,
    )
    async with serve(prod) as http:
        yield http


async def test_introspection_is_off(production: httpx.AsyncClient) -> None:
    body = (await production.post("/graphql", json={"query": "{ __schema { types { name } } }"})).json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"


async def test_graphiql_is_off(production: httpx.AsyncClient) -> None:
    response = await production.get("/graphql", headers={"Accept": "text/html"})
    assert "graphiql" not in response.text.lower()


async def test_no_field_suggestions(production: httpx.AsyncClient) -> None:
    body = (await production.post("/graphql", json={"query": "{ station(first: 1) { id } }"})).json()
    assert "Did you mean" not in body["errors"][0]["message"]


# An argument, an enum value in the document, an enum value in a variable, a type condition: each misspelt.
MISSPELT = [
    ("{ stations(frist: 1) { edges { node { id } } } }", None),
    ("{ applications(first: 1, stage: SHORTLISTE) { edges { node { id } } } }", None),
    ("query($s: Stage) { applications(first: 1, stage: $s) { edges { node { id } } } }", {"s": "SHORTLISTE"}),
    ('{ node(id: "x") { ... on Statio { id } } }', None),
]


@pytest.mark.parametrize(("query", "variables"), MISSPELT)
async def test_no_suggestions_for_arguments_enum_values_or_types(
    production: httpx.AsyncClient, tenants: Tenants, query: str, variables: dict[str, str] | None
) -> None:
    body = (
        await production.post("/graphql", json={"query": query, "variables": variables}, headers=tenants.hq_x.headers)
    ).json()
    assert body["errors"], body
    assert all("Did you mean" not in e["message"] for e in body["errors"])
    assert all(e["extensions"]["code"] == "VALIDATION" for e in body["errors"])


@pytest.mark.parametrize(("query", "variables"), MISSPELT)
async def test_development_still_suggests(
    client: httpx.AsyncClient, tenants: Tenants, query: str, variables: dict[str, str] | None
) -> None:
    body = (
        await client.post("/graphql", json={"query": query, "variables": variables}, headers=tenants.hq_x.headers)
    ).json()
    assert any("Did you mean" in e["message"] for e in body["errors"])


def _deep(depth: int) -> str:
    # Our schema has no cycle deep enough yet, so the document's depth is probed with unknown fields:
    # the depth rule reports on the shape alone, beside the unknown-field errors.
    return "{ " + "f { " * (depth - 1) + "f" + " }" * (depth - 1) + " }"


@pytest.mark.parametrize(("depth", "refused"), [(MAX_DEPTH + 1, False), (MAX_DEPTH + 2, True)])
async def test_depth_limit_at_the_boundary(
    client: httpx.AsyncClient, tenants: Tenants, depth: int, refused: bool
) -> None:
    body = (await client.post("/graphql", json={"query": _deep(depth)}, headers=tenants.hq_x.headers)).json()
    messages = [e["message"] for e in body["errors"]]
    assert any("exceeds maximum operation depth" in m for m in messages) is refused


async def test_alias_limit_rejects_one_more_than_the_maximum(client: httpx.AsyncClient, tenants: Tenants) -> None:
    at_limit = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(MAX_ALIASES)) + " }"
    over = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(MAX_ALIASES + 1)) + " }"

    ok = (await client.post("/graphql", json={"query": at_limit}, headers=tenants.hq_x.headers)).json()
    refused = (await client.post("/graphql", json={"query": over}, headers=tenants.hq_x.headers)).json()

    assert "errors" not in ok
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "VALIDATION"


@pytest.mark.parametrize(("first", "accepted"), [(100, True), (101, False), (0, False)])
async def test_page_size_is_capped_at_100(
    client: httpx.AsyncClient, tenants: Tenants, first: int, accepted: bool
) -> None:
    query = "query($first: Int!) { stations(first: $first) { edges { node { id } } } }"
    body = (
        await client.post(
            "/graphql", json={"query": query, "variables": {"first": first}}, headers=tenants.hq_x.headers
        )
    ).json()
    if accepted:
        assert "errors" not in body
    else:
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
        assert "first" in body["errors"][0]["extensions"]["fields"]
