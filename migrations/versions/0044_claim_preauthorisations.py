"""Pre-authorisation (索赔预申请) before expensive warranty work: the station asks for a repair order (the
amount it expects and why); HQ approves with a number, an amount and a validity, or declines with the reason.
A claim that needs one (above the amount its warranty policy version sets) and lacks it, or whose repair
fell outside its validity, is flagged — never refused. Station-owned, keyed `(station_id, id)`.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
TABLE = "claim_preauthorisations"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name=f"fk_{TABLE}_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{TABLE}_network_id_networks"),
                  nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("repair_order_id", UUID, nullable=False),
        sa.Column("requested_amount", MONEY, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("approval_number", sa.String(40), nullable=False, server_default=""),
        sa.Column("approved_amount", MONEY),
        sa.Column("valid_until", sa.Date),
        sa.Column("decline_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("requested_by", UUID),
        sa.Column("requested_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("decided_by", UUID),
        sa.Column("decided_at", TS),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("station_id", "number", name=f"uq_{TABLE}_station_id_number"),
        sa.ForeignKeyConstraint(["station_id", "repair_order_id"], ["repair_orders.station_id", "repair_orders.id"],
                                name="fk_claim_preauthorisations_repair_order_repair_orders"),
        sa.CheckConstraint("status IN ('requested', 'approved', 'declined')", name=op.f(f"ck_{TABLE}_status")),
        sa.CheckConstraint("requested_amount > 0 AND btrim(reason) <> ''", name=op.f(f"ck_{TABLE}_request")),
        sa.CheckConstraint(
            "status <> 'approved' OR (approval_number <> '' AND approved_amount > 0 AND valid_until IS NOT NULL)",
            name=op.f(f"ck_{TABLE}_approval"),
        ),
        sa.CheckConstraint("status <> 'declined' OR btrim(decline_reason) <> ''", name=op.f(f"ck_{TABLE}_decline")),
    )
    op.create_index(f"ix_{TABLE}_station_id_repair_order_id", TABLE, ["station_id", "repair_order_id"])
    op.create_index(f"ix_{TABLE}_network_id_status_requested_at", TABLE, ["network_id", "status", "requested_at"])
    op.enable_station_rls(TABLE)
    op.grant_app(TABLE, app_oem="SELECT, UPDATE", app_station="SELECT, INSERT")


def downgrade() -> None:
    op.drop_table(TABLE)
