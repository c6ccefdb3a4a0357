"""Bulk imports of the parts catalogue and of price lists (CSV or XLSX): the uploaded file, its content
hash (the same file again is a no-op), and the outcome — rows written, rows rejected with their line numbers
and reasons. The rows themselves go through a temporary staging table and a set-based merge.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "imports",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_imports_network_id_networks"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        # A price import fills one draft price list.
        sa.Column("publication_id", UUID,
                  sa.ForeignKey("publications.id", name="fk_imports_publication_id_publications")),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rows_total", sa.Integer),
        sa.Column("rows_written", sa.Integer),
        sa.Column("rows_rejected", sa.Integer),
        # The first 1,000 problems: [{"line": 7, "column": "list_price", "reason": "..."}]
        sa.Column("errors", JSONB, nullable=False, server_default="[]"),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("finished_at", TS),
        sa.CheckConstraint("kind IN ('parts', 'prices')", name=op.f("ck_imports_kind")),
        sa.CheckConstraint("(kind = 'prices') = (publication_id IS NOT NULL)", name=op.f("ck_imports_price_list")),
        sa.CheckConstraint("file_format IN ('csv', 'xlsx')", name=op.f("ck_imports_file_format")),
        sa.CheckConstraint("mode IN ('all_or_nothing', 'valid_rows')", name=op.f("ck_imports_mode")),
        sa.CheckConstraint("status IN ('queued', 'running', 'done', 'rejected', 'failed')",
                           name=op.f("ck_imports_status")),
    )
    # One live import per file and target: the same content again finds this one instead of a new job.
    # A rejected or failed import does not count (the catalogue may have changed since).
    op.execute(
        "CREATE UNIQUE INDEX uq_imports_same_file ON imports (network_id, kind, "
        "coalesce(publication_id, '00000000-0000-0000-0000-000000000000'::uuid), content_hash) "
        "WHERE status IN ('queued', 'running', 'done')"
    )
    op.create_index("ix_imports_network_created", "imports", ["network_id", "created_at"])
    op.enable_network_rls("imports", station_read=False)
    op.grant_app("imports", app_oem="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("imports")
