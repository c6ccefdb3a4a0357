"""Onboarding files: the documents a station hands in (business licence, tax registration, site photos — its
own, HQ reads them) and the photos HQ takes on a site visit (HQ's alone). The bytes are in the object store;
these rows hold the name, type, size and SHA-256 and decide who may read them.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
DOCUMENT_KINDS = "('business_licence', 'tax_registration', 'site_photo', 'other')"


def _file_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(300), nullable=False, unique=True),
        sa.Column("uploaded_by", UUID),
        sa.Column("uploaded_at", TS, nullable=False, server_default=NOW),
    ]


def upgrade() -> None:
    op.create_table(
        "station_documents",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("application_id", UUID,
                  sa.ForeignKey("applications.id", name="fk_station_documents_application_id_applications")),
        sa.Column("kind", sa.String(32), nullable=False),
        *_file_columns(),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_station_documents_network_id_station_id_stations"),
        sa.CheckConstraint(f"kind IN {DOCUMENT_KINDS}", name="kind"),
        sa.CheckConstraint("size > 0", name="size"),
    )
    op.create_index("ix_station_documents_application", "station_documents", ["application_id", "uploaded_at"])
    op.enable_station_rls("station_documents")
    op.grant_app("station_documents", app_oem="SELECT", app_station="SELECT, INSERT")

    op.create_table(
        "site_visit_photos",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("site_visit_id", UUID,
                  sa.ForeignKey("site_visits.id", name="fk_site_visit_photos_site_visit_id_site_visits"),
                  nullable=False),
        sa.Column("caption", sa.String(200), nullable=False, server_default=""),
        *_file_columns(),
        sa.CheckConstraint("size > 0", name="size"),
    )
    op.create_index("ix_site_visit_photos_visit", "site_visit_photos", ["site_visit_id", "uploaded_at"])
    op.enable_network_rls("site_visit_photos", station_read=False)
    op.grant_app("site_visit_photos", app_oem="SELECT, INSERT")


def downgrade() -> None:
    op.drop_table("site_visit_photos")
    op.drop_table("station_documents")
