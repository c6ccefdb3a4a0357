"""The customer is told before the promised time (issue 15, seed 001:24): 1 h ahead for a job under two days,
4 h otherwise. At the notice time the station is reminded, once per promise; the adviser records that the
customer was told, or moves the promise (a delay, with its reason: the new promise has its own notice)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from arq import ArqRedis
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import GlobalID

from dealernet.core import outbox
from dealernet.core.access import Role
from dealernet.core.journal import JournalEntry
from dealernet.core.mail import MemoryMailer
from dealernet.tenants.models import Notification
from dealernet.workshop import jobs
from tests.conftest import Deliver, MakePrincipal, Scoped, Tenants
from tests.e2e.test_repair_orders_http import call, reception, step, workshop

NOTICE = "{ __typename ... on RepairOrderSuccess { repairOrder { id promisedAt customerNoticeAt customerToldAt } } " \
    "... on ValidationError { fields { field } } ... on ConflictError { message } }"  # fmt: skip
RECEIVED = "mutation($i: ReceiveVehicleInput!) { receiveVehicle(input: $i) " + NOTICE + " }"
TOLD = "mutation($id: ID!) { recordCustomerTold(id: $id) " + NOTICE + " }"
DELAY = "mutation($i: DelayRepairOrderInput!) { delayRepairOrder(input: $i) " + NOTICE + " }"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_the_customer_hears_on_time_and_of_a_delay(
    client: httpx.AsyncClient,
    scoped: Scoped,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    sessionmaker: async_sessionmaker[AsyncSession],
    deliver: Deliver,
    mailer: MemoryMailer,
    redis: ArqRedis,
) -> None:
    adviser = await make_principal(tenants.network_x, tenants.station_a, Role.STATION_SERVICE_ADVISOR)  # seed first
    w = await workshop(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    promised = datetime.now(UTC) + timedelta(minutes=30)  # a short job: told an hour ahead, i.e. now
    received = await call(client, a, RECEIVED, "receiveVehicle", i=reception(w, promisedAt=promised.isoformat()))
    order = received["repairOrder"]
    assert at(order["customerNoticeAt"]) == at(order["promisedAt"]) - timedelta(hours=1)
    long_job = await call(
        client, a, RECEIVED, "receiveVehicle", i=reception(w, promisedAt=(promised + timedelta(days=3)).isoformat())
    )
    notice = long_job["repairOrder"]
    assert at(notice["customerNoticeAt"]) == at(notice["promisedAt"]) - timedelta(hours=4)  # not due yet

    # The station is reminded of the first order only, and once.
    assert await jobs.remind_customer_notices(sessionmaker) == 1
    assert await jobs.remind_customer_notices(sessionmaker) == 0
    reminders = select(Notification.entity_id).where(Notification.kind == "customer_notice")
    assert [str(i) for i in await seed.scalars(reminders)] == [GlobalID.from_id(order["id"]).node_id]
    await outbox.relay(sessionmaker, redis, older_than=timedelta(0))  # the mail job the reminder left
    assert await deliver() >= 1  # the service adviser hears of it, and the manager
    told_by_mail = sorted(m.to for m in mailer.sent if m.subject.startswith("Tell the customer"))
    assert told_by_mail == sorted([adviser.email, a.email])

    told = (await call(client, a, TOLD, "recordCustomerTold", id=order["id"]))["repairOrder"]
    assert told["customerToldAt"] is not None
    again = await call(client, a, TOLD, "recordCustomerTold", id=order["id"])
    assert again["__typename"] == "ConflictError"

    # The car will be late: an earlier promise or no reason is refused; a later one is the new promise.
    earlier = await call(client, a, DELAY, "delayRepairOrder", i={"repairOrderId": order["id"], "promisedAt":
                         datetime.now(UTC).isoformat(), "reason": ""})  # fmt: skip
    assert earlier["__typename"] == "ValidationError"
    assert {f["field"] for f in earlier["fields"]} == {"promisedAt", "reason"}
    later = promised + timedelta(hours=3)
    delayed = await call(client, a, DELAY, "delayRepairOrder", i={"repairOrderId": order["id"], "promisedAt":
                         later.isoformat(), "reason": "a part comes tomorrow morning"})  # fmt: skip
    moved = delayed["repairOrder"]
    assert (at(moved["promisedAt"]), moved["customerToldAt"]) == (later, None)
    assert at(moved["customerNoticeAt"]) == later - timedelta(hours=1)
    entry = await seed.scalar(select(JournalEntry.after).where(JournalEntry.action == "delayed"))
    assert entry == {"promised_at": later.isoformat(), "reason": "a part comes tomorrow morning", "told_late": True}
    assert await jobs.remind_customer_notices(sessionmaker) == 0  # the new notice is two hours away

    # Another station cannot tell this order's customer; a cancelled order has nothing to tell.
    other = await call(client, tenants.manager_b, TOLD, "recordCustomerTold", id=order["id"])
    assert other["__typename"] != "RepairOrderSuccess"
    cancelled = await call(client, a, step("cancelRepairOrder"), "cancelRepairOrder", id=notice["id"])
    assert cancelled["__typename"] == "RepairOrderSuccess"
    late = await call(client, a, TOLD, "recordCustomerTold", id=notice["id"])
    assert late["__typename"] == "ConflictError"
    assert await seed.scalar(select(func.count()).where(Notification.kind == "customer_notice")) == 1
