"""The workshop, third part: repair orders and their lines (the seeds' document chain), and a station's own
number series. Station-owned, keyed `(station_id, id)`, every foreign key to a station-owned row carrying
`station_id`. One reviewed SECURITY DEFINER function tells a station the highest odometer reading a vehicle
has had at any station of its network — a number, nothing of the other station.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
STATUSES = "'received', 'in_work', 'completed', 'settled', 'handed_over', 'cancelled'"
SERVICE_TYPES = "'paid', 'contract', 'warranty', 'internal'"
LAST_ODOMETER = "vehicle_last_odometer(uuid)"


def _network(table: str) -> sa.Column:
    return sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "station_counters",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_station_counters_station_id_stations"),
                  nullable=False),
        sa.Column("series", sa.String(40), nullable=False),
        _network("station_counters"),
        sa.Column("value", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("station_id", "series", name="pk_station_counters"),
        sa.CheckConstraint("value > 0", name="ck_station_counters_positive"),
    )
    op.enable_station_rls("station_counters")
    op.grant_app("station_counters", app_oem="SELECT", app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "repair_orders",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_repair_orders_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("repair_orders"),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("vehicle_id", UUID, sa.ForeignKey("vehicles.id", name="fk_repair_orders_vehicle_id_vehicles"),
                  nullable=False),
        sa.Column("customer_id", UUID, nullable=False),
        sa.Column("arrival", sa.String(16), nullable=False),
        sa.Column("odometer_km", sa.Integer, nullable=False),
        sa.Column("odometer_reason", sa.String(300), nullable=False, server_default=""),
        sa.Column("fuel_eighths", sa.SmallInteger, nullable=False),
        sa.Column("visible_damage", sa.Text, nullable=False, server_default=""),
        sa.Column("belongings", sa.ARRAY(sa.String(200)), nullable=False, server_default="{}"),
        sa.Column("concern", sa.Text, nullable=False),
        sa.Column("repair_level", sa.String(40)),
        sa.Column("promised_at", TS, nullable=False),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("received_by", UUID),
        sa.Column("comeback_of", UUID),
        sa.Column("work_started_at", TS),
        sa.Column("completed_at", TS),
        sa.Column("inspected_by", UUID),
        sa.Column("certificate_number", sa.String(20)),
        sa.Column("settled_at", TS),
        sa.Column("handed_over_at", TS),
        sa.Column("cancelled_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_repair_orders"),
        sa.UniqueConstraint("station_id", "number", name="uq_repair_orders_station_id_number"),
        sa.ForeignKeyConstraint(["station_id", "customer_id"], ["customers.station_id", "customers.id"],
                                name="fk_repair_orders_station_id_customer_id_customers"),
        sa.ForeignKeyConstraint(["station_id", "comeback_of"], ["repair_orders.station_id", "repair_orders.id"],
                                name="fk_repair_orders_station_id_comeback_of_repair_orders"),
        sa.CheckConstraint(f"status IN ({STATUSES})", name="ck_repair_orders_status"),
        sa.CheckConstraint("arrival IN ('appointment', 'walk_in')", name="ck_repair_orders_arrival"),
        sa.CheckConstraint("odometer_km BETWEEN 0 AND 10000000", name="ck_repair_orders_odometer"),
        sa.CheckConstraint("fuel_eighths BETWEEN 0 AND 8", name="ck_repair_orders_fuel"),
        sa.CheckConstraint("btrim(concern) <> ''", name="ck_repair_orders_concern_present"),
        sa.CheckConstraint("promised_at > received_at", name="ck_repair_orders_promised_after_reception"),
        sa.CheckConstraint("(status = 'completed' OR status = 'settled' OR status = 'handed_over') = "
                           "(completed_at IS NOT NULL)", name="ck_repair_orders_completion"),
    )
    op.create_index("ix_repair_orders_station_id_status", "repair_orders", ["station_id", "status", "received_at"])
    op.create_index("ix_repair_orders_vehicle_id", "repair_orders", ["vehicle_id", "received_at"])
    op.enable_station_rls("repair_orders")
    op.grant_app("repair_orders", app_oem="SELECT", app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "repair_order_lines",
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("repair_order_lines"),
        sa.Column("repair_order_id", UUID, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("service_type", sa.String(16), nullable=False),
        sa.Column("labour_operation_id", UUID,
                  sa.ForeignKey("labour_operations.id", name="fk_repair_order_lines_labour_operation_id")),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_repair_order_lines_part_id_parts")),
        sa.Column("quantity", sa.Numeric(10, 2), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("price_source", UUID),
        sa.Column("consent", sa.String(16), nullable=False),
        sa.Column("consent_recorded_by", UUID),
        sa.Column("consent_recorded_at", TS),
        sa.Column("added_after_consent", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("technician_id", UUID),
        sa.Column("concern", sa.Text, nullable=False, server_default=""),
        sa.Column("cause", sa.Text, nullable=False, server_default=""),
        sa.Column("correction", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_repair_order_lines"),
        sa.UniqueConstraint("station_id", "repair_order_id", "position",
                            name="uq_repair_order_lines_station_id_repair_order_id_position"),
        sa.ForeignKeyConstraint(["station_id", "repair_order_id"], ["repair_orders.station_id", "repair_orders.id"],
                                name="fk_repair_order_lines_station_id_repair_order_id_repair_orders"),
        sa.CheckConstraint("kind IN ('labour', 'part')", name="ck_repair_order_lines_kind"),
        sa.CheckConstraint(f"service_type IN ({SERVICE_TYPES})", name="ck_repair_order_lines_service_type"),
        sa.CheckConstraint("consent IN ('pending', 'consented', 'refused')", name="ck_repair_order_lines_consent"),
        sa.CheckConstraint("(kind = 'labour') = (labour_operation_id IS NOT NULL) AND "
                           "(kind = 'part') = (part_id IS NOT NULL)", name="ck_repair_order_lines_what"),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount >= 0", name="ck_repair_order_lines_money"),
    )
    op.enable_station_rls("repair_order_lines")
    op.grant_app("repair_order_lines", app_oem="SELECT", app_station="SELECT, INSERT, UPDATE")

    # The one number a station learns of other stations' work on a vehicle, for the odometer check at
    # reception: the highest reading of its network, never whose, when or where.
    op.execute(
        f"""
        CREATE FUNCTION {LAST_ODOMETER.replace('(uuid)', '(vehicle uuid)')} RETURNS integer
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT max(r.odometer_km) FROM repair_orders r
          WHERE r.vehicle_id = vehicle AND r.network_id = {NETWORK_SETTING} AND r.status <> 'cancelled'
        $$
        """
    )
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"ALTER FUNCTION {LAST_ODOMETER} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {LAST_ODOMETER} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {LAST_ODOMETER} TO app_station, app_oem")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {LAST_ODOMETER}")
    op.drop_table("repair_order_lines")
    op.drop_table("repair_orders")
    op.drop_table("station_counters")
