"""A settlement line's keys in fewer checks: its claim line (or chargeback) and its claim in one composite
foreign key each — (station_id, claim_id, claim_line_id) to claim_lines, (station_id, claim_id,
chargeback_id) to claim_chargebacks — instead of one to the line and another to the claim; and no separate
key to networks (the settlement it belongs to has one, and RLS checks the network of every row written). A
run writes 180,000 lines for 300 stations: each foreign key is a lookup and a row lock per line (bench/README).

Revision ID: 0052
Revises: 0051
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0052"
down_revision: str | None = "0051"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "settlement_lines"


def upgrade() -> None:
    op.create_unique_constraint("uq_claim_lines_station_id_claim_id_id", "claim_lines", ["station_id", "claim_id", "id"])
    op.create_unique_constraint("uq_claim_chargebacks_station_id_claim_id_id", "claim_chargebacks",
                                ["station_id", "claim_id", "id"])
    for name in (f"fk_{TABLE}_station_id_claim_id_claims", f"fk_{TABLE}_station_id_claim_line_id_claim_lines",
                 f"fk_{TABLE}_station_id_chargeback_id", f"fk_{TABLE}_network_id_networks"):
        op.drop_constraint(name, TABLE, type_="foreignkey")
    op.create_foreign_key(f"fk_{TABLE}_claim_line", TABLE, "claim_lines", ["station_id", "claim_id", "claim_line_id"],
                          ["station_id", "claim_id", "id"])
    op.create_foreign_key(f"fk_{TABLE}_chargeback", TABLE, "claim_chargebacks",
                          ["station_id", "claim_id", "chargeback_id"], ["station_id", "claim_id", "id"])
    # A line is a claim line's or a chargeback's: its claim is checked through whichever it is.
    op.create_check_constraint(op.f(f"ck_{TABLE}_source"), TABLE, "num_nonnulls(claim_line_id, chargeback_id) = 1")


def downgrade() -> None:
    op.drop_constraint(op.f(f"ck_{TABLE}_source"), TABLE, type_="check")
    op.drop_constraint(f"fk_{TABLE}_chargeback", TABLE, type_="foreignkey")
    op.drop_constraint(f"fk_{TABLE}_claim_line", TABLE, type_="foreignkey")
    op.create_foreign_key(f"fk_{TABLE}_network_id_networks", TABLE, "networks", ["network_id"], ["id"])
    op.create_foreign_key(f"fk_{TABLE}_station_id_chargeback_id", TABLE, "claim_chargebacks",
                          ["station_id", "chargeback_id"], ["station_id", "id"])
    op.create_foreign_key(f"fk_{TABLE}_station_id_claim_line_id_claim_lines", TABLE, "claim_lines",
                          ["station_id", "claim_line_id"], ["station_id", "id"])
    op.create_foreign_key(f"fk_{TABLE}_station_id_claim_id_claims", TABLE, "claims", ["station_id", "claim_id"],
                          ["station_id", "id"])
    op.drop_constraint("uq_claim_chargebacks_station_id_claim_id_id", "claim_chargebacks", type_="unique")
    op.drop_constraint("uq_claim_lines_station_id_claim_id_id", "claim_lines", type_="unique")
