"""The compiled read path as production runs it: on an engine's pool (not the suite's shared transaction), a page
is three round trips on the driver — BEGIN READ ONLY with the scope in one script, the page, ROLLBACK — and the
scope it sets must be exactly the one every other transaction sets (core/db.py), the station's rows its own, a
deactivated principal refused. Data committed for the test, removed afterwards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import httpx
import pytest
from arq import ArqRedis
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from dealernet.app import create_app
from dealernet.core.access import Role
from dealernet.core.bootstrap import app_url
from dealernet.core.db import create_engine, make_sessionmaker, new_id, scope_script
from dealernet.core.embedded import Servers
from dealernet.core.scope import SEED_SCOPE, DbRole, Scope
from dealernet.core.settings import Settings
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from dealernet.workshop.demo import demo_vin
from tests.conftest import running_lifespan
from tests.factories import MembershipFactory, StationFactory, UserFactory, persist

SETTINGS = ("role", "dealernet.network_id", "dealernet.station_id", "dealernet.partner_id", "dealernet.actor")
READ = "SELECT " + ", ".join(f"current_setting('{name}', true)" for name in SETTINGS)
CLAIMS = "{ claims(first: 10) { edges { node { id number stationId } } } }"


@dataclass(frozen=True)
class Committed:
    network: UUID
    stations: tuple[UUID, UUID]
    hq: str
    manager: str
    manager_membership: UUID
    claims: dict[UUID, str]


async def _claim(session: Any, network: UUID, station: UUID, n: int) -> str:
    """One submitted claim of a completed repair order, written as the seed role (the fewest rows a claim needs)."""
    vehicle, customer, order, claim, now = new_id(), new_id(), new_id(), new_id(), datetime.now(UTC)
    rows = [
        ("INSERT INTO vehicles (id, network_id, vin, model, production_date, sale_date) VALUES (:v, :n, :vin, 'J6P', "
         ":made, :sold)", {"v": vehicle, "n": network, "vin": demo_vin("J6P", 900_000 + n),
                           "made": (now - timedelta(days=500)).date(), "sold": (now - timedelta(days=400)).date()}),
        ("INSERT INTO customers (station_id, id, network_id, name, phone) VALUES (:s, :c, :n, '客户', '13900000001')",
         {"s": station, "c": customer, "n": network}),
        ("INSERT INTO repair_orders (station_id, id, network_id, number, status, vehicle_id, customer_id, arrival, "
         "odometer_km, fuel_eighths, concern, promised_at, customer_notice_at, received_at, completed_at) VALUES "
         "(:s, :o, :n, :number, 'completed', :v, :c, 'walk_in', 10000, 4, 'noise', :promised, :notice, :received, :at)",
         {"s": station, "o": order, "n": network, "number": f"RO-D-{n}", "v": vehicle, "c": customer,
          "promised": now + timedelta(hours=1), "notice": now, "received": now - timedelta(hours=2), "at": now}),
        ("INSERT INTO claims (station_id, id, network_id, number, repair_order_id, vehicle_id, claim_type, status, "
         "repair_date, odometer_km, claimed_amount, version, submitted_at) VALUES (:s, :k, :n, :number, :o, :v, "
         "'normal', 'submitted', :day, 10000, :amount, 1, :at)",
         {"s": station, "k": claim, "n": network, "number": f"WC-D-{n}", "o": order, "v": vehicle,
          "day": now.date(), "amount": Decimal("100.00"), "at": now}),
    ]  # fmt: skip
    for statement, values in rows:
        await session.execute(text(statement), values)
    return f"WC-D-{n}"


@pytest.fixture
async def committed(engine: AsyncEngine, committed_network: Scope, signer: TokenSigner) -> AsyncIterator[Committed]:
    network = committed_network.network_id
    assert network is not None
    assert committed_network.station_id is not None
    other = StationFactory.build(network_id=network)
    hq_user, manager_user = UserFactory.build(), UserFactory.build()
    hq = MembershipFactory.build(user_id=hq_user.id, network_id=network)
    manager = MembershipFactory.build(
        user_id=manager_user.id, network_id=network, station_id=committed_network.station_id,
        role=Role.STATION_MANAGER.value,
    )  # fmt: skip
    maker = make_sessionmaker(engine)
    stations = (committed_network.station_id, other.id)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        await persist(session, other, hq_user, manager_user)
        await persist(session, hq, manager)
        claims = {station: await _claim(session, network, station, n) for n, station in enumerate(stations)}
        await session.commit()
    tokens = [
        signer.issue(AccessClaims(subject=hq_user.id, network_id=network, role=Role.HQ_ADMIN.value,
                                  membership_id=hq.id, second_factor=True)),
        signer.issue(AccessClaims(subject=manager_user.id, network_id=network, role=Role.STATION_MANAGER.value,
                                  membership_id=manager.id, station_id=stations[0])),
    ]  # fmt: skip
    yield Committed(network, stations, tokens[0], tokens[1], manager.id, claims)
    async with maker(info={"scope": SEED_SCOPE}) as session:
        for table in ("claims", "repair_orders", "customers", "vehicles", "memberships"):
            await session.execute(text(f"DELETE FROM {table} WHERE network_id = :n"), {"n": network})
        await session.execute(text("DELETE FROM users WHERE id IN (:a, :b)"), {"a": hq_user.id, "b": manager_user.id})
        await session.execute(text("DELETE FROM stations WHERE id = :s"), {"s": other.id})
        await session.commit()


@pytest.fixture
async def production(settings: Settings, servers: Servers, redis: ArqRedis) -> AsyncIterator[tuple[Any, AsyncEngine]]:
    """The app on an engine of its own, as `dealernet serve` runs it, and a count of its SQLAlchemy statements."""
    app_engine = create_engine(app_url(settings, servers.postgres_admin_url), pre_ping=False)
    app = create_app(settings, sessionmaker=make_sessionmaker(app_engine), redis=redis)
    try:
        async with (
            running_lifespan(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as http,
        ):
            yield http, app_engine
    finally:
        await app_engine.dispose()


def _counting(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    return seen


async def test_the_scope_script_sets_exactly_what_every_transaction_sets(engine: AsyncEngine) -> None:
    scopes = [
        Scope(db_role=DbRole.oem, network_id=new_id(), actor_id=new_id()),
        Scope(db_role=DbRole.station, network_id=new_id(), station_id=new_id(), actor_id=new_id()),
        Scope(db_role=DbRole.partner, network_id=new_id(), partner_id=new_id()),
    ]
    for scope in scopes:
        async with make_sessionmaker(engine)(info={"scope": scope}) as session:
            expected = (await session.execute(text(READ))).one()
            await session.rollback()
        async with engine.connect() as connection:
            driver: Any = (await connection.get_raw_connection()).driver_connection
            assert await driver.execute(scope_script(scope)) == "SELECT 1"
            found = await driver.fetchrow(READ)
            await driver.execute("ROLLBACK")
        assert tuple(found) == tuple(expected)
        assert found[0] == scope.db_role.value


async def test_a_principal_no_longer_active_gets_no_scope_from_the_script(engine: AsyncEngine) -> None:
    gone = Scope(db_role=DbRole.oem, network_id=new_id(), actor_id=new_id(), membership_id=new_id())
    async with engine.connect() as connection:
        driver: Any = (await connection.get_raw_connection()).driver_connection
        assert await driver.execute(scope_script(gone)) == "SELECT 0"
        assert await driver.fetchval("SELECT current_user") == "dealernet_tester"  # no role was switched to
        assert await driver.fetchval("SELECT current_setting('dealernet.network_id', true)") in ("", None)
        await driver.execute("ROLLBACK")


def test_the_script_refuses_a_value_that_is_not_a_role_or_an_id() -> None:
    forged: Any = "x'; DROP TABLE claims; --"
    with pytest.raises(ValueError, match="not a scope value"):
        scope_script(Scope(db_role=DbRole.oem, network_id=forged))


async def test_a_station_page_on_the_driver_holds_its_own_rows_and_hq_sees_both(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine]
) -> None:
    http, app_engine = production
    statements = _counting(app_engine)
    station = {"Authorization": f"Bearer {committed.manager}"}
    first = await http.post("/graphql", json={"query": CLAIMS}, headers=station)
    through_session = len(statements)
    second = await http.post("/graphql", json={"query": CLAIMS}, headers=station)
    hq = await http.post("/graphql", json={"query": CLAIMS}, headers={"Authorization": f"Bearer {committed.hq}"})

    assert through_session > 0  # the first read the station's standing through a session
    assert len(statements) == through_session  # then the driver only, for the station and for HQ
    for answer in (first, second, hq):
        assert answer.headers["server-timing"].startswith("compiled"), answer.text
    assert second.json() == first.json()
    numbers = [e["node"]["number"] for e in first.json()["data"]["claims"]["edges"]]
    assert numbers == [committed.claims[committed.stations[0]]]
    assert sorted(e["node"]["number"] for e in hq.json()["data"]["claims"]["edges"]) == sorted(
        committed.claims.values()
    )


async def test_a_deactivated_membership_is_refused_on_the_driver_path_too(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine], engine: AsyncEngine
) -> None:
    http, _ = production
    station = {"Authorization": f"Bearer {committed.manager}"}
    assert (await http.post("/graphql", json={"query": CLAIMS}, headers=station)).headers["server-timing"]
    async with make_sessionmaker(engine)(info={"scope": SEED_SCOPE}) as session:
        await session.execute(
            text("UPDATE memberships SET is_active = false WHERE id = :m"), {"m": committed.manager_membership}
        )
        await session.commit()

    refused = await http.post("/graphql", json={"query": CLAIMS}, headers=station)

    assert "server-timing" not in refused.headers
    assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["UNAUTHENTICATED"]


async def test_gql11_a_claims_page_is_one_statement_whatever_its_size_and_nesting(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine]
) -> None:
    """Statements per request for `claims(first: 5)` and `claims(first: 50)` with their lines: the same, and one
    of them the page (the others: BEGIN with the scope, ROLLBACK)."""
    http, app_engine = production
    sent: list[str] = []

    @event.listens_for(app_engine.sync_engine, "connect")
    def log_queries(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.driver_connection.add_query_logger(lambda record: sent.append(record.query))

    hq = {"Authorization": f"Bearer {committed.hq}"}
    counts = {}
    for first in (5, 50):
        query = f"{{ claims(first: {first}) {{ edges {{ node {{ id lines {{ id amount }} }} }} }} }}"
        await http.post("/graphql", json={"query": query}, headers=hq)  # the plan made, the connection pooled
        sent.clear()
        answer = await http.post("/graphql", json={"query": query}, headers=hq)
        assert answer.headers["server-timing"].startswith("compiled")
        counts[first] = list(sent)

    assert len(counts[5]) == len(counts[50]) == 3
    for statements in counts.values():
        assert statements[0].startswith("BEGIN READ ONLY; SELECT set_config('role'")
        assert statements[2] == "ROLLBACK"
        assert sum("FROM claims" in s for s in statements) == 1


async def test_a_compiled_answer_carries_the_headers_every_answer_does(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine]
) -> None:
    http, _ = production
    hq = {"Authorization": f"Bearer {committed.hq}", "X-Request-ID": "page-1"}
    plain = await http.post("/graphql", json={"query": CLAIMS}, headers=hq)
    spec = await http.post(
        "/graphql", json={"query": CLAIMS}, headers={**hq, "Accept": "application/graphql-response+json"}
    )

    for answer in (plain, spec):
        assert answer.headers["server-timing"].startswith("compiled")
        assert answer.headers["x-request-id"] == "page-1"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "default-src 'none'" in answer.headers["content-security-policy"]
        assert int(answer.headers["content-length"]) == len(answer.content)
    assert plain.headers["content-type"] == "application/json"
    assert spec.headers["content-type"].startswith("application/graphql-response+json")
    assert plain.json() == spec.json()


async def test_a_stations_standing_comes_with_the_scope_statement_not_a_query_of_its_own(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine]
) -> None:
    """The resolvers' path: the transaction's scope statement answers the station's standing (migration 0059)."""
    http, app_engine = production
    statements = _counting(app_engine)
    station = {"Authorization": f"Bearer {committed.manager}"}
    answer = await http.post("/graphql", json={"query": "{ viewer { email network { id } } }"}, headers=station)

    assert "server-timing" not in answer.headers  # the resolvers answered
    assert answer.json()["data"]["viewer"]["network"]["id"]
    assert any("principal_standing" in statement for statement in statements)
    assert not [statement for statement in statements if "stations.status" in statement]


async def test_a_compiled_answer_is_counted_in_the_operation_metrics(
    committed: Committed, production: tuple[httpx.AsyncClient, AsyncEngine]
) -> None:
    http, _ = production
    hq = {"Authorization": f"Bearer {committed.hq}"}
    query = "query CompiledProbe { claims(first: 1) { edges { node { id } } } }"
    answer = await http.post("/graphql", json={"query": query, "operationName": "CompiledProbe"}, headers=hq)
    metrics = await http.get("/metrics")

    assert answer.headers["server-timing"].startswith("compiled")
    assert 'dealernet_graphql_operations_total{operation="CompiledProbe",outcome="ok",type="query"}' in metrics.text
