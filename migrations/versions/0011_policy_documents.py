"""The rest of the published policy: regional labour rates and warranty coverage (effective-dated, like part
prices), the warranty policy's terms, the service commitments and technical bulletins (documents that hold
from their publication's date). A station reads each only through its delivery.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE, JSONB

from dealernet.core.migration_ops import NETWORK_SETTING, STATION_SETTING

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
NO_REGION = "'00000000-0000-0000-0000-000000000000'::uuid"
KINDS = "('price_list', 'labour_rates', 'warranty_policy', 'service_commitments', 'bulletin')"


def _network(name: str) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{name}_network_id_networks"),
                     nullable=False)


def _publication(name: str, *, unique: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column("publication_id", UUID,
                     sa.ForeignKey("publications.id", name=f"fk_{name}_publication_id_publications"),
                     nullable=False, unique=unique)


def _dated() -> list[sa.Column]:  # type: ignore[type-arg]
    """[valid_from, valid_to) as dates (leakproof comparisons, index conditions under RLS), their range for the
    exclusion constraint, and in_force once published."""
    return [
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("valid", DATERANGE, sa.Computed("daterange(valid_from, valid_to)", persisted=True), nullable=False),
        sa.Column("in_force", sa.Boolean, nullable=False, server_default=sa.false()),
    ]


def _delivered_only(table: str) -> None:
    """HQ keeps the rows of its network; a station reads those of publications delivered to it."""
    op.enable_network_rls(table, station_read=False)
    op.create_rls_policy(
        table, "app_station", command="SELECT",
        using=f"network_id = {NETWORK_SETTING} AND EXISTS (SELECT 1 FROM publication_deliveries d "
              f"WHERE d.publication_id = {table}.publication_id AND d.station_id = {STATION_SETTING})",
    )
    op.grant_app(table, app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT")


def _labour_rates() -> None:
    op.create_table(
        "labour_rates",
        sa.Column("id", UUID, primary_key=True),
        _network("labour_rates"),
        _publication("labour_rates"),
        sa.Column("region_id", UUID, sa.ForeignKey("regions.id", name="fk_labour_rates_region_id_regions")),
        sa.Column("region_key", UUID, sa.Computed(f"coalesce(region_id, {NO_REGION})", persisted=True),
                  nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("hourly_rate", sa.Numeric(10, 2), nullable=False),
        *_dated(),
        sa.Column("rate_key", sa.Text,
                  sa.Computed(f"coalesce(region_id, {NO_REGION})::text || '/' || currency", persisted=True),
                  nullable=False),
        sa.UniqueConstraint("publication_id", "region_key", "currency", name="uq_labour_rates_publication_region"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name=op.f("ck_labour_rates_currency")),
        sa.CheckConstraint("hourly_rate > 0", name=op.f("ck_labour_rates_rate_positive")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_labour_rates_valid")),
    )
    op.execute("ALTER TABLE labour_rates ADD CONSTRAINT ex_labour_rates_no_overlap EXCLUDE USING gist "
               "(network_id WITH =, rate_key WITH =, valid WITH &&) WHERE (in_force)")
    op.create_index("ix_labour_rates_as_of", "labour_rates", ["network_id", "region_key", "currency", "valid_from"],
                    postgresql_where=sa.text("in_force"))
    _delivered_only("labour_rates")


def _warranty() -> None:
    op.create_table(
        "warranty_coverages",
        sa.Column("id", UUID, primary_key=True),
        _network("warranty_coverages"),
        _publication("warranty_coverages"),
        sa.Column("component_group", sa.String(40), nullable=False),
        sa.Column("months", sa.Integer, nullable=False),
        sa.Column("km", sa.Integer, nullable=False),
        *_dated(),
        sa.Column("coverage_key", sa.Text, sa.Computed("component_group", persisted=True), nullable=False),
        sa.UniqueConstraint("publication_id", "component_group", name="uq_warranty_coverages_publication_group"),
        sa.CheckConstraint("months > 0 AND km > 0", name=op.f("ck_warranty_coverages_positive")),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name=op.f("ck_warranty_coverages_valid")),
    )
    op.execute("ALTER TABLE warranty_coverages ADD CONSTRAINT ex_warranty_coverages_no_overlap EXCLUDE USING gist "
               "(network_id WITH =, coverage_key WITH =, valid WITH &&) WHERE (in_force)")
    op.create_index("ix_warranty_coverages_as_of", "warranty_coverages",
                    ["network_id", "component_group", "valid_from"], postgresql_where=sa.text("in_force"))
    _delivered_only("warranty_coverages")

    # One row per warranty policy version: what is excluded, the repair-quality guarantees, the service
    # types and the three-guarantees (三包) parameters — data the claims check reads, not code.
    op.create_table(
        "warranty_terms",
        sa.Column("id", UUID, primary_key=True),
        _network("warranty_terms"),
        _publication("warranty_terms", unique=True),
        sa.Column("exclusions", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("repair_guarantees", JSONB, nullable=False, server_default="[]"),
        sa.Column("service_types", ARRAY(sa.String(16)), nullable=False),
        sa.Column("three_guarantees", JSONB, nullable=False, server_default="{}"),
        sa.CheckConstraint("service_types <@ ARRAY['paid', 'contract', 'warranty', 'internal']::varchar[]",
                           name=op.f("ck_warranty_terms_service_types")),
    )
    _delivered_only("warranty_terms")


def _documents() -> None:
    op.create_table(
        "service_commitments",
        sa.Column("id", UUID, primary_key=True),
        _network("service_commitments"),
        _publication("service_commitments", unique=True),
        sa.Column("ordinary_response_hours", sa.Integer, nullable=False),
        sa.Column("major_response_hours", sa.Integer, nullable=False),
        # [{"report": "quality report", "format": "QR-1", "due_hours": 24}]
        sa.Column("reports", JSONB, nullable=False, server_default="[]"),
        sa.CheckConstraint("major_response_hours > 0 AND ordinary_response_hours >= major_response_hours",
                           name=op.f("ck_service_commitments_hours")),
    )
    _delivered_only("service_commitments")

    op.create_table(
        "technical_bulletins",
        sa.Column("id", UUID, primary_key=True),
        _network("technical_bulletins"),
        _publication("technical_bulletins", unique=True),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),  # Markdown
        sa.Column("affected_models", ARRAY(sa.String(40)), nullable=False, server_default="{}"),
        # [{"from": "LFV...0001", "to": "LFV...9999"}], inclusive, compared as text of equal length
        sa.Column("vin_ranges", JSONB, nullable=False, server_default="[]"),
        sa.Column("part_ids", ARRAY(UUID), nullable=False, server_default="{}"),
        sa.UniqueConstraint("network_id", "number", name="uq_technical_bulletins_network_number"),
    )
    op.create_index("ix_technical_bulletins_models", "technical_bulletins", ["affected_models"],
                    postgresql_using="gin")
    _delivered_only("technical_bulletins")


def upgrade() -> None:
    # 0007 named it through the naming convention, which doubled the prefix.
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_ck_publications_kind")
    op.execute(f"ALTER TABLE publications ADD CONSTRAINT ck_publications_kind CHECK (kind IN {KINDS})")
    _labour_rates()
    _warranty()
    _documents()


def downgrade() -> None:
    op.execute("DROP TABLE technical_bulletins, service_commitments, warranty_terms, warranty_coverages, labour_rates")
    op.execute("ALTER TABLE publications DROP CONSTRAINT ck_publications_kind")
    op.execute("ALTER TABLE publications ADD CONSTRAINT ck_publications_ck_publications_kind "
               "CHECK (kind IN ('price_list'))")
