"""The workshop context's background work: its kinds of bulk file (the vehicle register, a station's repair
orders from its DMS), which the policy context's import job runs, and the reminder to tell customers their
car is (nearly) ready. `worker.py` registers what this module exports."""

from __future__ import annotations

from typing import Any

import structlog
from arq import ArqRedis
from arq.cron import CronJob, cron
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.policy.service.imports import ImportKindSpec
from dealernet.workshop.service.repair_order_imports import REPAIR_ORDER_IMPORT
from dealernet.workshop.service.vehicle_imports import VEHICLE_IMPORT

log = structlog.get_logger(__name__)


async def remind_customer_notices(
    sessionmaker: async_sessionmaker[AsyncSession], *, queue: ArqRedis | None = None
) -> int:
    """Remind every station, in every network, of the customers due to hear about their car (once per
    promise); the reminders are mailed by the notifications job. How many went out."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=queue) as session:
        reminded = await session.scalar(text("SELECT remind_customer_notices()"))
    if reminded:
        log.info("customer notice reminders", reminded=reminded)
    return int(reminded or 0)


async def customer_notice_job(ctx: dict[str, Any]) -> int:
    return await remind_customer_notices(ctx["sessionmaker"], queue=ctx.get("redis"))


IMPORT_KINDS: list[ImportKindSpec] = [VEHICLE_IMPORT, REPAIR_ORDER_IMPORT]
CRONS: list[CronJob] = [
    # The notice is due an hour (or four) ahead of the promise: every five minutes keeps it on time.
    cron(customer_notice_job, name="cron:workshop.remind_customer_notices", minute=set(range(0, 60, 5)), second=15),
]
