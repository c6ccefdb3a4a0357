"""Onboarding, third part: start-up orders (tools and equipment, start-up parts stock, VI kit) tracked to
delivery, acceptance inspections, rectification items with deadlines (限期整改), and the authorised service
agreement with the station's authorisation number and certificate.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")


def _owned(table: str) -> list[sa.Column | sa.ForeignKeyConstraint]:  # type: ignore[type-arg]
    """network, station (the applicant) and application columns of a station-owned onboarding table."""
    return [
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("application_id", UUID,
                  sa.ForeignKey("applications.id", name=f"fk_{table}_application_id_applications"), nullable=False),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name=f"fk_{table}_network_id_station_id_stations"),
    ]


def upgrade() -> None:
    op.add_column("networks", sa.Column("acceptance_pass_mark", sa.Numeric(5, 2), nullable=False,
                                        server_default="100"))
    op.add_column("networks", sa.Column("rectification_days", sa.Integer, nullable=False, server_default="30"))
    op.execute("GRANT UPDATE (acceptance_pass_mark, rectification_days) ON networks TO app_oem")

    op.create_table(
        "startup_orders",
        sa.Column("id", UUID, primary_key=True),
        *_owned("startup_orders"),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(60), nullable=False),
        # the start-up parts stock: [{"part_id", "quantity"}] from the parts catalogue
        sa.Column("lines", JSONB, nullable=False, server_default="[]"),
        sa.Column("ordered_at", TS, nullable=False, server_default=NOW),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("delivered_at", TS),
        sa.Column("delivery_note", sa.String(300), nullable=False, server_default=""),
        sa.UniqueConstraint("application_id", "kind", name="uq_startup_orders_application_kind"),
        sa.CheckConstraint("kind IN ('tools', 'parts', 'vi')", name=op.f("ck_startup_orders_kind")),
    )
    # The applicant places its orders; HQ confirms delivery.
    op.enable_station_rls("startup_orders")
    op.grant_app("startup_orders", app_oem="SELECT, UPDATE (delivered_at, delivery_note)",
                 app_station="SELECT, INSERT")

    op.create_table(
        "acceptance_inspections",
        sa.Column("id", UUID, primary_key=True),
        *_owned("acceptance_inspections"),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("assessment_id", UUID,
                  sa.ForeignKey("assessments.id", name="fk_acceptance_inspections_assessment_id_assessments"),
                  nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("inspected_at", TS, nullable=False, server_default=NOW),
        sa.Column("inspected_by", UUID),
        sa.UniqueConstraint("application_id", "round", name="uq_acceptance_inspections_application_round"),
        sa.CheckConstraint("round IN (1, 2)", name=op.f("ck_acceptance_inspections_round")),
    )
    op.enable_station_rls("acceptance_inspections")
    op.grant_app("acceptance_inspections", app_oem="SELECT, INSERT", app_station="SELECT")

    op.create_table(
        "rectification_items",
        sa.Column("id", UUID, primary_key=True),
        *_owned("rectification_items"),
        sa.Column("inspection_id", UUID,
                  sa.ForeignKey("acceptance_inspections.id",
                                name="fk_rectification_items_inspection_id_acceptance_inspections"), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),
        sa.Column("label_zh", sa.String(300), nullable=False),
        sa.Column("label_en", sa.String(300), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("closed_at", TS),
        sa.Column("closed_by_inspection_id", UUID),
        sa.Column("reminded_at", TS),
        sa.UniqueConstraint("inspection_id", "code", name="uq_rectification_items_inspection_code"),
    )
    op.create_index("ix_rectification_items_open", "rectification_items", ["due_on"],
                    postgresql_where=sa.text("closed_at IS NULL"))
    op.enable_station_rls("rectification_items")
    op.grant_app("rectification_items", app_oem="SELECT, INSERT, UPDATE (closed_at, closed_by_inspection_id, "
                                               "reminded_at)", app_station="SELECT")

    op.create_table(
        "contracts",
        sa.Column("id", UUID, primary_key=True),
        *_owned("contracts"),
        sa.Column("authorisation_number", sa.String(40), nullable=False),
        sa.Column("term_start", sa.Date, nullable=False),
        sa.Column("term_end", sa.Date, nullable=False),
        sa.Column("service_types", ARRAY(sa.String(16)), nullable=False),
        sa.Column("signed_at", TS, nullable=False, server_default=NOW),
        sa.Column("signed_by", UUID),
        sa.Column("certificate_key", sa.String(300), nullable=False, unique=True),
        sa.Column("certificate_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("network_id", "authorisation_number", name="uq_contracts_network_number"),
        sa.UniqueConstraint("application_id", name="uq_contracts_application"),
        sa.CheckConstraint("term_end > term_start", name=op.f("ck_contracts_term")),
        sa.CheckConstraint("service_types <@ ARRAY['paid', 'contract', 'warranty', 'internal']::varchar[] "
                           "AND cardinality(service_types) > 0", name=op.f("ck_contracts_service_types")),
    )
    op.enable_station_rls("contracts")
    op.grant_app("contracts", app_oem="SELECT, INSERT", app_station="SELECT")


def downgrade() -> None:
    op.execute("DROP TABLE contracts, rectification_items, acceptance_inspections, startup_orders")
    op.drop_column("networks", "rectification_days")
    op.drop_column("networks", "acceptance_pass_mark")
