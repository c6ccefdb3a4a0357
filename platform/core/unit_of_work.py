"""The one unit of work: every transaction that writes — a GraphQL mutation, a plain-HTTP upload, an anonymous
mutation, a job, a cron — commits here and nowhere else.

Open the scoped transaction, run, commit, then hand the outbox rows the transaction wrote to the job queue;
on any error roll back and drop them, so a job never runs for a change that did not happen. Redis being
down loses nothing: the outbox relay enqueues whatever is still waiting (outbox.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from uuid import UUID

import structlog
from arq import ArqRedis
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.scope import Scope

log = structlog.get_logger(__name__)

RUN_JOB = "outbox.run"  # the arq function that runs one outbox row
PENDING = "outbox_pending"  # session.info key: rows this transaction wrote, for the after-commit hand-over
AFTER_COMMIT = "after_commit"  # session.info key: what may happen only once the transaction is committed


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[object]]) -> None:
    """Run `action` once this unit of work has committed, never if it rolls back: for effects outside the
    database that must not repeat (an e-mail), recorded as done in the transaction first. An action that
    fails is logged; it is not retried (at most once)."""
    session.info.setdefault(AFTER_COMMIT, []).append(action)


@asynccontextmanager
async def unit_of_work(session: AsyncSession, *, queue: ArqRedis | None) -> AsyncIterator[AsyncSession]:
    """Commit what the block did to `session` (whose scope is already set), then enqueue its outbox rows."""
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        session.info.pop(PENDING, None)
        session.info.pop(AFTER_COMMIT, None)
        raise
    jobs = session.info.pop(PENDING, [])
    if jobs and queue is not None:
        await enqueue(queue, jobs)
    for action in session.info.pop(AFTER_COMMIT, []):
        try:
            await action()
        except Exception:
            log.exception("an after-commit action failed; it is not repeated")


@asynccontextmanager
async def new_unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], scope: Scope | None, *, queue: ArqRedis | None
) -> AsyncIterator[AsyncSession]:
    """A unit of work on a session of its own, in `scope`."""
    async with sessionmaker(info={"scope": scope}) as session, unit_of_work(session, queue=queue) as work:
        yield work


async def enqueue(redis: ArqRedis, ids: Sequence[UUID]) -> int:
    """Hand committed outbox rows to arq (a deterministic job id each, so a second hand-over is a no-op)."""
    queued = 0
    try:
        for row_id in ids:
            if await redis.enqueue_job(RUN_JOB, str(row_id), _job_id=f"outbox:{row_id}") is not None:
                queued += 1
    except (RedisError, OSError) as exc:
        log.warning("outbox: Redis unavailable, the relay will enqueue", error=str(exc))
    return queued
