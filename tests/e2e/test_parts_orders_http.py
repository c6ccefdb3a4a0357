"""Parts orders over HTTP (issue 15): a station orders (an emergency names its vehicle), HQ allocates and
ships, the station checks the shipment in; a short line is a transit claim and the month's shipping
accuracy counts it; other tenants see none of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.core.db import new_id
from dealernet.policy.models import Part
from dealernet.workshop.service import vehicles
from tests.conftest import Scoped, Tenants, graphql
from tests.factories import network_today
from tests.integration.test_policy_as_of import world

ORDER = "id number status carrier lines { id position ordered allocated shipped received discrepancy }"
RESULT = (
    "{ __typename ... on PartsOrderSuccess { partsOrder { " + ORDER + " } } ... on ValidationError { message "
    "fields { field } } ... on ConflictError { message } ... on NotFoundError { message } }"
)
PLACE = "mutation($i: PlacePartsOrderInput!) { placePartsOrder(input: $i) " + RESULT + " }"
ALLOCATE = "mutation($i: AllocatePartsOrderInput!) { allocatePartsOrder(input: $i) " + RESULT + " }"
SHIP = "mutation($i: ShipPartsOrderInput!) { shipPartsOrder(input: $i) " + RESULT + " }"
RECEIVE = "mutation($i: ReceivePartsOrderInput!) { receivePartsOrder(input: $i) " + RESULT + " }"


def g(type_name: str, value: object) -> str:
    return str(GlobalID(type_name, str(value)))


async def call(
    client: httpx.AsyncClient, principal: Any, document: str, field: str, **variables: Any
) -> dict[str, Any]:
    body = await graphql(client, document, principal, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


async def test_an_order_from_the_station_to_its_receipt_with_a_transit_claim(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    _, pad, _ = await world(seed, tenants)
    disc = Part(
        id=new_id(),
        network_id=tenants.network_x,
        part_number="BD-1",
        name_zh="",
        name_en="disc",
        component_group="BRAKES",
    )
    seed.add(disc)
    await seed.flush()
    async with scoped(tenants.hq_x.scope) as session:
        vehicle = await vehicles.register_vehicle(
            session,
            tenants.hq_x.scope,
            vehicles.VehicleInput(
                vin="LSVAM418XC2184843", model="J6P", production_date=network_today() - timedelta(300)
            ),
        )
        vehicle_id = vehicle.id
        await session.commit()
    a = tenants.manager_a
    lines = [{"partId": g("Part", pad), "quantity": 2}, {"partId": g("Part", disc.id), "quantity": 3}]

    no_vehicle = await call(client, a, PLACE, "placePartsOrder", i={"kind": "EMERGENCY", "lines": lines})
    assert no_vehicle["__typename"] == "ValidationError"
    assert [f["field"] for f in no_vehicle["fields"]] == ["vehicleId"]
    twice = await call(client, a, PLACE, "placePartsOrder", i={"kind": "STOCK", "lines": [lines[0], lines[0]]})
    assert twice["__typename"] == "ValidationError"
    emergency = {"kind": "EMERGENCY", "lines": lines, "vehicleId": g("Vehicle", vehicle_id), "note": "VOR"}
    placed = (await call(client, a, PLACE, "placePartsOrder", i=emergency))["partsOrder"]
    assert (placed["number"], placed["status"]) == (f"PO{network_today().year}000001", "SUBMITTED")
    order, (first, second) = placed["id"], placed["lines"]

    by_station = await graphql(client, ALLOCATE, a, i={"partsOrderId": order, "lines": []})
    assert by_station["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    too_many = await call(
        client,
        tenants.hq_x,
        ALLOCATE,
        "allocatePartsOrder",
        i={"partsOrderId": order, "lines": [{"lineId": first["id"], "quantity": 5}]},
    )
    assert too_many["__typename"] == "ValidationError"
    allocation = [{"lineId": first["id"], "quantity": 2}, {"lineId": second["id"], "quantity": 1}]
    allocated = await call(
        client, tenants.hq_x, ALLOCATE, "allocatePartsOrder", i={"partsOrderId": order, "lines": allocation}
    )
    assert [x["allocated"] for x in allocated["partsOrder"]["lines"]] == [2, 1]
    early = await call(client, a, RECEIVE, "receivePartsOrder", i={"partsOrderId": order})
    assert early["__typename"] == "ConflictError"  # nothing shipped yet
    shipped = await call(
        client,
        tenants.hq_x,
        SHIP,
        "shipPartsOrder",
        i={"partsOrderId": order, "carrier": "SF Express", "trackingNumber": "SF1234567890"},
    )
    assert (shipped["partsOrder"]["status"], shipped["partsOrder"]["carrier"]) == ("SHIPPED", "SF Express")

    foreign = await call(client, tenants.manager_b, RECEIVE, "receivePartsOrder", i={"partsOrderId": order})
    assert foreign["__typename"] == "NotFoundError"
    received = await call(
        client,
        a,
        RECEIVE,
        "receivePartsOrder",
        i={"partsOrderId": order, "receipts": [{"lineId": second["id"], "received": 0}]},
    )
    checked = received["partsOrder"]["lines"]
    assert [(x["received"], x["discrepancy"]) for x in checked] == [(2, "NONE"), (0, "MISSING")]

    accuracy = (
        "query($m: Date!) { shippingAccuracy(month: $m) { stationId shippedLines accurateLines percent meetsTarget } }"
    )
    figures = await call(client, tenants.hq_x, accuracy, "shippingAccuracy", m=str(network_today()))
    assert figures == [
        {
            "stationId": g("Station", tenants.station_a),
            "shippedLines": 2,
            "accurateLines": 1,
            "percent": 50,
            "meetsTarget": False,
        }
    ]
    assert await call(client, tenants.manager_b, accuracy, "shippingAccuracy", m=str(network_today())) == []

    listing = "{ partsOrders(first: 10) { edges { node { id } } } }"
    assert [e["node"]["id"] for e in (await call(client, tenants.hq_x, listing, "partsOrders"))["edges"]] == [order]
    for outsider in (tenants.manager_b, tenants.hq_y):
        assert (await call(client, outsider, listing, "partsOrders"))["edges"] == []
