"""A day's repair orders from a station's DMS as one file, through the import path (issue 15): uploaded over
HTTP by the station's API client, run by the worker, followed over GraphQL. The orders get the station's
numbers, the as-of prices and the checks of the API; a bad order names its file line and (all or nothing)
writes nothing; an order sent again is refused; another station and HQ's upload see none of it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.journal import JournalEntry
from dealernet.tenants.service.tokens import TokenSigner
from dealernet.workshop.models import RepairOrder, RepairOrderLine
from tests.conftest import Deliver, MakePrincipal, Principal, Scoped, Tenants, dms_principal, graphql
from tests.e2e.test_repair_orders_http import VIN, Workshop, workshop
from tests.factories import NETWORK_TIME_ZONE, network_today

FOLLOW = """query($id: ID!) { node(id: $id) { ... on Import { kind status rowsTotal rowsWritten rowsRejected
  errors { line column reason } } } }"""
ORDERS = """{ repairOrders(first: 10) { edges { node { number status certificateNumber lines { kind serviceType
  quantity unitPrice amount consent } totals { paid warranty } } } } }"""


def times() -> list[str]:
    """Four moments of today's network day, in order, all past: a reception, completion, settlement, handover."""
    now = datetime.now(UTC)
    midnight = datetime.combine(network_today(), clock(0), ZoneInfo(NETWORK_TIME_ZONE))
    start = max(now - timedelta(hours=2), midnight + timedelta(seconds=1))
    step = (now - start) / 5
    return [(start + step * i).isoformat() for i in range(4)]


def order(w: Workshop, reference: str, **changes: Any) -> dict[str, Any]:
    received, completed, settled, handed_over = times()
    return {
        "dms_reference": reference,
        "vin": VIN,
        "customer_id": w.customer,
        "received_at": received,
        "odometer_km": 42_000,
        "fuel_eighths": 4,
        "concern": "刹车异响",
        "repair_level": "second_level_maintenance",
        "completed_at": completed,
        "settled_at": settled,
        "handed_over_at": handed_over,
        "lines": [
            {"kind": "labour", "service_type": "paid", "operation_code": "BR-01", "technician_email": w.tech.email,
             "cause": "worn pads", "correction": "replaced"},
            {"kind": "part", "service_type": "warranty", "part_number": "bp-1", "quantity": "2",
             "technician_email": w.tech.email},
        ],
        **changes,
    }  # fmt: skip


def json_lines(*orders: dict[str, Any]) -> bytes:
    return "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in orders).encode()


async def upload(
    client: httpx.AsyncClient, principal: Principal, content: bytes, name: str = "day.jsonl", **form: str
) -> httpx.Response:
    files = {"file": (name, content, "application/octet-stream")}
    return await client.post("/imports", headers=principal.headers, data={"kind": "repair_orders", **form}, files=files)


async def follow(client: httpx.AsyncClient, principal: Principal, import_id: str) -> dict[str, Any] | None:
    body = await graphql(client, FOLLOW, principal, id=import_id)
    assert "errors" not in body, body
    node: dict[str, Any] | None = body["data"]["node"]
    return node


async def setup(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal, signer: TokenSigner
) -> tuple[Workshop, Principal]:
    dms = await dms_principal(tenants, signer, seed)  # seed writes before any scoped commit
    return await workshop(scoped, seed, tenants, make_principal), dms


async def test_a_dms_sends_a_day_of_repair_orders(
    client: httpx.AsyncClient,
    scoped: Scoped,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    signer: TokenSigner,
    deliver: Deliver,
) -> None:
    w, dms = await setup(scoped, seed, tenants, make_principal, signer)
    done = order(w, "DMS-1")
    in_work = order(w, "DMS-2", completed_at="", settled_at="", handed_over_at="", repair_level="minor_repair")
    sent = await upload(client, dms, json_lines(done, in_work))
    assert sent.status_code == 202, sent.text
    assert await deliver() == 1
    import_id = sent.json()["id"]
    assert await follow(client, dms, import_id) == {
        "kind": "REPAIR_ORDERS", "status": "DONE", "rowsTotal": 2, "rowsWritten": 2, "rowsRejected": 0, "errors": [],
    }  # fmt: skip

    listed = await graphql(client, ORDERS, tenants.manager_a)
    nodes = sorted((e["node"] for e in listed["data"]["repairOrders"]["edges"]), key=lambda n: n["number"])
    year = network_today().year
    assert [(n["number"], n["status"], n["certificateNumber"]) for n in nodes] == [
        (f"RO{year}000001", "HANDED_OVER", f"QC{year}000001"),
        (f"RO{year}000002", "IN_WORK", None),
    ]
    assert nodes[0]["lines"] == [
        {"kind": "LABOUR", "serviceType": "PAID", "quantity": "1.50", "unitPrice": "80.00", "amount": "120.00",
         "consent": "CONSENTED"},
        {"kind": "PART", "serviceType": "WARRANTY", "quantity": "2.00", "unitPrice": "420.00", "amount": "840.00",
         "consent": "CONSENTED"},
    ]  # fmt: skip
    assert nodes[0]["totals"] == {"paid": "120.00", "warranty": "840.00"}
    journaled = select(func.count()).where(JournalEntry.entity == "repair_order", JournalEntry.action == "imported")
    assert await seed.scalar(journaled) == 2

    # The same order again, in another file: refused by its reference, nothing written twice.
    again = await upload(client, dms, json_lines(order(w, "DMS-1", concern="again")), name="day2.jsonl")
    assert again.status_code == 202
    assert await deliver() == 1
    followed = await follow(client, dms, again.json()["id"])
    assert followed is not None
    assert followed["status"] == "REJECTED"
    assert followed["errors"] == [
        {"line": 1, "column": "dms_reference", "reason": f"imported already, as repair order RO{year}000001"}
    ]
    assert await seed.scalar(select(func.count()).select_from(RepairOrder)) == 2

    # Another station's people see neither the import nor the orders; HQ sees both.
    assert await follow(client, tenants.manager_b, import_id) is None
    theirs = await graphql(client, ORDERS, tenants.manager_b)
    assert theirs["data"]["repairOrders"]["edges"] == []
    assert (await follow(client, tenants.hq_x, import_id) or {}).get("rowsWritten") == 2


