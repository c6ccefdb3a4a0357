"""Sublet (外协) and other costs on repair orders and claims: work sent out to a specialist and invoiced by it,
and costs such as towing or materials — a line with its description, its invoice reference and the amount
invoiced (no labour operation, no part, no technician of the station). A claim copies them like the others;
HQ reviews each against its invoice.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'labour', 'part', 'sublet', 'other'"
# The kind checks as the earlier migrations named them (0034 before its names were final).
KIND_CHECKS = {"repair_order_lines": "ck_repair_order_lines_ck_repair_order_lines_kind",
               "claim_lines": "ck_claim_lines_kind"}  # fmt: skip


def upgrade() -> None:
    for table in ("repair_order_lines", "claim_lines"):
        op.add_column(table, sa.Column("description", sa.String(300), nullable=False, server_default=""))
        op.drop_constraint(op.f(KIND_CHECKS[table]), table, type_="check")
        op.create_check_constraint(op.f(f"ck_{table}_kind"), table, f"kind IN ({KINDS})")
        op.create_check_constraint(op.f(f"ck_{table}_described"), table,
                                   "kind IN ('labour', 'part') OR btrim(description) <> ''")
    op.add_column("repair_order_lines", sa.Column("reference", sa.String(100), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("repair_order_lines", "reference")
    for table in ("claim_lines", "repair_order_lines"):
        op.execute(f"DELETE FROM {table} WHERE kind IN ('sublet', 'other')")
        op.drop_constraint(op.f(f"ck_{table}_described"), table, type_="check")
        op.drop_constraint(op.f(f"ck_{table}_kind"), table, type_="check")
        op.create_check_constraint(op.f(KIND_CHECKS[table]), table, "kind IN ('labour', 'part')")
        op.drop_column(table, "description")
