"""Training and certification (培训与考核, 上岗证): staff certificates per station, with the service types they
qualify for and their expiry; and the onboarding deadline watcher — rectification items due within three
days or overdue, certificates expiring within 30 days — reminding in-app once a day, across networks.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
WATCH = "remind_onboarding_deadlines(interval)"
WATCHER = """
CREATE FUNCTION remind_onboarding_deadlines(every interval) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH items AS (
    UPDATE rectification_items r SET reminded_at = now()
    WHERE r.closed_at IS NULL AND r.due_on <= current_date + 3
      AND (r.reminded_at IS NULL OR r.reminded_at < now() - every)
    RETURNING r.network_id, r.station_id, r.application_id, r.code, r.label_en, r.due_on
  ), certificates AS (
    UPDATE staff_certificates c SET reminded_at = now()
    WHERE c.expires_on <= current_date + 30 AND c.expires_on >= current_date - 30
      AND (c.reminded_at IS NULL OR c.reminded_at < now() - every)
    RETURNING c.network_id, c.station_id, c.id, c.person_name, c.certificate_number, c.expires_on
  ), told AS (
    INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
    SELECT uuid_generate_v7(), network_id, station_id,
           CASE WHEN due_on < current_date THEN 'rectification_overdue' ELSE 'rectification_due' END,
           left('Rectification ' || code || ': ' || label_en, 300),
           CASE WHEN due_on < current_date THEN 'Overdue since ' ELSE 'Due by ' END || due_on::text,
           'application', application_id
    FROM items
    UNION ALL
    SELECT uuid_generate_v7(), network_id, station_id, 'certificate_expiring',
           left('Certificate ' || certificate_number || ' expires ' || expires_on::text, 300),
           'Renew the certificate before it expires; without a certified technician the station is not '
           || 'dispatched work of that service type.',
           'staff_certificate', id
    FROM certificates
    RETURNING network_id
  ), mail AS (
    INSERT INTO outbox (id, network_id, role, job, payload, created_at)
    SELECT uuid_generate_v7(), network_id, 'hq_admin', 'notifications.mail', '{}'::jsonb, now()
    FROM (SELECT DISTINCT network_id FROM told) n
  )
  SELECT count(*)::integer FROM told
$$
"""


def upgrade() -> None:
    op.create_table(
        "staff_certificates",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("person_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("service_types", ARRAY(sa.String(16)), nullable=False),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("certificate_number", sa.String(40), nullable=False),
        sa.Column("passed_on", sa.Date, nullable=False),
        sa.Column("expires_on", sa.Date, nullable=False),
        sa.Column("recorded_by", UUID),
        sa.Column("recorded_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("reminded_at", TS),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_staff_certificates_network_id_station_id_stations"),
        sa.UniqueConstraint("network_id", "certificate_number", name="uq_staff_certificates_network_number"),
        sa.CheckConstraint("role IN ('technician', 'adviser')", name=op.f("ck_staff_certificates_role")),
        sa.CheckConstraint("expires_on > passed_on", name=op.f("ck_staff_certificates_expiry")),
        sa.CheckConstraint("service_types <@ ARRAY['paid', 'contract', 'warranty', 'internal']::varchar[] "
                           "AND cardinality(service_types) > 0", name=op.f("ck_staff_certificates_service_types")),
    )
    op.create_index("ix_staff_certificates_dispatch", "staff_certificates", ["station_id", "role", "expires_on"])
    op.enable_station_rls("staff_certificates")
    op.grant_app("staff_certificates", app_oem="SELECT, INSERT, UPDATE (reminded_at)", app_station="SELECT")

    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(WATCHER)
    op.execute(f"ALTER FUNCTION {WATCH} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {WATCH} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {WATCH} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {WATCH}")
    op.drop_table("staff_certificates")
