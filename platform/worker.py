"""The arq worker: every context's jobs and crons, msgspec serialisation, one Redis connection helper."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
from arq import ArqRedis, create_pool, cron
from arq.connections import RedisSettings
from arq.worker import Function, Worker, func

from dealernet.settings import Settings

HEARTBEAT_KEY = "dealernet:worker:heartbeat"

# msgspec instead of arq's default pickle: a job payload can never execute code on the worker.
SERIALIZER: dict[str, Any] = {
    "job_serializer": msgspec.msgpack.encode,
    "job_deserializer": msgspec.msgpack.decode,
}


async def connect_queue(redis_url: str) -> ArqRedis:
    """An arq pool that enqueues with the worker's serialiser."""
    return await create_pool(RedisSettings.from_dsn(redis_url), **SERIALIZER)


async def record_heartbeat(ctx: dict[str, Any]) -> str:
    """Write the time this worker last ran a job; operators (and /ready later) can see a stalled worker."""
    now = datetime.now(UTC).isoformat()
    await ctx["redis"].set(HEARTBEAT_KEY, now, ex=600)
    return now


FUNCTIONS: list[Function] = [func(record_heartbeat, name="platform.record_heartbeat")]
CRONS = [cron(record_heartbeat, name="cron:platform.record_heartbeat", second=0, run_at_startup=True)]


def make_worker(settings: Settings, redis_url: str, *, burst: bool = False, handle_signals: bool = True) -> Worker:
    return Worker(
        functions=FUNCTIONS,
        cron_jobs=CRONS,
        redis_settings=RedisSettings.from_dsn(redis_url),
        burst=burst,
        handle_signals=handle_signals,
        max_jobs=10,
        job_timeout=300,
        keep_result=3600,
        ctx={"settings": settings},
        **SERIALIZER,
    )
