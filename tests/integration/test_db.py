"""The scope machinery on real connections: applied per transaction, never carried over, fail closed;
migrations go down and up; the demo seed is idempotent."""

from __future__ import annotations

import asyncio

import pytest
from obstore.store import MemoryStore
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from typer.testing import CliRunner

from dealernet import provision
from dealernet.cli import cli
from dealernet.core import bootstrap
from dealernet.core.db import TEST_LOGIN_ROLE, create_engine, make_sessionmaker, scoped_session
from dealernet.core.embedded import Servers
from dealernet.core.scope import SEED_SCOPE, DbRole, Scope
from dealernet.core.settings import Settings, load_settings
from dealernet.network.demo import seed_demo_onboarding
from dealernet.policy.demo import seed_demo_policy
from dealernet.policy.models import Part, Publication, PublicationDelivery
from dealernet.tenants.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_demo
from dealernet.tenants.models import Membership, Network, Station, User
from dealernet.warranty.demo import STAGES as CLAIM_STAGES
from dealernet.warranty.demo import seed_demo_warranty
from dealernet.workshop.demo import COMEBACKS, DEMO_VEHICLES, ROUNDS, STAGES, seed_demo_workshop
from dealernet.workshop.models import Vehicle
from tests.factories import NetworkFactory, StationFactory, persist


async def test_scope_never_survives_its_transaction_on_a_pooled_connection(
    settings: Settings, servers: Servers
) -> None:
    engine = create_engine(
        bootstrap.app_url(settings, servers.postgres_admin_url, login=TEST_LOGIN_ROLE),
        pool_size=1,
        max_overflow=0,
    )
    sessions = make_sessionmaker(engine)
    network = NetworkFactory.build()
    station = StationFactory.build(network_id=network.id)
    try:
        async with scoped_session(sessions, SEED_SCOPE) as seed:
            await persist(seed, network)
            await persist(seed, station)
            await seed.commit()
        as_station = Scope(db_role=DbRole.station, network_id=network.id, station_id=station.id)
        async with scoped_session(sessions, as_station) as session:
            role = await session.scalar(text("SELECT current_user"))
            seen = await session.scalar(select(func.count()).select_from(Station))
        async with scoped_session(sessions, None) as session:  # same pooled connection, no scope
            settings_after = await session.scalar(text("SELECT current_setting('dealernet.station_id', true)"))
            user_after = await session.scalar(text("SELECT current_user"))
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(select(func.count()).select_from(Station))
    finally:
        async with scoped_session(sessions, SEED_SCOPE) as seed:
            await seed.execute(text("DELETE FROM stations WHERE id = :s"), {"s": station.id})
            await seed.execute(text("DELETE FROM networks WHERE id = :n"), {"n": network.id})
            await seed.commit()
        await engine.dispose()

    assert role == "app_station"
    assert seen == 1
    assert settings_after == ""
    assert user_after == TEST_LOGIN_ROLE


async def test_migrations_downgrade_to_base_and_upgrade_again(settings: Settings, servers: Servers) -> None:
    scratch = settings.model_copy(update={"database": settings.database_name + "_migrations"})
    await bootstrap.drop_database(servers.postgres_admin_url, scratch.database_name)
    try:
        await provision.provision(scratch, servers.postgres_admin_url, test_role=True)
        owner = bootstrap.owner_url(scratch, servers.postgres_admin_url)
        assert await bootstrap.current_revision(owner) == bootstrap.head_revision(scratch)
        await bootstrap.migrate(scratch, servers.postgres_admin_url, "base")
        assert await bootstrap.current_revision(owner) is None
        await bootstrap.migrate(scratch, servers.postgres_admin_url, "head")
        assert await bootstrap.current_revision(owner) == bootstrap.head_revision(scratch)
        await provision.provision(scratch, servers.postgres_admin_url, test_role=True)  # idempotent
    finally:
        await bootstrap.drop_database(servers.postgres_admin_url, scratch.database_name)


