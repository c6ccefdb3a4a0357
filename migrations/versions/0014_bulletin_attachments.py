"""Attachments of technical bulletins: their metadata (name, type, size, SHA-256, the object-store key); the
bytes are in the object store (storage.py). A station reads the attachments of bulletins delivered to it.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, STATION_SETTING

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulletin_attachments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("network_id", sa.Uuid(), nullable=False),
        sa.Column("publication_id", sa.Uuid(),
                  sa.ForeignKey("publications.id", name="fk_bulletin_attachments_publication_id_publications"),
                  nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("uploaded_by", sa.Uuid()),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint("size > 0", name=op.f("ck_bulletin_attachments_size")),
    )
    op.create_index("ix_bulletin_attachments_publication", "bulletin_attachments", ["publication_id"])
    op.enable_network_rls("bulletin_attachments", station_read=False)
    op.create_rls_policy(
        "bulletin_attachments", "app_station", command="SELECT",
        using=f"network_id = {NETWORK_SETTING} AND EXISTS (SELECT 1 FROM publication_deliveries d "
              f"WHERE d.publication_id = bulletin_attachments.publication_id AND d.station_id = {STATION_SETTING})",
    )
    op.grant_app("bulletin_attachments", app_oem="SELECT, INSERT, DELETE", app_station="SELECT")


def downgrade() -> None:
    op.drop_table("bulletin_attachments")
