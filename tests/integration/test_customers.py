"""A station's customers against real PostgreSQL: the station keeps them, HQ cannot, bad records name every
bad field and write nothing, and the journal holds who changed what — never the personal data itself."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import Forbidden, NotFound, ValidationFailed
from dealernet.core.journal import JournalEntry
from dealernet.workshop.models import Customer
from dealernet.workshop.service import customers
from tests.conftest import Scoped, Tenants

ZHANG = customers.CustomerInput(name=" 张三 ", phone="+86 138-0000-0000", address="上海市浦东新区")


async def test_a_station_records_finds_and_corrects_its_customers(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    station = tenants.manager_a.scope
    async with scoped(station) as session:
        created = await customers.create_customer(session, station, ZHANG)
        await customers.create_customer(session, station, customers.CustomerInput(name="张_明", phone="13900000000"))
        await customers.create_customer(session, station, customers.CustomerInput(name="李四", phone="13700000000"))
        assert created.name == "张三"
        by_phone = await customers.find_customers(session, station, first=10, phone="+86 138-0000-0000")
        assert [c.id for c in by_phone] == [created.id]
        starting = await customers.find_customers(session, station, first=10, name="张")
        assert {c.name for c in starting} == {"张_明", "张三"}
        escaped = await customers.find_customers(session, station, first=10, name="张_")  # _ is no wildcard
        assert [c.name for c in escaped] == ["张_明"]
        updated = await customers.update_customer(
            session,
            station,
            created.id,
            customers.CustomerInput(name="张三", phone="13800000001", address="上海市浦东新区"),
        )
        assert updated.phone == "13800000001"
        customer_id = created.id
        await session.commit()
    entries = (
        await seed.scalars(select(JournalEntry).where(JournalEntry.entity_id == customer_id).order_by(JournalEntry.seq))
    ).all()
    assert [(e.action, e.after) for e in entries] == [("created", None), ("updated", {"changed": ["phone"]})]


async def test_a_bad_record_names_every_bad_field_and_writes_nothing(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(ValidationFailed) as refused:
            await customers.create_customer(
                session, tenants.manager_a.scope, customers.CustomerInput(name="  ", phone="call me", address="x" * 501)
            )
    assert set(refused.value.fields) == {"name", "phone", "address"}
    assert await seed.scalar(select(func.count()).select_from(Customer)) == 0


async def test_hq_keeps_no_customers_and_another_station_cannot_change_them(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(Forbidden):
            await customers.create_customer(session, tenants.hq_x.scope, ZHANG)
    async with scoped(tenants.manager_a.scope) as session:
        created = await customers.create_customer(session, tenants.manager_a.scope, ZHANG)
        customer_id = created.id
        await session.commit()
    async with scoped(tenants.manager_b.scope) as session:
        with pytest.raises(NotFound):
            await customers.update_customer(session, tenants.manager_b.scope, customer_id, ZHANG)
    async with scoped(tenants.hq_x.scope) as session:  # HQ reads them (through node, journaled for phones)
        found = await customers.customers_by_id(session, tenants.hq_x.scope, [customer_id])
        assert list(found) == [customer_id]
