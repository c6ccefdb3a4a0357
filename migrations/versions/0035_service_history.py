"""A vehicle's service history across the network, for the station that looks its VIN up: the date, the
odometer, the repair level, and each visit's service types, labour operation codes and part numbers — and
nothing else. Never the station, the customer or an amount: one reviewed SECURITY DEFINER function, owned
by the seed role, is the only way a station reads other stations' repair orders.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = "vehicle_service_history(uuid)"


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION vehicle_service_history(vehicle uuid)
        RETURNS TABLE (received_at timestamptz, odometer_km integer, repair_level text, service_types text[],
                       operation_codes text[], part_numbers text[])
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT r.received_at, r.odometer_km, r.repair_level,
                 coalesce(array_agg(DISTINCT l.service_type ORDER BY l.service_type)
                          FILTER (WHERE l.consent = 'consented'), '{{}}'),
                 coalesce(array_agg(DISTINCT o.code ORDER BY o.code)
                          FILTER (WHERE l.consent = 'consented' AND o.code IS NOT NULL), '{{}}'),
                 coalesce(array_agg(DISTINCT p.part_number ORDER BY p.part_number)
                          FILTER (WHERE l.consent = 'consented' AND p.part_number IS NOT NULL), '{{}}')
          FROM repair_orders r
          LEFT JOIN repair_order_lines l ON l.station_id = r.station_id AND l.repair_order_id = r.id
          LEFT JOIN labour_operations o ON o.id = l.labour_operation_id
          LEFT JOIN parts p ON p.id = l.part_id
          WHERE r.vehicle_id = vehicle AND r.network_id = {NETWORK_SETTING} AND r.status <> 'cancelled'
          GROUP BY r.station_id, r.id
          ORDER BY r.received_at DESC
          LIMIT 200
        $$
        """
    )
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"ALTER FUNCTION {HISTORY} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {HISTORY} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {HISTORY} TO app_station, app_oem")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {HISTORY}")
