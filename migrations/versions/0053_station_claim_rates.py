"""Each station's claim rate this month against its network's (the claim check CLAIM_RATE_SPIKE): a daily cron
counts, for every active station of every network in the network's own month, the claims submitted for repairs
this month and the repair orders received, as claims per 100 repair orders, beside the median of the network's
stations; a station at least `min_claims` claims and more than `factor` times the median is spiking. The
rows are the station's own (its HQ sees its network's); the function is the cron's one cross-tenant step.

Revision ID: 0053
Revises: 0052
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0053"
down_revision: str | None = "0052"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "station_claim_rates"
COMPUTE = "compute_claim_rates(numeric, integer)"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("station_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("network_id", sa.Uuid(), sa.ForeignKey("networks.id", name=f"fk_{TABLE}_network_id_networks"),
                  nullable=False),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("repair_orders", sa.Integer, nullable=False),
        sa.Column("rate", sa.Numeric(8, 2), nullable=False),
        sa.Column("network_rate", sa.Numeric(8, 2), nullable=False),
        sa.Column("spiking", sa.Boolean, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("station_id", "month", name=f"pk_{TABLE}"),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name=f"fk_{TABLE}_network_id_station_id_stations"),
        sa.CheckConstraint("claims >= 0 AND repair_orders >= 0 AND rate >= 0 AND network_rate >= 0",
                           name=op.f(f"ck_{TABLE}_counts")),
    )
    op.enable_station_rls(TABLE)
    op.grant_app(TABLE, app_oem="SELECT", app_station="SELECT")
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        """
        CREATE FUNCTION compute_claim_rates(factor numeric, min_claims integer)
        RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          WITH local AS (
            SELECT n.id AS network_id, n.time_zone,
                   date_trunc('month', now() AT TIME ZONE n.time_zone)::date AS month
            FROM networks n
          ), counted AS (
            SELECT s.network_id, s.id AS station_id, l.month,
                   (SELECT count(*) FROM claims c WHERE c.station_id = s.id AND c.status <> 'draft'
                      AND c.repair_date >= l.month)::integer AS claims,
                   (SELECT count(*) FROM repair_orders r WHERE r.station_id = s.id AND r.status <> 'cancelled'
                      AND r.received_at >= l.month::timestamp AT TIME ZONE l.time_zone)::integer AS repair_orders
            FROM stations s JOIN local l ON l.network_id = s.network_id
            WHERE s.status = 'active'
          ), rated AS (
            SELECT *, CASE WHEN repair_orders > 0 THEN round(100.0 * claims / repair_orders, 2) ELSE 0 END AS rate
            FROM counted
          ), peers AS (
            SELECT network_id, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY rate)::numeric, 2) AS median
            FROM rated GROUP BY network_id
          ), kept AS (
            INSERT INTO station_claim_rates (station_id, month, network_id, claims, repair_orders, rate, network_rate,
                                             spiking, computed_at)
            SELECT r.station_id, r.month, r.network_id, r.claims, r.repair_orders, r.rate, p.median,
                   r.claims >= min_claims AND r.rate > factor * p.median, now()
            FROM rated r JOIN peers p ON p.network_id = r.network_id
            ON CONFLICT (station_id, month) DO UPDATE SET claims = EXCLUDED.claims,
              repair_orders = EXCLUDED.repair_orders, rate = EXCLUDED.rate, network_rate = EXCLUDED.network_rate,
              spiking = EXCLUDED.spiking, computed_at = EXCLUDED.computed_at
            RETURNING spiking
          )
          SELECT count(*) FILTER (WHERE spiking)::integer FROM kept
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {COMPUTE} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {COMPUTE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {COMPUTE} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {COMPUTE}")
    op.drop_table(TABLE)
