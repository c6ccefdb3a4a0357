"""Row isolation per table: what station A, HQ of network X and HQ of network Y can read and write
(SECURITY.md ISO-4, ISO-5, ISO-10), through SQL under the app roles and through the services."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from uuid import UUID

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.tenants.service import directory
from tests.conftest import MakeApplicant, Tenants
from tests.factories import StationFactory, persist

Scoped = Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]]

# How each table names its tenant: (network column, station column or None).
TENANT_COLUMNS = {
    "networks": ("id", None),
    "stations": ("network_id", "id"),
    "memberships": ("network_id", "station_id"),
    "refresh_tokens": ("network_id", "station_id"),
}


async def _visible(session: AsyncSession, table: str, column: str, value: UUID) -> int:
    return (
        await session.execute(text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :v'), {"v": value})
    ).scalar() or 0


async def _readable(session: AsyncSession, table: str, column: str, value: UUID) -> int:
    try:
        return await _visible(session, table, column, value)
    except DBAPIError as exc:
        assert "permission denied" in str(exc)
        return 0


@pytest.mark.parametrize("table", ["stations", "memberships"])
async def test_station_a_sees_none_of_station_b_rows(scoped: Scoped, tenants: Tenants, table: str) -> None:
    _, station_column = TENANT_COLUMNS[table]
    assert station_column is not None
    async with scoped(tenants.manager_a.scope) as session:
        own = await _visible(session, table, station_column, tenants.station_a)
        other = await _visible(session, table, station_column, tenants.station_b)
        everything = (await session.execute(text(f'SELECT count(DISTINCT "{station_column}") FROM "{table}"'))).scalar()

    assert own >= 1
    assert other == 0
    assert everything == 1


@pytest.mark.parametrize("table", ["networks", "stations", "memberships"])
async def test_network_x_sees_none_of_network_y(scoped: Scoped, tenants: Tenants, table: str) -> None:
    network_column, _ = TENANT_COLUMNS[table]
    for principal, own, foreign in (
        (tenants.hq_x, tenants.network_x, tenants.network_y),
        (tenants.manager_a, tenants.network_x, tenants.network_y),
        (tenants.hq_y, tenants.network_y, tenants.network_x),
    ):
        async with scoped(principal.scope) as session:
            assert await _visible(session, table, network_column, own) >= 1
            assert await _visible(session, table, network_column, foreign) == 0


@pytest.mark.parametrize("principal", ["manager_a", "hq_x"])
async def test_refresh_tokens_are_invisible_to_every_tenant_role(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, principal: str
) -> None:
    stored = (
        await seed.execute(text("SELECT count(*) FROM refresh_tokens WHERE network_id = :x"), {"x": tenants.network_x})
    ).scalar()
    async with scoped(getattr(tenants, principal).scope) as session:
        visible = await _readable(session, "refresh_tokens", "network_id", tenants.network_x)

    assert stored == 3
    assert visible == 0


async def test_users_are_visible_only_through_a_membership_in_scope(scoped: Scoped, tenants: Tenants) -> None:
    everyone = [tenants.hq_x, tenants.manager_a, tenants.manager_b, tenants.hq_y, tenants.manager_c]
    async with scoped(tenants.manager_a.scope) as session:
        seen_by_a = set((await session.execute(text("SELECT id FROM users"))).scalars())
    async with scoped(tenants.hq_x.scope) as session:
        seen_by_x = set((await session.execute(text("SELECT id FROM users"))).scalars())

    assert seen_by_a == {tenants.manager_a.user_id}
    assert seen_by_x == {p.user_id for p in everyone if p.network_id == tenants.network_x}


@pytest.mark.parametrize("principal", ["manager_a", "hq_x"])
async def test_password_hashes_are_not_readable_by_tenant_roles(
    scoped: Scoped, tenants: Tenants, principal: str
) -> None:
    async with scoped(getattr(tenants, principal).scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT password_hash FROM users"))


async def test_iso4_station_a_cannot_write_into_or_change_station_b(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE stations SET name = 'taken' WHERE id = :b"), {"b": tenants.station_b})
    async with scoped(tenants.hq_x.scope) as session:
        changed = await session.execute(
            text("UPDATE stations SET name = 'taken' WHERE network_id = :y"), {"y": tenants.network_y}
        )
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO stations (id, network_id, code, name, city, status) "
                    "VALUES (:id, :y, 'ZZ99', 'planted', '', 'active')"
                ),
                {"id": new_id(), "y": tenants.network_y},
            )


async def test_iso4_hq_cannot_move_a_membership_into_another_network(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text("UPDATE memberships SET network_id = :y, station_id = :c WHERE user_id = :u"),
                {"y": tenants.network_y, "c": tenants.station_c, "u": tenants.manager_a.user_id},
            )


async def test_iso5_station_codes_are_unique_per_network_only(seed: AsyncSession, tenants: Tenants) -> None:
    # Network Y already has SH01 like network X: creating BJ02 in Y must not collide with X's BJ02.
    await persist(seed, StationFactory.build(network_id=tenants.network_y, code="BJ02"))


async def test_iso5_a_membership_cannot_point_at_a_station_of_another_network(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(DBAPIError, match=r"foreign key|row-level security"):
            await session.execute(
                text(
                    "INSERT INTO memberships (id, user_id, network_id, station_id, role) "
                    "VALUES (:id, :u, :x, :c, 'station_manager')"
                ),
                {
                    "id": new_id(),
                    "u": tenants.manager_a.user_id,
                    "x": tenants.network_x,
                    "c": tenants.station_c,
                },
            )


async def test_services_filter_by_scope_too(scoped: Scoped, tenants: Tenants) -> None:
    async with scoped(tenants.manager_a.scope) as session:
        stations = [s.id for s in await directory.list_stations(session, tenants.manager_a.scope, first=100)]
        by_id = await directory.stations_by_id(
            session, tenants.manager_a.scope, [tenants.station_a, tenants.station_b, tenants.station_c]
        )
        networks = await directory.networks_by_id(
            session, tenants.manager_a.scope, [tenants.network_x, tenants.network_y]
        )
        users = await directory.users_by_id(
            session, tenants.manager_a.scope, [tenants.manager_a.user_id, tenants.manager_b.user_id]
        )

    assert stations == [tenants.station_a]
    assert set(by_id) == {tenants.station_a}
    assert set(networks) == {tenants.network_x}
    assert set(users) == {tenants.manager_a.user_id}


async def _sign_on_rows(seed: AsyncSession, tenants: Tenants) -> None:
    """A provider with one linked person in each network, and a second factor for managers A and B."""
    for network, person in ((tenants.network_x, tenants.hq_x), (tenants.network_y, tenants.hq_y)):
        provider = new_id()
        await seed.execute(
            text(
                "INSERT INTO identity_providers (id, network_id, name, issuer, client_id, client_secret_encrypted, "
                "scopes, role_claim, role_mapping, is_active) VALUES (:id, :n, 'idp', 'https://idp.example', 'c', "
                "'sealed', 'openid', 'groups', '[]', true)"
            ),
            {"id": provider, "n": network},
        )
        await seed.execute(
            text(
                "INSERT INTO external_identities (id, network_id, provider_id, subject, user_id) "
                "VALUES (:id, :n, :p, :s, :u)"
            ),
            {"id": new_id(), "n": network, "p": provider, "s": f"sub-{network}", "u": person.user_id},
        )
    for person in (tenants.manager_a, tenants.manager_b):
        await seed.execute(
            text("INSERT INTO user_factors (user_id, secret_encrypted) VALUES (:u, 'sealed')"), {"u": person.user_id}
        )


async def test_sign_on_rows_stay_in_their_network(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    await _sign_on_rows(seed, tenants)
    for principal, own in ((tenants.hq_x, tenants.network_x), (tenants.hq_y, tenants.network_y)):
        async with scoped(principal.scope) as session:
            for table in ("identity_providers", "external_identities"):
                networks = (await session.execute(text(f"SELECT DISTINCT network_id FROM {table}"))).scalars().all()
                assert networks == [own], table
            with pytest.raises(DBAPIError, match="permission denied"):
                await session.execute(text("SELECT client_secret_encrypted FROM identity_providers"))
    for table in ("identity_providers", "external_identities"):
        async with scoped(tenants.manager_a.scope) as session:
            assert await _readable(session, table, "network_id", tenants.network_x) == 0
    async with scoped(tenants.hq_x.scope) as session:
        changed = await session.execute(
            text("UPDATE identity_providers SET issuer = 'https://evil.example' WHERE network_id = :y"),
            {"y": tenants.network_y},
        )
        assert changed.rowcount == 0


async def test_a_second_factor_is_its_owners_only(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    await _sign_on_rows(seed, tenants)
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text("SELECT user_id FROM user_factors"))).scalars().all()
        assert seen == [tenants.manager_a.user_id]
        wiped = await session.execute(
            text("DELETE FROM user_factors WHERE user_id = :b"), {"b": tenants.manager_b.user_id}
        )
        assert wiped.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text("INSERT INTO user_factors (user_id, secret_encrypted) VALUES (:u, 'planted')"),
                {"u": tenants.hq_x.user_id},
            )
    async with scoped(tenants.hq_x.scope) as session:  # HQ of the same network: still not its business
        assert (await session.execute(text("SELECT count(*) FROM user_factors"))).scalar() == 0


async def test_outbox_rows_stay_in_their_tenant(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    insert = (
        "INSERT INTO outbox (id, network_id, station_id, actor_id, role, job, payload) "
        "VALUES (:id, :n, :s, NULL, 'hq_admin', 'x', '{}')"
    )
    for network, station in (
        (tenants.network_x, None),
        (tenants.network_x, tenants.station_a),
        (tenants.network_x, tenants.station_b),
        (tenants.network_y, None),
    ):
        await seed.execute(text(insert), {"id": new_id(), "n": network, "s": station})
    async with scoped(tenants.hq_x.scope) as session:
        seen = (await session.execute(text("SELECT DISTINCT network_id FROM outbox"))).scalars().all()
        assert seen == [tenants.network_x]
    async with scoped(tenants.manager_a.scope) as session:
        stations = (await session.execute(text("SELECT station_id FROM outbox"))).scalars().all()
        assert stations == [tenants.station_a]
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(text(insert), {"id": new_id(), "n": tenants.network_x, "s": tenants.station_b})


async def test_publications_deliveries_and_prices_stay_in_their_tenant(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    """Network Y sees nothing of X's price list; station A cannot acknowledge station B's delivery."""
    publication, part = new_id(), new_id()
    await seed.execute(
        text(
            "INSERT INTO publications (id, network_id, kind, title, status, effective_on, target_all, "
            "acknowledge_within_days, published_at) VALUES (:id, :x, 'price_list', 't', 'published', "
            "current_date, true, 7, now())"
        ),
        {"id": publication, "x": tenants.network_x},
    )
    await seed.execute(
        text(
            "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
            "VALUES (:id, :x, 'ISO-1', '', 'p', 'G', 'EA')"
        ),
        {"id": part, "x": tenants.network_x},
    )
    await seed.execute(
        text(
            "INSERT INTO part_prices (id, network_id, publication_id, part_id, currency, list_price, dealer_price, "
            "valid_from, in_force) VALUES (:id, :x, :p, :part, 'CNY', 1, 1, current_date, true)"
        ),
        {"id": new_id(), "x": tenants.network_x, "p": publication, "part": part},
    )
    for station in (tenants.station_a, tenants.station_b):
        await seed.execute(
            text(
                "INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by) "
                "VALUES (:id, :x, :p, :s, now())"
            ),
            {"id": new_id(), "x": tenants.network_x, "p": publication, "s": station},
        )
    async with scoped(tenants.hq_y.scope) as session:
        for table in ("publications", "publication_deliveries", "part_prices"):
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0, table
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM publication_deliveries"))).scalars().all()
        assert seen == [tenants.station_a]
        changed = await session.execute(
            text(
                "UPDATE publication_deliveries SET acknowledged_at = now(), acknowledged_by = :u WHERE station_id = :b"
            ),
            {"u": tenants.manager_a.user_id, "b": tenants.station_b},
        )
        assert changed.rowcount == 0
        assert (await session.execute(text("SELECT count(*) FROM part_prices"))).scalar() == 1  # delivered to A


async def test_notifications_stay_in_their_inbox(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    """A station reads and marks only its own notifications; HQ of Y sees none of X's; a station cannot
    write one (the platform does)."""
    insert = (
        "INSERT INTO notifications (id, network_id, station_id, kind, subject, entity, entity_id) "
        "VALUES (:id, :n, :s, 'k', 'subject', 'publication', :e)"
    )
    for network, station in (
        (tenants.network_x, None),
        (tenants.network_x, tenants.station_a),
        (tenants.network_x, tenants.station_b),
        (tenants.network_y, None),
    ):
        await seed.execute(text(insert), {"id": new_id(), "n": network, "s": station, "e": new_id()})
    async with scoped(tenants.hq_y.scope) as session:
        seen = (await session.execute(text("SELECT DISTINCT network_id FROM notifications"))).scalars().all()
        assert seen == [tenants.network_y]
    async with scoped(tenants.manager_a.scope) as session:
        stations = (await session.execute(text("SELECT station_id FROM notifications"))).scalars().all()
        assert stations == [tenants.station_a]
        changed = await session.execute(
            text("UPDATE notifications SET read_at = now(), read_by = :u WHERE station_id = :b"),
            {"u": tenants.manager_a.user_id, "b": tenants.station_b},
        )
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(
                text(insert), {"id": new_id(), "n": tenants.network_x, "s": tenants.station_a, "e": new_id()}
            )


async def test_imports_stay_in_their_network_and_station(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    """HQ sees its network's imports; a station only its own (its DMS's repair orders), and writes no other."""
    insert = (
        "INSERT INTO imports (id, network_id, station_id, kind, filename, file_format, content, content_hash, mode, "
        "status) VALUES (:id, :n, :s, :k, 'f.csv', 'csv', 'x', :h, 'all_or_nothing', 'queued')"
    )
    rows = [
        (tenants.network_x, None, "parts"),
        (tenants.network_y, None, "parts"),
        (tenants.network_x, tenants.station_a, "repair_orders"),
        (tenants.network_x, tenants.station_b, "repair_orders"),
    ]
    for network, station, kind in rows:
        await seed.execute(text(insert), {"id": new_id(), "n": network, "s": station, "k": kind, "h": new_id().hex})
    async with scoped(tenants.hq_y.scope) as session:
        seen = (await session.execute(text("SELECT DISTINCT network_id FROM imports"))).scalars().all()
        assert seen == [tenants.network_y]
    async with scoped(tenants.hq_x.scope) as session:
        assert await session.scalar(text("SELECT count(*) FROM imports")) == 3
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM imports"))).scalars().all()
        assert seen == [tenants.station_a]
        others = text("UPDATE imports SET status = 'failed' WHERE station_id IS DISTINCT FROM :a")
        changed = await session.execute(others, {"a": tenants.station_a})
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(insert),
                {"id": new_id(), "n": tenants.network_x, "s": tenants.station_b, "k": "repair_orders", "h": "b"},
            )


DELIVERED_ONLY = {
    "labour_rates": "(id, network_id, publication_id, currency, hourly_rate, valid_from) "
    "VALUES (:id, :n, :p, 'CNY', 90, current_date)",
    "warranty_coverages": "(id, network_id, publication_id, component_group, months, km, valid_from) "
    "VALUES (:id, :n, :p, 'G', 24, 50000, current_date)",
    "warranty_terms": "(id, network_id, publication_id, service_types) VALUES (:id, :n, :p, '{paid}')",
    "service_commitments": "(id, network_id, publication_id, ordinary_response_hours, major_response_hours) "
    "VALUES (:id, :n, :p, 48, 4)",
    "technical_bulletins": "(id, network_id, publication_id, number, body) VALUES (:id, :n, :p, 'TSB-1', 'b')",
    "stock_rules": "(id, network_id, publication_id, component_group, per_thousand_vehicles, valid_from) "
    "VALUES (:id, :n, :p, 'G', 1, current_date)",
    "bulletin_attachments": "(id, network_id, publication_id, filename, content_type, size, sha256, storage_key) "
    "VALUES (:id, :n, :p, 'a.pdf', 'application/pdf', 1, 'x', gen_random_uuid()::text)",
    "price_coefficients": "(id, network_id, publication_id, region_id, coefficient, valid_from) "
    "VALUES (:id, :n, :p, (SELECT id FROM regions WHERE network_id = :n LIMIT 1), 1.05, current_date)",
}


@pytest.mark.parametrize("table", sorted(DELIVERED_ONLY))
async def test_policy_rows_reach_only_the_stations_they_were_delivered_to(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, table: str
) -> None:
    """A row of a publication delivered to station B: B reads it, A does not, HQ Y does not; a station
    writes none."""
    rows: dict[UUID, UUID] = {}
    for network, station in ((tenants.network_x, tenants.station_b), (tenants.network_y, tenants.station_c)):
        publication = new_id()
        await seed.execute(
            text(
                "INSERT INTO publications (id, network_id, kind, title, status, effective_on, target_all, "
                "acknowledge_within_days, published_at) VALUES (:id, :n, 'bulletin', 't', 'published', "
                "current_date, false, 7, now())"
            ),
            {"id": publication, "n": network},
        )
        await seed.execute(
            text(
                "INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by) "
                "VALUES (:id, :n, :p, :s, now())"
            ),
            {"id": new_id(), "n": network, "p": publication, "s": station},
        )
        rows[network] = publication
        await seed.execute(
            text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'R', 'R')"),
            {"id": new_id(), "n": network},
        )
        await seed.execute(
            text(f"INSERT INTO {table} {DELIVERED_ONLY[table]}"), {"id": new_id(), "n": network, "p": publication}
        )
    count = f"SELECT count(*) FROM {table}"
    for principal, expected in ((tenants.manager_b, 1), (tenants.manager_a, 0), (tenants.hq_x, 1), (tenants.hq_y, 1)):
        async with scoped(principal.scope) as session:
            assert (await session.execute(text(count))).scalar() == expected, principal
    async with scoped(tenants.hq_y.scope) as session:
        seen = await session.execute(text(f"SELECT DISTINCT network_id FROM {table}"))
        assert seen.scalars().all() == [tenants.network_y]
    async with scoped(tenants.manager_b.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(
                text(f"INSERT INTO {table} {DELIVERED_ONLY[table]}"),
                {"id": new_id(), "n": tenants.network_x, "p": rows[tenants.network_x]},
            )


async def test_fleets_and_stock_overrides_stay_in_their_tenant(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    """The vehicle population is its network's (stations read it); an override is its station's."""
    for network, station in ((tenants.network_x, tenants.station_b), (tenants.network_y, tenants.station_c)):
        region, part = new_id(), new_id()
        await seed.execute(
            text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'R', 'R')"),
            {"id": region, "n": network},
        )
        await seed.execute(
            text(
                "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
                "VALUES (:id, :n, 'S-1', '', 'p', 'G', 'EA')"
            ),
            {"id": part, "n": network},
        )
        await seed.execute(
            text(
                "INSERT INTO vehicle_populations (id, network_id, region_id, vehicle_model, vehicles) "
                "VALUES (:id, :n, :r, 'J6P', 100)"
            ),
            {"id": new_id(), "n": network, "r": region},
        )
        await seed.execute(
            text(
                "INSERT INTO stock_overrides (id, network_id, station_id, part_id, minimum, reason) "
                "VALUES (:id, :n, :s, :p, 3, 'r')"
            ),
            {"id": new_id(), "n": network, "s": station, "p": part},
        )
    for principal, populations, overrides in (
        (tenants.manager_a, 1, 0),
        (tenants.manager_b, 1, 1),
        (tenants.hq_x, 1, 1),
        (tenants.hq_y, 1, 1),
    ):
        async with scoped(principal.scope) as session:
            assert (await session.execute(text("SELECT count(*) FROM vehicle_populations"))).scalar() == populations
            assert (await session.execute(text("SELECT count(*) FROM stock_overrides"))).scalar() == overrides
    async with scoped(tenants.hq_y.scope) as session:
        seen = await session.execute(text("SELECT DISTINCT network_id FROM vehicle_populations"))
        assert seen.scalars().all() == [tenants.network_y]
    async with scoped(tenants.manager_b.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE stock_overrides SET minimum = 99"))


async def test_an_applicant_sees_only_its_own_application_and_no_scores(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    first = await make_applicant(tenants.network_x, "First Motors")
    second = await make_applicant(tenants.network_x, "Second Motors")
    other_network = await make_applicant(tenants.network_y, "Other Motors")
    rubric, application = (
        new_id(),
        await seed.scalar(text("SELECT id FROM applications WHERE station_id = :s"), {"s": second.station_id}),
    )
    await seed.execute(
        text("INSERT INTO rubrics (id, network_id, kind, version, title) VALUES (:id, :n, 'application', 1, 'r')"),
        {"id": rubric, "n": tenants.network_x},
    )
    await seed.execute(
        text(
            "INSERT INTO assessments (id, network_id, application_id, rubric_id, kind, total, pass_mark, passed, "
            "items) VALUES (:id, :n, :a, :r, 'application', 72, 60, true, '[]')"
        ),
        {"id": new_id(), "n": tenants.network_x, "a": application, "r": rubric},
    )
    async with scoped(first.scope) as session:
        seen = (await session.execute(text("SELECT company_name FROM applications"))).scalars().all()
        assert seen == ["First Motors"]
        for table in ("assessments", "rubrics", "rubric_criteria"):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with session.begin_nested():
                    await session.execute(text(f"SELECT count(*) FROM {table}"))
        changed = await session.execute(
            text("UPDATE applications SET company_name = 'x' WHERE station_id = :s"), {"s": second.station_id}
        )
        assert changed.rowcount == 0
    async with scoped(tenants.manager_a.scope) as session:  # an active station of the network sees none
        assert (await session.execute(text("SELECT count(*) FROM applications"))).scalar() == 0
    async with scoped(tenants.hq_y.scope) as session:
        names = (await session.execute(text("SELECT company_name FROM applications"))).scalars().all()
        assert names == ["Other Motors"]
        assert (await session.execute(text("SELECT count(*) FROM assessments"))).scalar() == 0
    assert other_network.network_id == tenants.network_y


async def test_a_station_never_sees_hqs_committee_papers_and_an_applicant_only_its_letter(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    mine = await make_applicant(tenants.network_x, "Mine Motors")
    theirs = await make_applicant(tenants.network_x, "Their Motors")
    for applicant in (mine, theirs):
        application = await seed.scalar(
            text("SELECT id FROM applications WHERE station_id = :s"), {"s": applicant.station_id}
        )
        params = {"n": tenants.network_x, "a": application, "s": applicant.station_id, "u": tenants.hq_x.user_id}
        await seed.execute(
            text(
                "INSERT INTO committee_votes (id, network_id, application_id, member_id, vote) "
                "VALUES (gen_random_uuid(), :n, :a, :u, 'approve')"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO site_visits (id, network_id, application_id, planned_on, visitor_ids) "
                "VALUES (gen_random_uuid(), :n, :a, current_date, ARRAY[CAST(:u AS uuid)])"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO letters_of_intent (id, network_id, station_id, application_id, number, storage_key, "
                "sha256, size) VALUES (gen_random_uuid(), :n, :s, :a, 'LOI-' || gen_random_uuid(), "
                "gen_random_uuid()::text, 'x', 1)"
            ),
            params,
        )
    async with scoped(mine.scope) as session:
        letters = (await session.execute(text("SELECT station_id FROM letters_of_intent"))).scalars().all()
        assert letters == [mine.station_id]
        for table in ("committee_votes", "site_visits", "region_quotas"):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with session.begin_nested():
                    await session.execute(text(f"SELECT count(*) FROM {table}"))
    async with scoped(tenants.hq_y.scope) as session:
        for table in ("committee_votes", "site_visits", "letters_of_intent"):
            assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
    async with scoped(tenants.hq_x.scope) as session:
        assert (await session.execute(text("SELECT count(*) FROM committee_votes"))).scalar() == 2


@pytest.mark.parametrize("table", ["startup_orders", "acceptance_inspections", "rectification_items", "contracts"])
async def test_onboarding_papers_stay_with_their_applicant(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant, table: str
) -> None:
    """Each applicant reads its own orders, inspections, rectification items and contract — never another's,
    and writes none of HQ's records."""
    applicants = [await make_applicant(tenants.network_x, name) for name in ("Mine Motors", "Their Motors")]
    for applicant in applicants:
        params = {
            "n": tenants.network_x,
            "s": applicant.station_id,
            "a": await seed.scalar(
                text("SELECT id FROM applications WHERE station_id = :s"), {"s": applicant.station_id}
            ),
            "r": new_id(),
            "x": new_id(),
            "i": new_id(),
        }
        await seed.execute(
            text(
                "INSERT INTO rubrics (id, network_id, kind, version, title) VALUES (:r, :n, 'acceptance', "
                "(SELECT count(*) + 1 FROM rubrics), 'r')"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO assessments (id, network_id, application_id, rubric_id, kind, total, pass_mark, passed, "
                "items) VALUES (:x, :n, :a, :r, 'acceptance', 50, 100, false, '[]')"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO acceptance_inspections (id, network_id, station_id, application_id, round, "
                "assessment_id, passed) VALUES (:i, :n, :s, :a, 1, :x, false)"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO startup_orders (id, network_id, station_id, application_id, kind, reference, due_on) "
                "VALUES (gen_random_uuid(), :n, :s, :a, 'vi', 'PO', current_date)"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO rectification_items (id, network_id, station_id, application_id, inspection_id, code, "
                "label_zh, label_en, due_on) VALUES (gen_random_uuid(), :n, :s, :a, :i, 'LIFTS', 'l', 'l', "
                "current_date)"
            ),
            params,
        )
        await seed.execute(
            text(
                "INSERT INTO contracts (id, network_id, station_id, application_id, authorisation_number, "
                "term_start, term_end, service_types, certificate_key, certificate_sha256) VALUES "
                "(gen_random_uuid(), :n, :s, :a, 'N-' || gen_random_uuid(), current_date, current_date + 365, "
                "'{paid}', gen_random_uuid()::text, 'x')"
            ),
            params,
        )
    mine = applicants[0]
    async with scoped(mine.scope) as session:
        seen = (await session.execute(text(f"SELECT station_id FROM {table}"))).scalars().all()
        assert seen == [mine.station_id]
    async with scoped(tenants.manager_a.scope) as session:
        assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
    async with scoped(tenants.hq_y.scope) as session:
        assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 0
    async with scoped(tenants.hq_x.scope) as session:
        assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 2


async def test_staff_certificates_are_their_stations(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    for network, station in (
        (tenants.network_x, tenants.station_a),
        (tenants.network_x, tenants.station_b),
        (tenants.network_y, tenants.station_c),
    ):
        await seed.execute(
            text(
                "INSERT INTO staff_certificates (id, network_id, station_id, person_name, role, service_types, course, "
                "certificate_number, passed_on, expires_on) VALUES (gen_random_uuid(), :n, :s, 'p', 'technician', "
                "'{paid}', 'c', gen_random_uuid()::text, current_date, current_date + 1)"
            ),
            {"n": network, "s": station},
        )
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM staff_certificates"))).scalars().all()
        assert seen == [tenants.station_a]
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE staff_certificates SET expires_on = current_date + 999"))
    async with scoped(tenants.hq_y.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM staff_certificates"))).scalars().all()
        assert seen == [tenants.station_c]


async def test_registrations_are_hqs_and_the_login_path_opens_only_applicants(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    """HQ reads its network's registrations, a station none; the login path (which verifies them) may create
    a station only as an applicant, an application only as a draft, and queue only the registration mail."""
    for network in (tenants.network_x, tenants.network_y):
        await seed.execute(
            text(
                "INSERT INTO registrations (id, network_id, email, company_name, token_hash, expires_at) "
                "VALUES (gen_random_uuid(), :n, 'a@b.test', 'c', decode(md5(random()::text), 'hex'), "
                "now() + interval '1 day')"
            ),
            {"n": network},
        )
    async with scoped(tenants.hq_x.scope) as session:
        seen = (await session.execute(text("SELECT network_id FROM registrations"))).scalars().all()
        assert seen == [tenants.network_x]
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE registrations SET email = 'x@y.test'"))
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT count(*) FROM registrations"))
    auth = Scope(db_role=DbRole.auth)
    station = {"n": tenants.network_x, "s": new_id()}
    refused = (
        "INSERT INTO stations (id, network_id, code, name, status) VALUES (:s, :n, 'X1', 'x', 'active')",
        "INSERT INTO applications (id, network_id, station_id, stage, company_name) "
        f"VALUES (gen_random_uuid(), :n, '{tenants.station_a}', 'contracted', 'x')",
        "INSERT INTO outbox (id, network_id, role, job, payload, created_at) "
        "VALUES (gen_random_uuid(), :n, 'hq_admin', 'policy.notify_delivered', '{}', now())",
    )
    for statement in refused:
        async with scoped(auth) as session:
            with pytest.raises(DBAPIError, match="row-level security"):
                await session.execute(text(statement), station)
    async with scoped(auth) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE stations SET status = 'active'"))


async def test_station_documents_are_their_stations_and_visit_photos_hqs(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    for network, station in (
        (tenants.network_x, tenants.station_a),
        (tenants.network_x, tenants.station_b),
        (tenants.network_y, tenants.station_c),
    ):
        await seed.execute(
            text(
                "INSERT INTO station_documents (id, network_id, station_id, kind, filename, content_type, size, "
                "sha256, storage_key) VALUES (gen_random_uuid(), :n, :s, 'other', 'f.pdf', 'application/pdf', 1, "
                "'x', gen_random_uuid()::text)"
            ),
            {"n": network, "s": station},
        )
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM station_documents"))).scalars().all()
        assert seen == [tenants.station_a]
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO station_documents (id, network_id, station_id, kind, filename, content_type, size, "
                    "sha256, storage_key) VALUES (gen_random_uuid(), :n, :s, 'other', 'f', 'a', 1, 'x', 'k')"
                ),
                {"n": tenants.network_x, "s": tenants.station_b},
            )
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE station_documents SET filename = 'swapped'"))
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT count(*) FROM site_visit_photos"))
    async with scoped(tenants.hq_y.scope) as session:
        seen = (await session.execute(text("SELECT station_id FROM station_documents"))).scalars().all()
        assert seen == [tenants.station_c]
        assert (await session.execute(text("SELECT count(*) FROM site_visit_photos"))).scalar() == 0


@pytest.mark.parametrize("table", ["station_profiles", "profile_changes"])
async def test_profiles_and_their_changes_are_their_stations(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, table: str
) -> None:
    insert = {
        "station_profiles": "INSERT INTO station_profiles (id, network_id, station_id) "
        "VALUES (gen_random_uuid(), :n, :s)",
        "profile_changes": "INSERT INTO profile_changes (id, network_id, station_id, kind, changed_on, after) "
        "VALUES (gen_random_uuid(), :n, :s, 'address', current_date, '{}')",
    }[table]
    for network, station in (
        (tenants.network_x, tenants.station_a),
        (tenants.network_x, tenants.station_b),
        (tenants.network_y, tenants.station_c),
    ):
        await seed.execute(text(insert), {"n": network, "s": station})
    async with scoped(tenants.manager_a.scope) as session:
        seen = (await session.execute(text(f"SELECT station_id FROM {table}"))).scalars().all()
        assert seen == [tenants.station_a]
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(text(insert), {"n": tenants.network_x, "s": tenants.station_b})
    async with scoped(tenants.hq_y.scope) as session:
        seen = (await session.execute(text(f"SELECT station_id FROM {table}"))).scalars().all()
        assert seen == [tenants.station_c]
    async with scoped(tenants.hq_x.scope) as session:
        assert (await session.execute(text(f"SELECT count(*) FROM {table}"))).scalar() == 2


async def test_network_counters_are_hqs_own(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    for network in (tenants.network_x, tenants.network_y):
        await seed.execute(
            text("INSERT INTO network_counters (network_id, series, value) VALUES (:n, 'authorisation', 7)"),
            {"n": network},
        )
    async with scoped(tenants.hq_x.scope) as session:
        seen = (await session.execute(text("SELECT network_id FROM network_counters"))).scalars().all()
        assert seen == [tenants.network_x]
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text("INSERT INTO network_counters (network_id, series, value) VALUES (:n, 'x', 1)"),
                {"n": tenants.network_y},
            )
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT count(*) FROM network_counters"))
