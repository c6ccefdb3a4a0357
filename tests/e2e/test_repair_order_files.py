"""A repair order's photos and documents over HTTP (issue 15): the station uploads (the file store keeps the
bytes), lists and downloads them; HQ reads them; another station gets NOT_FOUND; and the night's sweep of
unreferenced stored files knows their keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.workshop.service import customers, repair_orders, vehicles
from tests.conftest import Scoped, Tenants, graphql
from tests.factories import network_today

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # a PNG's signature is all the store checks


async def test_photos_of_a_repair_order(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        vehicle = await vehicles.register_vehicle(
            session,
            tenants.hq_x.scope,
            vehicles.VehicleInput(
                vin="LSVAM418XC2184843", model="J6P", production_date=network_today() - timedelta(90)
            ),
        )
        vehicle_id = vehicle.id
        await session.commit()
    a = tenants.manager_a
    async with scoped(a.scope) as session:
        customer = await customers.create_customer(session, a.scope, customers.CustomerInput("张三", "13800000000"))
        order = await repair_orders.receive(
            session,
            a.scope,
            repair_orders.Reception(
                vehicle_id=vehicle_id,
                customer_id=customer.id,
                odometer_km=500,
                fuel_eighths=4,
                concern="a dent in the door",
                promised_at=datetime.now(UTC) + timedelta(hours=5),
            ),
        )
        order_id = str(GlobalID("RepairOrder", str(order.id)))
        await session.commit()

    files = {"file": ("凹痕 dent.png", PNG, "image/png")}
    uploaded = await client.post(f"/repair-orders/{order_id}/files", headers=a.headers, files=files)
    assert uploaded.status_code == 201, uploaded.text
    file_id = uploaded.json()["id"]
    wrong = await client.post(f"/repair-orders/{order_id}/files", headers=a.headers, files={"file": ("x.exe", b"MZ")})
    assert wrong.status_code == 400
    by_hq = await client.post(f"/repair-orders/{order_id}/files", headers=tenants.hq_x.headers, files=files)
    assert by_hq.status_code == 403

    listed = await graphql(
        client, "query($i: ID!) { node(id: $i) { ... on RepairOrder { files { id size } } } }", a, i=order_id
    )
    assert listed["data"]["node"]["files"] == [{"id": file_id, "size": len(PNG)}]
    for principal, status in ((a, 200), (tenants.hq_x, 200), (tenants.manager_b, 404), (tenants.hq_y, 404)):
        download = await client.get(f"/repair-order-files/{file_id}", headers=principal.headers)
        assert download.status_code == status, (principal.email, download.text)
        if status == 200:
            assert download.content == PNG
    key = await seed.scalar(text("SELECT storage_key FROM repair_order_files"))
    assert list(await seed.scalars(text("SELECT unreferenced_keys(ARRAY[:k, 'nobody/else'])"), {"k": key})) == [
        "nobody/else"
    ]
