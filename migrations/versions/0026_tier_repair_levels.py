"""Repair levels per station tier (维修级别): the service agreement sets which repair levels a station of each
tier may do (seed 004:303), and the dispatch check honours it together with the contract's service types and
term. A tier HQ has not configured is not restricted.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = "'overhaul', 'second_level_maintenance', 'first_level_maintenance', 'minor_repair', 'special_repair'"


def upgrade() -> None:
    op.create_table(
        "tier_repair_levels",
        sa.Column("network_id", sa.Uuid(), sa.ForeignKey("networks.id"), primary_key=True),
        sa.Column("tier", sa.String(8), primary_key=True),
        sa.Column("repair_levels", ARRAY(sa.String(32)), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.CheckConstraint(f"repair_levels <@ ARRAY[{LEVELS}]::varchar[]", name="repair_levels"),
    )
    op.enable_network_rls("tier_repair_levels", station_read=True)
    op.grant_app("tier_repair_levels", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")


def downgrade() -> None:
    op.drop_table("tier_repair_levels")
