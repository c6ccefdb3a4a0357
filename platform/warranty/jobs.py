"""The warranty context's background work: reminding stations of failed parts overdue for return, charging
back those still missing a grace period later, and each station's claim rate against its network's.
`worker.py` registers what this module exports."""

from __future__ import annotations

from decimal import Decimal
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
SPIKE_FACTOR = 2  # a station claiming more than twice its network's median rate this month is spiking
SPIKE_MIN_CLAIMS = 5  # (a station's first few claims of a month are no trend)


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


async def compute_claim_rates(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    factor: Decimal = Decimal(SPIKE_FACTOR),
    min_claims: int = SPIKE_MIN_CLAIMS,
) -> int:
    """Every active station's claims per 100 repair orders this month (each network's own month) beside its
    network's median, for the claim check CLAIM_RATE_SPIKE; how many stations are spiking."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=None) as session:
        spiking = await session.scalar(
            text("SELECT compute_claim_rates(:factor, :min_claims)"), {"factor": factor, "min_claims": min_claims}
        )
    if spiking:
        log.info("stations claiming far above their network", spiking=spiking)
    return int(spiking or 0)


async def claim_rates_job(ctx: dict[str, Any]) -> int:
    return await compute_claim_rates(ctx["sessionmaker"])


async def overdue_returns_job(ctx: dict[str, Any]) -> int:
    return await remind_overdue_returns(ctx["sessionmaker"], queue=ctx.get("redis"))


CRONS: list[CronJob] = [
    # Due dates are days: once an hour finds every network's day turning over soon enough.
    cron(overdue_returns_job, name="cron:warranty.remind_overdue_returns", minute=23, second=40),
    # Claim rates: every few hours keeps "this month" current in every time zone without counting all day.
    cron(claim_rates_job, name="cron:warranty.compute_claim_rates", hour={1, 7, 13, 19}, minute=41, second=10),
]
