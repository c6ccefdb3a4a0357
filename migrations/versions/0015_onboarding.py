"""Network onboarding, first part: applicants (a station tenant in status `applicant` with its application
form and pipeline stage), versioned rubrics of weighted criteria, and the assessments scored against them.
A network sets its pass mark and committee rule.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
STAGES = ("'draft', 'submitted', 'reserve', 'shortlisted', 'visit_planned', 'visited', 'approved', "
          "'rectification', 'accepted', 'active', 'suspended', 'terminated', 'cancelled'")


def _network_rules() -> None:
    op.add_column("networks", sa.Column("application_pass_mark", sa.Numeric(5, 2), nullable=False,
                                        server_default="60"))
    op.add_column("networks", sa.Column("committee_members", sa.Integer, nullable=False, server_default="5"))
    op.add_column("networks", sa.Column("committee_quorum", sa.Integer, nullable=False, server_default="3"))
    op.add_column("networks", sa.Column("committee_majority", sa.Numeric(4, 3), nullable=False,
                                        server_default="0.5"))
    op.create_check_constraint(op.f("ck_networks_onboarding_rules"), "networks",
                               "application_pass_mark BETWEEN 0 AND 100 AND committee_quorum BETWEEN 1 AND "
                               "committee_members AND committee_majority >= 0 AND committee_majority < 1")
    op.execute("GRANT UPDATE (application_pass_mark, committee_members, committee_quorum, committee_majority) "
               "ON networks TO app_oem")
    op.execute("ALTER TABLE stations DROP CONSTRAINT ck_stations_ck_stations_status")
    op.execute("ALTER TABLE stations ADD CONSTRAINT ck_stations_status CHECK (status IN "
               "('applicant', 'active', 'suspended', 'terminated'))")
    op.execute("GRANT UPDATE (status) ON stations TO app_oem")


def _rubrics() -> None:
    op.create_table(
        "rubrics",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_rubrics_network_id_networks"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "kind", "version", name="uq_rubrics_network_kind_version"),
        sa.CheckConstraint("kind IN ('application', 'interview', 'acceptance')", name=op.f("ck_rubrics_kind")),
    )
    op.create_table(
        "rubric_criteria",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("rubric_id", UUID, sa.ForeignKey("rubrics.id", name="fk_rubric_criteria_rubric_id_rubrics"),
                  nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label_zh", sa.String(300), nullable=False),
        sa.Column("label_en", sa.String(300), nullable=False),
        sa.Column("weight", sa.Numeric(6, 2), nullable=False),
        sa.Column("max_points", sa.Integer, nullable=False),
        sa.UniqueConstraint("rubric_id", "code", name="uq_rubric_criteria_rubric_code"),
        sa.CheckConstraint("weight > 0 AND max_points > 0", name=op.f("ck_rubric_criteria_positive")),
    )
    # A rubric version never changes once made (scores given against it keep their meaning): no UPDATE.
    for table in ("rubrics", "rubric_criteria"):
        op.enable_network_rls(table, station_read=False)
        op.grant_app(table, app_oem="SELECT, INSERT")


def _applications() -> None:
    op.create_table(
        "applications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False, unique=True),  # the applicant's own tenant
        sa.Column("stage", sa.String(16), nullable=False, server_default="draft"),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),  # optimistic lock of transitions
        # The application form (特约服务中心申请表).
        sa.Column("company_name", sa.String(200), nullable=False),
        sa.Column("legal_representative", sa.String(100), nullable=False, server_default=""),
        sa.Column("contact_name", sa.String(100), nullable=False, server_default=""),
        sa.Column("contact_phone", sa.String(40), nullable=False, server_default=""),
        sa.Column("registered_address", sa.String(300), nullable=False, server_default=""),
        sa.Column("site_address", sa.String(300), nullable=False, server_default=""),
        sa.Column("region_id", UUID),
        sa.Column("workshop_area_m2", sa.Integer),
        sa.Column("bays", sa.Integer),
        sa.Column("staff", sa.Integer),
        sa.Column("certified_technicians", sa.Integer),
        sa.Column("equipment", ARRAY(sa.String(100)), nullable=False, server_default="{}"),
        sa.Column("brands", ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        sa.Column("submitted_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_applications_network_id_station_id_stations"),
        sa.ForeignKeyConstraint(["network_id", "region_id"], ["regions.network_id", "regions.id"],
                                name="fk_applications_network_id_region_id_regions"),
        sa.CheckConstraint(f"stage IN ({STAGES})", name=op.f("ck_applications_stage")),
        sa.CheckConstraint("workshop_area_m2 >= 0 AND bays >= 0 AND staff >= 0 AND certified_technicians >= 0",
                           name=op.f("ck_applications_not_negative")),
    )
    op.create_index("ix_applications_pipeline", "applications", ["network_id", "stage", "region_id"])
    # The applicant sees and fills in its own form; the stage moves only through HQ's services (and the
    # applicant's submit), so the applicant may not write it directly.
    op.enable_station_rls("applications")
    op.grant_app("applications", app_oem="SELECT, INSERT, UPDATE",
                 app_station="SELECT, UPDATE (company_name, legal_representative, contact_name, contact_phone, "
                             "registered_address, site_address, region_id, workshop_area_m2, bays, staff, "
                             "certified_technicians, equipment, brands, updated_at, stage, version, submitted_at)")

    op.create_table(
        "assessments",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("application_id", UUID, sa.ForeignKey("applications.id",
                                                        name="fk_assessments_application_id_applications"),
                  nullable=False),
        sa.Column("rubric_id", UUID, sa.ForeignKey("rubrics.id", name="fk_assessments_rubric_id_rubrics"),
                  nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("total", sa.Numeric(5, 2), nullable=False),
        sa.Column("pass_mark", sa.Numeric(5, 2), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        # [{"code", "label_en", "label_zh", "weight", "max_points", "points" (null: n/a), "earned", "note"}]
        sa.Column("items", JSONB, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("assessed_by", UUID),
        sa.Column("assessed_at", TS, nullable=False, server_default=NOW),
        sa.CheckConstraint("total BETWEEN 0 AND 100", name=op.f("ck_assessments_total")),
    )
    op.create_index("ix_assessments_application", "assessments", ["application_id", "assessed_at"])
    # HQ's scoring is HQ's: the applicant learns the outcome from its stage, not the committee's papers.
    op.enable_network_rls("assessments", station_read=False)
    op.grant_app("assessments", app_oem="SELECT, INSERT")


def upgrade() -> None:
    _network_rules()
    _rubrics()
    _applications()


def downgrade() -> None:
    op.execute("DROP TABLE assessments, applications, rubric_criteria, rubrics")
    op.execute("ALTER TABLE stations DROP CONSTRAINT ck_stations_status")
    op.execute("ALTER TABLE stations ADD CONSTRAINT ck_stations_ck_stations_status CHECK (status IN "
               "('active', 'suspended', 'terminated'))")
    op.drop_constraint(op.f("ck_networks_onboarding_rules"), "networks")
    for column in ("committee_majority", "committee_quorum", "committee_members", "application_pass_mark"):
        op.drop_column("networks", column)
