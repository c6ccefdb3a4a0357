"""Re-inspections until the rectification is done: a re-inspection that finds every rectification item put
right but other items now short gives those their own rectification items and another round, so rounds go
beyond two. Only an item that was on rectification and is still not met cancels the letter of intent.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_acceptance_inspections_round"


def upgrade() -> None:
    op.drop_constraint(op.f(CHECK), "acceptance_inspections")
    op.create_check_constraint(op.f(CHECK), "acceptance_inspections", "round BETWEEN 1 AND 20")


def downgrade() -> None:
    op.drop_constraint(op.f(CHECK), "acceptance_inspections")
    op.create_check_constraint(op.f(CHECK), "acceptance_inspections", "round IN (1, 2)")
