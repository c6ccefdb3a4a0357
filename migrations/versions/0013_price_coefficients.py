"""Regional price coefficients (地区差价): a published, effective-dated factor per region that turns the
national price into the region's when the region has no price of its own.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import DATERANGE

from dealernet.core.migration_ops import NETWORK_SETTING, STATION_SETTING

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
KINDS = ("'price_list', 'labour_rates', 'warranty_policy', 'service_commitments', 'bulletin', 'stock_rules'")


def upgrade() -> None:
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_kind")
    op.execute(f"ALTER TABLE publications ADD CONSTRAINT ck_publications_kind CHECK (kind IN ({KINDS}, "
               "'price_coefficients'))")
    op.create_table(
        "price_coefficients",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("publication_id", UUID,
                  sa.ForeignKey("publications.id", name="fk_price_coefficients_publication_id_publications"),
                  nullable=False),
        sa.Column("region_id", UUID, nullable=False),
        sa.Column("coefficient", sa.Numeric(6, 4), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("valid", DATERANGE, sa.Computed("daterange(valid_from, valid_to)", persisted=True), nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("coefficient_key", sa.Text, sa.Computed("region_id::text", persisted=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id", "region_id"], ["regions.network_id", "regions.id"],
                                name="fk_price_coefficients_network_id_region_id_regions"),
        sa.UniqueConstraint("publication_id", "region_id", name="uq_price_coefficients_publication_region"),
        sa.CheckConstraint("coefficient > 0 AND coefficient < 10", name=op.f("ck_price_coefficients_range")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_price_coefficients_valid")),
    )
    op.execute("ALTER TABLE price_coefficients ADD CONSTRAINT ex_price_coefficients_no_overlap EXCLUDE USING gist "
               "(coefficient_key WITH =, valid WITH &&) WHERE (in_force)")
    op.create_index("ix_price_coefficients_as_of", "price_coefficients", ["region_id", "valid_from"],
                    postgresql_where=sa.text("in_force"))
    op.enable_network_rls("price_coefficients", station_read=False)
    op.create_rls_policy(
        "price_coefficients", "app_station", command="SELECT",
        using=f"network_id = {NETWORK_SETTING} AND EXISTS (SELECT 1 FROM publication_deliveries d "
              f"WHERE d.publication_id = price_coefficients.publication_id AND d.station_id = {STATION_SETTING})",
    )
    op.grant_app("price_coefficients", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")


def downgrade() -> None:
    op.drop_table("price_coefficients")
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_kind")
    op.execute(f"ALTER TABLE publications ADD CONSTRAINT ck_publications_kind CHECK (kind IN ({KINDS}))")
