"""Station profiles and their changes (资料变更): a station's registered data — contacts, address, service area,
bank account, legal representative — and every change to it. A change is recorded with the day it
happened, filed within three days (a later filing is flagged), and takes effect when filed; a change of key
data (bank account, legal representative) needs evidence of before and after and HQ's approval first.
Evidence files are station documents of the change.

The deadline watcher learns two more deadlines: start-up orders past their due day and undelivered (the
station and HQ are told), and recorded changes not filed by their third day (the station is told).

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-29
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
KINDS = "('contacts', 'address', 'service_area', 'bank_account', 'legal_representative')"
STATUSES = "('draft', 'in_effect', 'pending', 'approved', 'rejected', 'withdrawn')"
WATCH = "remind_onboarding_deadlines(interval)"
DOCUMENT_KINDS = "('business_licence', 'tax_registration', 'site_photo', 'other', 'evidence_before', 'evidence_after')"


def _station(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                   name=f"fk_{table}_network_id_station_id_stations")


def upgrade() -> None:
    op.create_table(
        "station_profiles",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False, unique=True),
        sa.Column("contact_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("contact_phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("contact_email", sa.String(320), nullable=False, server_default=""),
        sa.Column("address", sa.String(300), nullable=False, server_default=""),
        sa.Column("service_area", sa.String(500), nullable=False, server_default=""),
        sa.Column("bank_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("bank_account", sa.String(60), nullable=False, server_default=""),
        sa.Column("legal_representative", sa.String(100), nullable=False, server_default=""),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        _station("station_profiles"),
    )
    op.enable_station_rls("station_profiles")
    # A station changes its profile only through a filed change (the service writes both in one go);
    # the database lets it insert its own profile and update it, HQ too (approving key data).
    op.grant_app("station_profiles", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "profile_changes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("changed_on", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("before", JSONB, nullable=False, server_default="{}"),
        sa.Column("after", JSONB, nullable=False),
        sa.Column("recorded_by", UUID),
        sa.Column("recorded_at", TS, nullable=False, server_default=NOW),
        sa.Column("filed_at", TS),
        sa.Column("filed_late", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("decided_by", UUID),
        sa.Column("decided_at", TS),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        sa.Column("reminded_at", TS),
        _station("profile_changes"),
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind"),
        sa.CheckConstraint(f"status IN {STATUSES}", name="status"),
        sa.CheckConstraint("(status = 'draft') = (filed_at IS NULL) OR status = 'withdrawn'",
                           name="filed"),
    )
    op.create_index("ix_profile_changes_station", "profile_changes", ["station_id", "recorded_at"])
    op.create_index("ix_profile_changes_unfiled", "profile_changes", ["changed_on"],
                    postgresql_where=sa.text("status = 'draft'"))
    op.enable_station_rls("profile_changes")
    op.grant_app("profile_changes", app_oem="SELECT, UPDATE (status, decided_by, decided_at, decision_note)",
                 app_station="SELECT, INSERT, UPDATE (status, before, after, reason, changed_on, filed_at, filed_late)")

    op.add_column("station_documents", sa.Column(
        "profile_change_id", UUID,
        sa.ForeignKey("profile_changes.id", name="fk_station_documents_profile_change_id_profile_changes")))
    op.create_index("ix_station_documents_profile_change", "station_documents", ["profile_change_id"])
    op.drop_constraint(op.f("ck_station_documents_kind"), "station_documents")
    op.create_check_constraint(op.f("ck_station_documents_kind"), "station_documents", f"kind IN {DOCUMENT_KINDS}")
    op.create_check_constraint(
        op.f("ck_station_documents_evidence"), "station_documents",
        "(kind IN ('evidence_before', 'evidence_after')) = (profile_change_id IS NOT NULL)",
    )


    op.add_column("startup_orders", sa.Column("reminded_at", TS))
    _watch(WATCHER)


def _watch(body: str) -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(body)
    op.execute(f"ALTER FUNCTION {WATCH} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {WATCH} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {WATCH} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def _previous_watcher() -> str:
    """0018's watcher, to go back to."""
    path = Path(__file__).with_name("0018_certificates_reminders.py")
    spec = importlib.util.spec_from_file_location("migration_0018", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.WATCHER).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)


