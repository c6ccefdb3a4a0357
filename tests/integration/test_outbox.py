"""The outbox on a real arq worker and real Redis: a job runs in the tenant its row records, whatever ids
its payload names (SECURITY.md ISO-11); delivered twice it takes effect once; with Redis down nothing is
lost and the relay hands the row over later (INT-5 in small)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest
from arq import ArqRedis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.embedded import Servers
from dealernet.core.errors import NotFound
from dealernet.core.mail import MemoryMailer
from dealernet.core.scope import Scope
from dealernet.core.settings import Settings
from dealernet.core.unit_of_work import RUN_JOB, enqueue
from dealernet.tenants.models import Membership, Station
from dealernet.worker import make_worker
from tests.conftest import Scoped, Tenants


async def rename_station(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: object) -> None:
    await session.execute(
        text("UPDATE stations SET city = city || :mark WHERE id = :station"),
        {"mark": payload["mark"], "station": payload["station"]},
    )


async def deactivate_membership(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: object) -> None:
    await session.execute(text("UPDATE memberships SET is_active = false WHERE id = :m"), {"m": payload["membership"]})


async def refuse(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: object) -> None:
    await session.execute(text("UPDATE stations SET city = 'changed' WHERE id = :s"), {"s": payload["station"]})
    raise NotFound("the thing the job was for is gone")


async def dawdle(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: object) -> None:
    await session.execute(text("UPDATE stations SET city = 'changed' WHERE id = :s"), {"s": payload["station"]})
    await asyncio.sleep(5)


FAILED: list[tuple[str, str]] = []


async def record_failure(session: AsyncSession, scope: Scope, payload: Mapping[str, Any], reason: str) -> None:
    FAILED.append((payload["station"], reason))


# The test's own jobs, registered like a context's.
outbox.register(
    {
        "test.rename_station": rename_station,
        "test.deactivate_membership": deactivate_membership,
        "test.refuse": refuse,
        "test.dawdle": dawdle,
    },
    {"test.refuse": record_failure, "test.dawdle": record_failure},
    {"test.dawdle": timedelta(seconds=0.2)},
)


async def queue(scoped: Scoped, scope: Scope, job: str, payload: dict[str, Any]) -> UUID:
    async with scoped(scope) as session:
        row_id = await outbox.add(session, scope, job, payload)
        await session.commit()
    return row_id


async def work_off(settings: Settings, servers: Servers, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Run a burst worker over the queue with the test's sessionmaker; the number of jobs it completed."""
    worker = make_worker(
        settings, servers.redis_url, burst=True, handle_signals=False, sessionmaker=sessionmaker, max_jobs=1
    )
    worker.cron_jobs = []
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker.jobs_complete


async def city(seed: AsyncSession, station: UUID) -> str:
    seed.expire_all()
    return str(await seed.scalar(select(Station.city).where(Station.id == station)))


async def test_iso11_a_job_touches_nothing_of_the_tenant_its_payload_names(
    settings: Settings,
    servers: Servers,
    sessionmaker: async_sessionmaker[AsyncSession],
    scoped: Scoped,
    seed: AsyncSession,
    redis: ArqRedis,
    tenants: Tenants,
) -> None:
    c_before, a_before = await city(seed, tenants.station_c), await city(seed, tenants.station_a)
    jobs = [
        await queue(
            scoped, tenants.hq_x.scope, "test.rename_station", {"station": str(tenants.station_c), "mark": "!"}
        ),
        await queue(
            scoped, tenants.hq_x.scope, "test.rename_station", {"station": str(tenants.station_a), "mark": "!"}
        ),
    ]
    b_membership = await seed.scalar(select(Membership.id).where(Membership.station_id == tenants.station_b))
    jobs.append(
        await queue(scoped, tenants.manager_a.scope, "test.deactivate_membership", {"membership": str(b_membership)})
    )
    assert await enqueue(redis, jobs) == 3

    assert await work_off(settings, servers, sessionmaker) >= 3

    assert await city(seed, tenants.station_c) == c_before  # network Y: untouched
    assert await city(seed, tenants.station_a) == a_before + "!"  # its own tenant: done
    seed.expire_all()
    assert await seed.scalar(select(Membership.is_active).where(Membership.id == b_membership)) is True
    done = (
        await seed.execute(
            text("SELECT count(*) FROM outbox WHERE id = ANY(:ids) AND done_at IS NOT NULL"), {"ids": jobs}
        )
    ).scalar()
    assert done == 3


