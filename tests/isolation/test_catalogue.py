"""The database's own promises, read from its catalogue (SECURITY.md ISO-1, ISO-2, ISO-3)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

import dealernet.core.journal
import dealernet.core.outbox
import dealernet.network.models
import dealernet.policy.models
import dealernet.workshop.models  # noqa: F401
from dealernet.core.db import APP_LOGIN_ROLE, Base
from dealernet.core.scope import DbRole, Scope

# Every table and how it is tenant-owned. A new table must be added here (and to the other isolation
# tests); test_every_table_is_classified fails until it is.
TENANT_TABLES = {
    "networks": "network",
    "regions": "network",
    "stations": "station",
    "partners": "partner link",
    "partner_networks": "network",
    "users": "membership",
    "memberships": "station",
    "invitations": "station",
    "refresh_tokens": "auth-only",
    "signing_keys": "auth-only",
    "api_clients": "network",
    "station_clients": "station",
    "persisted_queries": "network",
    "journal": "station",
    "journal_heads": "network",
    "identity_providers": "network",
    "external_identities": "network",
    "user_factors": "own person",
    "outbox": "station",
    "parts": "network",
    "vehicles": "network",
    "customers": "station",
    "station_counters": "station",
    "repair_orders": "station",
    "repair_order_lines": "station",
    "parts_orders": "station",
    "repair_order_files": "station",
    "parts_order_lines": "station",
    "claims": "station",
    "claim_lines": "station",
    "claim_adjudications": "station",
    "claim_preauthorisations": "station",
    "claim_appeals": "station",
    "part_returns": "station",
    "claim_chargebacks": "station",
    "recovery_agreements": "network (HQ; a supplier its own)",
    "recovery_claims": "station (HQ; a supplier its own; not the station)",
    "recovery_claim_lines": "station (HQ; a supplier its own; not the station)",
    "settlements": "station",
    "settlement_lines": "station",
    "recovery_statements": "network (HQ; a supplier its own)",
    "station_claim_rates": "station",
    "part_supersessions": "network",
    "service_bom_lines": "network",
    "publications": "network (stations: delivered)",
    "publication_deliveries": "station",
    "part_prices": "network (stations: delivered)",
    "labour_operations": "network",
    "notifications": "station",
    "imports": "network (a station: its own)",
    "labour_rates": "network (stations: delivered)",
    "warranty_coverages": "network (stations: delivered)",
    "warranty_terms": "network (stations: delivered)",
    "service_commitments": "network (stations: delivered)",
    "technical_bulletins": "network (stations: delivered)",
    "stock_rules": "network (stations: delivered)",
    "vehicle_populations": "network",
    "stock_overrides": "station",
    "price_coefficients": "network (stations: delivered)",
    "bulletin_attachments": "network (stations: delivered)",
    "rubrics": "network (HQ only)",
    "rubric_criteria": "network (HQ only)",
    "applications": "station",
    "assessments": "network (HQ only)",
    "region_quotas": "network (HQ only)",
    "site_visits": "network (HQ only)",
    "committee_votes": "network (HQ only)",
    "letters_of_intent": "station",
    "startup_orders": "station",
    "acceptance_inspections": "station",
    "rectification_items": "station",
    "contracts": "station",
    "staff_certificates": "station",
    "registrations": "network (HQ reads; the login path verifies)",
    "station_documents": "station",
    "site_visit_photos": "network (HQ only)",
    "station_profiles": "station",
    "profile_changes": "station",
    "network_counters": "network (HQ only)",
    "tier_repair_levels": "network",
    "committee_members": "network (HQ only)",
}
GLOBAL_TABLES = {"alembic_version"}  # reviewed: holds no tenant data
# From the workshop on (DESIGN.md "Tenancy"), a station-owned table is keyed (station_id, id), ready to be
# distributed on station_id: these contexts' tables are held to it.
COMPOSITE_KEYED_CONTEXTS = ("dealernet.workshop", "dealernet.warranty", "dealernet.quality", "dealernet.audit")


async def _tables(connection: AsyncConnection) -> set[str]:
    rows = await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
    return set(rows.scalars())


async def test_every_table_is_classified(connection: AsyncConnection) -> None:
    assert await _tables(connection) == set(TENANT_TABLES) | GLOBAL_TABLES
    assert set(Base.metadata.tables) == set(TENANT_TABLES)


async def test_station_owned_tables_of_the_workshop_on_are_keyed_by_station(connection: AsyncConnection) -> None:
    tables = [
        mapper.local_table.name
        for mapper in Base.registry.mappers
        if mapper.class_.__module__.startswith(COMPOSITE_KEYED_CONTEXTS)
        and {"station_id", "id"} <= set(mapper.local_table.columns.keys())  # a counter is keyed by its series
    ]
    assert {
        "customers",
        "repair_orders",
        "repair_order_lines",
        "parts_orders",
        "parts_order_lines",
        "claims",
        "claim_lines",
        "claim_adjudications",
        "recovery_claims",
        "settlements",
        "settlement_lines",
    } <= set(tables)  # it covers what it should
    rows = await connection.execute(
        text(
            "SELECT c.relname, array_agg(a.attname ORDER BY k.ordinality) FROM pg_constraint p "
            "JOIN pg_class c ON c.oid = p.conrelid "
            "CROSS JOIN LATERAL unnest(p.conkey) WITH ORDINALITY AS k(attnum, ordinality) "
            "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum "
            "WHERE p.contype = 'p' AND c.relname = ANY(:tables) GROUP BY c.relname"
        ),
        {"tables": tables},
    )
    keys = {table: list(columns) for table, columns in rows}
    assert keys == {table: ["station_id", "id"] for table in tables}


async def test_iso1_every_tenant_table_has_forced_rls_and_checked_policies(
    connection: AsyncConnection,
) -> None:
    rows = (
        await connection.execute(
            text(
                "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
                "  coalesce(bool_and(p.polqual IS NOT NULL OR p.polcmd = 'a'), false) AS all_using, "
                "  coalesce(bool_and(p.polwithcheck IS NOT NULL OR p.polcmd IN ('r', 'd')), false) AS all_checked, "
                "  count(p.oid) AS policies "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "LEFT JOIN pg_policy p ON p.polrelid = c.oid "
                "WHERE n.nspname = 'public' AND c.relkind = 'r' "
                "GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"
            )
        )
    ).all()
    unprotected = [
        row.relname
        for row in rows
        if row.relname in TENANT_TABLES
        and not (row.relrowsecurity and row.relforcerowsecurity and row.all_using and row.all_checked and row.policies)
    ]
    assert unprotected == []


async def test_iso1_every_column_named_for_a_tenant_is_in_a_protected_table(
    connection: AsyncConnection,
) -> None:
    rows = await connection.execute(
        text(
            "SELECT DISTINCT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name IN ('network_id', 'station_id')"
        )
    )
    assert set(rows.scalars()) <= set(TENANT_TABLES)


async def test_iso2_the_app_login_role_cannot_bypass_rls(connection: AsyncConnection) -> None:
    role = (
        await connection.execute(
            text(
                "SELECT rolsuper, rolbypassrls, rolinherit, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = :r"
            ),
            {"r": APP_LOGIN_ROLE},
        )
    ).one()
    memberships = set(
        (
            await connection.execute(
                text(
                    "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
                    "JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = :r"
                ),
                {"r": APP_LOGIN_ROLE},
            )
        ).scalars()
    )
    owned = (
        await connection.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner IN "
                "(:r, 'app_oem', 'app_station', 'app_partner', 'app_auth')"
            ),
            {"r": APP_LOGIN_ROLE},
        )
    ).scalar()

    assert tuple(role) == (False, False, False, False, False)
    assert memberships == {"app_oem", "app_station", "app_partner", "app_auth"}
    assert owned == 0
    for app_role in memberships:
        bypass = (
            await connection.execute(
                text("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = :r"), {"r": app_role}
            )
        ).scalar()
        assert bypass is False, app_role


@pytest.mark.parametrize("privilege", ["TRUNCATE", "REFERENCES", "TRIGGER"])
async def test_iso2_app_roles_hold_no_truncate_or_references(connection: AsyncConnection, privilege: str) -> None:
    rows = await connection.execute(
        text(
            "SELECT grantee, table_name FROM information_schema.role_table_grants "
            "WHERE table_schema = 'public' AND privilege_type = :p AND grantee LIKE 'app\\_%'"
        ),
        {"p": privilege},
    )
    assert rows.all() == []


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
async def test_iso3_a_transaction_without_scope_reads_nothing(
    scoped: Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]], table: str
) -> None:
    async with scoped(None) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text(f'SELECT count(*) FROM "{table}"'))


@pytest.mark.parametrize("table", sorted(TENANT_TABLES))
@pytest.mark.parametrize("role", [DbRole.oem, DbRole.station])
async def test_iso3_an_app_role_with_empty_tenant_settings_sees_no_row(
    scoped: Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]],
    tenants: object,
    table: str,
    role: DbRole,
) -> None:
    async with scoped(Scope(db_role=role)) as session:
        try:
            count = (await session.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar()
        except DBAPIError as exc:  # no privilege at all is as good as no row
            assert "permission denied" in str(exc)
            return
    assert count == 0


# What the reviewed cross-station read returns (migration 0035): a visit's when and what, never the station,
# the customer or an amount. A column added to it fails here first.
SERVICE_HISTORY_COLUMNS = [
    "received_at",
    "odometer_km",
    "repair_level",
    "service_types",
    "operation_codes",
    "part_numbers",
]


async def test_the_service_history_function_returns_no_station_customer_or_amount(connection: AsyncConnection) -> None:
    row = (
        await connection.execute(
            text(
                "SELECT p.proargnames, p.proargmodes::text[], p.prosecdef, pg_get_userbyid(p.proowner) FROM pg_proc p "
                "WHERE p.proname = 'vehicle_service_history'"
            )
        )
    ).one()
    names, modes, definer, owner = row
    returned = [name for name, mode in zip(names, modes, strict=True) if mode == "t"]
    assert returned == SERVICE_HISTORY_COLUMNS
    assert (definer, owner) == (True, "dealernet_seed")


async def test_the_claim_checks_cross_stations_through_one_function_that_answers_counts(
    connection: AsyncConnection,
) -> None:
    """A claim's duplicate, odometer, first-maintenance and parts-warranty checks read other stations only
    through this function: counts, readings and a day, never a row. A column added to what it returns fails
    here first."""
    rows = (
        await connection.execute(
            text(
                "SELECT p.proname, p.proargnames, p.proargmodes::text[], p.prosecdef, pg_get_userbyid(p.proowner) "
                "FROM pg_proc p WHERE p.proname IN ('claim_cross_station_facts', 'claim_duplicates', "
                "'vehicle_odometer_before')"
            )
        )
    ).all()
    [(name, names, modes, definer, owner)] = rows  # the two it replaced are gone
    returned = [n for n, mode in zip(names, modes, strict=True) if mode == "t"]
    assert (name, returned) == (
        "claim_cross_station_facts",
        ["duplicates", "odometer_before", "first_maintenances", "fitted_at", "fitted_km"],
    )
    assert (definer, owner) == (True, "dealernet_seed")


async def test_the_sweep_knows_every_stored_file_column(connection: AsyncConnection) -> None:
    """A table naming stored files that unreferenced_keys() does not check would lose its files at night."""
    columns = (
        await connection.execute(
            text(
                "SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' "
                "AND NOT a.attisdropped AND (a.attname = 'storage_key' OR a.attname LIKE '%certificate_key')"
            )
        )
    ).all()
    definition = (
        await connection.execute(text("SELECT pg_get_functiondef('unreferenced_keys(text[])'::regprocedure)"))
    ).scalar_one()
    assert ("repair_order_files", "storage_key") in [tuple(c) for c in columns]
    missing = [
        f"{table}.{column}" for table, column in columns if f"FROM {table} WHERE {column} = key" not in definition
    ]
    assert missing == []
