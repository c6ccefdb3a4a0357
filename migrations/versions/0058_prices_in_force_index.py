"""A part's list prices in force, by part: the parts page reads them for each of its parts (and the resolvers'
DataLoader for a page of parts at once). The only index naming part_id led with the publication, so each lookup
was a skip scan over every price list (bench/pages.py: 153 index searches for 51 parts).

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_part_prices_in_force_part_id", "part_prices", ["part_id", "currency", "valid_from"],
                    postgresql_where=sa.text("in_force"))


def downgrade() -> None:
    op.drop_index("ix_part_prices_in_force_part_id", "part_prices")