# What 0018 watched (rectification items, certificates), and now late start-up orders and unfiled changes —
# each against its network's own today.
WATCHER = """
CREATE OR REPLACE FUNCTION remind_onboarding_deadlines(every interval) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  WITH local AS (  -- each network's own today, in its time zone
    SELECT id AS network_id, (now() AT TIME ZONE time_zone)::date AS today FROM networks
  ), items AS (
    UPDATE rectification_items r SET reminded_at = now()
    FROM local l
    WHERE l.network_id = r.network_id AND r.closed_at IS NULL AND r.due_on <= l.today + 3
      AND (r.reminded_at IS NULL OR r.reminded_at < now() - every)
    RETURNING r.network_id, r.station_id, r.application_id, r.code, r.label_en, r.due_on, r.due_on < l.today AS late
  ), certificates AS (
    UPDATE staff_certificates c SET reminded_at = now()
    FROM local l
    WHERE l.network_id = c.network_id AND c.expires_on <= l.today + 30 AND c.expires_on >= l.today - 30
      AND (c.reminded_at IS NULL OR c.reminded_at < now() - every)
    RETURNING c.network_id, c.station_id, c.id, c.person_name, c.certificate_number, c.expires_on
  ), orders AS (
    UPDATE startup_orders o SET reminded_at = now()
    FROM local l
    WHERE l.network_id = o.network_id AND o.delivered_at IS NULL AND o.due_on < l.today
      AND (o.reminded_at IS NULL OR o.reminded_at < now() - every)
    RETURNING o.network_id, o.station_id, o.application_id, o.kind, o.reference, o.due_on
  ), changes AS (
    UPDATE profile_changes p SET reminded_at = now()
    FROM local l
    WHERE l.network_id = p.network_id AND p.status = 'draft' AND p.changed_on + 3 <= l.today + 1
      AND (p.reminded_at IS NULL OR p.reminded_at < now() - every)
    RETURNING p.network_id, p.station_id, p.id, p.kind, p.changed_on, p.changed_on + 3 < l.today AS late
  ), told AS (
    INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
    SELECT uuid_generate_v7(), network_id, station_id,
           CASE WHEN late THEN 'rectification_overdue' ELSE 'rectification_due' END,
           left('Rectification ' || code || ': ' || label_en, 300),
           CASE WHEN late THEN 'Overdue since ' ELSE 'Due by ' END || due_on::text,
           'application', application_id
    FROM items
    UNION ALL
    SELECT uuid_generate_v7(), network_id, station_id, 'certificate_expiring',
           left('Certificate ' || certificate_number || ' expires ' || expires_on::text, 300),
           'Renew the certificate before it expires; without a certified technician the station is not '
           || 'dispatched work of that service type.',
           'staff_certificate', id
    FROM certificates
    UNION ALL
    SELECT uuid_generate_v7(), network_id, whom, 'startup_order_late',
           left('Start-up order ' || kind || ' (' || reference || ') was due ' || due_on::text, 300),
           'Not delivered yet: acceptance cannot be scheduled until tools, parts and the VI kit are all in.',
           'application', application_id
    FROM orders CROSS JOIN LATERAL (VALUES (station_id), (NULL::uuid)) AS recipients(whom)
    UNION ALL
    SELECT uuid_generate_v7(), network_id, station_id,
           CASE WHEN late THEN 'profile_change_late' ELSE 'profile_change_due' END,
           left('File the ' || replace(kind, '_', ' ') || ' change of ' || changed_on::text, 300),
           'Changes are filed within three days; due by ' || (changed_on + 3)::text || '.',
           'profile_change', id
    FROM changes
    RETURNING network_id
  ), mail AS (
    INSERT INTO outbox (id, network_id, role, job, payload, created_at)
    SELECT uuid_generate_v7(), network_id, 'hq_admin', 'notifications.mail', '{}'::jsonb, now()
    FROM (SELECT DISTINCT network_id FROM told) n
  )
  SELECT count(*)::integer FROM told
$$
"""


def downgrade() -> None:
    _watch(_previous_watcher())
    op.drop_column("startup_orders", "reminded_at")
    op.drop_constraint(op.f("ck_station_documents_evidence"), "station_documents")
    op.execute("DELETE FROM station_documents WHERE profile_change_id IS NOT NULL")
    op.drop_constraint(op.f("ck_station_documents_kind"), "station_documents")
    op.create_check_constraint(
        op.f("ck_station_documents_kind"), "station_documents",
        "kind IN ('business_licence', 'tax_registration', 'site_photo', 'other')",
    )
    op.drop_index("ix_station_documents_profile_change", "station_documents")
    op.drop_column("station_documents", "profile_change_id")
    op.drop_table("profile_changes")
    op.drop_table("station_profiles")
