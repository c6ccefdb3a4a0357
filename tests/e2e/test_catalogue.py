"""The parts catalogue over HTTP: HQ keeps it, stations read it, a supplier partner reads only the parts
it supplies; supersession chains; the service BOM."""

from __future__ import annotations

from typing import Any

import httpx
from strawberry import relay

from dealernet.tenants.service.sign_in import scope_for
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from tests.conftest import PartnerWorld, Principal, Tenants, graphql

CREATE = """mutation($i: CreatePartInput!) { createPart(input: $i) { __typename
  ... on PartSuccess { part { id partNumber componentGroup supplier { code } } }
  ... on UserError { code message } ... on ValidationError { fields { field message } } } }"""
SUPERSEDE = """mutation($i: SupersedePartInput!) { supersedePart(input: $i) { __typename
  ... on SupersessionSuccess { supersession { effectiveOn interchangeable newPart { partNumber } } }
  ... on UserError { code message } } }"""
PARTS = """query($after: String, $g: String, $s: String) {
  parts(first: 2, after: $after, componentGroup: $g, search: $s) {
  edges { node { partNumber } } pageInfo { hasNextPage endCursor } } }"""


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def create_part(client: httpx.AsyncClient, hq: Principal, number: str, **extra: Any) -> dict[str, Any]:
    data = {"partNumber": number, "nameZh": "机油滤清器", "nameEn": "Oil filter", "componentGroup": "engine", **extra}
    return dict((await graphql(client, CREATE, hq, i=data))["data"]["createPart"])


def client_principal(signer: TokenSigner, tenants: Tenants, world: PartnerWorld, scopes: tuple[str, ...]) -> Principal:
    claims = AccessClaims(
        subject=world.client_p,
        network_id=tenants.network_x,
        role="partner_client",
        partner_id=world.partner_p,
        client_id=world.client_p,
        scopes=scopes,
    )
    return Principal(world.client_p, "", tenants.network_x, None, scope_for(claims), signer.issue(claims))


