"""A parts-warranty claim (a part fitted under an earlier repair failed) is judged from the fitting: the
cross-station facts function also answers when and at what odometer the vehicle last had the causal part fitted
on a finished repair order before this one, at any station — a day and a reading, never the order.

Revision ID: 0055
Revises: 0054
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0055"
down_revision: str | None = "0054"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACTS = "claim_cross_station_facts(uuid, uuid, date, date, uuid, timestamptz, uuid)"
DUPLICATES = f"""(SELECT count(*)::integer FROM claims c
             WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.causal_part_id = part
               AND c.repair_date BETWEEN since AND until AND c.id <> not_claim
               AND c.status NOT IN ('draft', 'rejected'))"""
ODOMETER = f"""(SELECT max(r.odometer_km) FROM repair_orders r
             WHERE r.network_id = {NETWORK_SETTING} AND r.vehicle_id = vehicle AND r.received_at < before
               AND r.id <> not_order AND r.status <> 'cancelled')"""
FIRSTS = f"""(SELECT count(*)::integer FROM claims c
             WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.claim_type = 'first_maintenance'
               AND c.id <> not_claim AND c.status NOT IN ('draft', 'rejected'))"""
FITTED = f"""LEFT JOIN LATERAL (
            SELECT r.received_at, r.odometer_km FROM repair_orders r
            JOIN repair_order_lines l ON l.station_id = r.station_id AND l.repair_order_id = r.id
            WHERE r.network_id = {NETWORK_SETTING} AND r.vehicle_id = vehicle AND r.received_at < before
              AND r.id <> not_order AND r.status IN ('completed', 'settled', 'handed_over')
              AND l.part_id = part AND l.consent = 'consented'
            ORDER BY r.received_at DESC LIMIT 1
          ) fitted ON true"""


def _create(returns: str, select: str, source: str = "") -> None:
    op.execute(
        f"""
        CREATE FUNCTION claim_cross_station_facts(vehicle uuid, part uuid, since date, until date, not_claim uuid,
                                                  before timestamptz, not_order uuid)
        RETURNS TABLE ({returns})
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT {select} {source}
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {FACTS} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {FACTS} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FACTS} TO app_station, app_oem")


def upgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"DROP FUNCTION {FACTS}")
    _create(
        "duplicates integer, odometer_before integer, first_maintenances integer, fitted_at timestamptz, "
        "fitted_km integer",
        f"{DUPLICATES}, {ODOMETER}, {FIRSTS}, fitted.received_at, fitted.odometer_km",
        f"FROM (SELECT 1) one {FITTED}",
    )
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"DROP FUNCTION {FACTS}")
    _create("duplicates integer, odometer_before integer, first_maintenances integer",
            f"{DUPLICATES}, {ODOMETER}, {FIRSTS}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")
