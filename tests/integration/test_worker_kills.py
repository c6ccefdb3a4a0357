"""A real `dealernet worker` process killed with SIGKILL in the middle of its work (issue 14, items 17 and
18): the job runs again soon, its effect lands once, and no e-mail goes out twice. Each test runs its own
Redis on another port and commits its own network, removed afterwards."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from arq import ArqRedis
from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import make_sessionmaker, new_id
from dealernet.core.embedded import Servers
from dealernet.core.scope import SEED_SCOPE, DbRole, Scope
from dealernet.core.settings import Settings
from dealernet.core.unit_of_work import new_unit_of_work
from dealernet.policy.models import Import, Part
from dealernet.policy.service import imports
from dealernet.tenants.models import Notification
from dealernet.tenants.service.notifications import MAIL
from dealernet.worker import connect_queue, register_jobs
from tests.conftest import free_port
from tests.factories import MembershipFactory, NetworkFactory, StationFactory, UserFactory, persist
from tests.integration.test_worker import _redis_server

LEASE_SECONDS = 2  # the test's lease; production's is 30 s (Settings.job_lease_seconds)


@dataclass
class World:
    """A committed network with one station and its manager, a Redis of the test's own and a way to
    start `dealernet worker` processes against both, each writing its output to a file."""

    hq: Scope
    manager_email: str
    maker: async_sessionmaker[AsyncSession]
    queue: ArqRedis
    env: dict[str, str]
    logs: Path

    def start_worker(self, n: int) -> subprocess.Popen[bytes]:
        out = (self.logs / f"worker-{n}.log").open("wb")
        command = [str(Path(sys.executable).with_name("dealernet")), "worker"]
        return subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def output_of(self, n: int) -> str:
        return (self.logs / f"worker-{n}.log").read_text(errors="replace")

    def output(self) -> str:
        return "".join(path.read_text(errors="replace") for path in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
async def world(settings: Settings, servers: Servers, engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[World]:
    register_jobs()
    network = NetworkFactory.build()
    station = StationFactory.build(network_id=network.id)
    manager = UserFactory.build()
    membership = MembershipFactory.build(
        user_id=manager.id, network_id=network.id, station_id=station.id, role=Role.STATION_MANAGER.value
    )
    maker = make_sessionmaker(engine)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        await persist(session, network, station, manager)
        await persist(session, membership)
        await session.commit()
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network.id,
        actor_id=new_id(),
        role=Role.HQ_ADMIN.value,
        permissions=permissions_of(Role.HQ_ADMIN),
    )
    redis_server = _redis_server(port := free_port())
    url = f"redis://127.0.0.1:{port}/0"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",  # what a killed worker logged is in its file, not lost in a buffer
        "DEALERNET_ENV": "development",
        "DEALERNET_DATABASE_URL": servers.postgres_admin_url,
        "DEALERNET_DATABASE": settings.database_name,
        "DEALERNET_REDIS_URL": url,
        "DEALERNET_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    queue = await _connect(url)
    try:
        yield World(hq, manager.email, maker, queue, env, tmp_path)
    finally:
        await queue.aclose()
        redis_server.terminate()
        redis_server.wait(timeout=10)
        async with maker(info={"scope": SEED_SCOPE}) as session:
            for table in (
                "notifications", "parts", "imports", "outbox", "journal", "journal_heads", "network_counters",
                "memberships", "stations",
            ):  # fmt: skip
                await session.execute(text(f"DELETE FROM {table} WHERE network_id = :n"), {"n": network.id})
            await session.execute(text("DELETE FROM users WHERE id = :u"), {"u": manager.id})
            await session.execute(text("DELETE FROM networks WHERE id = :n"), {"n": network.id})
            await session.commit()


async def _connect(url: str) -> ArqRedis:
    for _ in range(50):  # the Redis just started may not listen yet
        try:
            return await connect_queue(url)
        except OSError:
            await asyncio.sleep(0.1)
    return await connect_queue(url)


def _kill(worker: subprocess.Popen[bytes]) -> None:
    worker.kill()  # SIGKILL: no shutdown, no requeue, the job's lock left behind in Redis
    worker.wait(timeout=10)


async def _until(condition: Callable[[], Awaitable[bool]], within: float) -> float:
    """Seconds until `condition` answers true; fails after `within` seconds."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while loop.time() - start < within:
        if await condition():
            return loop.time() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"not within {within} s")