async def test_a_job_delivered_twice_takes_effect_once(
    settings: Settings,
    servers: Servers,
    sessionmaker: async_sessionmaker[AsyncSession],
    scoped: Scoped,
    seed: AsyncSession,
    redis: ArqRedis,
    tenants: Tenants,
) -> None:
    before = await city(seed, tenants.station_a)
    row = await queue(
        scoped, tenants.hq_x.scope, "test.rename_station", {"station": str(tenants.station_a), "mark": "+"}
    )
    await enqueue(redis, [row])
    await work_off(settings, servers, sessionmaker)
    # arq delivers at least once: the same row again, under another job id, and straight through run().
    await redis.enqueue_job(RUN_JOB, str(row), _job_id=f"again:{row}")
    await work_off(settings, servers, sessionmaker)
    assert (
        await outbox.run(sessionmaker, row, outbox.JobEnv(settings=settings, mailer=MemoryMailer())) == "done already"
    )
    assert await city(seed, tenants.station_a) == before + "+"


async def test_with_redis_down_nothing_is_lost_and_the_relay_hands_it_over(
    settings: Settings,
    servers: Servers,
    sessionmaker: async_sessionmaker[AsyncSession],
    scoped: Scoped,
    seed: AsyncSession,
    redis: ArqRedis,
    tenants: Tenants,
) -> None:
    before = await city(seed, tenants.station_a)
    row = await queue(
        scoped, tenants.hq_x.scope, "test.rename_station", {"station": str(tenants.station_a), "mark": "#"}
    )
    down = ArqRedis(host="127.0.0.1", port=1, socket_connect_timeout=1)  # nothing listens there
    assert await enqueue(down, [row]) == 0
    await down.aclose()
    assert await city(seed, tenants.station_a) == before

    assert await outbox.relay(sessionmaker, redis, older_than=timedelta(0)) >= 1
    await work_off(settings, servers, sessionmaker)
    assert await city(seed, tenants.station_a) == before + "#"
    assert await outbox.relay(sessionmaker, redis, older_than=timedelta(0)) == 0


async def test_an_unknown_job_is_refused_when_queued(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(ValueError, match="no job named"):
            await outbox.add(session, tenants.hq_x.scope, "nope", {})


async def test_a_job_refused_by_the_domain_fails_for_good_at_once(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenants: Tenants,
) -> None:
    """A domain error will not get better on a retry: the job's effect is rolled back, its row is done with the
    reason, and its context's failure record runs (issue 14 item 3)."""
    row_id = await queue(scoped, tenants.hq_x.scope, "test.refuse", {"station": str(tenants.station_a)})
    env = outbox.JobEnv(settings=settings, mailer=MemoryMailer())
    assert await outbox.run(sessionmaker, row_id, env) == "failed"
    assert FAILED[-1] == (str(tenants.station_a), "the thing the job was for is gone")
    row = await seed.get(outbox.OutboxRow, row_id, populate_existing=True)
    assert row is not None
    assert (row.done_at is not None, row.payload) == (True, {"failed": "the thing the job was for is gone"})
    assert await seed.scalar(text("SELECT city FROM stations WHERE id = :s"), {"s": tenants.station_a}) != "changed"


async def test_a_try_past_its_jobs_time_limit_is_cancelled_and_rolled_back(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenants: Tenants,
) -> None:
    """Issue 14 item 18: one limit of 300 s for every job; now each job has its own (here 0.2 s)."""
    row_id = await queue(scoped, tenants.hq_x.scope, "test.dawdle", {"station": str(tenants.station_a)})
    env = outbox.JobEnv(settings=settings, mailer=MemoryMailer())
    with pytest.raises(TimeoutError):  # an early try: arq tries again
        await outbox.run(sessionmaker, row_id, env)
    assert await outbox.run(sessionmaker, row_id, env, last_try=True) == "failed"
    assert FAILED[-1] == (str(tenants.station_a), "the job ran past its time limit on each of its 5 tries")
    assert await seed.scalar(text("SELECT city FROM stations WHERE id = :s"), {"s": tenants.station_a}) != "changed"
    assert outbox.timeout_of("test.dawdle") == timedelta(seconds=0.2)
    assert outbox.timeout_of("test.rename_station") == outbox.DEFAULT_TIMEOUT
