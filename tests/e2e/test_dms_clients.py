"""A station's dealer management system over HTTP (issue 15): the station's manager issues it client
credentials; with the station-scoped token it submits a customer and a repair order through the same
mutations and checks; it cannot touch another station's order, cannot sign work off or issue clients; once
revoked, its token stops at the next request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.workshop.service import customers, repair_orders, vehicles
from tests.conftest import Scoped, Tenants, graphql
from tests.e2e.test_identity import token
from tests.factories import network_today

VIN = "LSVAM418XC2184843"


async def dms(client: httpx.AsyncClient, document: str, bearer: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": document, "variables": variables}, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_station_dms_submits_its_own_work_and_nothing_else(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    today = network_today()
    async with scoped(tenants.hq_x.scope) as session:
        vehicle = await vehicles.register_vehicle(
            session,
            tenants.hq_x.scope,
            vehicles.VehicleInput(vin=VIN, model="J6P", production_date=today - timedelta(days=300)),
        )
        vehicle_id = vehicle.id
        await session.commit()
    async with scoped(tenants.manager_b.scope) as session:  # station B's own order, for the DMS to miss
        theirs = await customers.create_customer(
            session, tenants.manager_b.scope, customers.CustomerInput(name="B", phone="13900000009")
        )
        their_order = await repair_orders.receive(
            session,
            tenants.manager_b.scope,
            repair_orders.Reception(
                vehicle_id=vehicle_id, customer_id=theirs.id, odometer_km=100, fuel_eighths=4, concern="noise",
                promised_at=datetime.now(UTC) + timedelta(hours=3),
            ),
        )  # fmt: skip
        their_order_id = their_order.id
        await session.commit()

    created = await graphql(
        client,
        'mutation { createStationClient(name: "Autoline DMS") { __typename ... on StationClientSecret { clientSecret '
        "client { id clientId stationId } } } }",
        tenants.manager_a,
    )
    issued = created["data"]["createStationClient"]
    assert issued["client"]["stationId"] == str(GlobalID("Station", str(tenants.station_a)))
    granted = await token(
        client,
        grant_type="client_credentials",
        client_id=issued["client"]["clientId"],
        client_secret=issued["clientSecret"],
    )
    assert granted.status_code == 200, granted.text
    bearer = granted.json()["access_token"]
    wrong = await token(
        client, grant_type="client_credentials", client_id=issued["client"]["clientId"], client_secret="guess"
    )
    assert wrong.status_code == 401

    customer = await dms(
        client,
        'mutation { createCustomer(input: {name: "陈静", phone: "13700000007"}) { '
        "... on CustomerSuccess { customer { id } } } }",
        bearer,
    )
    customer_id = customer["data"]["createCustomer"]["customer"]["id"]
    receive = """mutation($i: ReceiveVehicleInput!) { receiveVehicle(input: $i) { __typename
      ... on RepairOrderSuccess { repairOrder { id number } } } }"""
    reception = {
        "vehicleId": str(GlobalID("Vehicle", str(vehicle_id))),
        "customerId": customer_id,
        "odometerKm": 200,
        "fuelEighths": 5,
        "concern": "first maintenance",
        "promisedAt": (datetime.now(UTC) + timedelta(hours=5)).isoformat(),
    }
    received = (await dms(client, receive, bearer, i=reception))["data"]["receiveVehicle"]
    assert received["__typename"] == "RepairOrderSuccess"
    stations = (await seed.execute(text("SELECT DISTINCT station_id FROM customers WHERE name = '陈静'"))).scalars()
    assert list(stations) == [tenants.station_a]

    quote = """mutation($o: ID!, $p: ID!) { quoteLine(input: {repairOrderId: $o, kind: PART, serviceType: PAID,
      partId: $p}) { __typename } }"""
    ids = {"o": str(GlobalID("RepairOrder", str(their_order_id))), "p": str(GlobalID("Part", str(vehicle_id)))}
    foreign = await dms(client, quote, bearer, **ids)
    assert foreign["data"]["quoteLine"]["__typename"] == "NotFoundError"
    for document in (
        "mutation($o: ID!) { completeRepairOrder(id: $o) { __typename } }",  # the inspector signs off, not a DMS
        'mutation { createStationClient(name: "another") { __typename } }',
        'mutation { inviteUser(input: {email: "x@y.test", role: STATION_MANAGER}) { __typename } }',
    ):
        refused = await dms(client, document, bearer, o=received["repairOrder"]["id"])
        assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", document

    listing = "{ stationClients { id isActive } }"
    assert [c["id"] for c in (await graphql(client, listing, tenants.hq_x))["data"]["stationClients"]] == [
        issued["client"]["id"]
    ]
    assert (await graphql(client, listing, tenants.manager_b))["data"]["stationClients"] == []
    revoke = "mutation($i: ID!) { deactivateStationClient(id: $i) { __typename } }"
    by_b = await graphql(client, revoke, tenants.manager_b, i=issued["client"]["id"])
    assert by_b["data"]["deactivateStationClient"]["__typename"] == "NotFoundError"
    revoked = await graphql(client, revoke, tenants.manager_a, i=issued["client"]["id"])
    assert revoked["data"]["deactivateStationClient"]["__typename"] == "StationClientSuccess"
    after = await dms(client, "{ customers(first: 5) { edges { node { id } } } }", bearer)
    assert after["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
