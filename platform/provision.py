"""Provisioning a database for the platform: what `dealernet migrate`, the demo, the tests and the benchmarks
run before anything else (an entry module: it stands on core and the tenants context)."""

from __future__ import annotations

from dealernet.core.bootstrap import ensure_roles_and_database, migrate, seed_session
from dealernet.core.settings import Settings
from dealernet.tenants.service.keys import ensure_key


async def provision(settings: Settings, admin_url: str, *, test_role: bool = False) -> None:
    """Roles, database, migrations to head, and a token signing key if there is none."""
    await ensure_roles_and_database(admin_url, settings.database_name, test_role=test_role)
    await migrate(settings, admin_url)
    await ensure_signing_key(settings, admin_url)


async def ensure_signing_key(settings: Settings, admin_url: str) -> str | None:
    """The first signing key, when there is none yet; its kid, or None."""
    async with seed_session(settings, admin_url) as session:
        return await ensure_key(session, settings)
