"""Targeting by tier and brand, in-app notifications, and the acknowledgement reminders.

A publication targets every station, or those of some regions, tiers or brands, or a list. Publishing
queues one fan-out job that notifies each delivered station in-app, set-based; a cron reminds the
stations that have not acknowledged by (or near) the deadline, once a day at most, across networks in one
set-based call. Notifications wait for e-mail (mailed_at empty) until the notifications job sends them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
TEXTS = ARRAY(sa.String(40))
REMIND = "remind_unacknowledged(interval, interval)"


def _targeting() -> None:
    # A station's tier (A, B, C… as the network grades them) and the brands it serves.
    op.add_column("stations", sa.Column("tier", sa.String(8)))
    op.add_column("stations", sa.Column("brands", TEXTS, nullable=False, server_default="{}"))
    op.add_column("publications", sa.Column("region_id", UUID, sa.ForeignKey(
        "regions.id", name="fk_publications_region_id_regions")))
    op.execute("UPDATE publications SET region_id = target_region_ids[1] WHERE kind = 'price_list'")
    op.add_column("publications", sa.Column("target_tiers", TEXTS, nullable=False, server_default="{}"))
    op.add_column("publications", sa.Column("target_brands", TEXTS, nullable=False, server_default="{}"))
    op.execute("GRANT UPDATE (tier, brands) ON stations TO app_oem")


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_notifications_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),  # empty: for HQ
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", UUID, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("read_at", TS),
        sa.Column("read_by", UUID),
        sa.Column("mailed_at", TS),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_notifications_network_id_station_id_stations"),
        sa.CheckConstraint("(read_at IS NULL) = (read_by IS NULL)", name=op.f("ck_notifications_read")),
    )
    op.create_index("ix_notifications_inbox", "notifications", ["network_id", "station_id", "created_at"])
    op.create_index("ix_notifications_entity", "notifications", ["entity_id", "station_id"])
    op.create_index("ix_notifications_unmailed", "notifications", ["network_id"],
                    postgresql_where=sa.text("mailed_at IS NULL"))
    # HQ sees what its network was told (its own and its stations'); a station only its own.
    op.enable_station_rls("notifications")
    op.grant_app("notifications", app_oem="SELECT, INSERT, UPDATE (read_at, read_by, mailed_at)",
                 app_station="SELECT, UPDATE (read_at, read_by)")


def _reminders() -> None:
    # The cron's one cross-tenant step: remind each station whose acknowledgement is due within `due_within`
    # (or overdue) and that was not reminded in the last `every`, then leave one mail job per network.
    op.execute(
        f"""
        CREATE FUNCTION {REMIND.replace("interval, interval", "due_within interval, every interval")}
        RETURNS integer LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          WITH due AS (
            UPDATE publication_deliveries d SET reminded_at = now()
            FROM publications p
            WHERE p.id = d.publication_id AND p.status = 'published' AND d.acknowledged_at IS NULL
              AND d.acknowledge_by < now() + due_within
              AND (d.reminded_at IS NULL OR d.reminded_at < now() - every)
            RETURNING d.network_id, d.station_id, d.publication_id, d.acknowledge_by, p.title
          ), told AS (
            INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
            SELECT uuid_generate_v7(), network_id, station_id, 'acknowledgement_reminder',
                   left('Please acknowledge: ' || title, 300),
                   CASE WHEN acknowledge_by < now() THEN 'Overdue since ' ELSE 'Due by ' END
                     || to_char(acknowledge_by AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC',
                   'publication', publication_id
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


def upgrade() -> None:
    _targeting()
    _notifications()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    _reminders()
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {REMIND}")
    op.drop_table("notifications")
    for table, column in (("publications", "target_brands"), ("publications", "target_tiers"), ("publications", "region_id"),
                          ("stations", "brands"), ("stations", "tier")):
        op.drop_column(table, column)
