"""Labour operations the labour standard declares included in another (包含工时): a replacement of the
caliper includes the pads' removal, so the two claimed together are overlapping labour. Each operation lists
the codes it includes.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("labour_operations", sa.Column("includes", postgresql.ARRAY(sa.String(20)), nullable=False,
                                                 server_default="{}"))
    op.create_check_constraint(op.f("ck_labour_operations_includes"), "labour_operations",
                               "NOT (code = ANY(includes)) AND cardinality(includes) <= 20")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_labour_operations_includes"), "labour_operations", type_="check")
    op.drop_column("labour_operations", "includes")
