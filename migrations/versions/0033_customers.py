"""The workshop, second part: a station's customers (personal data: name, phone, address). Keyed
`(station_id, id)` like every station-owned table from here on (ready to distribute on station_id); the
station reads and keeps its own, HQ reads its network's (the service journals each read of a phone
number), partners have no grant at all.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_customers_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_customers_network_id_networks"),
                  nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("phone", sa.String(40), nullable=False),
        sa.Column("address", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_customers"),
        sa.CheckConstraint("btrim(name) <> ''", name="ck_customers_name_present"),
        sa.CheckConstraint("phone ~ '^\\+?[0-9][0-9 -]{4,38}$'", name="ck_customers_phone_format"),
    )
    op.create_index("ix_customers_station_id_phone", "customers", ["station_id", "phone"])
    op.enable_station_rls("customers")
    op.grant_app("customers", app_oem="SELECT", app_station="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("customers")