async def test_bad_orders_name_their_lines_and_write_nothing(
    client: httpx.AsyncClient,
    scoped: Scoped,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    signer: TokenSigner,
    deliver: Deliver,
) -> None:
    w, dms = await setup(scoped, seed, tenants, make_principal, signer)
    received, completed, _, _ = times()
    head = "dms_reference,vin,customer_id,received_at,odometer_km,fuel_eighths,concern,completed_at,line_kind,"
    head += "service_type,operation_code,part_number,quantity,technician_email\n"
    rows = [
        f"A-1,{VIN},{w.customer},{received},42000,4,noise,,labour,paid,BR-01,,,{w.tech.email}",
        f"A-1,,,,,,,,part,warranty,,BP-1,1,{w.tech.email}",  # the same order's second line
        f"A-2,LSVAM418XC2184844,{w.customer},{received},42000,4,noise,,labour,paid,BR-01,,,",  # check digit
        f"A-3,{VIN},{w.customer},{received},42000,4,noise,,labour,paid,NO-SUCH,,,",
        f"A-4,{VIN},{w.customer},{received},42000,4,noise,,part,paid,,BP-1,1.5,nobody@example.com",
        f"A-5,{VIN},{w.customer},{received},42000,4,noise,{completed},labour,paid,BR-01,,,",  # no technician
        f"A-6,{VIN},{w.customer},{received},42000,4,noise,,part,paid,,BP-1,12.50 CNY,",
        f"A-1,{VIN},{w.customer},{received},43000,4,noise,,labour,paid,BR-01,,,",  # changes A-1's odometer
        f"A-7,{VIN},{w.customer},{received},42000,4,noise,,labour,contract,BR-01,,,{w.tech.email}",  # no contract
    ]
    sent = await upload(client, dms, (head + "\n".join(rows) + "\n").encode(), name="day.csv")
    assert sent.status_code == 202, sent.text
    assert await deliver() == 1
    followed = await follow(client, dms, sent.json()["id"])
    assert followed is not None
    assert (followed["status"], followed["rowsTotal"], followed["rowsWritten"]) == ("REJECTED", 7, 0)
    assert {(e["line"], e["column"]) for e in followed["errors"]} == {
        (4, "vin"),
        (5, "operation_code"),
        (6, "technician_email"),
        (7, "technician_email"),
        (8, "quantity"),
        (9, "odometer_km"),
        (10, "service_type"),  # the dispatch check: the station's contract covers paid and warranty work only
    }
    assert followed["rowsRejected"] == 7  # A-1 too: its last row contradicts its first
    assert await seed.scalar(select(func.count()).select_from(RepairOrder)) == 0

    # In VALID_ROWS mode the good order is written and the others are reported.
    rows[-2] = f"A-1,,,,,,,,labour,paid,BR-01,,,{w.tech.email}"
    valid = await upload(client, dms, (head + "\n".join(rows) + "\n").encode(), name="day.csv", mode="valid_rows")
    assert await deliver() == 1
    followed = await follow(client, dms, valid.json()["id"])
    assert followed is not None
    assert (followed["status"], followed["rowsWritten"], followed["rowsRejected"]) == ("DONE", 1, 6)
    lines = select(func.count()).select_from(RepairOrderLine)
    assert await seed.scalar(lines) == 3


async def test_who_may_send_repair_orders(
    client: httpx.AsyncClient,
    scoped: Scoped,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    signer: TokenSigner,
) -> None:
    w, dms = await setup(scoped, seed, tenants, make_principal, signer)
    content = json_lines(order(w, "DMS-1"))
    hq = await upload(client, tenants.hq_x, content)
    assert (hq.status_code, hq.json()["code"]) == (403, "FORBIDDEN")
    not_a_format = await upload(client, dms, content, name="day.pdf")
    assert (not_a_format.status_code, not_a_format.json()["code"]) == (400, "VALIDATION")
    not_json = await upload(client, dms, b"dms_reference,vin\n", name="day.jsonl")
    assert (not_json.status_code, not_json.json()["code"]) == (400, "VALIDATION")
    vehicles_by_dms = await client.post(
        "/imports", headers=dms.headers, data={"kind": "vehicles"}, files={"file": ("v.csv", b"vin\n", "text/csv")}
    )
    assert (vehicles_by_dms.status_code, vehicles_by_dms.json()["code"]) == (403, "FORBIDDEN")
    assert await seed.scalar(select(func.count()).select_from(RepairOrder)) == 0
