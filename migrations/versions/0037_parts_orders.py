"""The workshop, fourth part: parts orders (DOMAIN §2): a station's stock and emergency orders, HQ's
allocation and shipment (carrier, tracking), the station's receipt with discrepancies (transit claims).
Station-owned, keyed `(station_id, id)`; HQ reads and updates its network's (allocating and shipping),
the station inserts and receives.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)


def _network(table: str) -> sa.Column:
    return sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                     nullable=False)


def upgrade() -> None:
    op.create_table(
        "parts_orders",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_parts_orders_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("parts_orders"),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("vehicle_id", UUID, sa.ForeignKey("vehicles.id", name="fk_parts_orders_vehicle_id_vehicles")),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("submitted_by", UUID),
        sa.Column("allocated_at", TS),
        sa.Column("shipped_at", TS),
        sa.Column("carrier", sa.String(100), nullable=False, server_default=""),
        sa.Column("tracking_number", sa.String(100), nullable=False, server_default=""),
        sa.Column("received_at", TS),
        sa.Column("received_by", UUID),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_parts_orders"),
        sa.UniqueConstraint("station_id", "number", name="uq_parts_orders_station_id_number"),
        sa.CheckConstraint("kind IN ('stock', 'emergency')", name="ck_parts_orders_kind"),
        sa.CheckConstraint("status IN ('submitted', 'allocated', 'shipped', 'received', 'cancelled')",
                           name="ck_parts_orders_status"),
        sa.CheckConstraint("kind = 'stock' OR vehicle_id IS NOT NULL", name="ck_parts_orders_emergency_vehicle"),
        sa.CheckConstraint("status NOT IN ('shipped', 'received') OR (shipped_at IS NOT NULL AND btrim(carrier) <> '')",
                           name="ck_parts_orders_shipment"),
    )
    op.create_index("ix_parts_orders_station_id_status", "parts_orders", ["station_id", "status", "submitted_at"])
    op.create_index("ix_parts_orders_network_id_shipped_at", "parts_orders", ["network_id", "shipped_at"])
    op.enable_station_rls("parts_orders")
    op.grant_app("parts_orders", app_oem="SELECT, UPDATE", app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "parts_order_lines",
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("parts_order_lines"),
        sa.Column("parts_order_id", UUID, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_parts_order_lines_part_id_parts"), nullable=False),
        sa.Column("ordered", sa.Integer, nullable=False),
        sa.Column("allocated", sa.Integer),
        sa.Column("shipped", sa.Integer),
        sa.Column("received", sa.Integer),
        sa.Column("discrepancy", sa.String(16), nullable=False, server_default="none"),
        sa.Column("discrepancy_note", sa.String(500), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_parts_order_lines"),
        sa.UniqueConstraint("station_id", "parts_order_id", "position",
                            name="uq_parts_order_lines_station_id_parts_order_id_position"),
        sa.ForeignKeyConstraint(["station_id", "parts_order_id"], ["parts_orders.station_id", "parts_orders.id"],
                                name="fk_parts_order_lines_station_id_parts_order_id_parts_orders"),
        sa.CheckConstraint("ordered > 0 AND coalesce(allocated, 0) >= 0 AND coalesce(shipped, 0) >= 0 "
                           "AND coalesce(received, 0) >= 0", name="ck_parts_order_lines_quantities"),
        sa.CheckConstraint("allocated IS NULL OR allocated <= ordered", name="ck_parts_order_lines_allocation"),
        sa.CheckConstraint("discrepancy IN ('none', 'missing', 'damaged', 'wrong_part')",
                           name="ck_parts_order_lines_discrepancy"),
    )
    op.enable_station_rls("parts_order_lines")
    op.grant_app("parts_order_lines", app_oem="SELECT, UPDATE", app_station="SELECT, INSERT, UPDATE")


def downgrade() -> None:
    op.drop_table("parts_order_lines")
    op.drop_table("parts_orders")
