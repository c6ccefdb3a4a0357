"""Engine, sessions and the tenant scope applied to every transaction.

The API and the worker log in as `dealernet_app`, a NOINHERIT role that owns nothing and may only switch
to one of the app roles. Every transaction starts with one statement that switches the role and sets the
tenant ids with `set_config(..., true)` (transaction-local, so pooled connections never carry a scope
over). A session created without a scope still runs that statement, with no role and empty ids: queries
then fail with "permission denied" instead of seeing anything.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import uuid6
from sqlalchemy import MetaData, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, SessionTransaction, mapped_column
from sqlalchemy.types import DateTime

from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import NO_SCOPE_SETTINGS, Scope

R = TypeVar("R")

OWNER_ROLE = "dealernet_owner"
APP_LOGIN_ROLE = "dealernet_app"
TEST_LOGIN_ROLE = "dealernet_tester"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> UUID:
    """Time-ordered UUIDv7: index-friendly primary keys that leak no row counts."""
    return UUID(bytes=uuid6.uuid7().bytes)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class IdMixin:
    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id)


def group_by(rows: Iterable[R], keys: Iterable[UUID], key: Callable[[R], UUID]) -> dict[UUID, list[R]]:
    """Rows under each of `keys` (in the rows' order; an empty list for a key without rows): what a
    DataLoader of a one-to-many relation answers."""
    found: dict[UUID, list[R]] = {k: [] for k in keys}
    for row in rows:
        found[key(row)].append(row)
    return found


def async_url(url: str | URL, *, user: str | None = None, database: str | None = None) -> URL:
    """A plain postgresql:// URL as SQLAlchemy's asyncpg URL, optionally for another user or database.

    Another user means no password: roles other than the administrator authenticate by the server's
    rules for them (trust on the embedded server and on the test machine).
    """
    parsed = make_url(url).set(drivername="postgresql+asyncpg")
    if user is not None and user != parsed.username:
        parsed = parsed.set(username=user, password=None)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed


def create_engine(
    url: URL, *, pool_size: int = 10, max_overflow: int | None = None, pre_ping: bool = True, **kwargs: Any
) -> AsyncEngine:
    """`pre_ping` tests each connection at checkout (a round trip): the worker and the tools keep it; the API
    does without (app.py), as a connection lost since it was pooled fails one request and invalidates the pool."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size if max_overflow is None else max_overflow,
        pool_pre_ping=pre_ping,
        connect_args={
            # statement_timeout bounds a runaway query; idle_in_transaction bounds a leaked transaction.
            "server_settings": {
                "timezone": "UTC",
                "application_name": "dealernet",
                "statement_timeout": "30s",
                "idle_in_transaction_session_timeout": "60s",
            },
        },
        **kwargs,
    )


# The key of session.info holding the station's status as the transaction's scope statement read it.
STANDING = "standing"


class ScopedSession(Session):
    """A session whose transactions always start by applying `info["scope"]`."""


_SCOPE_VALUES = (
    "set_config('role', :role, true), set_config('dealernet.network_id', :network, true), "
    "set_config('dealernet.station_id', :station, true), set_config('dealernet.partner_id', :partner, true), "
    "set_config('dealernet.actor', :actor, true)"
)
_SET_SCOPE = text(f"SELECT {_SCOPE_VALUES}")
# A token's membership or API client must still be active: the settings are applied only if it is, in the
# same statement (no extra round trip). Deactivation therefore takes effect on the next transaction. The same
# statement answers its station's standing (migration 0059), kept in the session's info for with_standing.
_SET_PRINCIPAL_SCOPE = text(
    f"SELECT {_SCOPE_VALUES}, p.standing FROM (SELECT principal_standing(:kind, :principal) AS standing) AS p "  # noqa: S608
    "WHERE p.standing IS NOT NULL"
)


@event.listens_for(ScopedSession, "after_begin")
def _apply_scope(session: Session, transaction: SessionTransaction, connection: Connection) -> None:
    scope: Scope | None = session.info.get("scope")
    session.info.pop(STANDING, None)  # this transaction's, or none
    values = scope.pg_settings() if scope is not None else NO_SCOPE_SETTINGS
    params = {
        "role": values["role"],
        "network": values["dealernet.network_id"],
        "station": values["dealernet.station_id"],
        "partner": values["dealernet.partner_id"],
        "actor": values["dealernet.actor"],
    }
    principal = _principal(scope)
    if principal is None:
        connection.execute(_SET_SCOPE, params)
        return
    kind, principal_id = principal
    applied = connection.execute(_SET_PRINCIPAL_SCOPE, {**params, "kind": kind, "principal": principal_id}).first()
    if applied is None:
        raise Unauthenticated("the token's user or client has been deactivated")
    session.info[STANDING] = applied.standing


_SAFE_LITERAL = re.compile(r"^[0-9a-z_-]*$")


def _literal(value: str) -> str:
    if not _SAFE_LITERAL.match(value):  # role names and UUIDs only: never text a client chose
        raise ValueError(f"not a scope value: {value!r}")
    return f"'{value}'"


def scope_script(scope: Scope) -> str:
    """BEGIN READ ONLY and the same scope statement as every transaction's (above), as one script in PostgreSQL's
    simple protocol: one round trip for the compiled read path, which runs on the driver's connection. Its
    status is "SELECT 1" when the settings were applied, "SELECT 0" when the principal is no longer active."""
    values = {key: _literal(value) for key, value in scope.pg_settings().items()}
    settings = (
        f"set_config('role', {values['role']}, true), "
        f"set_config('dealernet.network_id', {values['dealernet.network_id']}, true), "
        f"set_config('dealernet.station_id', {values['dealernet.station_id']}, true), "
        f"set_config('dealernet.partner_id', {values['dealernet.partner_id']}, true), "
        f"set_config('dealernet.actor', {values['dealernet.actor']}, true)"
    )
    principal = _principal(scope)
    active = (
        ""
        if principal is None
        else f" WHERE principal_is_active({_literal(principal[0])}, {_literal(str(principal[1]))})"
    )
    return f"BEGIN READ ONLY; SELECT {settings}{active}"


def _principal(scope: Scope | None) -> tuple[str, UUID] | None:
    if scope is None:
        return None
    if scope.membership_id is not None:
        return "membership", scope.membership_id
    if scope.client_id is not None:
        return "client", scope.client_id
    if scope.station_client_id is not None:
        return "station_client", scope.station_client_id
    return None


def make_sessionmaker(bind: AsyncEngine | Any, **kwargs: Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(bind=bind, sync_session_class=ScopedSession, expire_on_commit=False, **kwargs)


@asynccontextmanager
async def scoped_session(
    sessionmaker: async_sessionmaker[AsyncSession], scope: Scope | None
) -> AsyncIterator[AsyncSession]:
    """A session bound to one scope; it rolls back whatever the caller did not commit."""
    async with sessionmaker(info={"scope": scope}) as session:
        try:
            yield session
        finally:
            await session.rollback()


def unstorable(text: str) -> bool:
    """Text PostgreSQL refuses: a NUL, or a lone surrogate (a JSON \\ud800 alone) that has no UTF-8. The
    entry points refuse such input as the client's mistake before it reaches a statement."""
    if "\x00" in text:
        return True
    try:
        text.encode()  # in C: fails exactly on a surrogate
    except UnicodeEncodeError:
        return True
    return False