async def test_hq_keeps_the_catalogue_and_bad_input_changes_nothing(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    made = await create_part(
        client, tenants.hq_x, " 15400-rta-003 ", supplierId=gid("Partner", partner_world.partner_p)
    )
    assert made["__typename"] == "PartSuccess"
    assert made["part"]["partNumber"] == "15400-RTA-003"
    assert made["part"]["componentGroup"] == "ENGINE"
    assert made["part"]["supplier"] is not None

    duplicate = await create_part(client, tenants.hq_x, "15400-RTA-003")
    invalid = await graphql(client, CREATE, tenants.hq_x, i={"partNumber": "bad number!", "componentGroup": " "})
    foreign_supplier = await create_part(
        client, tenants.hq_x, "X-1", supplierId=gid("Partner", partner_world.partner_q)
    )
    by_station = await graphql(client, CREATE, tenants.manager_a, i={"partNumber": "X-2", "componentGroup": "BODY"})

    assert duplicate["__typename"] == "ConflictError"
    problem = invalid["data"]["createPart"]
    assert problem["__typename"] == "ValidationError"
    assert {f["field"] for f in problem["fields"]} == {"partNumber", "nameZh", "componentGroup"}
    assert foreign_supplier["__typename"] == "NotFoundError"
    assert by_station["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = await graphql(client, PARTS, tenants.hq_x)
    assert [e["node"]["partNumber"] for e in listed["data"]["parts"]["edges"]] == ["15400-RTA-003"]


async def test_stations_read_page_filter_and_search(client: httpx.AsyncClient, tenants: Tenants) -> None:
    for number, group, name in (
        ("A-1", "ENGINE", "Oil filter"),
        ("A-2", "BRAKES", "Brake pad"),
        ("A-3", "ENGINE", "Spark plug"),
        ("A-4", "ENGINE", "Air filter"),
    ):
        await create_part(client, tenants.hq_x, number, componentGroup=group, nameEn=name)
    await create_part(client, tenants.hq_y, "A-9")  # network Y's catalogue

    first = (await graphql(client, PARTS, tenants.manager_a, g="engine"))["data"]["parts"]
    rest = (await graphql(client, PARTS, tenants.manager_a, g="engine", after=first["pageInfo"]["endCursor"]))["data"][
        "parts"
    ]
    search = (await graphql(client, PARTS, tenants.manager_a, s="filter"))["data"]["parts"]
    by_number = (await graphql(client, PARTS, tenants.manager_a, s="a-"))["data"]["parts"]

    assert [e["node"]["partNumber"] for e in first["edges"]] == ["A-1", "A-3"]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["partNumber"] for e in rest["edges"]] == ["A-4"]
    assert [e["node"]["partNumber"] for e in search["edges"]] == ["A-1", "A-4"]
    assert "A-9" not in {e["node"]["partNumber"] for e in by_number["edges"]}


async def test_supersession_chains_and_their_guards(client: httpx.AsyncClient, tenants: Tenants) -> None:
    ids = {n: (await create_part(client, tenants.hq_x, n))["part"]["id"] for n in ("OLD-1", "MID-1", "NEW-1")}
    first = await graphql(
        client,
        SUPERSEDE,
        tenants.hq_x,
        i={"oldPartId": ids["OLD-1"], "newPartId": ids["MID-1"], "effectiveOn": "2026-01-01", "interchangeable": True},
    )
    second = await graphql(
        client,
        SUPERSEDE,
        tenants.hq_x,
        i={"oldPartId": ids["MID-1"], "newPartId": ids["NEW-1"], "effectiveOn": "2026-06-01", "interchangeable": False},
    )
    cycle = await graphql(
        client,
        SUPERSEDE,
        tenants.hq_x,
        i={"oldPartId": ids["NEW-1"], "newPartId": ids["OLD-1"], "effectiveOn": "2026-07-01", "interchangeable": False},
    )
    twice = await graphql(
        client,
        SUPERSEDE,
        tenants.hq_x,
        i={"oldPartId": ids["OLD-1"], "newPartId": ids["NEW-1"], "effectiveOn": "2026-07-01", "interchangeable": False},
    )
    itself = await graphql(
        client,
        SUPERSEDE,
        tenants.hq_x,
        i={"oldPartId": ids["OLD-1"], "newPartId": ids["OLD-1"], "effectiveOn": "2026-07-01", "interchangeable": False},
    )

    assert first["data"]["supersedePart"]["supersession"]["newPart"] == {"partNumber": "MID-1"}
    assert second["data"]["supersedePart"]["__typename"] == "SupersessionSuccess"
    assert cycle["data"]["supersedePart"]["__typename"] == "ConflictError"
    assert twice["data"]["supersedePart"]["__typename"] == "ConflictError"
    assert itself["data"]["supersedePart"]["__typename"] == "ValidationError"

    query = """query($id: ID!) { node(id: $id) { ... on Part { supersededBy { effectiveOn interchangeable }
      replacementChain { partNumber } } } }"""
    old = (await graphql(client, query, tenants.manager_a, id=ids["OLD-1"]))["data"]["node"]
    assert old["supersededBy"] == {"effectiveOn": "2026-01-01", "interchangeable": True}
    assert [p["partNumber"] for p in old["replacementChain"]] == ["MID-1", "NEW-1"]


async def test_a_supplier_sees_only_the_parts_it_supplies(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld, signer: TokenSigner
) -> None:
    own = (await create_part(client, tenants.hq_x, "P-1", supplierId=gid("Partner", partner_world.partner_p)))["part"]
    other = (await create_part(client, tenants.hq_x, "O-1"))["part"]
    supplier = client_principal(signer, tenants, partner_world, ("parts:read",))
    without_scope = client_principal(signer, tenants, partner_world, ("claims:read",))

    listed = (await graphql(client, PARTS, supplier))["data"]["parts"]["edges"]
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert [e["node"]["partNumber"] for e in listed] == ["P-1"]
    assert (await graphql(client, node, supplier, id=own["id"]))["data"]["node"] == {"id": own["id"]}
    assert (await graphql(client, node, supplier, id=other["id"]))["data"]["node"] is None
    refused = await graphql(client, PARTS, without_scope)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_service_bom(client: httpx.AsyncClient, tenants: Tenants) -> None:
    part = (await create_part(client, tenants.hq_x, "BOM-1"))["part"]
    mutation = """mutation($i: ServiceBomLineInput!) { setServiceBomLine(input: $i) { __typename
      ... on ServiceBomLineSuccess { line { quantity part { partNumber } } } } }"""
    await graphql(client, mutation, tenants.hq_x, i={"vehicleModel": "ev-7", "partId": part["id"], "quantity": "4"})
    changed = await graphql(
        client, mutation, tenants.hq_x, i={"vehicleModel": "EV-7", "partId": part["id"], "quantity": "5.50"}
    )
    bad = await graphql(
        client, mutation, tenants.hq_x, i={"vehicleModel": "EV-7", "partId": part["id"], "quantity": "0.001"}
    )
    assert changed["data"]["setServiceBomLine"]["line"]["quantity"] == "5.50"
    assert bad["data"]["setServiceBomLine"]["__typename"] == "ValidationError"
    bom = await graphql(
        client, '{ serviceBom(vehicleModel: "EV-7") { quantity part { partNumber } } }', tenants.manager_a
    )
    assert bom["data"]["serviceBom"] == [{"quantity": "5.50", "part": {"partNumber": "BOM-1"}}]
    other = await graphql(client, '{ serviceBom(vehicleModel: "EV-7") { quantity } }', tenants.hq_y)
    assert other["data"]["serviceBom"] == []


async def test_labour_operations(client: httpx.AsyncClient, tenants: Tenants) -> None:
    create = """mutation($i: CreateLabourOperationInput!) { createLabourOperation(input: $i) { __typename
      ... on LabourOperationSuccess { labourOperation { code flatRateHours componentGroup } }
      ... on ValidationError { fields { field } } } }"""
    made = await graphql(
        client,
        create,
        tenants.hq_x,
        i={"code": "br-010", "description": "Replace front pads", "flatRateHours": "1.5", "componentGroup": "brakes"},
    )
    again = await graphql(
        client,
        create,
        tenants.hq_x,
        i={"code": "BR-010", "description": "dup", "flatRateHours": "1.00", "componentGroup": "BRAKES"},
    )
    bad = await graphql(
        client, create, tenants.hq_x, i={"code": "?", "description": "", "flatRateHours": "0", "componentGroup": "B"}
    )
    by_station = await graphql(
        client,
        create,
        tenants.manager_a,
        i={"code": "X-1", "description": "x", "flatRateHours": "1.00", "componentGroup": "B"},
    )
    assert made["data"]["createLabourOperation"]["labourOperation"] == {
        "code": "BR-010",
        "flatRateHours": "1.50",
        "componentGroup": "BRAKES",
    }
    assert again["data"]["createLabourOperation"]["__typename"] == "ConflictError"
    assert {f["field"] for f in bad["data"]["createLabourOperation"]["fields"]} == {
        "code",
        "description",
        "flatRateHours",
    }
    assert by_station["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = "{ labourOperations(first: 10) { edges { node { code } } } }"
    assert (await graphql(client, listed, tenants.manager_a))["data"]["labourOperations"]["edges"] == [
        {"node": {"code": "BR-010"}}
    ]
    assert (await graphql(client, listed, tenants.hq_y))["data"]["labourOperations"]["edges"] == []
