"""Labour rate cards, warranty policy versions, commitments and bulletins over HTTP: HQ drafts and publishes
them, a station reads what was delivered to it, and `policyAsOf` prices a claim line naming the versions."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.db import new_id
from dealernet.tenants.models import Region, Station
from tests.conftest import Principal, Tenants, graphql
from tests.factories import network_today

PUBLISH = "mutation($id: ID!) { publish(id: $id) { __typename ... on PublishSuccess { deliveries } } }"
DRAFTED = (
    "__typename ... on PublicationSuccess { publication { id } } ... on ValidationError { fields { field message } }"
)


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


async def call(
    client: httpx.AsyncClient, who: Principal, mutation: str, field: str, **variables: Any
) -> dict[str, Any]:
    body = await graphql(client, mutation, who, **variables)
    assert "errors" not in body, body
    return dict(body["data"][field])


async def test_documents_walk(client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants) -> None:
    t, hq = tenants, tenants.hq_x
    east = Region(id=new_id(), network_id=t.network_x, code="EAST", name="East")
    seed.add(east)
    await seed.flush()
    await seed.execute(update(Station).where(Station.id == t.station_a).values(region_id=east.id, tier="A"))
    part = await call(
        client,
        hq,
        'mutation { createPart(input: {partNumber: "BP-1", nameEn: "Pad", componentGroup: "BRAKES"}) '
        "{ ... on PartSuccess { part { id } } } }",
        "createPart",
    )
    operation = await call(
        client,
        hq,
        'mutation { createLabourOperation(input: {code: "BR-01", description: "Replace pads", flatRateHours: "1.50", '
        'componentGroup: "BRAKES"}) { ... on LabourOperationSuccess { labourOperation { id } } } }',
        "createLabourOperation",
    )

    card = await call(
        client,
        hq,
        f'mutation {{ draftLabourRates(input: {{title: "Rates", effectiveOn: "{network_today()}"}}) {{ {DRAFTED} }} }}',
        "draftLabourRates",
    )
    card_id = card["publication"]["id"]
    set_rate = """mutation($c: ID!, $r: ID, $rate: Money!) { setLabourRate(input: {rateCardId: $c, regionId: $r,
      hourlyRate: $rate}) { __typename ... on LabourRateSuccess { labourRate { hourlyRate regionId } } } }"""
    national = await call(client, hq, set_rate, "setLabourRate", c=card_id, r=None, rate="80.00")
    assert national == {"__typename": "LabourRateSuccess", "labourRate": {"hourlyRate": "80.00", "regionId": None}}
    await call(client, hq, set_rate, "setLabourRate", c=card_id, r=gid("Region", east.id), rate="100.00")
    assert (await call(client, hq, PUBLISH, "publish", id=card_id))["deliveries"] == 2

    draft_policy = "mutation($i: DraftWarrantyPolicyInput!) { draftWarrantyPolicy(input: $i) { " + DRAFTED + " } }"
    refused = await call(
        client,
        hq,
        draft_policy,
        "draftWarrantyPolicy",
        i={
            "title": "W",
            "effectiveOn": str(network_today()),
            "threeGuarantees": [{"name": "refund_whenever", "value": 7}],
        },
    )
    assert refused["fields"] == [{"field": "terms.threeGuarantees", "message": "unknown parameter refund_whenever"}]
    bad_rules = {"submitWithinDays": 0, "coverageEndKm": -5, "returnTo": " "}
    refused = await call(client, hq, draft_policy, "draftWarrantyPolicy",
                         i={"title": "W", "effectiveOn": str(network_today()), "claimRules": bad_rules})  # fmt: skip
    assert sorted(f["field"] for f in refused["fields"]) == [
        "terms.claimRules.coverageEndKm", "terms.claimRules.returnTo", "terms.claimRules.submitWithinDays"
    ]  # fmt: skip
    policy = await call(
        client,
        hq,
        draft_policy,
        "draftWarrantyPolicy",
        i={
            "title": "Warranty 2026",
            "effectiveOn": str(network_today()),
            "exclusions": ["wear parts"],
            "repairGuarantees": [{"repair": "overhaul", "km": 20000, "days": 100}],
            "serviceTypes": ["PAID", "WARRANTY"],
            "threeGuarantees": [{"name": "repair_period_months", "value": 36}],
            "claimRules": {
                "returnComponentGroups": ["brakes"],
                "preauthorisationAbove": "8000.00",
                "preauthorisationOperations": ["en-01"],
            },
        },
    )
    policy_id = policy["publication"]["id"]
    coverage = """mutation($p: ID!) { setWarrantyCoverage(input: {policyId: $p, componentGroup: "brakes", months: 24,
      km: 50000}) { __typename } }"""
    assert (await call(client, hq, coverage, "setWarrantyCoverage", p=policy_id))[
        "__typename"
    ] == "WarrantyCoverageSuccess"
    await call(client, hq, PUBLISH, "publish", id=policy_id)

    bulletin = await call(
        client,
        hq,
        """mutation($p: ID!, $on: Date!) { draftBulletin(input: {title: "Pad wear", effectiveOn: $on, number: "TSB-1",
        body: "# Check pads", affectedModels: ["J6P"], partIds: [$p], target: {tiers: ["A"]}}) { """
        + DRAFTED
        + " } }",
        "draftBulletin",
        p=part["part"]["id"],
        on=str(network_today()),
    )
    assert (await call(client, hq, PUBLISH, "publish", id=bulletin["publication"]["id"]))["deliveries"] == 1

    as_of = """query($p: ID!, $o: ID!, $on: Date!) { policyAsOf(on: $on, partId: $p, operationId: $o) {
      labourRate { hourlyRate regional rateCardId } operation { code flatRateHours } labourAmount
      coverage { componentGroup months km policy { id warrantyTerms { exclusions serviceTypes
      repairGuarantees { repair km days } threeGuarantees { name value } claimRules { returnComponentGroups
      preauthorisationAbove preauthorisationOperations submitWithinDays } } } } } }"""
    found = await graphql(
        client, as_of, t.manager_a, p=part["part"]["id"], o=operation["labourOperation"]["id"], on=str(network_today())
    )
    assert found["data"]["policyAsOf"] == {
        "labourRate": {"hourlyRate": "100.00", "regional": True, "rateCardId": card_id},
        "operation": {"code": "BR-01", "flatRateHours": "1.50"},
        "labourAmount": "150.00",
        "coverage": {
            "componentGroup": "BRAKES",
            "months": 24,
            "km": 50000,
            "policy": {
                "id": policy_id,
                "warrantyTerms": {
                    "exclusions": ["wear parts"],
                    "serviceTypes": ["PAID", "WARRANTY"],
                    "repairGuarantees": [{"repair": "overhaul", "km": 20000, "days": 100}],
                    "threeGuarantees": [{"name": "repair_period_months", "value": 36}],
                    "claimRules": {
                        "returnComponentGroups": ["BRAKES"],
                        "preauthorisationAbove": "8000.00",
                        "preauthorisationOperations": ["EN-01"],
                        "submitWithinDays": 30,  # what the version leaves out is defaulted
                    },
                },
            },
        },
    }
    west = await graphql(
        client, as_of, t.manager_b, p=part["part"]["id"], o=operation["labourOperation"]["id"], on=str(network_today())
    )
    assert west["data"]["policyAsOf"]["labourRate"]["hourlyRate"] == "80.00"

    kinds = "{ publications(first: 20) { edges { node { kind bulletin { number affectedModels } } } } }"
    seen = {
        who: [e["node"] for e in (await graphql(client, kinds, p))["data"]["publications"]["edges"]]
        for who, p in (("A", t.manager_a), ("B", t.manager_b))
    }
    assert {"kind": "BULLETIN", "bulletin": {"number": "TSB-1", "affectedModels": ["J6P"]}} in seen["A"]
    assert all(n["kind"] != "BULLETIN" for n in seen["B"])
