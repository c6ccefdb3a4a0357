"""The workshop, first part: the network's vehicle register, by VIN. HQ keeps it; its stations read it (to
look a VIN up at reception); partners never. A VIN is checked in the database as well: 17 characters of
digits and letters without I, O and Q (the check digit is the service's, with a readable message).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_vehicles_network_id_networks"),
                  nullable=False),
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("production_date", sa.Date, nullable=False),
        sa.Column("sale_date", sa.Date),
        sa.Column("selling_dealer", sa.String(200), nullable=False, server_default=""),
        sa.Column("first_registration", sa.Date),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "vin", name="uq_vehicles_network_id_vin"),
        sa.CheckConstraint("vin ~ '^[A-HJ-NPR-Z0-9]{17}$'", name="ck_vehicles_vin_format"),
        sa.CheckConstraint("btrim(model) <> ''", name="ck_vehicles_model_present"),
        sa.CheckConstraint("sale_date IS NULL OR sale_date >= production_date", name="ck_vehicles_sold_after_built"),
        sa.CheckConstraint("first_registration IS NULL OR first_registration >= production_date",
                           name="ck_vehicles_registered_after_built"),
    )
    op.create_index("ix_vehicles_network_id_model", "vehicles", ["network_id", "model", "vin"])
    op.enable_network_rls("vehicles")
    op.grant_app("vehicles", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT")


def downgrade() -> None:
    op.drop_table("vehicles")
