"""Cluster roles, the database and its migrations: everything before the API can start.

Idempotent: safe to run at every start, on the embedded server and on a PostgreSQL where the given URL
is a superuser. Tables and policies belong to migrations; only cluster-wide roles and the database
itself are made here, because a migration cannot create what it runs inside.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import APP_LOGIN_ROLE, OWNER_ROLE, TEST_LOGIN_ROLE, async_url, create_engine, make_sessionmaker
from dealernet.core.scope import SEED_SCOPE, DbRole
from dealernet.core.settings import Settings
from dealernet.core.unit_of_work import new_unit_of_work

log = logging.getLogger(__name__)

APP_ROLES = (DbRole.oem, DbRole.station, DbRole.partner, DbRole.auth)

# Each statement is safe to repeat. NOINHERIT: the login roles hold no privilege of their own and must
# switch role per transaction; the app login role can never reach the BYPASSRLS seed role.
_ROLE_STATEMENTS = [
    *(
        f"DO $$ BEGIN CREATE ROLE {role.value} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        for role in APP_ROLES
    ),
    f"DO $$ BEGIN CREATE ROLE {DbRole.seed.value} NOLOGIN BYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    f"DO $$ BEGIN CREATE ROLE {OWNER_ROLE} LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    f"DO $$ BEGIN CREATE ROLE {APP_LOGIN_ROLE} LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    f"ALTER ROLE {APP_LOGIN_ROLE} NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT",
    f"ALTER ROLE {OWNER_ROLE} NOSUPERUSER NOBYPASSRLS",
    *(f"GRANT {role.value} TO {APP_LOGIN_ROLE}" for role in APP_ROLES),
    # The owner grants on its tables to these roles in migrations and may switch to them to check.
    *(f"GRANT {role.value} TO {OWNER_ROLE}" for role in (*APP_ROLES, DbRole.seed)),
]

_TEST_ROLE_STATEMENTS = [
    f"DO $$ BEGIN CREATE ROLE {TEST_LOGIN_ROLE} LOGIN NOINHERIT; EXCEPTION WHEN duplicate_object THEN NULL; END $$",
    *(f"GRANT {role.value} TO {TEST_LOGIN_ROLE}" for role in (*APP_ROLES, DbRole.seed)),
]


EXTENSIONS = ("btree_gist",)  # the no-overlap exclusion constraints of versioned policy rows


async def ensure_roles_and_database(admin_url: str, database: str, *, test_role: bool = False) -> None:
    """Create the cluster roles and the database (owned by the owner role) when missing."""
    engine = create_engine(async_url(admin_url, database="postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            # Concurrent bootstraps (API and worker starting together) serialise on an advisory lock.
            await conn.execute(text("SELECT pg_advisory_lock(7415001)"))
            try:
                for statement in _ROLE_STATEMENTS + (_TEST_ROLE_STATEMENTS if test_role else []):
                    await conn.execute(text(statement))
                exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database})
                if not exists:
                    log.info("creating database %s", database)
                    await conn.execute(text(f'CREATE DATABASE "{database}" OWNER {OWNER_ROLE}'))
                logins = [APP_LOGIN_ROLE, *([TEST_LOGIN_ROLE] if test_role else [])]
                await conn.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO {", ".join(logins)}'))
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(7415001)"))
    finally:
        await engine.dispose()
    # PostgreSQL 15 no longer lets everyone create in `public`: hand the schema to the owner. Extensions need
    # the administrator's rights (the owner role runs the migrations and may not create them): made here.
    engine = create_engine(async_url(admin_url, database=database), pool_size=1, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f"ALTER SCHEMA public OWNER TO {OWNER_ROLE}"))
            for extension in EXTENSIONS:
                await conn.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
    finally:
        await engine.dispose()


async def drop_database(admin_url: str, database: str) -> None:
    engine = create_engine(async_url(admin_url, database="postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def alembic_config(settings: Settings, owner_url: URL) -> Config:
    config = Config()
    config.set_main_option("script_location", str(settings.migrations_dir))
    config.attributes["url"] = owner_url
    return config


def owner_url(settings: Settings, admin_url: str) -> URL:
    return async_url(admin_url, user=OWNER_ROLE, database=settings.database_name)


def app_url(settings: Settings, admin_url: str, *, login: str = APP_LOGIN_ROLE) -> URL:
    return async_url(admin_url, user=login, database=settings.database_name)


async def migrate(settings: Settings, admin_url: str, revision: str = "head") -> None:
    """Run the Alembic migrations as the owner role (upgrade to `revision`, or downgrade with a '-' prefix)."""
    config = alembic_config(settings, owner_url(settings, admin_url))
    if revision.startswith("-") or revision == "base":
        await asyncio.to_thread(command.downgrade, config, revision.removeprefix("-") or "base")
    else:
        await asyncio.to_thread(command.upgrade, config, revision)


@asynccontextmanager
async def seed_session(settings: Settings, admin_url: str) -> AsyncIterator[AsyncSession]:
    """A session as the BYPASSRLS seed role, reached through the administrator login (operator commands:
    demo seed, key rotation, journal verification). Commits when the block succeeds."""
    engine = create_engine(async_url(admin_url, database=settings.database_name), pool_size=1)
    try:
        async with new_unit_of_work(make_sessionmaker(engine), SEED_SCOPE, queue=None) as session:
            yield session
    finally:
        await engine.dispose()


def head_revision(settings: Settings) -> str | None:
    return ScriptDirectory(str(settings.migrations_dir)).get_current_head()


async def current_revision(url: URL) -> str | None:
    """The revision a database is at, read with the given login."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())
    finally:
        await engine.dispose()
