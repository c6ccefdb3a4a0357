"""The policy context's background work: fanning a publication out to its stations and running a bulk
import (outbox jobs). `worker.py` registers what this module exports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

from arq.cron import CronJob
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import outbox
from dealernet.core.scope import Scope
from dealernet.policy.service.imports import RUN, mark_failed, redis_progress, run_import
from dealernet.policy.service.publications import NOTIFY_DELIVERED, NOTIFY_STATIONS
from dealernet.tenants.jobs import mail_notifications


async def notify_delivered(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv) -> int:
    """Fan a publication out to its stations' inboxes, set-based, and e-mail them."""
    told = await session.execute(NOTIFY_STATIONS, {"publication": UUID(payload["publication"])})
    await mail_notifications(session, scope, {}, env)
    return int(told.rowcount)  # type: ignore[attr-defined]


async def run_import_job(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv) -> None:
    import_id = UUID(payload["import"])
    await run_import(session, scope, import_id=import_id, progress=redis_progress(env.redis, import_id))


async def import_failed(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], reason: str) -> None:
    """The import job failed for good: the import says so, with the reason, instead of staying queued."""
    await mark_failed(session, scope, import_id=UUID(payload["import"]), reason=reason)


OUTBOX_FAILURES: dict[str, outbox.FailureHandler] = {RUN: import_failed}
# A 100,000-row file checks, stages and merges in seconds; ten minutes leaves room for a busy database.
OUTBOX_TIMEOUTS: dict[str, timedelta] = {RUN: timedelta(minutes=10)}
OUTBOX_JOBS: dict[str, outbox.Handler] = {
    NOTIFY_DELIVERED: notify_delivered,
    RUN: run_import_job,
}
CRONS: list[CronJob] = []
