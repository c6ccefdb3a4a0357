"""A station's customers (顾客档案): personal data, kept by the station that serves them (its manager and
service advisers), read by HQ — each HQ read of a phone number journaled, as the data-protection promise
says — and never by a partner (no grant at all, migration 0033).

`check_customer` is the one validation of a customer record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.workshop.models import Customer

PHONE = re.compile(r"^\+?[0-9][0-9 -]{4,38}$")
_FIELDS = ("name", "phone", "address")
KEPT_BY_STATIONS = "customers are kept by the station that serves them"


@dataclass(frozen=True)
class CustomerInput:
    name: str
    phone: str
    address: str = ""


def check_customer(data: CustomerInput) -> CustomerInput:
    """The record as stored (trimmed), or VALIDATION naming every bad field."""
    cleaned = replace(data, name=data.name.strip(), phone=data.phone.strip(), address=data.address.strip())
    problems: dict[str, str] = {}
    if not cleaned.name or len(cleaned.name) > 200:
        problems["name"] = "required, at most 200 characters"
    if not PHONE.match(cleaned.phone):
        problems["phone"] = "digits (spaces and dashes allowed), 5 to 39 of them, an optional + first"
    if len(cleaned.address) > 500:
        problems["address"] = "at most 500 characters"
    if problems:
        raise ValidationFailed("the customer record is not valid", fields=problems)
    return cleaned


async def create_customer(session: AsyncSession, scope: Scope, data: CustomerInput) -> Customer:
    require(scope, Permission.customers_manage)
    station_id = require_station(scope, KEPT_BY_STATIONS)
    data = check_customer(data)
    customer = Customer(id=new_id(), station_id=station_id, network_id=scope.network_id, **data.__dict__)
    session.add(customer)
    await session.flush()
    # The journal keeps who created the record, not the personal data itself.
    await journal.record(session, scope, entity="customer", entity_id=customer.id, action="created")
    return customer


async def update_customer(session: AsyncSession, scope: Scope, customer_id: UUID, data: CustomerInput) -> Customer:
    require(scope, Permission.customers_manage)
    station_id = require_station(scope, KEPT_BY_STATIONS)
    data = check_customer(data)
    customer = await session.get(Customer, (station_id, customer_id))
    if customer is None:
        raise NotFound("no such customer", fields={"customer_id": "not found"})
    changed = [name for name in _FIELDS if getattr(customer, name) != getattr(data, name)]
    if not changed:
        return customer
    for name in changed:
        setattr(customer, name, getattr(data, name))
    customer.updated_at = datetime.now(UTC)
    await session.flush()
    await journal.record(
        session, scope, entity="customer", entity_id=customer.id, action="updated", after={"changed": changed}
    )
    return customer


async def customers_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Customer]:
    """Customers by id, wherever RLS lets the scope read them (a station its own, HQ its network's)."""
    require(scope, Permission.customers_read)
    rows = await session.scalars(select(Customer).where(Customer.id.in_(ids)))
    return {row.id: row for row in rows}


async def find_customers(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    phone: str | None = None,
    name: str | None = None,
) -> list[Customer]:
    """The station's customers by name (a phone number or the start of a name narrows it); first + 1 rows.
    HQ finds customers through repair orders and claims, not by browsing."""
    require(scope, Permission.customers_manage)
    require_station(scope, KEPT_BY_STATIONS)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if phone:
        where.append(Customer.phone == phone.strip())
    if name:
        escaped = name.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(Customer.name.like(f"{escaped}%"))
    if after is not None:
        where.append(tuple_(Customer.name, Customer.id) > tuple_(*after))
    stmt = select(Customer).where(*where).order_by(Customer.name, Customer.id).limit(first + 1)
    return list(await session.scalars(stmt))


async def journal_phone_read(session: AsyncSession, scope: Scope, customer: Customer) -> None:
    """HQ read this customer's phone number: the journal says who and when (in the station's journal)."""
    await journal.record(
        session, scope, entity="customer", entity_id=customer.id, action="phone_read", station_id=customer.station_id
    )
