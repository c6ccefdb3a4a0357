"""A settled repair order is immutable; a mistake found later is corrected with a new line that reverses
the wrong one (negative quantity and amount, naming the line it corrects and why), journaled like the rest.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "repair_order_lines"
MONEY = "ck_repair_order_lines_money"
OLD_MONEY = "ck_repair_order_lines_ck_repair_order_lines_money"  # as 0034's naming convention spelt it


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("corrects", sa.Uuid()))
    op.add_column(TABLE, sa.Column("correction_reason", sa.String(300), nullable=False, server_default=""))
    op.create_foreign_key("fk_repair_order_lines_station_id_corrects_repair_order_lines", TABLE, TABLE,
                          ["station_id", "corrects"], ["station_id", "id"])
    op.create_unique_constraint("uq_repair_order_lines_station_id_corrects", TABLE, ["station_id", "corrects"])
    op.drop_constraint(op.f(OLD_MONEY), TABLE)
    op.create_check_constraint(
        op.f(MONEY), TABLE,
        "unit_price >= 0 AND ((corrects IS NULL AND quantity > 0 AND amount >= 0) OR "
        "(corrects IS NOT NULL AND quantity < 0 AND amount <= 0 AND btrim(correction_reason) <> ''))",
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE corrects IS NOT NULL")
    op.drop_constraint(op.f(MONEY), TABLE)
    op.create_check_constraint(op.f(OLD_MONEY), TABLE, "quantity > 0 AND unit_price >= 0 AND amount >= 0")
    op.drop_constraint("uq_repair_order_lines_station_id_corrects", TABLE)
    op.drop_constraint("fk_repair_order_lines_station_id_corrects_repair_order_lines", TABLE)
    op.drop_column(TABLE, "correction_reason")
    op.drop_column(TABLE, "corrects")
