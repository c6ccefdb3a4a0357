"""The journal speaks the API's ids (issue 14 item 12): `entityId` is the changed object's global id, and
`journal(entityId:)` takes that id (a bare uuid still works, as for every id argument)."""

from __future__ import annotations

import httpx

from dealernet.core.ids import split_global_id
from tests.conftest import Tenants, graphql

CREATE = 'mutation { createRegion(code: "WEST", name: "West") { ... on RegionSuccess { region { id } } } }'
JOURNAL = """query($e: ID) { journal(first: 10, entityId: $e) { edges { node { entity entityId action } } } }"""


async def test_the_journal_takes_and_returns_global_ids(client: httpx.AsyncClient, tenants: Tenants) -> None:
    region_id = (await graphql(client, CREATE, tenants.hq_x))["data"]["createRegion"]["region"]["id"]
    edges = (await graphql(client, JOURNAL, tenants.hq_x, e=region_id))["data"]["journal"]["edges"]
    assert [e["node"] for e in edges] == [{"entity": "region", "entityId": region_id, "action": "created"}]
    parts = split_global_id(region_id)
    assert parts is not None
    by_uuid = (await graphql(client, JOURNAL, tenants.hq_x, e=parts[1]))["data"]["journal"]["edges"]
    assert [e["node"]["entityId"] for e in by_uuid] == [region_id]


async def test_a_journal_filter_that_is_no_id_is_a_validation_error(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    body = await graphql(client, JOURNAL, tenants.hq_x, e="not an id")
    assert body["errors"][0]["extensions"]["code"] == "VALIDATION"
