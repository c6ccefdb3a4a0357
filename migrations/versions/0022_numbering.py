"""Numbers a network issues — letters of intent, authorisation numbers — from counters of its own (one row per
network and series, incremented in the issuing transaction, so two issuers never take the same number and
never fail for it), and the network's own format for authorisation numbers.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()


def upgrade() -> None:
    op.add_column("networks", sa.Column("authorisation_number_format", sa.String(60), nullable=False,
                                        server_default="{network}-{region}-{seq:4}"))
    op.create_check_constraint(op.f("ck_networks_authorisation_number_format"), "networks",
                               "position('{seq' in authorisation_number_format) > 0")
    op.create_check_constraint(op.f("ck_networks_acceptance_rules"), "networks",
                               "acceptance_pass_mark BETWEEN 0 AND 100 AND rectification_days BETWEEN 1 AND 365")
    op.execute("GRANT UPDATE (authorisation_number_format) ON networks TO app_oem")

    op.create_table(
        "network_counters",
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_network_counters_network_id_networks"),
                  primary_key=True),
        sa.Column("series", sa.String(40), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
        sa.CheckConstraint("value > 0", name="value"),
    )
    op.enable_network_rls("network_counters", station_read=False)
    op.grant_app("network_counters", app_oem="SELECT, INSERT, UPDATE")
    # Continue from what was issued before the counters (as the seed role: the rows are every tenant's).
    op.execute(f"SET LOCAL ROLE {SEED_ROLE}")
    op.execute(
        "INSERT INTO network_counters (network_id, series, value) "
        "SELECT network_id, 'letter_of_intent:' || substr(number, 5, 4), count(*) FROM letters_of_intent "
        "GROUP BY 1, 2"
    )
    op.execute(
        "INSERT INTO network_counters (network_id, series, value) "
        "SELECT network_id, 'authorisation', count(*) FROM contracts GROUP BY 1"
    )
    op.execute("RESET ROLE")


def downgrade() -> None:
    op.drop_table("network_counters")
    op.execute("REVOKE UPDATE (authorisation_number_format) ON networks FROM app_oem")
    op.drop_constraint(op.f("ck_networks_acceptance_rules"), "networks")
    op.drop_constraint(op.f("ck_networks_authorisation_number_format"), "networks")
    op.drop_column("networks", "authorisation_number_format")
