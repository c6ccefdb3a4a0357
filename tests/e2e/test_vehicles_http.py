"""The vehicle register over HTTP: HQ registers (a mistyped VIN is refused with the check digit it should
have), a station looks the VIN up with its warranty left, and a partner's client cannot read it."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.conftest import PartnerWorld, Tenants, graphql
from tests.e2e.test_identity import token
from tests.factories import PASSWORD, network_today

REGISTER = """mutation($i: VehicleInput!) { registerVehicle(input: $i) { __typename
  ... on VehicleSuccess { vehicle { id vin } } ... on ValidationError { message fields { field message } } } }"""
LOOKUP = """query($v: String!, $km: Int) { vehicle(vin: $v) { vin model saleDate
  warranty(odometerKm: $km) { componentGroup covered kmLeft } } }"""


async def test_hq_registers_and_a_station_looks_the_vin_up(client: httpx.AsyncClient, tenants: Tenants) -> None:
    sold = network_today() - timedelta(days=100)
    vehicle = {"vin": "lsvam418xc2184843", "model": "Lavida", "productionDate": str(sold - timedelta(days=20)),
               "saleDate": str(sold)}  # fmt: skip
    typo = await graphql(client, REGISTER, tenants.hq_x, i={**vehicle, "vin": "LSVAM4187C2184843"})
    refused = typo["data"]["registerVehicle"]
    assert refused["__typename"] == "ValidationError"
    assert refused["fields"] == [
        {"field": "vin", "message": "the check digit (9th character) is 7, but this VIN's is X: a typing error?"}
    ]
    done = await graphql(client, REGISTER, tenants.hq_x, i=vehicle)
    assert done["data"]["registerVehicle"]["vehicle"]["vin"] == "LSVAM418XC2184843"
    again = await graphql(client, REGISTER, tenants.hq_x, i=vehicle)
    assert again["data"]["registerVehicle"]["__typename"] == "ConflictError"

    found = await graphql(client, LOOKUP, tenants.manager_a, v="LSVAM418XC2184843", km=1000)
    assert found["data"]["vehicle"]["model"] == "Lavida"
    assert found["data"]["vehicle"]["warranty"] == []  # no warranty policy published in this network yet
    assert (await graphql(client, LOOKUP, tenants.manager_a, v="11111111111111111"))["data"]["vehicle"] is None
    by_station = await graphql(client, REGISTER, tenants.manager_a, i=vehicle)
    assert by_station["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_partner_client_cannot_read_the_register(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    answer = await token(
        client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret=PASSWORD
    )
    assert answer.status_code == 200, answer.text
    headers = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    body = (await client.post("/graphql", json={"query": LOOKUP, "variables": {"v": "x"}}, headers=headers)).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
