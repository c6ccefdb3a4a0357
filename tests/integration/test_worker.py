"""The arq worker against real Redis: a job runs, its effect is visible, a duplicate job id is a no-op."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from arq import ArqRedis

from dealernet.core.embedded import Servers
from dealernet.core.settings import Settings
from dealernet.worker import HEARTBEAT_KEY, make_worker


async def test_heartbeat_job_runs_on_a_real_worker(settings: Settings, servers: Servers, redis: ArqRedis) -> None:
    before = datetime.now(UTC)
    job = await redis.enqueue_job("platform.record_heartbeat", _job_id="heartbeat-test")
    duplicate = await redis.enqueue_job("platform.record_heartbeat", _job_id="heartbeat-test")
    assert job is not None
    assert duplicate is None

    worker = make_worker(settings, servers.redis_url, burst=True, handle_signals=False)
    worker.cron_jobs = []  # only the enqueued job, not the startup cron
    try:
        await worker.main()
    finally:
        await worker.close()

    stored = await redis.get(HEARTBEAT_KEY)
    assert stored is not None
    assert datetime.fromisoformat(stored.decode()) >= before
    assert worker.jobs_complete == 1
    assert worker.jobs_failed == 0


async def test_job_payloads_are_msgpack_not_pickle(redis: ArqRedis) -> None:
    await redis.enqueue_job("platform.record_heartbeat", _job_id="payload-test")
    raw = await redis.get("arq:job:payload-test")
    assert raw is not None
    decoded = msgspec.msgpack.decode(raw)
    assert decoded["f"] == "platform.record_heartbeat"
