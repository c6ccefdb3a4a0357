"""Onboarding, second part: the network development plan (stations each region needs), site visits (who,
when, the interview scored with the interview standard, the site survey), the development committee's
votes, and letters of intent. HQ's papers stay HQ's: an applicant reads only its own letter.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def _application(table: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("application_id", UUID,
                     sa.ForeignKey("applications.id", name=f"fk_{table}_application_id_applications"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "region_quotas",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("region_id", UUID, nullable=False),
        sa.Column("stations_needed", sa.Integer, nullable=False),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["network_id", "region_id"], ["regions.network_id", "regions.id"],
                                name="fk_region_quotas_network_id_region_id_regions"),
        sa.UniqueConstraint("region_id", name="uq_region_quotas_region"),
        sa.CheckConstraint("stations_needed >= 0", name=op.f("ck_region_quotas_not_negative")),
    )
    op.enable_network_rls("region_quotas", station_read=False)
    op.grant_app("region_quotas", app_oem="SELECT, INSERT, UPDATE")

    op.create_table(
        "site_visits",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        _application("site_visits"),
        sa.Column("planned_on", sa.Date, nullable=False),
        sa.Column("visitor_ids", ARRAY(UUID), nullable=False),
        sa.Column("interview_assessment_id", UUID,
                  sa.ForeignKey("assessments.id", name="fk_site_visits_interview_assessment_id_assessments")),
        # {"business_condition", "technical_strength", "instruments", "equipment", "repair_area", "strengths"}
        sa.Column("survey", JSONB, nullable=False, server_default="{}"),
        sa.Column("findings", sa.Text, nullable=False, server_default=""),
        sa.Column("planned_by", UUID),
        sa.Column("visited_at", TS),
        sa.Column("recorded_by", UUID),
        sa.CheckConstraint("cardinality(visitor_ids) BETWEEN 1 AND 20", name=op.f("ck_site_visits_visitors")),
    )
    op.create_index("ix_site_visits_application", "site_visits", ["application_id"])
    op.enable_network_rls("site_visits", station_read=False)
    op.grant_app("site_visits", app_oem="SELECT, INSERT, UPDATE")

    op.create_table(
        "committee_votes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        _application("committee_votes"),
        sa.Column("member_id", UUID, nullable=False),
        sa.Column("vote", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text, nullable=False, server_default=""),
        sa.Column("voted_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("application_id", "member_id", name="uq_committee_votes_application_member"),
        sa.CheckConstraint("vote IN ('approve', 'reject', 'abstain')", name=op.f("ck_committee_votes_vote")),
    )
    op.enable_network_rls("committee_votes", station_read=False)
    op.grant_app("committee_votes", app_oem="SELECT, INSERT, UPDATE")

    op.create_table(
        "letters_of_intent",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        _application("letters_of_intent"),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("issued_at", TS, nullable=False, server_default=NOW),
        sa.Column("issued_by", UUID),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("cancelled_at", TS),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_letters_of_intent_network_id_station_id_stations"),
        sa.UniqueConstraint("network_id", "number", name="uq_letters_of_intent_network_number"),
        sa.UniqueConstraint("application_id", name="uq_letters_of_intent_application"),
    )
    op.enable_station_rls("letters_of_intent")
    op.grant_app("letters_of_intent", app_oem="SELECT, INSERT, UPDATE (cancelled_at)", app_station="SELECT")


def downgrade() -> None:
    op.execute("DROP TABLE letters_of_intent, committee_votes, site_visits, region_quotas")
