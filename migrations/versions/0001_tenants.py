"""Tenants: networks, stations, users, memberships, refresh tokens, with row-level security.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, STATION_SETTING

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
NOW = sa.text("now()")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # /ready reads the revision as the API's login role, which holds no other privilege.
    op.execute("GRANT SELECT ON alembic_version TO PUBLIC")

    op.create_table(
        "networks",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("code", name="uq_networks_code"),
    )
    op.enable_rls("networks")
    op.create_rls_policy("networks", "app_oem", using=f"id = {NETWORK_SETTING}")
    op.create_rls_policy("networks", "app_station", using=f"id = {NETWORK_SETTING}", command="SELECT")
    op.grant_app("networks", app_oem="SELECT", app_station="SELECT")

    op.create_table(
        "stations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_stations_network_id_networks"),
                  nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "code", name="uq_stations_network_id_code"),
        sa.UniqueConstraint("network_id", "id", name="uq_stations_network_id_id"),
        sa.CheckConstraint("status IN ('active', 'suspended', 'terminated')", name="ck_stations_status"),
    )
    op.enable_station_rls("stations", station_column="id")
    op.grant_app("stations", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT")

    op.create_table(
        "users",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lower"),
    )

    op.create_table(
        "memberships",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", name="fk_memberships_user_id_users"), nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_memberships_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_memberships_network_id_station_id_stations"),
        sa.UniqueConstraint("user_id", "network_id", "station_id", name="uq_memberships_user_id_network_id_station_id",
                            postgresql_nulls_not_distinct=True),
        sa.CheckConstraint("role IN ('hq_admin', 'station_manager')", name="ck_memberships_role"),
        sa.CheckConstraint("(role LIKE 'station\\_%') = (station_id IS NOT NULL)",
                           name="ck_memberships_role_matches_tenant"),
    )
    op.create_index("ix_memberships_network_id_station_id", "memberships", ["network_id", "station_id"])
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    op.enable_station_rls("memberships")
    op.create_rls_policy("memberships", "app_auth", using="true", command="SELECT")
    op.grant_app("memberships", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT", app_auth="SELECT")

    # A user is visible to a tenant that has a membership of theirs; the hash only to the login path.
    op.enable_rls("users")
    op.create_rls_policy(
        "users", "app_oem",
        using=f"EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id AND m.network_id = {NETWORK_SETTING})",
    )
    op.create_rls_policy(
        "users", "app_station", command="SELECT",
        using=f"EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = users.id "
        f"AND m.network_id = {NETWORK_SETTING} AND m.station_id = {STATION_SETTING})",
    )
    op.create_rls_policy("users", "app_auth", using="true", command="SELECT")
    public_columns = "id, email, display_name, is_active, created_at"
    op.grant_app("users", app_oem=f"SELECT ({public_columns})", app_station=f"SELECT ({public_columns})",
                 app_auth="SELECT")

    op.create_table(
        "refresh_tokens",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("family_id", UUID, nullable=False),
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", name="fk_refresh_tokens_user_id_users"), nullable=False),
        sa.Column("membership_id", UUID,
                  sa.ForeignKey("memberships.id", name="fk_refresh_tokens_membership_id_memberships"), nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_refresh_tokens_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS),
        sa.Column("revoked_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("token_hash", name="uq_refresh_tokens_token_hash"),
    )
    op.create_index("ix_refresh_tokens_family_id", "refresh_tokens", ["family_id"])
    # Only the token endpoint touches refresh tokens; no tenant role has any privilege on them.
    op.enable_rls("refresh_tokens")
    op.create_rls_policy("refresh_tokens", "app_auth", using="true")
    op.grant_app("refresh_tokens", app_auth="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    for role in ("app_oem", "app_station", "app_auth"):  # they read memberships
        op.execute(f'DROP POLICY "users_{role}" ON users')
    for table in ("refresh_tokens", "memberships", "users", "stations", "networks"):
        op.drop_table(table)
    op.execute("REVOKE SELECT ON alembic_version FROM PUBLIC")
