"""The transactional outbox: a job is a row written in the business transaction, run later by the worker
in the tenant scope the row records.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_outbox_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),
        sa.Column("actor_id", UUID),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("job", sa.String(100), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("done_at", TS),
    )
    op.create_index("ix_outbox_pending", "outbox", ["created_at"], postgresql_where=sa.text("done_at IS NULL"))
    op.enable_station_rls("outbox")
    # HQ sees its network's jobs (the station policy would hide HQ's own, station-less rows from HQ too).
    op.execute('DROP POLICY "outbox_app_oem" ON outbox')
    op.create_rls_policy("outbox", "app_oem", using=f"network_id = {NETWORK_SETTING}")
    # Done jobs lose their payload (it may hold a sealed secret such as an invitation link).
    op.grant_app("outbox", app_oem="SELECT, INSERT, UPDATE (done_at, payload)",
                 app_station="SELECT, INSERT, UPDATE (done_at, payload)")
    # The relay crosses tenants but only learns which jobs wait, and a job's envelope; it runs nothing.
    op.execute(
        """
        CREATE FUNCTION outbox_pending(older_than interval, max_rows integer) RETURNS SETOF uuid
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT id FROM outbox WHERE done_at IS NULL AND created_at < clock_timestamp() - older_than
          ORDER BY created_at LIMIT max_rows
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION outbox_envelope(job_id uuid)
        RETURNS TABLE (network_id uuid, station_id uuid, actor_id uuid, role text, job text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT network_id, station_id, actor_id, role, job FROM outbox WHERE id = job_id AND done_at IS NULL
        $$
        """
    )
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    for signature in ("outbox_pending(interval, integer)", "outbox_envelope(uuid)"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {SEED_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION outbox_pending(interval, integer), outbox_envelope(uuid)")
    op.execute("DROP TABLE outbox")
