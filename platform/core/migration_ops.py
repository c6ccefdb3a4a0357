"""Alembic operations for row-level security, so every migration protects its tables the same way.

    op.enable_station_rls("repair_orders")         # rows of one station: HQ sees its network, a station itself
    op.enable_network_rls("parts", station_read=True)  # rows of a network: stations of it may read
    op.create_rls_policy("users", "app_oem", using="...")  # anything else, one policy per role
    op.grant_app("repair_orders", app_oem="SELECT", app_station="SELECT, INSERT, UPDATE")

Policies read the transaction-local settings that db.py sets. The setting is wrapped in a sub-select so
it is evaluated once per statement, and NULLIF turns the '' a reused connection reads back into NULL,
which matches no row (fail closed). One policy per role: permissive policies of one role are OR-ed and
the planner then stops using the tenant index.
"""

from __future__ import annotations

from typing import Any

from alembic.operations import MigrateOperation, Operations

NETWORK_SETTING = "(SELECT NULLIF(current_setting('dealernet.network_id', true), '')::uuid)"
STATION_SETTING = "(SELECT NULLIF(current_setting('dealernet.station_id', true), '')::uuid)"
ACTOR_SETTING = "(SELECT NULLIF(current_setting('dealernet.actor', true), '')::uuid)"
PARTNER_SETTING = "(SELECT NULLIF(current_setting('dealernet.partner_id', true), '')::uuid)"

SEED_ROLE = "dealernet_seed"


def _enable(operations: Operations, table: str) -> None:
    operations.execute(f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY')
    operations.execute(f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY')
    operations.execute(f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {SEED_ROLE}')


def _policy(
    operations: Operations, table: str, role: str, using: str, check: str | None, command: str, name: str = ""
) -> None:
    check_sql = f" WITH CHECK ({check})" if check and command not in ("SELECT", "DELETE") else ""
    using_sql = f" USING ({using})" if command != "INSERT" else ""
    policy = name or f"{table}_{role}"
    operations.execute(
        f'CREATE POLICY "{policy}" ON "{table}" AS PERMISSIVE FOR {command} TO {role}{using_sql}{check_sql}'
    )


@Operations.register_operation("create_rls_policy")
class CreateRlsPolicyOp(MigrateOperation):
    """One policy for one role; `check` defaults to `using` so a row cannot be written out of scope.
    A second policy of the same role (say, INSERT beside SELECT) needs a `name` of its own."""

    def __init__(
        self, table: str, role: str, using: str, check: str | None = None, command: str = "ALL", name: str = ""
    ) -> None:
        self.table, self.role, self.using, self.check, self.command, self.name = (
            table,
            role,
            using,
            check,
            command,
            name,
        )

    @classmethod
    def create_rls_policy(cls, operations: Operations, table: str, role: str, **kw: Any) -> None:
        operations.invoke(cls(table, role, **kw))


@Operations.implementation_for(CreateRlsPolicyOp)
def _create_rls_policy(operations: Operations, op: CreateRlsPolicyOp) -> None:
    _policy(operations, op.table, op.role, op.using, op.check or op.using, op.command, op.name)


@Operations.register_operation("enable_rls")
class EnableRlsOp(MigrateOperation):
    """ENABLE + FORCE row-level security (the owner is bound too) and the seed role's grants."""

    def __init__(self, table: str) -> None:
        self.table = table

    @classmethod
    def enable_rls(cls, operations: Operations, table: str) -> None:
        operations.invoke(cls(table))


@Operations.implementation_for(EnableRlsOp)
def _enable_rls(operations: Operations, op: EnableRlsOp) -> None:
    _enable(operations, op.table)


@Operations.register_operation("enable_station_rls")
class EnableStationRlsOp(MigrateOperation):
    """A station-owned table: HQ (app_oem) sees its network's rows, a station (app_station) only its own."""

    def __init__(self, table: str, station_column: str = "station_id", network_column: str = "network_id") -> None:
        self.table, self.station_column, self.network_column = table, station_column, network_column

    @classmethod
    def enable_station_rls(cls, operations: Operations, table: str, **kw: Any) -> None:
        operations.invoke(cls(table, **kw))


@Operations.implementation_for(EnableStationRlsOp)
def _enable_station_rls(operations: Operations, op: EnableStationRlsOp) -> None:
    _enable(operations, op.table)
    in_network = f'"{op.network_column}" = {NETWORK_SETTING}'
    in_station = f'{in_network} AND "{op.station_column}" = {STATION_SETTING}'
    _policy(operations, op.table, "app_oem", in_network, in_network, "ALL")
    _policy(operations, op.table, "app_station", in_station, in_station, "ALL")


@Operations.register_operation("enable_network_rls")
class EnableNetworkRlsOp(MigrateOperation):
    """A network-owned table: HQ sees its network's rows; with station_read, its stations may read them."""

    def __init__(self, table: str, network_column: str = "network_id", station_read: bool = True) -> None:
        self.table, self.network_column, self.station_read = table, network_column, station_read

    @classmethod
    def enable_network_rls(cls, operations: Operations, table: str, **kw: Any) -> None:
        operations.invoke(cls(table, **kw))


@Operations.implementation_for(EnableNetworkRlsOp)
def _enable_network_rls(operations: Operations, op: EnableNetworkRlsOp) -> None:
    _enable(operations, op.table)
    in_network = f'"{op.network_column}" = {NETWORK_SETTING}'
    _policy(operations, op.table, "app_oem", in_network, in_network, "ALL")
    if op.station_read:
        _policy(operations, op.table, "app_station", in_network, None, "SELECT")


@Operations.register_operation("grant_app")
class GrantAppOp(MigrateOperation):
    """Table privileges per app role, e.g. grant_app("stations", app_oem="SELECT, UPDATE", app_station="SELECT")."""

    def __init__(self, table: str, grants: dict[str, str]) -> None:
        self.table, self.grants = table, grants

    @classmethod
    def grant_app(cls, operations: Operations, table: str, **grants: str) -> None:
        operations.invoke(cls(table, grants))


@Operations.implementation_for(GrantAppOp)
def _grant_app(operations: Operations, op: GrantAppOp) -> None:
    for role, privileges in op.grants.items():
        operations.execute(f'GRANT {privileges} ON "{op.table}" TO {role}')
