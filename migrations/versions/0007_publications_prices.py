"""Policy publication and the first effective-dated policy: price lists.

A publication is a versioned policy document (a price list now; labour rates, warranty policy,
bulletins and commitments next) that HQ drafts and publishes to all stations or a target set. Publishing
writes one delivery row per targeted station (set-based), which the station acknowledges. A station sees
a publication, and the policy rows in it, only through its delivery.

Part prices are effective-dated: [valid_from, valid_to), valid_to being the next version's valid_from. Prices in force
(published) never overlap for one part, currency and region (NULL region: the national price): an
exclusion constraint, so no code path can get it wrong.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, DATERANGE

from dealernet.core.migration_ops import NETWORK_SETTING, PARTNER_SETTING, STATION_SETTING

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
DELIVERED = ("EXISTS (SELECT 1 FROM publication_deliveries d WHERE d.publication_id = {table}.{column} "
             f"AND d.station_id = {STATION_SETTING})")
NO_REGION = "'00000000-0000-0000-0000-000000000000'::uuid"


def _publications() -> None:
    op.create_table(
        "publications",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_publications_network_id_networks"),
                  nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        # Whom it targets: every station, or those of some regions, or a list of stations.
        sa.Column("target_all", sa.Boolean, nullable=False),
        sa.Column("target_region_ids", ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("target_station_ids", ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("acknowledge_within_days", sa.Integer, nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("published_at", TS),
        sa.Column("withdrawn_at", TS),
        sa.CheckConstraint("kind IN ('price_list')", name="ck_publications_kind"),
        sa.CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="ck_publications_status"),
        sa.CheckConstraint("(status = 'draft') = (published_at IS NULL)", name="ck_publications_published_at"),
        sa.CheckConstraint("acknowledge_within_days BETWEEN 1 AND 365", name="ck_publications_ack_days"),
    )
    op.create_index("ix_publications_network_id_status", "publications", ["network_id", "status", "effective_on"])
    op.enable_network_rls("publications", station_read=False)
    op.grant_app("publications", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT")

    op.create_table(
        "publication_deliveries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, nullable=False),
        sa.Column("publication_id", UUID,
                  sa.ForeignKey("publications.id", name="fk_publication_deliveries_publication_id_publications"),
                  nullable=False),
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("delivered_at", TS, nullable=False, server_default=NOW),
        sa.Column("acknowledge_by", TS, nullable=False),
        sa.Column("acknowledged_at", TS),
        sa.Column("acknowledged_by", UUID),
        sa.Column("reminded_at", TS),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_publication_deliveries_network_id_station_id_stations"),
        sa.UniqueConstraint("publication_id", "station_id", name="uq_publication_deliveries_publication_station"),
        sa.CheckConstraint("(acknowledged_at IS NULL) = (acknowledged_by IS NULL)",
                           name="ck_publication_deliveries_acknowledged"),
    )
    op.create_index("ix_publication_deliveries_station", "publication_deliveries", ["network_id", "station_id"])
    op.create_index("ix_publication_deliveries_open", "publication_deliveries", ["acknowledge_by"],
                    postgresql_where=sa.text("acknowledged_at IS NULL"))
    op.enable_station_rls("publication_deliveries")
    # A station sees the publications delivered to it.
    op.create_rls_policy("publications", "app_station", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND " + DELIVERED.format(table="publications",
                                                                                         column="id"))
    op.grant_app("publication_deliveries", app_oem="SELECT, INSERT, UPDATE (reminded_at)",
                 app_station="SELECT, UPDATE (acknowledged_at, acknowledged_by)")


def _prices() -> None:
    op.create_table(
        "part_prices",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_part_prices_network_id_networks"),
                  nullable=False),
        sa.Column("publication_id", UUID,
                  sa.ForeignKey("publications.id", name="fk_part_prices_publication_id_publications"), nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_part_prices_part_id_parts"), nullable=False),
        sa.Column("region_id", UUID, sa.ForeignKey("regions.id", name="fk_part_prices_region_id_regions")),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("list_price", sa.Numeric(14, 2), nullable=False),
        sa.Column("dealer_price", sa.Numeric(14, 2), nullable=False),
        # [valid_from, valid_to): plain dates, because the lookup's comparisons must be leakproof to be index
        # conditions under row-level security (a range's @> is not); `valid` is their range, for the constraint.
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_to", sa.Date),
        sa.Column("valid", DATERANGE, sa.Computed("daterange(valid_from, valid_to)", persisted=True), nullable=False),
        # Set when the price list is published (and cleared when withdrawn): only prices in force are
        # held to the no-overlap rule; drafts may overlap anything.
        sa.Column("in_force", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("publication_id", "part_id", "currency", name="uq_part_prices_publication_part_currency"),
        sa.CheckConstraint("currency ~ '^[A-Z]{3}$'", name="ck_part_prices_currency"),
        sa.CheckConstraint("list_price >= 0 AND dealer_price >= 0", name="ck_part_prices_not_negative"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_part_prices_valid_to_after_from"),
    )
    # The constraint's key is one generated column the lookup never names: were it (part_id, currency, ...)
    # the planner would take its GiST index for the as-of lookup and filter every version of the part,
    # instead of walking ix_part_prices_as_of (it costs them alike).
    op.execute(
        "ALTER TABLE part_prices ADD COLUMN price_key text GENERATED ALWAYS AS "
        f"(part_id::text || '/' || currency || '/' || coalesce(region_id, {NO_REGION})::text) STORED"
    )
    op.execute(
        "ALTER TABLE part_prices ADD CONSTRAINT ex_part_prices_no_overlap EXCLUDE USING gist "
        "(price_key WITH =, valid WITH &&) WHERE (in_force)"
    )
    op.create_index("ix_part_prices_publication_id", "part_prices", ["publication_id"])
    # The as-of lookup: the newest version starting on or before the date, per region. `region_key` is the
    # region or the all-zero uuid for the national price, so that an equality (not IS NULL) fixes the leading
    # columns and a backward scan yields valid_from order, stopping at the first row.
    op.execute(
        f"ALTER TABLE part_prices ADD COLUMN region_key uuid GENERATED ALWAYS AS (coalesce(region_id, {NO_REGION})) "
        "STORED"
    )
    op.create_index("ix_part_prices_as_of", "part_prices", ["part_id", "currency", "region_key", "valid_from"],
                    postgresql_where=sa.text("in_force"))
    op.enable_network_rls("part_prices", station_read=False)
    op.create_rls_policy("part_prices", "app_station", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND in_force AND "
                               + DELIVERED.format(table="part_prices", column="publication_id"))
    # A supplier reads the list prices in force of the parts it supplies; dealer prices are not its business.
    op.create_rls_policy("part_prices", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND in_force AND EXISTS (SELECT 1 FROM parts p "
                               f"WHERE p.id = part_prices.part_id AND p.supplier_id = {PARTNER_SETTING})")
    op.grant_app("part_prices", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT",
                 app_partner="SELECT (id, network_id, part_id, region_id, region_key, currency, list_price, "
                                 "valid_from, valid_to, valid, in_force)")


def upgrade() -> None:
    # Time-ordered ids for rows written set-based in SQL (the app makes UUIDv7 in Python): the 48-bit
    # millisecond clock over a random UUID, version bits set to 7.
    op.execute(
        """
        CREATE FUNCTION uuid_generate_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
          SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
                 substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
                 FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
        $$
        """
    )
    _publications()
    _prices()


def downgrade() -> None:
    op.execute("DROP TABLE part_prices, publication_deliveries, publications")
    op.execute("DROP FUNCTION uuid_generate_v7()")
