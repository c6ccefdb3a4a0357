"""The development committee is a roster: HQ appoints named members of its own staff, up to the network's
number of seats, and only they vote; the decision counts the votes of members still on the roster. A member
changes a vote explicitly, with a reason, and the journal keeps both.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "committee_members",
        sa.Column("network_id", sa.Uuid(), sa.ForeignKey("networks.id"), primary_key=True),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("appointed_by", sa.Uuid()),
        sa.Column("appointed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
    )
    op.enable_network_rls("committee_members", station_read=False)
    op.grant_app("committee_members", app_oem="SELECT, INSERT, DELETE")


def downgrade() -> None:
    op.drop_table("committee_members")
