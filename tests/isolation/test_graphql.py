"""Isolation through the API: every root field as station A, HQ X and HQ Y against the others' ids
(SECURITY.md ISO-8, ISO-10). A new root field without a case here fails test_every_root_field_has_a_case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from strawberry import relay

from dealernet.graphql.schema import build_schema
from tests.conftest import Principal, Tenants, graphql

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def case_viewer(client: httpx.AsyncClient, t: Tenants) -> None:
    query = "{ viewer { id email network { id } station { id code } } }"
    for principal in (t.manager_a, t.hq_x, t.hq_y):
        viewer = (await graphql(client, query, principal))["data"]["viewer"]
        assert viewer["id"] == gid("User", principal.user_id)
        assert viewer["network"]["id"] == gid("Network", principal.network_id)
        expected_station = gid("Station", principal.station_id) if principal.station_id else None
        assert (viewer["station"] or {}).get("id") == expected_station


async def case_stations(client: httpx.AsyncClient, t: Tenants) -> None:
    query = "{ stations(first: 100) { edges { node { id network { id } } } } }"
    expected = {
        t.manager_a: {gid("Station", t.station_a)},
        t.hq_x: {gid("Station", t.station_a), gid("Station", t.station_b)},
        t.hq_y: {gid("Station", t.station_c)},
    }
    for principal, stations in expected.items():
        edges = (await graphql(client, query, principal))["data"]["stations"]["edges"]
        assert {e["node"]["id"] for e in edges} == stations
        assert {e["node"]["network"]["id"] for e in edges} == {gid("Network", principal.network_id)}


async def case_node(client: httpx.AsyncClient, t: Tenants) -> None:
    foreign: dict[Principal, list[str]] = {
        t.manager_a: [
            gid("Station", t.station_b),
            gid("Station", t.station_c),
            gid("Network", t.network_y),
            gid("User", t.manager_b.user_id),
            gid("User", t.hq_x.user_id),
        ],
        t.hq_x: [gid("Station", t.station_c), gid("Network", t.network_y), gid("User", t.hq_y.user_id)],
        t.hq_y: [gid("Station", t.station_a), gid("Network", t.network_x), gid("User", t.manager_a.user_id)],
    }
    missing = [
        gid("Station", "00000000-0000-7000-8000-000000000000"),
        gid("Station", "not-a-uuid"),
        gid("Nope", t.station_a),
        "%%%",
        gid("PageInfo", "x"),
        gid("User", t.station_a),
    ]
    for principal, ids in foreign.items():
        answers = [await graphql(client, NODE, principal, id=i) for i in ids + missing]
        assert all(answer == {"data": {"node": None}} for answer in answers), answers
    own = await graphql(client, NODE, t.manager_a, id=gid("Station", t.station_a))
    assert own["data"]["node"] == {"id": gid("Station", t.station_a), "__typename": "Station"}


CASES: dict[str, Callable[[httpx.AsyncClient, Tenants], Awaitable[None]]] = {
    "viewer": case_viewer,
    "stations": case_stations,
    "node": case_node,
}


def test_every_root_field_has_a_case() -> None:
    schema = build_schema(production=False)
    roots = {field.name for field in schema.get_type_by_name("Query").fields}  # type: ignore[union-attr]
    mutation = schema.get_type_by_name("Mutation")
    if mutation is not None:
        roots |= {field.name for field in mutation.fields}  # type: ignore[union-attr]
    assert {name.replace("_", "") for name in roots} == {name.lower() for name in CASES}


@pytest.mark.parametrize("field", sorted(CASES))
async def test_root_field_is_isolated(client: httpx.AsyncClient, tenants: Tenants, field: str) -> None:
    await CASES[field](client, tenants)


async def test_a_cursor_cannot_widen_the_scope(client: httpx.AsyncClient, tenants: Tenants) -> None:
    query = "query($after: String) { stations(first: 1, after: $after) { edges { node { code } cursor } } }"
    first = (await graphql(client, query, tenants.hq_x))["data"]["stations"]["edges"][0]["cursor"]

    as_station = await graphql(client, query, tenants.manager_a, after=first)
    as_other_network = await graphql(client, query, tenants.hq_y, after=first)

    assert {e["node"]["code"] for e in as_station["data"]["stations"]["edges"]} <= {"SH01"}
    assert {e["node"]["code"] for e in as_other_network["data"]["stations"]["edges"]} <= {"SH01"}
