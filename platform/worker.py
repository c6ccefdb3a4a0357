"""The arq worker: every context's jobs and crons, msgspec serialisation, one Redis connection helper."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
import structlog
from arq import ArqRedis, create_pool, cron
from arq.connections import RedisSettings
from arq.constants import in_progress_key_prefix
from arq.typing import WorkerCoroutine
from arq.worker import Worker, func
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox, storage
from dealernet.core.bootstrap import app_url
from dealernet.core.db import create_engine, make_sessionmaker
from dealernet.core.embedded import resolve_servers
from dealernet.core.mail import LogMailer, Mailer
from dealernet.core.settings import Settings
from dealernet.core.unit_of_work import RUN_JOB
from dealernet.network import jobs as network_jobs
from dealernet.policy import jobs as policy_jobs
from dealernet.policy.service import imports
from dealernet.tenants import jobs as tenants_jobs
from dealernet.warranty import jobs as warranty_jobs
from dealernet.workshop import jobs as workshop_jobs

log = structlog.get_logger(__name__)

HEARTBEAT_KEY = "dealernet:worker:heartbeat"
HEARTBEAT_STALE = timedelta(minutes=3)  # the cron beats every minute: three missed beats is a dead worker
RECONNECT_DELAYS = (1, 2, 4, 8, 15, 30)  # seconds between tries to get Redis back, then every 30 s

# msgspec instead of arq's default pickle: a job payload can never execute code on the worker.
SERIALIZER: dict[str, Any] = {
    "job_serializer": msgspec.msgpack.encode,
    "job_deserializer": msgspec.msgpack.decode,
}


async def connect_queue(redis_url: str) -> ArqRedis:
    """An arq pool that enqueues with the worker's serialiser."""
    return await create_pool(RedisSettings.from_dsn(redis_url), **SERIALIZER)


async def record_heartbeat(ctx: dict[str, Any]) -> str:
    """Write the time this worker last beat; /ready reports a worker whose beat is stale."""
    now = datetime.now(UTC).isoformat()
    await ctx["redis"].set(HEARTBEAT_KEY, now, ex=600)
    return now


async def worker_health(redis: ArqRedis) -> str:
    """ "ok" while some worker beat within HEARTBEAT_STALE; else what is wrong, in words."""
    beat = await redis.get(HEARTBEAT_KEY)
    if beat is None:
        return "no worker has beaten in 10 minutes"
    at = datetime.fromisoformat(beat.decode() if isinstance(beat, bytes) else str(beat))
    age = datetime.now(UTC) - at
    return "ok" if age <= HEARTBEAT_STALE else f"stalled: last beat {int(age.total_seconds())} s ago"


async def supervise(make: Callable[[], Worker]) -> None:
    """Run a worker and, when it stops because Redis went away, start a new one once Redis answers again
    (backing off up to 30 s between tries). Returns when a worker ends by itself: a burst done, or SIGTERM
    or SIGINT, which is a clean stop (exit status 0, no traceback)."""
    failures = 0
    while True:
        worker = make()
        try:
            await worker.async_run()
            return
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being stopped from outside
            return  # SIGTERM or SIGINT: arq cancelled its own main task, a clean stop
        except (RedisError, OSError) as exc:
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            failures += 1
            log.warning("worker lost Redis; starting again", error=type(exc).__name__, retry_in_seconds=delay)
        finally:
            with contextlib.suppress(RedisError, OSError):
                await worker.close()
        await asyncio.sleep(delay)


# Every context's jobs, listed here and nowhere else (contexts in their declared order).
OUTBOX_JOBS: dict[str, outbox.Handler] = {
    **tenants_jobs.OUTBOX_JOBS,
    **policy_jobs.OUTBOX_JOBS,
    **network_jobs.OUTBOX_JOBS,
}
CRONS = [
    cron(record_heartbeat, name="cron:platform.record_heartbeat", second=0, run_at_startup=True),
    cron(outbox.relay_job, name="cron:outbox.relay", second={5, 25, 45}, run_at_startup=True),
    # Stored files whose request rolled back after the bytes were put: once a night.
    cron(storage.sweep_job, name="cron:platform.sweep_stored_files", hour=3, minute=37, second=0),
    *tenants_jobs.CRONS,
    *policy_jobs.CRONS,
    *network_jobs.CRONS,
    *workshop_jobs.CRONS,
    *warranty_jobs.CRONS,
]
CRON_TIMEOUT = timedelta(minutes=5)  # a cron's run (a nightly sweep is the longest)


