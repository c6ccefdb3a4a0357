"""Query limits over HTTP (SECURITY.md GQL-1..5): cost budget on nested lists, input list caps, batches."""

from __future__ import annotations

import httpx

from dealernet.graphql.limits import MAX_INPUT_LIST
from tests.conftest import Tenants, graphql

PAGE = "stations(first: {n}) {{ edges {{ node {{ id code network {{ id }} }} }} }}"


def aliased(count: int, first: int) -> str:
    return "{ " + " ".join(f"s{i}: " + PAGE.format(n=first) for i in range(count)) + " }"


async def test_gql5_a_query_within_the_cost_budget_runs(client: httpx.AsyncClient, tenants: Tenants) -> None:
    body = await graphql(client, aliased(8, 100), tenants.hq_x)  # 8 pages of 100 nodes: cost 4,808
    assert "errors" not in body


async def test_gql5_a_query_over_the_budget_is_refused_before_it_runs(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    body = await graphql(client, aliased(13, 100), tenants.hq_x)
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"]
    assert "cost" in body["errors"][0]["message"]


async def test_gql5_the_budget_counts_page_sizes_given_as_variables(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    query = "query($n: Int!) { " + " ".join(f"s{i}: " + PAGE.format(n="$n") for i in range(13)) + " }"
    small = await graphql(client, query, tenants.hq_x, n=5)
    large = await graphql(client, query, tenants.hq_x, n=100)
    assert "errors" not in small
    assert [e["extensions"]["code"] for e in large["errors"]] == ["VALIDATION"]


async def test_input_lists_are_capped(client: httpx.AsyncClient, tenants: Tenants) -> None:
    query = "mutation($i: InviteUserInput!) { inviteUser(input: $i) { __typename } }"
    regions = [f"r{i}" for i in range(MAX_INPUT_LIST + 1)]
    body = await graphql(
        client, query, tenants.hq_x, i={"email": "a@b.test", "role": "hq_regional_manager", "regionIds": regions}
    )
    many = ", ".join(f'"r{i}"' for i in range(MAX_INPUT_LIST + 1))
    literal = (
        f'mutation {{ inviteUser(input: {{email: "a@b.test", role: HQ_ADMIN, regionIds: [{many}]}}) {{ __typename }} }}'
    )
    literal_body = await graphql(client, literal, tenants.hq_x)
    assert body.get("data") is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"]
    assert [e["extensions"]["code"] for e in literal_body["errors"]] == ["VALIDATION"]


async def test_gql4_batched_operations_are_refused(client: httpx.AsyncClient, tenants: Tenants) -> None:
    batch = [{"query": "{ viewer { id } }"}] * 2
    response = await client.post("/graphql", json=batch, headers=tenants.hq_x.headers)
    assert response.status_code == 400
