"""Retroactive corrections: a publication effective before the day it is published rewrites what held in
the past (the as-of answers for those days), so publishing one needs HQ to say it is a correction and why.
The reason is kept on the publication, journaled, and lists filter on it.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("publications", sa.Column("retroactive_reason", sa.Text))
    op.create_check_constraint(
        op.f("ck_publications_retroactive_reason"), "publications", "retroactive_reason IS NULL OR retroactive_reason <> ''"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_publications_retroactive_reason"), "publications")
    op.drop_column("publications", "retroactive_reason")
