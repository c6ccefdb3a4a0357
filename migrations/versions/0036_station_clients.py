"""A station's own API clients, for its dealer management system (DMS): client credentials scoped to that
station, created and revoked by its manager, listed by HQ. The secret is stored hashed and no app role may
read the hash but the login path; a revoked client's tokens stop at the next transaction
(principal_is_active learns the new kind).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
PUBLIC_COLUMNS = "station_id, id, network_id, client_id, name, is_active, created_at, created_by"


def _principal_is_active(with_station_clients: bool) -> str:
    station = (
        "WHEN 'station_client' THEN EXISTS (SELECT 1 FROM station_clients s WHERE s.id = principal AND s.is_active)"
        if with_station_clients
        else ""
    )
    return f"""
        CREATE OR REPLACE FUNCTION principal_is_active(kind text, principal uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT CASE kind
            WHEN 'membership' THEN EXISTS (
              SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
              WHERE m.id = principal AND m.is_active AND u.is_active)
            WHEN 'client' THEN EXISTS (SELECT 1 FROM api_clients c WHERE c.id = principal AND c.is_active)
            {station}
            ELSE false
          END
        $$
    """


def upgrade() -> None:
    op.create_table(
        "station_clients",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_station_clients_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_station_clients_network_id_networks"),
                  nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("created_by", UUID),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_station_clients"),
        sa.UniqueConstraint("client_id", name="uq_station_clients_client_id"),
        sa.UniqueConstraint("id", name="uq_station_clients_id"),
        sa.CheckConstraint("client_id LIKE 'dms\\_%'", name="ck_station_clients_client_id_prefix"),
        sa.CheckConstraint("btrim(name) <> ''", name="ck_station_clients_name_present"),
    )
    op.enable_station_rls("station_clients")
    op.create_rls_policy("station_clients", "app_auth", using="true", command="SELECT")
    op.grant_app("station_clients", app_oem=f"SELECT ({PUBLIC_COLUMNS})",
                 app_station=f"SELECT ({PUBLIC_COLUMNS}), INSERT, UPDATE (is_active)", app_auth="SELECT")
    # Replaced by its owner, the BYPASSRLS seed role, which it keeps: it still reads past RLS.
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"SET ROLE {SEED_ROLE}")
    op.execute(_principal_is_active(with_station_clients=True))
    op.execute("RESET ROLE")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"SET ROLE {SEED_ROLE}")
    op.execute(_principal_is_active(with_station_clients=False))
    op.execute("RESET ROLE")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")
    op.drop_table("station_clients")