async def test_demo_seed_twice_changes_nothing(seed: AsyncSession) -> None:
    async def counts() -> tuple[int, ...]:
        return tuple(
            [
                await seed.scalar(select(func.count()).select_from(model)) or 0
                for model in (Network, Station, User, Membership, Vehicle, Part, Publication, PublicationDelivery)
            ]
        )

    first = await seed_demo(seed)
    await seed_demo_policy(seed, first)
    await seed_demo_onboarding(seed, first, DEMO_PASSWORD, MemoryStore())
    await seed_demo_workshop(seed, first)
    await seed_demo_warranty(seed, first)
    after_first = await counts()
    second = await seed_demo(seed)
    await seed_demo_policy(seed, second)
    await seed_demo_onboarding(seed, second, DEMO_PASSWORD, MemoryStore())
    await seed_demo_workshop(seed, second)
    await seed_demo_warranty(seed, second)

    assert first == second
    assert await counts() == after_first
    emails = set((await seed.scalars(select(User.email))).all())
    assert {login.email for login in DEMO_LOGINS} <= emails
    # parts; publications; deliveries: 6 to each live station and East's to SH01 (13), and all 7 to the
    # station that went live through onboarding (they reached it when its contract was signed)
    assert after_first[-4:] == (DEMO_VEHICLES, 5, 7, 20)  # vehicles, parts, publications, deliveries
    statuses = (await seed.execute(text("SELECT status, count(*) FROM repair_orders GROUP BY status"))).all()
    stations = await seed.scalar(text("SELECT count(DISTINCT station_id) FROM repair_orders"))
    assert stations >= 2  # SH01 and BJ02 at least
    assert sum(n for _, n in statuses) == stations * ROUNDS * len(STAGES) + COMEBACKS  # each order once
    assert {"received", "in_work", "handed_over"} <= {status for status, _ in statuses}
    comebacks = await seed.scalar(text("SELECT count(*) FROM repair_orders WHERE comeback_of IS NOT NULL"))
    assert comebacks == COMEBACKS  # at the station that may be dispatched the work (it went live onboarding)
    parts_orders = (await seed.execute(text("SELECT status, count(*) FROM parts_orders GROUP BY status"))).all()
    assert dict(parts_orders) == {"submitted": stations, "shipped": stations, "received": stations}
    stages = (await seed.execute(text("SELECT stage FROM applications ORDER BY stage"))).scalars().all()
    assert stages == ["active", "approved", "draft", "rectification", "reserve", "shortlisted", "submitted"]
    claims = dict((await seed.execute(text("SELECT status, count(*) FROM claims GROUP BY status"))).all())
    assert sum(claims.values()) == len(CLAIM_STAGES)  # the station under contract's, once
    assert claims == {"draft": 2, "submitted": 4, "approved": 2, "partly_approved": 2, "rejected": 2, "returned": 1,
                      "appealed": 1}  # fmt: skip
    # The decided claims' pads: two supplier defects (one recovery claim agreed, one disputed), one chargeback;
    # the month settled and paid, the supplier's agreed claim on its statement.
    recoveries = dict((await seed.execute(text("SELECT status, count(*) FROM recovery_claims GROUP BY 1"))).all())
    assert recoveries == {"agreed": 1, "disputed": 1}
    assert await seed.scalar(text("SELECT count(*) FROM claim_chargebacks")) == 1
    assert (await seed.execute(text("SELECT status, count(*) FROM settlements GROUP BY 1"))).all() == [("paid", 1)]
    assert await seed.scalar(text("SELECT count(*) FROM recovery_statements WHERE claim_count = 1")) == 1


async def test_the_demo_pipeline_stands_without_the_demo_policy(seed: AsyncSession) -> None:
    """The onboarding demo makes its regions when the policy demo has not (a database with imported parts)."""
    network = await seed_demo(seed)
    await seed_demo_onboarding(seed, network, DEMO_PASSWORD, MemoryStore())
    stages = (await seed.execute(text("SELECT stage FROM applications ORDER BY stage"))).scalars().all()
    assert stages == ["active", "approved", "draft", "rectification", "reserve", "shortlisted", "submitted"]


async def test_migrate_needs_only_the_database_and_makes_its_extensions(servers: Servers) -> None:
    """Issue 14 item 21: `dealernet migrate` refused to run without a Redis URL it does not need, and a
    database the DBA had created failed on `CREATE EXTENSION btree_gist` (the owner role may not)."""
    database = "dealernet_migrate_probe_test"
    await bootstrap.drop_database(servers.postgres_admin_url, database)
    env = {
        "DEALERNET_ENV": "production",
        "DEALERNET_DATABASE_URL": servers.postgres_admin_url,
        "DEALERNET_DATABASE": database,
        "DEALERNET_SIGNING_KEY": "m" * 40,
        "DEALERNET_REDIS_URL": "",
    }
    try:
        # The DBA made the database beforehand, without the extension.
        await bootstrap.ensure_roles_and_database(servers.postgres_admin_url, database)
        admin = create_engine(bootstrap.async_url(servers.postgres_admin_url, database=database), pool_size=1)
        async with admin.begin() as conn:
            await conn.execute(text("DROP EXTENSION IF EXISTS btree_gist"))
        await admin.dispose()
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["migrate"], env=env)
        assert result.exit_code == 0, result.output
        admin = create_engine(bootstrap.async_url(servers.postgres_admin_url, database=database), pool_size=1)
        async with admin.connect() as conn:
            extensions = set((await conn.execute(text("SELECT extname FROM pg_extension"))).scalars())
            version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
        await admin.dispose()
        assert "btree_gist" in extensions
        assert version == bootstrap.head_revision(load_settings(env="test"))
    finally:
        await bootstrap.drop_database(servers.postgres_admin_url, database)
