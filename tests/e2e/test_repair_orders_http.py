"""One repair order over HTTP, reception to handover (issue 15): a quote refused in part, extra work
consented, a warranty line, the dispatch check on the technician, a completion certificate, the settlement's
amounts per service type; another station sees none of it, HQ sees it; bad input writes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.core.access import Role
from dealernet.policy.service import prices, publications
from dealernet.workshop.models import RepairOrder
from dealernet.workshop.service import customers, vehicles
from tests.conftest import MakePrincipal, Principal, Scoped, Tenants, graphql
from tests.factories import network_today
from tests.integration.test_policy_as_of import policy, rate_card, world
from tests.integration.test_training import certify, sign

VIN = "LSVAM418XC2184843"
ORDER = """id number status certificateNumber comebackOf lines { id position kind serviceType quantity unitPrice amount
  consent addedAfterConsent technicianId } totals { paid contract warranty internal }"""
RESULT = (
    "{ __typename ... on RepairOrderSuccess { repairOrder { " + ORDER + " } } ... on ValidationError { message } "
    "... on ConflictError { message } ... on NotFoundError { message } }"
)


@dataclass(frozen=True)
class Workshop:
    vehicle: str
    customer: str
    operation: str
    part: str
    technician: str
    tech: Principal  # the technician's login


def g(type_name: str, value: object) -> str:
    return str(GlobalID(type_name, str(value)))


async def workshop(scoped: Scoped, seed: AsyncSession, t: Tenants, make_principal: MakePrincipal) -> Workshop:
    """Station A under contract for paid and warranty work, with a certified technician; a labour rate of
    80.00 and the part's list price 420.00 in force; a registered vehicle and a customer."""
    today = network_today()
    technician = await make_principal(t.network_x, t.station_a, Role.STATION_TECHNICIAN)  # seed writes first
    _, part_id, operation_id = await world(seed, t)
    await sign(seed, t, ["paid", "warranty"], today - timedelta(days=30), today + timedelta(days=365))
    hq = t.hq_x.scope
    await rate_card(scoped, hq, today, {None: "80.00"})
    await policy(scoped, hq, today, 24, 60_000)  # its terms: second-level maintenance 5,000 km or 30 days
    async with scoped(hq) as session:
        price_list = await prices.draft_price_list(session, hq, title="Prices", effective_on=today)
        await prices.set_price(
            session,
            hq,
            publication_id=price_list.id,
            part_id=part_id,
            currency="CNY",
            list_price=Decimal("420.00"),
            dealer_price=Decimal("336.00"),
        )
        await publications.publish(session, hq, publication_id=price_list.id)
        vehicle = await vehicles.register_vehicle(
            session,
            hq,
            vehicles.VehicleInput(
                vin=VIN, model="J6P", production_date=today - timedelta(days=400), sale_date=today - timedelta(days=380)
            ),
        )
        vehicle_id = vehicle.id
        await session.commit()
    await certify(scoped, t, "T-0001", today - timedelta(days=10), today + timedelta(days=365), ["paid", "warranty"])
    async with scoped(t.manager_a.scope) as session:
        customer = await customers.create_customer(
            session, t.manager_a.scope, customers.CustomerInput(name="张三", phone="13800000000")
        )
        customer_id = customer.id
        await session.commit()
    return Workshop(
        vehicle=g("Vehicle", vehicle_id),
        customer=g("Customer", customer_id),
        operation=g("LabourOperation", operation_id),
        part=g("Part", part_id),
        technician=g("User", technician.user_id),
        tech=technician,
    )


async def call(
    client: httpx.AsyncClient, principal: Any, document: str, field: str, **variables: Any
) -> dict[str, Any]:
    body = await graphql(client, document, principal, **variables)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][field]
    return result


def reception(w: Workshop, **changes: Any) -> dict[str, Any]:
    promised = (datetime.now(UTC) + timedelta(hours=6)).isoformat()
    return {
        "vehicleId": w.vehicle,
        "customerId": w.customer,
        "odometerKm": 42_000,
        "fuelEighths": 3,
        "concern": "刹车时有异响 (a squeal when braking)",
        "promisedAt": promised,
        "arrival": "APPOINTMENT",
        "belongings": ["umbrella", "child seat"],
        "repairLevel": "SECOND_LEVEL_MAINTENANCE",
        **changes,
    }


RECEIVE = "mutation($i: ReceiveVehicleInput!) { receiveVehicle(input: $i) " + RESULT + " }"
QUOTE = "mutation($i: QuoteLineInput!) { quoteLine(input: $i) " + RESULT + " }"
CONSENT = "mutation($i: RecordConsentInput!) { recordConsent(input: $i) " + RESULT + " }"
ASSIGN = "mutation($i: AssignTechnicianInput!) { assignTechnician(input: $i) " + RESULT + " }"


