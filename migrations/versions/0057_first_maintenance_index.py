"""The first-maintenance check counts a vehicle's first-maintenance claims: a small partial index answers it
exactly (without it the planner AND-ed the vehicle's index with the network's status index and read every
claim of the network; bench/claim_checks.py shows the plan).

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_claims_first_maintenance_vehicle_id", "claims", ["vehicle_id"],
                    postgresql_where=sa.text("claim_type = 'first_maintenance'"))


def downgrade() -> None:
    op.drop_index("ix_claims_first_maintenance_vehicle_id", "claims")
