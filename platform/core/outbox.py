"""The transactional outbox (docs/security.md: arq delivers at least once, and Redis can be down).

A service asks for background work with `add(session, scope, job, payload)`: one row in the caller's
transaction, so a job exists exactly when its change committed. After the commit the request hands the
row to arq at once (`enqueue`); `relay` (a worker cron) hands over whatever is still waiting, e.g. after
Redis was down. arq's job id is the row's id, so a row is queued once at a time, and `run` marks the row
done in the same transaction as the job's effect, so a job delivered twice takes effect once.

A job runs in the tenant scope its row records (network, station, actor, role), never in a scope its
payload names: a payload naming another tenant's ids reaches nothing of theirs (docs/security.md ISO-11).
Jobs are registered by name (`register`, from each context's `jobs.py`) and receive
`(session, scope, payload, env)`. A payload that must carry a secret (an invitation link) seals it with
`seal`, and the row's payload is emptied once the job is done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from arq import ArqRedis
from cryptography.fernet import Fernet
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import Base, IdMixin, new_id, scoped_session
from dealernet.core.errors import DomainError
from dealernet.core.mail import Mailer
from dealernet.core.scope import AUTH_SCOPE, DbRole, Scope
from dealernet.core.secrets import secret_box
from dealernet.core.settings import Settings
from dealernet.core.unit_of_work import PENDING, enqueue, new_unit_of_work

log = structlog.get_logger(__name__)

RELAY_AFTER = timedelta(seconds=10)  # younger rows are the requests' own to enqueue
RELAY_BATCH = 500


@dataclass(frozen=True)
class JobEnv:
    """What a job may use besides its session and scope."""

    settings: Settings
    mailer: Mailer
    redis: ArqRedis | None = None  # for progress a job reports (a bulk import's rows done)


Handler = Callable[[AsyncSession, Scope, Mapping[str, Any], JobEnv], Awaitable[object]]
# What a job's context records when the job fails for good (its import marked failed, say), in a
# transaction of its own: (session, scope, payload, reason).
FailureHandler = Callable[[AsyncSession, Scope, Mapping[str, Any], str], Awaitable[object]]
JOBS: dict[str, Handler] = {}
FAILURES: dict[str, FailureHandler] = {}
# How long one try of a job may take. A mail or a fan-out takes seconds; a job that needs longer (a bulk
# import) says so when it registers. A try past its time is cancelled and counts as a failed try.
TIMEOUTS: dict[str, timedelta] = {}
DEFAULT_TIMEOUT = timedelta(minutes=1)
MAX_TRIES = 5  # arq's tries of one job; the last one that fails is final


class OutboxRow(IdMixin, Base):
    """A job waiting to run (done_at empty) or run, in the tenant that asked for it."""

    __tablename__ = "outbox"

    network_id: Mapped[UUID]
    station_id: Mapped[UUID | None]
    actor_id: Mapped[UUID | None]
    role: Mapped[str]
    job: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


def register(
    handlers: Mapping[str, Handler],
    failures: Mapping[str, FailureHandler] | None = None,
    timeouts: Mapping[str, timedelta] | None = None,
) -> None:
    """Make the contexts' jobs known by name (context.verb, e.g. policy.notify_delivered), with what to
    record when one fails for good and how long the slow ones may take. The entry points call it with what
    each context's `jobs.py` exports (worker.register_jobs); nothing registers by import."""
    for name, handler in handlers.items():
        if name in JOBS and JOBS[name] is not handler:
            raise ValueError(f"job {name} is registered twice")
        JOBS[name] = handler
    FAILURES.update(failures or {})
    TIMEOUTS.update(timeouts or {})


def timeout_of(job: str) -> timedelta:
    return TIMEOUTS.get(job, DEFAULT_TIMEOUT)


def longest_timeout() -> timedelta:
    """The longest any registered job may take: the arq function's own ceiling."""
    return max([DEFAULT_TIMEOUT, *TIMEOUTS.values()])


async def add(session: AsyncSession, scope: Scope, job: str, payload: Mapping[str, Any]) -> UUID:
    """Queue `job` for after this transaction commits; it will run in `scope`'s tenant."""
    if job not in JOBS:
        raise ValueError(f"no job named {job}")
    # The login scope queues only what the database lets it (a registration's mail, migration 0019).
    if scope.network_id is None or scope.db_role not in (DbRole.oem, DbRole.station, DbRole.auth):
        raise ValueError("a job runs for HQ or a station of a network")
    row_id = new_id()
    await session.execute(
        insert(OutboxRow).values(
            id=row_id,
            network_id=scope.network_id,
            station_id=scope.station_id,
            actor_id=scope.actor_id,
            role=scope.role,
            job=job,
            payload=dict(payload),
            created_at=datetime.now(UTC),
        )
    )
    session.info.setdefault(PENDING, []).append(row_id)
    return row_id


