"""Photos and documents of a repair order in the file store (station-owned, keyed `(station_id, id)`), and
the night's sweep of unreferenced stored files learns their keys (else it would remove them).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
KEYS = (
    ("bulletin_attachments", "storage_key"),
    ("letters_of_intent", "storage_key"),
    ("contracts", "certificate_key"),
    ("station_documents", "storage_key"),
    ("site_visit_photos", "storage_key"),
)


def _unreferenced_keys(keys: Sequence[tuple[str, str]]) -> str:
    checks = "\n            AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} WHERE {column} = key)" for table, column in keys)
    return f"""
        CREATE OR REPLACE FUNCTION unreferenced_keys(candidates text[]) RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT key FROM unnest(candidates) AS key
          WHERE {checks}
        $$
    """


def _replace(keys: Sequence[tuple[str, str]]) -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"SET ROLE {SEED_ROLE}")  # its owner replaces it, and it keeps reading past RLS
    op.execute(_unreferenced_keys(keys))
    op.execute("RESET ROLE")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def upgrade() -> None:
    op.create_table(
        "repair_order_files",
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_repair_order_files_network_id_networks"),
                  nullable=False),
        sa.Column("repair_order_id", UUID, nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False),
        sa.Column("uploaded_by", UUID),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_repair_order_files"),
        sa.UniqueConstraint("storage_key", name="uq_repair_order_files_storage_key"),
        sa.ForeignKeyConstraint(["station_id", "repair_order_id"], ["repair_orders.station_id", "repair_orders.id"],
                                name="fk_repair_order_files_station_id_repair_order_id_repair_orders"),
    )
    op.enable_station_rls("repair_order_files")
    op.grant_app("repair_order_files", app_oem="SELECT", app_station="SELECT, INSERT")
    _replace((*KEYS, ("repair_order_files", "storage_key")))


def downgrade() -> None:
    _replace(KEYS)
    op.drop_table("repair_order_files")
