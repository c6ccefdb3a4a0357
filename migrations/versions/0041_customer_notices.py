"""The customer is told before the promised time (seed 001:24: 1 h ahead for a job under two days, 4 h
otherwise; a delay the same way). A repair order keeps when that is (computed by the workshop's rule when the
promise is made or moved), when the service adviser was reminded, and when and by whom the customer was
told. A cron's one cross-tenant step reminds each station of the customers due to hear, once per promise.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
REMIND = "remind_customer_notices()"


def upgrade() -> None:
    op.add_column("repair_orders", sa.Column("customer_notice_at", TS))
    op.add_column("repair_orders", sa.Column("customer_reminded_at", TS))
    op.add_column("repair_orders", sa.Column("customer_told_at", TS))
    op.add_column("repair_orders", sa.Column("customer_told_by", sa.Uuid()))
    # The orders of before this revision: the rule as it stands (rules.customer_notice_at).
    op.execute(
        "UPDATE repair_orders SET customer_notice_at = promised_at - CASE WHEN promised_at - received_at "
        "< interval '2 days' THEN interval '1 hour' ELSE interval '4 hours' END"
    )
    op.alter_column("repair_orders", "customer_notice_at", nullable=False)
    op.create_check_constraint(op.f("ck_repair_orders_customer_told"), "repair_orders",
                               "(customer_told_at IS NULL) = (customer_told_by IS NULL)")
    op.execute("CREATE INDEX ix_repair_orders_customer_notice ON repair_orders (customer_notice_at) "
               "WHERE customer_reminded_at IS NULL AND customer_told_at IS NULL AND status IN ('received', 'in_work')")
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        f"""
        CREATE FUNCTION {REMIND}
        RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          WITH due AS (
            UPDATE repair_orders r SET customer_reminded_at = now()
            WHERE r.customer_notice_at <= now() AND r.customer_reminded_at IS NULL AND r.customer_told_at IS NULL
              AND r.status IN ('received', 'in_work')
            RETURNING r.network_id, r.station_id, r.id, r.number, r.promised_at
          ), told AS (
            INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
            SELECT uuid_generate_v7(), network_id, station_id, 'customer_notice',
                   'Tell the customer of ' || number || ': ready, or delayed',
                   'Promised for ' || to_char(promised_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',
                   'repair_order', id
            FROM due RETURNING network_id
          ), mail AS (
            INSERT INTO outbox (id, network_id, role, job, payload, created_at)
            SELECT uuid_generate_v7(), network_id, 'hq_admin', 'notifications.mail', '{{}}'::jsonb, now()
            FROM (SELECT DISTINCT network_id FROM told) n
          )
          SELECT count(*)::integer FROM told
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {REMIND} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {REMIND} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {REMIND} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {REMIND}")
    op.execute("DROP INDEX ix_repair_orders_customer_notice")
    op.drop_constraint(op.f("ck_repair_orders_customer_told"), "repair_orders")
    for column in ("customer_told_by", "customer_told_at", "customer_reminded_at", "customer_notice_at"):
        op.drop_column("repair_orders", column)
