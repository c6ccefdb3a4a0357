"""The network context's background work: the registration e-mail (an outbox job), the daily onboarding
deadline reminders and the nightly forgetting of unconfirmed registrations (crons). `worker.py` registers
what this module exports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import structlog
from arq import ArqRedis
from arq.cron import CronJob, cron
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.network import rules
from dealernet.network.models import Registration
from dealernet.network.service.registration import SEND_MAIL, registration_mail

log = structlog.get_logger(__name__)


async def send_registration_mail(
    session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv
) -> None:
    query = select(Registration).where(Registration.id == UUID(payload["registration"]))
    registration = (await session.scalars(query)).first()
    if registration is None or registration.verified_at is not None:
        return
    token = outbox.unseal(env.settings, payload["token"])
    await env.mailer.send(registration_mail(env.settings.base_url, registration, token))


FORGET_AFTER = timedelta(days=30)


async def forget_unconfirmed(
    sessionmaker: async_sessionmaker[AsyncSession], *, queue: ArqRedis | None = None, after: timedelta = FORGET_AFTER
) -> int:
    """Delete registrations whose link expired more than `after` ago without being confirmed."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=queue) as session:
        forgotten = await session.scalar(text("SELECT forget_unconfirmed_registrations(:after)"), {"after": after})
    return int(forgotten or 0)


async def forget_job(ctx: dict[str, Any]) -> int:
    return await forget_unconfirmed(ctx["sessionmaker"], queue=ctx.get("redis"))


REMIND_EVERY = timedelta(days=1)


async def remind_deadlines(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    queue: ArqRedis | None = None,
    every: timedelta = REMIND_EVERY,
    file_within: int = rules.FILE_WITHIN_DAYS,
) -> int:
    """Remind every network's applicants and stations of rectification items due within three days or
    overdue, certificates expiring within 30 days, start-up orders past due (HQ too) and profile changes not
    filed within `file_within` days — once a day each (one set-based call, migrations 0021 and 0025)."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=queue) as session:
        reminded = await session.scalar(
            text("SELECT remind_onboarding_deadlines(:every, :file_within)"),
            {"every": every, "file_within": file_within},
        )
    if reminded:
        log.info("onboarding reminders", reminded=reminded)
    return int(reminded or 0)


async def remind_job(ctx: dict[str, Any]) -> int:
    return await remind_deadlines(ctx["sessionmaker"], queue=ctx.get("redis"))


OUTBOX_JOBS: dict[str, outbox.Handler] = {SEND_MAIL: send_registration_mail}
CRONS: list[CronJob] = [
    # Onboarding deadlines: rectification items due or overdue, certificates expiring (once a day each).
    cron(remind_job, name="cron:network.remind_deadlines", minute=17, second=30),
    # Registrations never confirmed: forgotten 30 days after their link expired.
    cron(forget_job, name="cron:network.forget_unconfirmed_registrations", hour=3, minute=47, second=0),
]