async def relay(
    sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis, *, older_than: timedelta = RELAY_AFTER
) -> int:
    """Enqueue the rows still waiting after `older_than`. Returns how many were handed over."""
    async with scoped_session(sessionmaker, AUTH_SCOPE) as session:
        pending = (
            (
                await session.execute(
                    text("SELECT * FROM outbox_pending(:older, :limit)"), {"older": older_than, "limit": RELAY_BATCH}
                )
            )
            .scalars()
            .all()
        )
    return await enqueue(redis, pending)


def _scope_of(envelope: Any) -> Scope:
    role = Role(envelope.role)
    return Scope(
        db_role=DbRole.station if envelope.station_id is not None else DbRole.oem,
        network_id=envelope.network_id,
        station_id=envelope.station_id,
        actor_id=envelope.actor_id,
        role=role.value,
        permissions=permissions_of(role),
    )


def _box(settings: Settings) -> Fernet:
    return secret_box(settings, "outbox secrets")


def seal(settings: Settings, secret: str) -> str:
    return _box(settings).encrypt(secret.encode()).decode()


def unseal(settings: Settings, sealed: str) -> str:
    return _box(settings).decrypt(sealed.encode()).decode()


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], row_id: UUID, env: JobEnv, *, last_try: bool = False
) -> str:
    """Run one outbox job in its recorded tenant scope, once: the row is marked done with the effect. A job
    that fails for good — a domain error (its input will not get better), or any error on its last try — is
    rolled back, then recorded as failed: the row done with the reason, and its context's failure record."""
    async with scoped_session(sessionmaker, AUTH_SCOPE) as session:
        envelope = (await session.execute(text("SELECT * FROM outbox_envelope(:id)"), {"id": row_id})).first()
    if envelope is None:
        return "done already"
    scope = _scope_of(envelope)
    try:
        async with new_unit_of_work(sessionmaker, scope, queue=env.redis) as session:
            row = await _pending(session, row_id)
            if row is None:  # a second delivery that waited on the lock
                return "done already"
            async with asyncio.timeout(timeout_of(row.job).total_seconds()):
                await JOBS[row.job](session, scope, row.payload, env)
            row.done_at, row.payload = datetime.now(UTC), {}
    except DomainError as exc:
        return await _failed(sessionmaker, scope, row_id, env, exc.message)
    except Exception as exc:
        if not last_try:
            raise  # arq tries again
        log.exception("outbox job failed for good", row=str(row_id))
        return await _failed(sessionmaker, scope, row_id, env, _reason(exc))
    return "done"


def _reason(exc: Exception) -> str:
    if isinstance(exc, TimeoutError):
        return f"the job ran past its time limit on each of its {MAX_TRIES} tries"
    return f"the job failed ({type(exc).__name__})"


async def _pending(session: AsyncSession, row_id: UUID) -> OutboxRow | None:
    query = select(OutboxRow).where(OutboxRow.id == row_id, OutboxRow.done_at.is_(None)).with_for_update()
    return (await session.scalars(query)).first()


async def _failed(
    sessionmaker: async_sessionmaker[AsyncSession], scope: Scope, row_id: UUID, env: JobEnv, reason: str
) -> str:
    async with new_unit_of_work(sessionmaker, scope, queue=env.redis) as session:
        row = await _pending(session, row_id)
        if row is None:
            return "done already"
        if row.job in FAILURES:
            await FAILURES[row.job](session, scope, row.payload, reason)
        row.done_at, row.payload = datetime.now(UTC), {"failed": reason[:500]}
    log.warning("outbox job failed", job=row.job, row=str(row_id), reason=reason)
    return "failed"


async def run_job(ctx: dict[str, Any], row_id: str) -> str:
    """The arq function: the worker's ctx holds its sessionmaker and JobEnv; arq counts the tries."""
    return await run(ctx["sessionmaker"], UUID(row_id), ctx["env"], last_try=ctx.get("job_try", 1) >= MAX_TRIES)


async def relay_job(ctx: dict[str, Any]) -> int:
    return await relay(ctx["sessionmaker"], ctx["redis"])
