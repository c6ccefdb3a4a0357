"""A failed part not back by its due date: the station is reminded once; a grace period later (each network's
own today) the claim line is charged back — the cron's one cross-tenant step, as reviewed as the others.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OVERDUE = "remind_overdue_returns(integer)"


def upgrade() -> None:
    op.add_column("part_returns", sa.Column("reminded_at", sa.DateTime(timezone=True)))
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        f"""
        CREATE FUNCTION {OVERDUE.replace("(integer)", "(grace_days integer)")}
        RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          WITH local AS (
            SELECT r.station_id, r.id, r.network_id, r.claim_id, r.claim_line_id, r.tag_number, r.due_on,
                   r.reminded_at, (now() AT TIME ZONE n.time_zone)::date AS today
            FROM part_returns r JOIN networks n ON n.id = r.network_id
            WHERE r.status = 'authorised' AND r.due_on < (now() AT TIME ZONE n.time_zone)::date
          ), reminded AS (
            UPDATE part_returns r SET reminded_at = now() FROM local l
            WHERE r.station_id = l.station_id AND r.id = l.id AND l.reminded_at IS NULL
            RETURNING r.network_id, r.station_id, r.id, r.tag_number, r.due_on
          ), told AS (
            INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
            SELECT uuid_generate_v7(), network_id, station_id, 'part_return_overdue',
                   'Failed part ' || tag_number || ' is overdue',
                   'It was due on ' || due_on || '; send it now, or the claim line is charged back.',
                   'part_return', id
            FROM reminded RETURNING network_id
          ), charged AS (
            INSERT INTO claim_chargebacks (station_id, id, network_id, claim_id, part_return_id, amount, reason, note)
            SELECT l.station_id, uuid_generate_v7(), l.network_id, l.claim_id, l.id,
                   coalesce(c.approved_amount, c.amount), 'part_not_returned',
                   'not back ' || grace_days || ' days after its due date, ' || l.due_on
            FROM local l JOIN claim_lines c ON c.station_id = l.station_id AND c.id = l.claim_line_id
            WHERE l.reminded_at IS NOT NULL AND l.due_on + grace_days < l.today AND coalesce(c.approved_amount, c.amount) > 0
            ON CONFLICT (station_id, part_return_id) DO NOTHING
            RETURNING network_id, station_id, claim_id, part_return_id, amount
          ), journaled AS (
            INSERT INTO journal (id, network_id, station_id, entity, entity_id, action, after, request_id)
            SELECT uuid_generate_v7(), network_id, station_id, 'claim', claim_id, 'charged_back',
                   jsonb_build_object('part_return', part_return_id, 'amount', amount::text, 'reason', 'part_not_returned'),
                   'cron:warranty.remind_overdue_returns'
            FROM charged
          ), mail AS (
            INSERT INTO outbox (id, network_id, role, job, payload, created_at)
            SELECT uuid_generate_v7(), network_id, 'hq_admin', 'notifications.mail', '{{}}'::jsonb, now()
            FROM (SELECT DISTINCT network_id FROM told) n
          )
          SELECT (SELECT count(*) FROM told)::integer + (SELECT count(*) FROM charged)::integer
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {OVERDUE} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {OVERDUE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {OVERDUE} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {OVERDUE}")
    op.drop_column("part_returns", "reminded_at")
