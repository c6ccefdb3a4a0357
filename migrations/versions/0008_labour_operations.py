"""Labour time standards (工时定额): the network's labour operation codes with their flat-rate hours.
Stations read them; the regional labour rates (effective-dated, published) come next.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "labour_operations",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("network_id", sa.Uuid(), sa.ForeignKey("networks.id", name="fk_labour_operations_network_id_networks"),
                  nullable=False),
        sa.Column("code", sa.String(20), nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.Column("flat_rate_hours", sa.Numeric(6, 2), nullable=False),
        sa.Column("component_group", sa.String(40), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.UniqueConstraint("network_id", "code", name="uq_labour_operations_network_id_code"),
        sa.CheckConstraint("code ~ '^[A-Z0-9][A-Z0-9.-]*$'", name="ck_labour_operations_code_format"),
        sa.CheckConstraint("flat_rate_hours > 0", name="ck_labour_operations_hours_positive"),
    )
    op.create_index("ix_labour_operations_group", "labour_operations", ["network_id", "component_group", "code"])
    op.enable_network_rls("labour_operations")
    op.grant_app("labour_operations", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT")


def downgrade() -> None:
    op.drop_table("labour_operations")
