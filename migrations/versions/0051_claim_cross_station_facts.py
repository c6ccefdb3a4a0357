"""A claim's cross-station facts in one reviewed function: how many other claims name its VIN and causal part
in the duplicate window, the highest odometer reading of the vehicle before this repair, and how many other
first-maintenance claims the vehicle has — counts and a number, never another station's claim, order or
customer. It replaces migration 0043's two functions (one round trip instead of two per submission).

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACTS = "claim_cross_station_facts(uuid, uuid, date, date, uuid, timestamptz, uuid)"
OLD = ("claim_duplicates(uuid, uuid, date, date, uuid)", "vehicle_odometer_before(uuid, timestamptz, uuid)")


def upgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        f"""
        CREATE FUNCTION claim_cross_station_facts(vehicle uuid, part uuid, since date, until date, not_claim uuid,
                                                  before timestamptz, not_order uuid)
        RETURNS TABLE (duplicates integer, odometer_before integer, first_maintenances integer)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT
            (SELECT count(*)::integer FROM claims c
             WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.causal_part_id = part
               AND c.repair_date BETWEEN since AND until AND c.id <> not_claim
               AND c.status NOT IN ('draft', 'rejected')),
            (SELECT max(r.odometer_km) FROM repair_orders r
             WHERE r.network_id = {NETWORK_SETTING} AND r.vehicle_id = vehicle AND r.received_at < before
               AND r.id <> not_order AND r.status <> 'cancelled'),
            (SELECT count(*)::integer FROM claims c
             WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.claim_type = 'first_maintenance'
               AND c.id <> not_claim AND c.status NOT IN ('draft', 'rejected'))
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {FACTS} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {FACTS} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FACTS} TO app_station, app_oem")
    for function in OLD:
        op.execute(f"DROP FUNCTION {function}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    # Migration 0043's two functions, as they were.
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        f"""
        CREATE FUNCTION claim_duplicates(vehicle uuid, part uuid, since date, until date, not_claim uuid)
        RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT count(*)::integer FROM claims c
          WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.causal_part_id = part
            AND c.repair_date BETWEEN since AND until AND c.id <> not_claim AND c.status NOT IN ('draft', 'rejected')
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION vehicle_odometer_before(vehicle uuid, before timestamptz, not_order uuid)
        RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT max(r.odometer_km) FROM repair_orders r
          WHERE r.network_id = {NETWORK_SETTING} AND r.vehicle_id = vehicle AND r.received_at < before
            AND r.id <> not_order AND r.status <> 'cancelled'
        $$
        """
    )
    for function in OLD:
        op.execute(f"ALTER FUNCTION {function} OWNER TO {SEED_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO app_station, app_oem")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")
    op.execute(f"DROP FUNCTION {FACTS}")
