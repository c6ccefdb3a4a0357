"""Policy, first part: the parts catalogue of a network — parts (with their supplier), supersessions and
the service BOM per vehicle model. Stations read it; a supplier partner reads its own parts only.
Also btree_gist, which the effective-dated policy tables' exclusion constraints need.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, PARTNER_SETTING

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
NOW = sa.text("now()")
OWN_PART = "EXISTS (SELECT 1 FROM parts p WHERE p.id = {column} AND p.supplier_id = " + PARTNER_SETTING + ")"


def _parts() -> None:
    op.create_table(
        "parts",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_parts_network_id_networks"), nullable=False),
        sa.Column("part_number", sa.String(40), nullable=False),
        sa.Column("name_zh", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(200), nullable=False),
        sa.Column("component_group", sa.String(40), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("supplier_id", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "part_number", name="uq_parts_network_id_part_number"),
        # A supplier is a partner the network works with.
        sa.ForeignKeyConstraint(["network_id", "supplier_id"], ["partner_networks.network_id", "partner_networks.partner_id"],
                                name="fk_parts_network_id_supplier_id_partner_networks"),
        sa.CheckConstraint("part_number ~ '^[A-Z0-9][A-Z0-9.-]*$'", name="ck_parts_part_number_format"),
        sa.CheckConstraint("btrim(component_group) <> ''", name="ck_parts_component_group_present"),
    )
    op.create_index("ix_parts_network_id_component_group", "parts", ["network_id", "component_group", "part_number"])
    op.create_index("ix_parts_network_id_supplier_id", "parts", ["network_id", "supplier_id"])
    op.enable_network_rls("parts")
    op.create_rls_policy("parts", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND supplier_id = {PARTNER_SETTING}")
    op.grant_app("parts", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT", app_partner="SELECT")


def _supersessions() -> None:
    op.create_table(
        "part_supersessions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_part_supersessions_network_id_networks"),
                  nullable=False),
        sa.Column("old_part_id", UUID, sa.ForeignKey("parts.id", name="fk_part_supersessions_old_part_id_parts"),
                  nullable=False),
        sa.Column("new_part_id", UUID, sa.ForeignKey("parts.id", name="fk_part_supersessions_new_part_id_parts"),
                  nullable=False),
        sa.Column("effective_on", sa.Date, nullable=False),
        sa.Column("interchangeable", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        # A part is superseded once; the new part may itself be superseded later (a chain).
        sa.UniqueConstraint("old_part_id", name="uq_part_supersessions_old_part_id"),
        sa.CheckConstraint("old_part_id <> new_part_id", name="ck_part_supersessions_not_itself"),
    )
    op.create_index("ix_part_supersessions_new_part_id", "part_supersessions", ["new_part_id"])
    op.enable_network_rls("part_supersessions")
    op.create_rls_policy("part_supersessions", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND " + OWN_PART.format(column="old_part_id"))
    op.grant_app("part_supersessions", app_oem="SELECT, INSERT", app_station="SELECT", app_partner="SELECT")


def _service_boms() -> None:
    op.create_table(
        "service_bom_lines",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_service_bom_lines_network_id_networks"),
                  nullable=False),
        sa.Column("vehicle_model", sa.String(40), nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_service_bom_lines_part_id_parts"), nullable=False),
        sa.Column("quantity", sa.Numeric(10, 2), nullable=False),
        sa.UniqueConstraint("network_id", "vehicle_model", "part_id", name="uq_service_bom_lines_model_part"),
        sa.CheckConstraint("quantity > 0", name="ck_service_bom_lines_quantity_positive"),
    )
    op.enable_network_rls("service_bom_lines")
    op.create_rls_policy("service_bom_lines", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND " + OWN_PART.format(column="part_id"))
    op.grant_app("service_bom_lines", app_oem="SELECT, INSERT, UPDATE, DELETE", app_station="SELECT",
                 app_partner="SELECT")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    _parts()
    _supersessions()
    _service_boms()


def downgrade() -> None:
    op.execute("DROP TABLE service_bom_lines, part_supersessions, parts")