def step(name: str) -> str:
    return f"mutation($id: ID!) {{ {name}(id: $id) {RESULT} }}"


async def test_a_repair_order_from_reception_to_handover(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await workshop(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    received = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w)))["repairOrder"]
    assert received["status"] == "RECEIVED"
    assert received["number"] == f"RO{network_today().year}000001"
    order = received["id"]

    def line(kind: str, service_type: str, **what: Any) -> dict[str, Any]:
        return {"repairOrderId": order, "kind": kind, "serviceType": service_type, **what}

    await call(client, a, QUOTE, "quoteLine", i=line("LABOUR", "WARRANTY", labourOperationId=w.operation))
    quoted = await call(client, a, QUOTE, "quoteLine", i=line("PART", "PAID", partId=w.part, quantity="2"))
    labour, pads = quoted["repairOrder"]["lines"]
    assert (labour["quantity"], labour["unitPrice"], labour["amount"]) == ("1.50", "80.00", "120.00")
    assert (pads["unitPrice"], pads["amount"], pads["consent"]) == ("420.00", "840.00", "PENDING")

    await call(
        client, a, CONSENT, "recordConsent", i={"repairOrderId": order, "lineIds": [labour["id"]], "consented": True}
    )
    refused = await call(
        client, a, CONSENT, "recordConsent", i={"repairOrderId": order, "lineIds": [pads["id"]], "consented": False}
    )
    assert [x["consent"] for x in refused["repairOrder"]["lines"]] == ["CONSENTED", "REFUSED"]
    again = await call(
        client, a, CONSENT, "recordConsent", i={"repairOrderId": order, "lineIds": [pads["id"]], "consented": True}
    )
    assert again["__typename"] == "ConflictError"  # a refusal stands; the work is quoted again instead

    working = await call(client, a, step("startWork"), "startWork", id=order)
    assert working["repairOrder"]["status"] == "IN_WORK"
    extra = await call(client, a, QUOTE, "quoteLine", i=line("PART", "PAID", partId=w.part))  # found later
    extra_line = extra["repairOrder"]["lines"][2]
    assert (extra_line["addedAfterConsent"], extra_line["amount"]) == (True, "420.00")
    await call(
        client,
        a,
        CONSENT,
        "recordConsent",
        i={"repairOrderId": order, "lineIds": [extra_line["id"]], "consented": True},
    )

    early = await call(client, a, step("completeRepairOrder"), "completeRepairOrder", id=order)
    assert early["__typename"] == "ConflictError"  # consented lines without a technician
    for worked in (labour["id"], extra_line["id"]):
        assigned = await call(
            client,
            a,
            ASSIGN,
            "assignTechnician",
            i={"repairOrderId": order, "lineId": worked, "technicianId": w.technician},
        )
        assert assigned["__typename"] == "RepairOrderSuccess", assigned
    work = "mutation($i: RecordWorkInput!) { recordWork(input: $i) " + RESULT + " }"
    narrated = await call(client, w.tech, work, "recordWork",
                          i={"repairOrderId": order, "lineId": labour["id"], "cause": "pads worn to 2 mm",
                             "correction": "pads replaced, discs measured"})  # fmt: skip
    assert narrated["__typename"] == "RepairOrderSuccess", narrated
    done = await call(client, a, step("completeRepairOrder"), "completeRepairOrder", id=order)
    assert done["repairOrder"]["status"] == "COMPLETED"
    assert done["repairOrder"]["certificateNumber"] == f"QC{network_today().year}000001"
    settled = await call(client, a, step("settleRepairOrder"), "settleRepairOrder", id=order)
    assert settled["repairOrder"]["totals"] == {
        "paid": "420.00",
        "contract": "0.00",
        "warranty": "120.00",
        "internal": "0.00",
    }
    locked = await call(client, a, QUOTE, "quoteLine", i=line("PART", "PAID", partId=w.part))
    assert locked["__typename"] == "ConflictError"  # settled: immutable
    handed = await call(client, a, step("handOverRepairOrder"), "handOverRepairOrder", id=order)
    assert handed["repairOrder"]["status"] == "HANDED_OVER"
    # A week later the pads turn out to have been charged by mistake: a correction, not an edit.
    reverse = "mutation($i: ReverseLineInput!) { reverseSettledLine(input: $i) " + RESULT + " }"
    mistake = {"repairOrderId": order, "lineId": extra_line["id"], "reason": "pads were the customer's own"}
    corrected = (await call(client, a, reverse, "reverseSettledLine", i=mistake))["repairOrder"]
    assert (corrected["lines"][-1]["quantity"], corrected["lines"][-1]["amount"]) == ("-1.00", "-420.00")
    assert corrected["totals"]["paid"] == "0.00"
    twice = await call(client, a, reverse, "reverseSettledLine", i=mistake)
    assert twice["__typename"] == "ConflictError"

    # Two weeks later the car is back with the same squeal, 1,000 km on: a comeback, its paid rework free.
    await seed.execute(
        update(RepairOrder)
        .where(RepairOrder.id == GlobalID.from_id(order).node_id)
        .values(completed_at=RepairOrder.completed_at - timedelta(days=14))
    )
    back = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w, odometerKm=43_000)))["repairOrder"]
    assert back["comebackOf"] == order
    rework = await call(client, a, QUOTE, "quoteLine", i={"repairOrderId": back["id"], "kind": "PART",
                                                           "serviceType": "PAID", "partId": w.part})  # fmt: skip
    assert rework["repairOrder"]["lines"][0]["amount"] == "0.00"

    # Station B looks the VIN up: the history, without station A, its customer or any amount.
    lookup = """query($v: String!) { vehicle(vin: $v) { serviceHistory { odometerKm repairLevel serviceTypes
      operationCodes partNumbers } } }"""
    history = (await call(client, tenants.manager_b, lookup, "vehicle", v=VIN))["serviceHistory"]
    assert history == [
        {"odometerKm": 43_000, "repairLevel": "second_level_maintenance", "serviceTypes": [], "operationCodes": [],
         "partNumbers": []},
        {"odometerKm": 42_000, "repairLevel": "second_level_maintenance", "serviceTypes": ["paid", "warranty"],
         "operationCodes": ["BR-01"], "partNumbers": ["BP-1"]},
    ]  # fmt: skip

    listing = "{ repairOrders(first: 10) { edges { node { id number } } } }"
    assert (await call(client, tenants.manager_b, listing, "repairOrders"))["edges"] == []
    in_hq = [e["node"]["id"] for e in (await call(client, tenants.hq_x, listing, "repairOrders"))["edges"]]
    assert in_hq == [back["id"], order]
    narrowed = """query($t: ID, $s: ServiceType) { repairOrders(first: 10, technicianId: $t, serviceType: $s,
      status: [HANDED_OVER]) { edges { node { id } } } }"""
    for variables, expected in (({"t": w.technician}, [order]), ({"s": "WARRANTY"}, [order]), ({"s": "CONTRACT"}, [])):
        found = await call(client, tenants.hq_x, narrowed, "repairOrders", **variables)
        assert [e["node"]["id"] for e in found["edges"]] == expected
    assert (await call(client, tenants.hq_y, listing, "repairOrders"))["edges"] == []
    foreign = await graphql(client, "query($i: ID!) { node(id: $i) { id } }", tenants.manager_b, i=order)
    assert foreign["data"]["node"] is None