OUTBOX_FAILURES: dict[str, outbox.FailureHandler] = {**policy_jobs.OUTBOX_FAILURES}
OUTBOX_TIMEOUTS: dict[str, timedelta] = {**policy_jobs.OUTBOX_TIMEOUTS}


def register_jobs() -> None:
    """Make every context's outbox jobs known (the API and the CLI queue them, the worker runs them), and
    the kinds of bulk file the import job takes."""
    outbox.register(OUTBOX_JOBS, OUTBOX_FAILURES, OUTBOX_TIMEOUTS)
    for kind in workshop_jobs.IMPORT_KINDS:
        imports.register_kind(kind)


def leased(function: Callable[..., Awaitable[Any]], lease: timedelta) -> WorkerCoroutine:
    """`function`, renewing its job's lock while it runs. arq locks a running job (its in-progress key)
    for a fixed time; a worker killed mid-job leaves the lock behind, and the job runs again only once it
    has expired. A short lease renewed every third of it keeps a long job locked while its worker lives
    and frees a dead worker's job within one lease."""

    async def renew(redis: ArqRedis, key: str) -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            with contextlib.suppress(RedisError, OSError):  # a missed renewal is retried a third later
                await redis.pexpire(key, int(lease.total_seconds() * 1000))

    @functools.wraps(function)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        renewing = asyncio.create_task(renew(ctx["redis"], in_progress_key_prefix + ctx["job_id"]))
        try:
            return await function(ctx, *args, **kwargs)
        finally:
            renewing.cancel()

    return cast(WorkerCoroutine, run)


def make_worker(
    settings: Settings,
    redis_url: str,
    *,
    burst: bool = False,
    handle_signals: bool = True,
    sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    max_jobs: int = 10,
    mailer: Mailer | None = None,
    admin_url: str | None = None,
) -> Worker:
    """The worker. Jobs reach the database through `sessionmaker` (tests pass theirs), else through the
    app login the worker connects with at start-up."""
    register_jobs()
    lease = timedelta(seconds=settings.job_lease_seconds)
    functions = [
        func(leased(record_heartbeat, lease), name="platform.record_heartbeat"),
        # Each outbox job keeps to its own time (outbox.TIMEOUTS); this is only the ceiling over them all.
        func(leased(outbox.run_job, lease), name=RUN_JOB, timeout=outbox.longest_timeout() + timedelta(seconds=30)),
    ]
    crons = [dataclasses.replace(job, coroutine=leased(job.coroutine, lease), next_run=None) for job in CRONS]

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["env"] = outbox.JobEnv(settings=settings, mailer=mailer or LogMailer(), redis=ctx.get("redis"))
        ctx["store"] = storage.open_store(settings)
        if sessionmaker is not None:
            ctx["sessionmaker"] = sessionmaker
            return
        url = admin_url or resolve_servers(settings).postgres_admin_url
        ctx["engine"] = create_engine(app_url(settings, url))
        ctx["sessionmaker"] = make_sessionmaker(ctx["engine"])

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "engine" in ctx:
            await ctx["engine"].dispose()

    worker = Worker(
        functions=functions,
        # Fresh copies: arq keeps each cron's next run on the object, and a worker started again after a
        # Redis gap must run its start-up crons (the heartbeat) again.
        cron_jobs=crons,
        on_startup=startup,
        on_shutdown=shutdown,
        redis_settings=RedisSettings.from_dsn(redis_url),
        burst=burst,
        handle_signals=handle_signals,
        max_jobs=max_jobs,
        job_timeout=CRON_TIMEOUT,
        max_tries=outbox.MAX_TRIES,
        keep_result=3600,
        ctx={"settings": settings},
        **SERIALIZER,
    )
    # arq locks every job for its longest timeout + 10 s: a killed worker's job waited that long (310 s)
    # to run again. The jobs renew a short lease instead (`leased`).
    worker.in_progress_timeout_s = lease.total_seconds()
    return worker
