"""The parts-return loop, first part (旧件回运): a return authorisation per failed part of a claim when the
claim's warranty policy version lists its component group (or HQ asks for it): a tag number (换下件标签), a
due date and where to send it. The station ships it (carrier, tracking); HQ receives it (its condition) and
inspects it: the identification sheet's (鉴定单) verdict. Station-owned, keyed `(station_id, id)`.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
TABLE = "part_returns"
VERDICTS = "'supplier_defect', 'station_fault', 'no_fault_found', 'wear_and_tear'"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{TABLE}_network_id_networks"),
                  nullable=False),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("claim_line_id", UUID, nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name=f"fk_{TABLE}_part_id_parts"), nullable=False),
        sa.Column("tag_number", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("send_to", sa.String(300), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("carrier", sa.String(100), nullable=False, server_default=""),
        sa.Column("tracking_number", sa.String(100), nullable=False, server_default=""),
        sa.Column("shipped_at", TS),
        sa.Column("received_at", TS),
        sa.Column("condition", sa.String(500), nullable=False, server_default=""),
        sa.Column("verdict", sa.String(20)),
        sa.Column("verdict_note", sa.Text, nullable=False, server_default=""),
        sa.Column("inspected_at", TS),
        sa.Column("inspected_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("station_id", "claim_line_id", name=f"uq_{TABLE}_station_id_claim_line_id"),
        sa.UniqueConstraint("network_id", "tag_number", name=f"uq_{TABLE}_network_id_tag_number"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name=f"fk_{TABLE}_station_id_claim_id_claims"),
        sa.ForeignKeyConstraint(["station_id", "claim_line_id"], ["claim_lines.station_id", "claim_lines.id"],
                                name=f"fk_{TABLE}_station_id_claim_line_id_claim_lines"),
        sa.CheckConstraint("status IN ('authorised', 'shipped', 'received', 'inspected')",
                           name=op.f(f"ck_{TABLE}_status")),
        sa.CheckConstraint(f"verdict IS NULL OR verdict IN ({VERDICTS})", name=op.f(f"ck_{TABLE}_verdict")),
        sa.CheckConstraint("(status = 'inspected') = (verdict IS NOT NULL)", name=op.f(f"ck_{TABLE}_inspected")),
        sa.CheckConstraint("status = 'authorised' OR (shipped_at IS NOT NULL AND btrim(carrier) <> '')",
                           name=op.f(f"ck_{TABLE}_shipped")),
    )
    op.create_index(f"ix_{TABLE}_network_id_status_due_on", TABLE, ["network_id", "status", "due_on"])
    op.enable_station_rls(TABLE)
    # HQ authorises (on request), receives and inspects; the station ships (and its claim's submission
    # authorises the returns its policy lists).
    op.grant_app(TABLE, app_oem="SELECT, INSERT, UPDATE",
                 app_station="SELECT, INSERT, UPDATE (status, carrier, tracking_number, shipped_at)")


def downgrade() -> None:
    op.drop_table(TABLE)
