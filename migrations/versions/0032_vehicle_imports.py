"""The import path takes the vehicle register as a third kind of bulk file.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_imports_kind"


def upgrade() -> None:
    op.drop_constraint(op.f(CHECK), "imports")
    op.create_check_constraint(op.f(CHECK), "imports", "kind IN ('parts', 'prices', 'vehicles')")


def downgrade() -> None:
    op.execute("DELETE FROM imports WHERE kind = 'vehicles'")
    op.drop_constraint(op.f(CHECK), "imports")
    op.create_check_constraint(op.f(CHECK), "imports", "kind IN ('parts', 'prices')")