async def test_bad_reception_and_lines_answer_typed_and_write_nothing(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await workshop(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    incomplete = await call(
        client, a, RECEIVE, "receiveVehicle", i=reception(w, fuelEighths=9, concern=" ", promisedAt=past)
    )
    assert incomplete["__typename"] == "ValidationError"
    first = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w)))["repairOrder"]["id"]
    lower = await call(client, a, RECEIVE, "receiveVehicle", i=reception(w, odometerKm=41_000))
    assert lower["__typename"] == "ConflictError"  # lower than the 42,000 km recorded, and no reason given
    replaced = await call(
        client,
        a,
        RECEIVE,
        "receiveVehicle",
        i=reception(w, odometerKm=120, odometerReason="instrument cluster replaced"),
    )
    assert replaced["__typename"] == "RepairOrderSuccess"
    money = await graphql(
        client,
        QUOTE,
        a,
        i={"repairOrderId": first, "kind": "PART", "serviceType": "PAID", "partId": w.part, "quantity": 2},
    )
    assert money["errors"][0]["extensions"]["code"] == "VALIDATION"  # a JSON number, not a decimal string
    internal = await call(
        client,
        a,
        QUOTE,
        "quoteLine",
        i={"repairOrderId": first, "kind": "LABOUR", "serviceType": "CONTRACT", "labourOperationId": w.operation},
    )
    assert internal["__typename"] == "RepairOrderSuccess"
    contract_line = internal["repairOrder"]["lines"][0]
    await call(
        client,
        a,
        CONSENT,
        "recordConsent",
        i={"repairOrderId": first, "lineIds": [contract_line["id"]], "consented": True},
    )
    outside = await call(
        client,
        a,
        ASSIGN,
        "assignTechnician",
        i={"repairOrderId": first, "lineId": contract_line["id"], "technicianId": w.technician},
    )
    assert outside["__typename"] == "ConflictError"
    assert "does not cover contract work" in outside["message"]
    assert await seed.scalar(select(func.count()).select_from(RepairOrder)) == 2
    by_b = await call(
        client,
        tenants.manager_b,
        QUOTE,
        "quoteLine",
        i={"repairOrderId": first, "kind": "PART", "serviceType": "PAID", "partId": w.part},
    )
    assert by_b["__typename"] == "NotFoundError"
