"""The test harness: real PostgreSQL and Redis (embedded unless DEALERNET_*_URL are set).

Migrations run once per session into a fresh `<name>_test` database. Each test runs inside one outer
transaction that is rolled back; sessions join it with savepoints. Tests log in as `dealernet_tester`,
which (like the API's login role) owns nothing and switches to app_oem / app_station per transaction, so
RLS is exercised; multi-tenant fixtures switch to the BYPASSRLS seed role instead.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import UUID

import httpx
import pytest
from arq import ArqRedis
from litestar import Litestar
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState

from dealernet import provision
from dealernet.app import create_app
from dealernet.core import bootstrap
from dealernet.core.access import Role
from dealernet.core.db import TEST_LOGIN_ROLE, create_engine, make_sessionmaker, new_id, scoped_session
from dealernet.core.embedded import Servers, resolve_servers
from dealernet.core.logs import configure_logging
from dealernet.core.mail import MemoryMailer
from dealernet.core.scope import AUTH_SCOPE, SEED_SCOPE, DbRole, Scope
from dealernet.core.settings import Settings, load_settings
from dealernet.tenants.models import ApiClient, Network, PartnerKind, StationClient
from dealernet.tenants.service.keys import load_signer
from dealernet.tenants.service.partners import link_partner
from dealernet.tenants.service.sign_in import scope_for
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from dealernet.worker import register_jobs
from tests.factories import (
    PASSWORD_HASH,
    MembershipFactory,
    NetworkFactory,
    RefreshTokenFactory,
    StationFactory,
    UserFactory,
    persist,
)

TEST_REDIS_DB = 9

Serve = Callable[[Settings], AbstractAsyncContextManager[httpx.AsyncClient]]
Scoped = Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]]


def free_port() -> int:
    """A local TCP port nothing listens on (for a server of a test's own, or one that is not there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _test_redis_url(url: str) -> str:
    """A Redis database of the tests' own, so a developer's queue is never flushed."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return urlunsplit(parts._replace(query=f"db={TEST_REDIS_DB}"))
    return urlunsplit(parts._replace(path=f"/{TEST_REDIS_DB}"))


@pytest.fixture(scope="session")
def settings() -> Settings:
    register_jobs()  # as every entry point does: services queue the contexts' jobs by name
    configured = load_settings(env="test")
    configure_logging(configured)  # as the CLI does: plain tracebacks, no frame locals
    name = configured.database_name
    # Never the developer's database: the suite drops and recreates its own.
    return configured.model_copy(
        update={
            "database": name if name.endswith("_test") else f"{name}_test",
            "signing_key": secrets.token_urlsafe(48),
            "tune_gc": False,  # the suite's process is not a server: its heap is not frozen
            # Uploaded files go to a directory of the run's own (the default store, a local directory).
            "storage_url": Path(tempfile.mkdtemp(prefix="dealernet-files-")).as_uri(),
        }
    )


@pytest.fixture(scope="session")
def servers(settings: Settings) -> Servers:
    found = resolve_servers(settings)
    return Servers(postgres_admin_url=found.postgres_admin_url, redis_url=_test_redis_url(found.redis_url))


@pytest.fixture(scope="session")
async def engine(settings: Settings, servers: Servers) -> AsyncIterator[AsyncEngine]:
    await bootstrap.drop_database(servers.postgres_admin_url, settings.database_name)
    await provision.provision(settings, servers.postgres_admin_url, test_role=True)
    engine = create_engine(bootstrap.app_url(settings, servers.postgres_admin_url, login=TEST_LOGIN_ROLE))
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        outer = await conn.begin()
        try:
            yield conn
        finally:
            await outer.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(connection, join_transaction_mode="create_savepoint")


@pytest.fixture
def scoped(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]]:
    """scoped(scope) -> a session for that scope inside the test's transaction."""
    return lambda scope: scoped_session(sessionmaker, scope)


@pytest.fixture
async def seed(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session as the BYPASSRLS seed role, for fixtures that write several tenants.

    Every session of a test shares one connection and one outer transaction, so a scope another session
    committed (a savepoint released) stays set on it; the seed session therefore re-applies its role
    before each statement."""
    async with sessionmaker(info={"scope": SEED_SCOPE}) as session:

        @event.listens_for(session.sync_session, "do_orm_execute")
        def _as_seed(state: ORMExecuteState) -> None:
            state.session.connection().execute(_SEED_ROLE)

        yield session
        await session.commit()


_SEED_ROLE = text(f"SELECT set_config('role', '{SEED_SCOPE.db_role.value}', true)")


@pytest.fixture
async def redis(servers: Servers) -> AsyncIterator[ArqRedis]:
    from dealernet.worker import connect_queue

    pool = await connect_queue(servers.redis_url)
    await pool.flushdb()
    yield pool
    await pool.flushdb()
    await pool.aclose()


@pytest.fixture(scope="session")
async def signer(settings: Settings, engine: AsyncEngine) -> TokenSigner:
    """The signing keys bootstrap created (committed, so the app under test loads the same)."""
    async with make_sessionmaker(engine)(info={"scope": AUTH_SCOPE}) as session:
        return await load_signer(session, settings)


@pytest.fixture
def mailer() -> MemoryMailer:
    return MemoryMailer()


@pytest.fixture
def serve(sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis, mailer: MemoryMailer) -> Serve:
    """serve(settings) -> an HTTP client of the real app (ASGI transport, lifespan run), sharing the test's
    transaction; for tests that need settings of their own."""

    @asynccontextmanager
    async def serving(app_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(app_settings, sessionmaker=sessionmaker, redis=redis)
        async with (
            running_lifespan(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
        ):
            yield http

    return serving


Deliver = Callable[[], Awaitable[int]]


@pytest.fixture
def deliver(
    settings: Settings, servers: Servers, sessionmaker: async_sessionmaker[AsyncSession], mailer: MemoryMailer
) -> Deliver:
    """deliver() -> runs a burst worker over the job queue (outbox jobs, with the test's transaction and
    mailer); the number of jobs it completed."""
    from dealernet.worker import make_worker

    async def run() -> int:
        worker = make_worker(
            settings,
            servers.redis_url,
            burst=True,
            handle_signals=False,
            sessionmaker=sessionmaker,
            max_jobs=1,
            mailer=mailer,
        )
        worker.cron_jobs = []
        try:
            await worker.main()
        finally:
            await worker.close()
        return worker.jobs_complete

    return run


@pytest.fixture
async def client(settings: Settings, serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over HTTP with the suite's settings."""
    async with serve(settings) as http:
        yield http


@asynccontextmanager
async def running_lifespan(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan entered and left in one task of its own: pytest-asyncio sets a fixture up and
    tears it down in different tasks, which anyio's cancel scopes inside the lifespan refuse."""
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # the lifespan failed: raise its error here
    try:
        yield
    finally:
        stop.set()
        await task


@dataclass(frozen=True)
class Principal:
    """A logged-in user of one tenant: its scope for services and its token for HTTP."""

    user_id: UUID
    email: str
    network_id: UUID
    station_id: UUID | None
    scope: Scope
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Tenants:
    """Two networks: X with stations A and B, Y with station C; an HQ admin and station managers."""

    network_x: UUID
    network_y: UUID
    station_a: UUID
    station_b: UUID
    station_c: UUID
    hq_x: Principal
    manager_a: Principal
    manager_b: Principal
    hq_y: Principal
    manager_c: Principal


MakePrincipal = Callable[..., Awaitable[Principal]]


@pytest.fixture
def make_principal(seed: AsyncSession, signer: TokenSigner) -> MakePrincipal:
    """make_principal(network_id, station_id, role, partner_id=None, region_ids=(), second_factor=True) -> a
    new user with that one membership, a refresh token row, and a signed access token (from a login that
    passed a second factor, unless told otherwise)."""

    async def principal(
        network_id: UUID,
        station_id: UUID | None,
        role: Role,
        *,
        partner_id: UUID | None = None,
        region_ids: tuple[UUID, ...] = (),
        second_factor: bool = True,
    ) -> Principal:
        user = UserFactory.build()
        membership = MembershipFactory.build(
            user_id=user.id,
            network_id=network_id,
            station_id=station_id,
            partner_id=partner_id,
            role=role.value,
            region_ids=list(region_ids),
        )
        await persist(seed, user)
        await persist(seed, membership)
        token = RefreshTokenFactory.build(
            user_id=user.id, membership_id=membership.id, network_id=network_id, station_id=station_id
        )
        await persist(seed, token)
        claims = AccessClaims(
            subject=user.id,
            network_id=network_id,
            role=role.value,
            membership_id=membership.id,
            station_id=station_id,
            partner_id=partner_id,
            region_ids=region_ids,
            second_factor=second_factor,
        )
        return Principal(user.id, user.email, network_id, station_id, scope_for(claims), signer.issue(claims))

    return principal


@pytest.fixture
async def tenants(seed: AsyncSession, make_principal: MakePrincipal) -> Tenants:
    net_x, net_y = NetworkFactory.build(), NetworkFactory.build()
    # The same station code in both networks: codes are unique per network only.
    a = StationFactory.build(network_id=net_x.id, code="SH01")
    b = StationFactory.build(network_id=net_x.id, code="BJ02")
    c = StationFactory.build(network_id=net_y.id, code="SH01")
    await persist(seed, net_x, net_y)
    await persist(seed, a, b, c)
    principal = make_principal

    return Tenants(
        network_x=net_x.id,
        network_y=net_y.id,
        station_a=a.id,
        station_b=b.id,
        station_c=c.id,
        hq_x=await principal(net_x.id, None, Role.HQ_ADMIN),
        manager_a=await principal(net_x.id, a.id, Role.STATION_MANAGER),
        manager_b=await principal(net_x.id, b.id, Role.STATION_MANAGER),
        hq_y=await principal(net_y.id, None, Role.HQ_ADMIN),
        manager_c=await principal(net_y.id, c.id, Role.STATION_MANAGER),
    )


async def graphql(
    client: httpx.AsyncClient, query: str, principal: Principal | None = None, **variables: Any
) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers=principal.headers if principal else {},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@dataclass(frozen=True)
class PartnerWorld:
    """Supplier P serves network X, supplier Q network Y; each has an API client there (secret PASSWORD)."""

    partner_p: UUID
    partner_q: UUID
    client_p: UUID
    client_q: UUID
    client_p_id: str
    client_q_id: str


@pytest.fixture
async def partner_world(seed: AsyncSession, tenants: Tenants) -> PartnerWorld:
    p = await link_partner(
        seed, network_id=tenants.network_x, code=f"P{new_id().hex[:8]}", name="P", kind=PartnerKind.SUPPLIER
    )
    q = await link_partner(
        seed, network_id=tenants.network_y, code=f"Q{new_id().hex[:8]}", name="Q", kind=PartnerKind.SUPPLIER
    )
    clients = []
    for network, partner in ((tenants.network_x, p), (tenants.network_y, q)):
        client = ApiClient(
            id=new_id(),
            client_id=f"dnc_{new_id().hex[:12]}",
            network_id=network,
            partner_id=partner.id,
            name=f"{partner.name} client",
            secret_hash=PASSWORD_HASH,
            scopes=["claims:read", "parts:read"],
            allow_list_only=False,
            is_active=True,
        )
        await persist(seed, client)
        clients.append(client)
    return PartnerWorld(p.id, q.id, clients[0].id, clients[1].id, clients[0].client_id, clients[1].client_id)


MakeApplicant = Callable[..., Awaitable[Principal]]


@pytest.fixture
def make_applicant(seed: AsyncSession, make_principal: MakePrincipal) -> MakeApplicant:
    """make_applicant(network_id, company) -> the manager of a new applicant station with a draft
    application (as registration will leave it)."""
    from dealernet.network.models import Application

    async def applicant(network_id: UUID, company: str = "Applicant Motors Co.") -> Principal:
        station = StationFactory.build(network_id=network_id, status="applicant", name=company)
        await persist(seed, station)
        await persist(
            seed, Application(id=new_id(), network_id=network_id, station_id=station.id, company_name=company)
        )
        return await make_principal(network_id, station.id, Role.STATION_MANAGER)

    return applicant


@pytest.fixture
async def network_code(seed: AsyncSession, tenants: Tenants, redis: ArqRedis) -> str:
    """Network X's code (the `redis` fixture starts the limits afresh)."""
    code = await seed.scalar(select(Network.code).where(Network.id == tenants.network_x))
    assert code is not None
    return code


@pytest.fixture
async def onboarding_world(
    seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal, make_applicant: MakeApplicant
) -> dict:
    """Region East, two applicants, five committee members (all seeded before any scoped session)."""
    east = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'EAST', 'East')"),
        {"id": east, "n": tenants.network_x},
    )
    members = [await make_principal(tenants.network_x, None, Role.HQ_NETWORK_DEVELOPMENT) for _ in range(5)]
    for member in members:  # HQ appointed them to the committee (its five seats)
        await seed.execute(
            text("INSERT INTO committee_members (network_id, user_id) VALUES (:n, :u)"),
            {"n": tenants.network_x, "u": member.user_id},
        )
    return {
        "east": east,
        "first": await make_applicant(tenants.network_x, "First Motors"),
        "second": await make_applicant(tenants.network_x, "Second Motors"),
        "members": members,
    }


@pytest.fixture
async def committed_network(engine: AsyncEngine) -> AsyncIterator[Scope]:
    """A network committed for real (concurrent writers need their own connections), removed afterwards."""
    network = NetworkFactory.build()
    station = StationFactory.build(network_id=network.id)
    maker = make_sessionmaker(engine)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        await persist(session, network)
        await persist(session, station)
        await session.commit()
    yield Scope(db_role=DbRole.station, network_id=network.id, station_id=station.id, actor_id=new_id())
    async with maker(info={"scope": SEED_SCOPE}) as session:
        for table in ("journal", "journal_heads", "network_counters", "stations", "networks"):
            column = "id" if table == "networks" else "network_id"
            await session.execute(text(f"DELETE FROM {table} WHERE {column} = :n"), {"n": network.id})
        await session.commit()


async def dms_principal(tenants: Tenants, signer: TokenSigner, seed: AsyncSession) -> Principal:
    """A token of a station API client (the DMS role) of station A: no person, so no membership."""
    client = StationClient(
        station_id=tenants.station_a,
        id=new_id(),
        network_id=tenants.network_x,
        client_id=f"dms_{new_id().hex[:12]}",
        name="DMS",
        secret_hash="unused",
        is_active=True,
    )
    seed.add(client)
    await seed.flush()
    claims = AccessClaims(
        subject=client.id,
        network_id=tenants.network_x,
        role=Role.STATION_DMS.value,
        station_id=tenants.station_a,
        client_id=client.id,
    )
    return Principal(client.id, "", tenants.network_x, tenants.station_a, scope_for(claims), signer.issue(claims))
