"""Price lists over HTTP: HQ drafts, prices and publishes a national list and a regional one for next month;
the East station sees it announced and gets the new price as of next month, the West station neither;
acknowledgement shows in HQ's counts; money is a two-decimal string, never a JSON number."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.db import new_id
from dealernet.tenants.models import Region, Station
from tests.conftest import Principal, Tenants, graphql
from tests.factories import network_today, next_month

DRAFT = """mutation($i: DraftPriceListInput!) { draftPriceList(input: $i) { __typename
  ... on PublicationSuccess { publication { id phase } } ... on UserError { message } } }"""
PRICE = """mutation($i: SetPartPriceInput!) { setPartPrice(input: $i) { __typename
  ... on PartPriceSuccess { listPrice dealerPrice } ... on UserError { message } } }"""
PUBLISH = """mutation($id: ID!, $why: String) { publish(id: $id, retroactiveReason: $why) { __typename
  ... on PublishSuccess { deliveries publication { phase retroactiveReason } } ... on UserError { message } } }"""
AS_OF = """query($p: ID!, $on: Date!, $s: ID) { priceAsOf(partId: $p, on: $on, stationId: $s) {
  listPrice dealerPrice regional priceList { title } } }"""


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def price_list(
    client: httpx.AsyncClient, hq: Principal, title: str, on: str, part: str, price: str, region: str | None = None
) -> str:
    draft = await graphql(client, DRAFT, hq, i={"title": title, "effectiveOn": on, "regionId": region})
    list_id = draft["data"]["draftPriceList"]["publication"]["id"]
    priced = await graphql(
        client, PRICE, hq, i={"priceListId": list_id, "partId": part, "listPrice": price, "dealerPrice": "80.00"}
    )
    assert priced["data"]["setPartPrice"] == {
        "__typename": "PartPriceSuccess",
        "listPrice": price,
        "dealerPrice": "80.00",
    }
    return str(list_id)


async def test_the_price_list_walk(client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession) -> None:
    t = tenants
    east, west = (
        Region(id=new_id(), network_id=t.network_x, code="E", name="East"),
        Region(id=new_id(), network_id=t.network_x, code="W", name="West"),
    )
    seed.add_all([east, west])
    await seed.flush()
    await seed.execute(update(Station).where(Station.id == t.station_a).values(region_id=east.id))
    await seed.execute(update(Station).where(Station.id == t.station_b).values(region_id=west.id))
    made = await graphql(
        client,
        'mutation { createPart(input: {partNumber: "PL-1", nameEn: "Pad", componentGroup: "BRAKES"}) '
        "{ ... on PartSuccess { part { id } } } }",
        t.hq_x,
    )
    part = made["data"]["createPart"]["part"]["id"]

    national = await price_list(
        client, t.hq_x, "National 2026", str(network_today() - timedelta(days=10)), part, "100.00"
    )
    refused = await graphql(client, PUBLISH, t.hq_x, id=national)  # effective ten days ago
    assert refused["data"]["publish"]["__typename"] == "ValidationError"
    why = "the 2026 list, entered ten days late"
    published = await graphql(client, PUBLISH, t.hq_x, id=national, why=why)
    assert published["data"]["publish"]["deliveries"] == 2
    assert published["data"]["publish"]["publication"]["retroactiveReason"] == why
    regional = await price_list(
        client, t.hq_x, "East next month", str(next_month()), part, "120.00", gid("Region", east.id)
    )
    assert (await graphql(client, PUBLISH, t.hq_x, id=regional))["data"]["publish"] == {
        "__typename": "PublishSuccess",
        "deliveries": 1,
        "publication": {"phase": "ANNOUNCED", "retroactiveReason": None},
    }

    seen: dict[str, Any] = {}
    for name, principal in (("A", t.manager_a), ("B", t.manager_b)):
        edges = await graphql(client, "{ publications(first: 10) { edges { node { title phase } } } }", principal)
        seen[name] = [e["node"] for e in edges["data"]["publications"]["edges"]]
    assert seen["A"] == [
        {"title": "National 2026", "phase": "IN_FORCE"},
        {"title": "East next month", "phase": "ANNOUNCED"},
    ]
    assert seen["B"] == [{"title": "National 2026", "phase": "IN_FORCE"}]

    today_a = await graphql(client, AS_OF, t.manager_a, p=part, on=str(network_today()))
    next_a = await graphql(client, AS_OF, t.manager_a, p=part, on=str(next_month()))
    next_b = await graphql(client, AS_OF, t.hq_x, p=part, on=str(next_month()), s=gid("Station", t.station_b))
    assert today_a["data"]["priceAsOf"]["listPrice"] == "100.00"
    assert next_a["data"]["priceAsOf"] == {
        "listPrice": "120.00",
        "dealerPrice": "80.00",
        "regional": True,
        "priceList": {"title": "East next month"},
    }
    assert next_b["data"]["priceAsOf"]["listPrice"] == "100.00"
    foreign = await graphql(client, AS_OF, t.manager_a, p=part, on=str(network_today()), s=gid("Station", t.station_b))
    assert foreign["data"]["priceAsOf"] is None or foreign["errors"][0]["extensions"]["code"] == "NOT_FOUND"

    ack = await graphql(
        client, "mutation($id: ID!) { acknowledgePublication(id: $id) { __typename } }", t.manager_a, id=regional
    )
    assert ack["data"]["acknowledgePublication"]["__typename"] == "PublicationSuccess"
    counts = await graphql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Publication { deliveryCounts { delivered acknowledged } } } }",
        t.hq_x,
        id=national,
    )
    assert counts["data"]["node"]["deliveryCounts"] == {"delivered": 2, "acknowledged": 0}


async def test_money_is_a_two_decimal_string(client: httpx.AsyncClient, tenants: Tenants) -> None:
    draft = await graphql(client, DRAFT, tenants.hq_x, i={"title": "x", "effectiveOn": str(network_today())})
    list_id = draft["data"]["draftPriceList"]["publication"]["id"]
    # Each refused with the reason in words (issue 14 item 14: the message said what was wrong).
    for bad, reason in (
        (100.5, "never a JSON number"),
        ("100.5", 'exactly two decimals, e.g. "100.50"'),
        ("1e3", "not an amount"),
        ("-1.00", "negative amounts are not allowed"),
        ("0100.00", "no leading zeros"),
    ):
        body = await graphql(
            client,
            PRICE,
            tenants.hq_x,
            i={"priceListId": list_id, "partId": gid("Part", new_id()), "listPrice": bad, "dealerPrice": "1.00"},
        )
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION", bad
        assert reason in body["errors"][0]["message"], body["errors"][0]["message"]
