"""An appeal (复判 / 申诉) of a decided claim: once per claim, within the period its warranty policy version
sets, with the station's reason and evidence; decided by a reviewer other than the one who decided the claim
(granted: the claim is approved in full; upheld: the decision stands). Station-owned, keyed `(station_id, id)`.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
TABLE = "claim_appeals"
STATUS = "ck_claims_status"
BEFORE = "'draft', 'submitted', 'approved', 'partly_approved', 'rejected', 'returned'"


def upgrade() -> None:
    op.drop_constraint(op.f(STATUS), "claims")
    op.create_check_constraint(op.f(STATUS), "claims", f"status IN ({BEFORE}, 'appealed')")
    op.create_table(
        TABLE,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{TABLE}_network_id_networks"),
                  nullable=False),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("appealed_status", sa.String(20), nullable=False),  # the decision appealed
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filed_by", UUID),
        sa.Column("filed_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("first_reviewer", UUID, nullable=False),  # who decided the claim: not the appeal's reviewer
        sa.Column("decided_by", UUID),
        sa.Column("decided_at", TS),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("station_id", "claim_id", name=f"uq_{TABLE}_station_id_claim_id"),  # one appeal a claim
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name=f"fk_{TABLE}_station_id_claim_id_claims"),
        sa.CheckConstraint("status IN ('open', 'granted', 'upheld')", name=op.f(f"ck_{TABLE}_status")),
        sa.CheckConstraint("appealed_status IN ('rejected', 'partly_approved')", name=op.f(f"ck_{TABLE}_appealed")),
        sa.CheckConstraint("btrim(reason) <> '' AND btrim(evidence) <> ''", name=op.f(f"ck_{TABLE}_grounds")),
        sa.CheckConstraint("decided_by IS NULL OR decided_by <> first_reviewer", name=op.f(f"ck_{TABLE}_reviewer")),
        sa.CheckConstraint("(status = 'open') = (decided_at IS NULL)", name=op.f(f"ck_{TABLE}_decided")),
    )
    op.create_index(f"ix_{TABLE}_network_id_status_filed_at", TABLE, ["network_id", "status", "filed_at"])
    op.enable_station_rls(TABLE)
    op.grant_app(TABLE, app_oem="SELECT, UPDATE", app_station="SELECT, INSERT")


def downgrade() -> None:
    op.drop_table(TABLE)
    op.execute("UPDATE claims SET status = 'rejected' WHERE status = 'appealed'")
    op.drop_constraint(op.f(STATUS), "claims")
    op.create_check_constraint(op.f(STATUS), "claims", f"status IN ({BEFORE})")
