"""Alembic environment: async, run as the owner role.

`dealernet migrate` passes the owner's URL in `config.attributes["url"]`. Run as plain `alembic` from the
repo root (with an alembic.ini of your own), the URL is resolved from the environment as the API does.
"""

import asyncio

from alembic import context
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

import dealernet.core.journal
import dealernet.core.migration_ops
import dealernet.tenants.models  # noqa: F401
from dealernet.core.db import Base

config = context.config
target_metadata = Base.metadata


def _owner_url():  # type: ignore[no-untyped-def]
    url = config.attributes.get("url")
    if url is not None:
        return url
    from dealernet.core.bootstrap import owner_url
    from dealernet.core.embedded import resolve_servers
    from dealernet.core.settings import load_settings

    settings = load_settings()
    return owner_url(settings, resolve_servers(settings).postgres_admin_url)


def do_run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_async_migrations() -> None:
    engine = create_async_engine(_owner_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.run_sync(do_run_migrations)
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=str(_owner_url()), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(run_async_migrations())
