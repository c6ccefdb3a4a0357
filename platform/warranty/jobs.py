"""The warranty context's background work: reminding stations of failed parts overdue for return, and
charging back those still missing a grace period later. `worker.py` registers what this module exports."""

from __future__ import annotations

from typing import Any

import structlog
from arq import ArqRedis
from arq.cron import CronJob, cron
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.unit_of_work import new_unit_of_work

log = structlog.get_logger(__name__)
GRACE_DAYS = 7  # after the reminder's due date: then the claim line is the station's cost


async def remind_overdue_returns(
    sessionmaker: async_sessionmaker[AsyncSession], *, queue: ArqRedis | None = None, grace_days: int = GRACE_DAYS
) -> int:
    """Remind every network's stations of their overdue part returns (once), and charge back those a grace
    period past due; how many reminders and chargebacks there were."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=queue) as session:
        done = await session.scalar(text("SELECT remind_overdue_returns(:grace)"), {"grace": grace_days})
    if done:
        log.info("overdue part returns", reminded_or_charged=done)
    return int(done or 0)


async def overdue_returns_job(ctx: dict[str, Any]) -> int:
    return await remind_overdue_returns(ctx["sessionmaker"], queue=ctx.get("redis"))


CRONS: list[CronJob] = [
    # Due dates are days: once an hour finds every network's day turning over soon enough.
    cron(overdue_returns_job, name="cron:warranty.remind_overdue_returns", minute=23, second=40),
]