async def test_a_killed_import_runs_again_within_one_lease_and_writes_its_rows_once(world: World) -> None:
    """Item 18: a killed 100,000-row import waited 310 s (arq's one lock for every job) to run again."""
    rows = 100_000
    content = ("part_number,name_zh,name_en,component_group,unit,supplier_code\n" + "".join(
        f"K-{n},件{n},Part {n},G,EA,\n" for n in range(rows)
    )).encode()  # fmt: skip
    async with new_unit_of_work(world.maker, world.hq, queue=world.queue) as session:
        started = await imports.start_import(
            session, world.hq, kind=imports.PARTS, filename="vehicles.csv", content=content
        )
    import_id = started.row.id

    async def running() -> bool:
        progress = await imports.read_progress(world.queue, import_id)
        return progress is not None and 0 < progress[0] < progress[1]

    async def status() -> str:
        async with world.maker(info={"scope": SEED_SCOPE}) as session:
            return str(await session.scalar(select(Import.status).where(Import.id == import_id)))

    async def done() -> bool:
        return await status() == "done"

    first = world.start_worker(1)
    try:
        await _until(running, within=60)
        _kill(first)
        assert await status() == "queued"  # the killed try's transaction rolled back
        second = world.start_worker(2)
        try:
            again = await _until(done, within=120)
        finally:
            _kill(second)
    finally:
        if first.poll() is None:
            _kill(first)
    # The lease, the new worker's start-up and the whole import again: far from arq's 310 s.
    assert again < 90, f"the import finished {again:.0f} s after the kill"
    async with world.maker(info={"scope": SEED_SCOPE}) as session:
        written = await session.scalar(
            select(func.count()).select_from(Part).where(Part.network_id == world.hq.network_id)
        )
        finished = await session.get(Import, import_id)
    assert finished is not None
    assert (finished.rows_written, written) == (rows, rows)


async def test_no_mail_goes_out_twice_when_the_worker_is_killed_while_mailing(world: World) -> None:
    """Item 17: mails were sent inside the job's transaction, so a worker killed before its commit had sent
    mails that the next worker sent again (14 duplicates in 4 runs)."""
    count = 4_000  # four batches of the notifications job
    async with world.maker(info={"scope": SEED_SCOPE}) as session:
        station_id = await session.scalar(
            text("SELECT id FROM stations WHERE network_id = :n"), {"n": world.hq.network_id}
        )
        await session.execute(
            insert(Notification),
            [
                {
                    "id": new_id(),
                    "network_id": world.hq.network_id,
                    "station_id": station_id,
                    "kind": "publication.delivered",
                    "subject": f"Notice {n:05d}",
                    "entity": "publication",
                    "entity_id": new_id(),
                }
                for n in range(count)
            ],
        )
        await session.commit()
    async with new_unit_of_work(world.maker, world.hq, queue=world.queue) as session:
        await outbox.add(session, world.hq, MAIL, {})

    async def all_mailed() -> bool:
        async with world.maker(info={"scope": SEED_SCOPE}) as session:
            query = (
                select(func.count())
                .select_from(Notification)
                .where(Notification.network_id == world.hq.network_id, Notification.mailed_at.is_(None))
            )
            return await session.scalar(query) == 0

    for n, pause in enumerate((0.0, 0.15, 0.3), start=1):  # killed as it starts mailing, and a little later
        worker = world.start_worker(n)

        async def mailing(n: int = n) -> bool:
            return "Notice " in world.output_of(n)

        try:
            await _until(mailing, within=60)
            await asyncio.sleep(pause)
        finally:
            _kill(worker)
    last = world.start_worker(4)
    try:
        await _until(all_mailed, within=120)
        await asyncio.sleep(1)  # the last batch's mails go out just after its commit
    finally:
        _kill(last)
    sent = Counter(re.findall(r"Notice \d{5}", world.output()))
    twice = {subject: times for subject, times in sent.items() if times > 1}
    assert not twice, f"{len(twice)} mails went out more than once"
    assert sent, "no mail went out at all"
    # At most once, not exactly once: a batch whose commit landed but whose worker died before sending
    # is not mailed again (docs/security.md). Most of them went out.
    assert len(sent) > count // 2
