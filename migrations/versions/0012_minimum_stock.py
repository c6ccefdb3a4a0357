"""Minimum stock (备件储备定额): HQ publishes stock rules per component group (effective-dated like prices),
keeps the vehicle population per region and model, and may override a station's figure for a part. The
figures themselves are computed (rules.py), never stored.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import DATERANGE

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE, STATION_SETTING

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
KINDS = "('price_list', 'labour_rates', 'warranty_policy', 'service_commitments', 'bulletin', 'stock_rules')"


def upgrade() -> None:
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_kind")
    op.execute(f"ALTER TABLE publications ADD CONSTRAINT ck_publications_kind CHECK (kind IN {KINDS})")

    op.create_table(
        "stock_rules",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_stock_rules_network_id_networks"),
                  nullable=False),
        sa.Column("publication_id", UUID,
                  sa.ForeignKey("publications.id", name="fk_stock_rules_publication_id_publications"), nullable=False),
        sa.Column("component_group", sa.String(40), nullable=False),
        # Units to hold per 1,000 vehicles of the region, per unit of the part in the model's service BOM.
        sa.Column("per_thousand_vehicles", sa.Numeric(10, 3), nullable=False),
        sa.Column("floor", sa.Integer, nullable=False, server_default="0"),
        sa.Column("ceiling", sa.Integer),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("valid", DATERANGE, sa.Computed("daterange(valid_from, valid_to)", persisted=True), nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("rule_key", sa.Text, sa.Computed("component_group", persisted=True), nullable=False),
        sa.UniqueConstraint("publication_id", "component_group", name="uq_stock_rules_publication_group"),
        sa.CheckConstraint("per_thousand_vehicles >= 0 AND floor >= 0 AND (ceiling IS NULL OR ceiling >= floor)",
                           name=op.f("ck_stock_rules_bounds")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_stock_rules_valid")),
    )
    op.execute("ALTER TABLE stock_rules ADD CONSTRAINT ex_stock_rules_no_overlap EXCLUDE USING gist "
               "(network_id WITH =, rule_key WITH =, valid WITH &&) WHERE (in_force)")
    op.create_index("ix_stock_rules_as_of", "stock_rules", ["network_id", "component_group", "valid_from"],
                    postgresql_where=sa.text("in_force"))
    op.enable_network_rls("stock_rules", station_read=False)
    op.create_rls_policy(
        "stock_rules", "app_station", command="SELECT",
        using=f"network_id = {NETWORK_SETTING} AND EXISTS (SELECT 1 FROM publication_deliveries d "
              f"WHERE d.publication_id = stock_rules.publication_id AND d.station_id = {STATION_SETTING})",
    )
    op.grant_app("stock_rules", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")

    # The vehicles in service per region and model: what the rules multiply. Stations read their network's.
    op.create_table(
        "vehicle_populations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("region_id", UUID, nullable=False),
        sa.Column("vehicle_model", sa.String(40), nullable=False),
        sa.Column("vehicles", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.ForeignKeyConstraint(["network_id", "region_id"], ["regions.network_id", "regions.id"],
                                name="fk_vehicle_populations_network_id_region_id_regions"),
        sa.UniqueConstraint("region_id", "vehicle_model", name="uq_vehicle_populations_region_model"),
        sa.CheckConstraint("vehicles >= 0", name=op.f("ck_vehicle_populations_not_negative")),
    )
    op.enable_network_rls("vehicle_populations")
    op.grant_app("vehicle_populations", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")

    # HQ's figure for one station and part, replacing the derived one.
    op.create_table(
        "stock_overrides",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_stock_overrides_part_id_parts"), nullable=False),
        sa.Column("minimum", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("set_by", UUID),
        sa.Column("set_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_stock_overrides_network_id_station_id_stations"),
        sa.UniqueConstraint("station_id", "part_id", name="uq_stock_overrides_station_part"),
        sa.CheckConstraint("minimum >= 0", name=op.f("ck_stock_overrides_not_negative")),
    )
    op.enable_station_rls("stock_overrides")
    op.grant_app("stock_overrides", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")


    # A station sees only itself among the stations, but its share of the region's need depends on how many
    # active stations the region has: this count, for a region of the caller's own network, and nothing else.
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        f"""
        CREATE FUNCTION active_stations_in_region(region uuid) RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT count(*)::integer FROM stations
          WHERE region_id = region AND status = 'active' AND network_id = {NETWORK_SETTING}
        $$
        """
    )
    op.execute(f"ALTER FUNCTION active_stations_in_region(uuid) OWNER TO {SEED_ROLE}")
    op.execute("REVOKE ALL ON FUNCTION active_stations_in_region(uuid) FROM PUBLIC")
    op.execute("GRANT EXECUTE ON FUNCTION active_stations_in_region(uuid) TO app_oem, app_station")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION active_stations_in_region(uuid)")
    op.execute("DROP TABLE stock_overrides, vehicle_populations, stock_rules")
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_kind")
    op.execute("ALTER TABLE publications ADD CONSTRAINT ck_publications_kind CHECK (kind IN "
               "('price_list', 'labour_rates', 'warranty_policy', 'service_commitments', 'bulletin'))")
