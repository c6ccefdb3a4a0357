"""Issue 5's scenario over HTTP: HQ imports a catalogue with a bad row (rejected, line reported, nothing
written), fixes it and imports it; publishes a price list effective next month to region East; East's
station sees it announced and West's does not; as of today the old price, as of next month the new one,
naming the version; a station acknowledges; the cron reminds the other; a supplier sees only its parts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry import relay

from dealernet.core.db import new_id
from dealernet.tenants import jobs as tenants_jobs
from dealernet.tenants.models import Partner, Region, Station
from dealernet.tenants.service.tokens import TokenSigner
from tests.conftest import Deliver, PartnerWorld, Principal, Tenants, graphql
from tests.e2e.test_catalogue import client_principal
from tests.factories import network_today, next_month

CATALOGUE = "part_number,name_zh,name_en,component_group,unit,supplier_code\n"
PRICES = "part_number,currency,list_price,dealer_price\n"
FOLLOW = "query($id: ID!) { node(id: $id) { ... on Import { status rowsWritten errors { line column reason } } } }"
DRAFT = """mutation($i: DraftPriceListInput!) { draftPriceList(input: $i) {
  ... on PublicationSuccess { publication { id } } } }"""
PUBLISH = """mutation($id: ID!, $why: String) { publish(id: $id, retroactiveReason: $why) {
  ... on PublishSuccess { deliveries publication { phase } } } }"""
PARTS = "{ parts(first: 50) { edges { node { id partNumber } } } }"
AS_OF = """query($p: ID!, $on: Date!) { priceAsOf(partId: $p, on: $on) { listPrice dealerPrice priceId
  priceList { id title } } }"""
ACK = "mutation($id: ID!) { acknowledgePublication(id: $id) { __typename } }"
INBOX = "{ notifications(first: 20) { edges { node { kind subject aboutId } } } }"


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def upload(client: httpx.AsyncClient, hq: Principal, content: str, **form: str) -> str:
    files = {"file": ("upload.csv", content.encode(), "text/csv")}
    sent = await client.post("/imports", headers=hq.headers, data=form, files=files)
    assert sent.status_code == 202, sent.json()
    return str(sent.json()["id"])


async def imported(client: httpx.AsyncClient, hq: Principal, deliver: Deliver, import_id: str) -> dict[str, Any]:
    await deliver()
    return dict((await graphql(client, FOLLOW, hq, id=import_id))["data"]["node"])


async def price_list(
    client: httpx.AsyncClient, hq: Principal, deliver: Deliver, title: str, on: str, rows: str, region: str | None
) -> str:
    draft = await graphql(client, DRAFT, hq, i={"title": title, "effectiveOn": on, "regionId": region})
    list_id = str(draft["data"]["draftPriceList"]["publication"]["id"])
    done = await imported(
        client, hq, deliver, await upload(client, hq, PRICES + rows, kind="prices", priceListId=list_id)
    )
    assert done["status"] == "DONE", done
    return list_id


async def test_policy_distribution_scenario(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    deliver: Deliver,
    signer: TokenSigner,
    tenants: Tenants,
    partner_world: PartnerWorld,
) -> None:
    t, hq = tenants, tenants.hq_x
    east, west = (Region(id=new_id(), network_id=t.network_x, code=c, name=c) for c in ("EAST", "WEST"))
    seed.add_all([east, west])
    await seed.flush()
    await seed.execute(update(Station).where(Station.id == t.station_a).values(region_id=east.id))
    await seed.execute(update(Station).where(Station.id == t.station_b).values(region_id=west.id))
    supplier = await seed.scalar(select(Partner.code).where(Partner.id == partner_world.partner_p))

    # A catalogue with a bad row is rejected whole, the line named; the fixed file imports.
    bad = CATALOGUE + "".join(
        (
            f"BP-1,刹车片,Brake pad,BRAKES,SET,{supplier}\n",
            "BP 2,刹车盘,Brake disc,BRAKES,EA,\n",
            "OF-1,机滤,Oil filter,ENGINE,,\n",
        )
    )
    rejected = await imported(client, hq, deliver, await upload(client, hq, bad, kind="parts"))
    assert rejected["status"] == "REJECTED"
    assert rejected["errors"] == [
        {"line": 3, "column": "part_number", "reason": "letters, digits, dots and dashes, at most 40"}
    ]
    assert (await graphql(client, PARTS, hq))["data"]["parts"]["edges"] == []
    fixed = await imported(client, hq, deliver, await upload(client, hq, bad.replace("BP 2", "BP-2"), kind="parts"))
    assert (fixed["status"], fixed["rowsWritten"]) == ("DONE", 3)
    parts = {
        e["node"]["partNumber"]: e["node"]["id"] for e in (await graphql(client, PARTS, hq))["data"]["parts"]["edges"]
    }
    assert sorted(parts) == ["BP-1", "BP-2", "OF-1"]

    # The national list in force since last week, then East's for next month.
    rows = "BP-1,CNY,100.00,80.00\nBP-2,CNY,300.00,240.00\nOF-1,CNY,30.00,24.00\n"
    national = await price_list(
        client, hq, deliver, "National 2026", str(network_today() - timedelta(days=7)), rows, None
    )
    published = await graphql(client, PUBLISH, hq, id=national, why="the national list, recorded a week late")
    assert published["data"]["publish"]["deliveries"] == 2
    east_list = await price_list(
        client,
        hq,
        deliver,
        "East from next month",
        str(next_month()),
        "BP-1,CNY,110.00,85.00\n",
        gid("Region", east.id),
    )
    assert (await graphql(client, PUBLISH, hq, id=east_list))["data"]["publish"] == {
        "deliveries": 1,
        "publication": {"phase": "ANNOUNCED"},
    }
    await deliver()  # the fan-out jobs: in-app notifications and e-mail

    listing = "{ publications(first: 10) { edges { node { id phase } } } }"
    seen = {
        name: {
            e["node"]["id"]: e["node"]["phase"]
            for e in (await graphql(client, listing, who))["data"]["publications"]["edges"]
        }
        for name, who in (("east", t.manager_a), ("west", t.manager_b))
    }
    assert seen["east"] == {national: "IN_FORCE", east_list: "ANNOUNCED"}
    by_region = "query($r: ID!) { publications(first: 10, regionId: $r) { edges { node { id } } } }"
    east_only = (await graphql(client, by_region, hq, r=gid("Region", east.id)))["data"]["publications"]["edges"]
    assert [e["node"]["id"] for e in east_only] == [east_list]
    assert seen["west"] == {national: "IN_FORCE"}

    today = (await graphql(client, AS_OF, t.manager_a, p=parts["BP-1"], on=str(network_today())))["data"]["priceAsOf"]
    later = (await graphql(client, AS_OF, t.manager_a, p=parts["BP-1"], on=str(next_month())))["data"]["priceAsOf"]
    assert (today["listPrice"], today["priceList"]) == ("100.00", {"id": national, "title": "National 2026"})
    assert (later["listPrice"], later["priceList"]) == ("110.00", {"id": east_list, "title": "East from next month"})
    assert today["priceId"] != later["priceId"]
    west_later = (await graphql(client, AS_OF, t.manager_b, p=parts["BP-1"], on=str(next_month())))["data"]["priceAsOf"]
    assert west_later["listPrice"] == "100.00"

    # East acknowledges both; the cron reminds West of the national list, and only West.
    for publication in (national, east_list):
        assert (await graphql(client, ACK, t.manager_a, id=publication))["data"]["acknowledgePublication"] == {
            "__typename": "PublicationSuccess"
        }
    assert await tenants_jobs.remind_unacknowledged(sessionmaker, due_within=timedelta(days=30)) == 1
    inbox = {
        name: [
            (n["node"]["kind"], n["node"]["aboutId"])
            for n in (await graphql(client, INBOX, who))["data"]["notifications"]["edges"]
        ]
        for name, who in (("east", t.manager_a), ("west", t.manager_b))
    }
    assert ("acknowledgement_reminder", national) in inbox["west"]
    assert all(kind != "acknowledgement_reminder" for kind, _ in inbox["east"])
    assert ("publication_delivered", east_list) in inbox["east"]
    counts = await graphql(
        client,
        "query($id: ID!) { node(id: $id) { ... on Publication { deliveryCounts { delivered acknowledged "
        "unacknowledgedStationIds } } } }",
        hq,
        id=national,
    )
    assert counts["data"]["node"]["deliveryCounts"] == {
        "delivered": 2,
        "acknowledged": 1,
        "unacknowledgedStationIds": [gid("Station", t.station_b)],
    }

    # The supplier reads the parts it supplies and their list prices, nothing else.
    partner = client_principal(signer, tenants, partner_world, ("parts:read",))
    supplied_query = (
        "{ parts(first: 50) { edges { node { partNumber currentListPrices { currency listPrice regionId } } } } }"
    )
    supplied = (await graphql(client, supplied_query, partner))["data"]["parts"]["edges"]
    assert [e["node"] for e in supplied] == [
        {"partNumber": "BP-1", "currentListPrices": [{"currency": "CNY", "listPrice": "100.00", "regionId": None}]}
    ]
    assert (await graphql(client, listing, partner))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
