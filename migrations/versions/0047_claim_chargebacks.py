"""Chargebacks (扣款): money a station owes back on a claim — the identification sheet found the returned part
was the station's liability (its fault, no fault found, wear and tear), or the part never came back. Each
chargeback names its claim and part return (once), its amount and reason, and waits for the station's next
settlement. Station-owned, keyed `(station_id, id)`; HQ writes them.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
TABLE = "claim_chargebacks"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{TABLE}_network_id_networks"),
                  nullable=False),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("part_return_id", UUID, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("station_id", "part_return_id", name=f"uq_{TABLE}_station_id_part_return_id"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name=f"fk_{TABLE}_station_id_claim_id_claims"),
        sa.ForeignKeyConstraint(["station_id", "part_return_id"], ["part_returns.station_id", "part_returns.id"],
                                name=f"fk_{TABLE}_station_id_part_return_id_part_returns"),
        sa.CheckConstraint("amount > 0", name=op.f(f"ck_{TABLE}_amount")),
        sa.CheckConstraint("reason IN ('station_fault', 'no_fault_found', 'wear_and_tear', 'part_not_returned')",
                           name=op.f(f"ck_{TABLE}_reason")),
    )
    op.create_index(f"ix_{TABLE}_station_id_created_at", TABLE, ["station_id", "created_at"])
    op.enable_station_rls(TABLE)
    op.grant_app(TABLE, app_oem="SELECT, INSERT", app_station="SELECT")


def downgrade() -> None:
    op.drop_table(TABLE)
