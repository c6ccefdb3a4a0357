"""Supplier recovery (追溯索赔): HQ's recovery agreements with its suppliers (the share of part, labour and
handling they bear per component group, effective-dated), the recovery claim a supplier-defect verdict makes
(priced by the agreement in force on the repair date) and its lines, which the supplier accepts or disputes
one by one and HQ resolves. A supplier's notifications are its own (notifications.partner_id).

Recovery claims and their lines are station-owned (the claim they recover is), keyed `(station_id, id)`;
HQ sees its network's, the supplier (app_partner) its own; a station none (what its supplier owes the OEM
is not its business). The supplier reads the failure data copied onto the recovery claim, never the claim's
own tables.

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, PARTNER_SETTING

revision: str = "0049"
down_revision: str | None = "0048"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
OWN_PARTNER = f"network_id = {NETWORK_SETTING} AND partner_id = {PARTNER_SETTING}"
SHARE = sa.Numeric(5, 2)


def _share(table: str, column: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} BETWEEN 0 AND 100", name=op.f(f"ck_{table}_{column}"))


def _agreements() -> None:
    table = "recovery_agreements"
    op.create_table(
        table,
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, nullable=False),
        sa.Column("component_group", sa.String(40), nullable=False),
        sa.Column("part_share", SHARE, nullable=False),
        sa.Column("labour_share", SHARE, nullable=False),
        sa.Column("handling_share", SHARE, nullable=False),
        sa.Column("effective_from", sa.Date, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.ForeignKeyConstraint(["network_id", "partner_id"], ["partner_networks.network_id",
                                "partner_networks.partner_id"], name=f"fk_{table}_network_id_partner_id_partner_networks"),
        # In force from its day until the next of the same supplier and group: never two on one day.
        sa.UniqueConstraint("network_id", "partner_id", "component_group", "effective_from",
                            name=f"uq_{table}_network_partner_group_from"),
        _share(table, "part_share"),
        _share(table, "labour_share"),
        _share(table, "handling_share"),
    )
    op.enable_network_rls(table, station_read=False)
    op.create_rls_policy(table, "app_partner", using=OWN_PARTNER, command="SELECT")
    op.grant_app(table, app_oem="SELECT, INSERT", app_partner="SELECT")


def _claims() -> None:
    table = "recovery_claims"
    op.create_table(
        table,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("part_return_id", UUID, nullable=False),
        sa.Column("agreement_id", UUID, sa.ForeignKey("recovery_agreements.id",
                  name=f"fk_{table}_agreement_id_recovery_agreements"), nullable=False),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name=f"fk_{table}_part_id_parts"), nullable=False),
        sa.Column("part_number", sa.String(40), nullable=False),
        sa.Column("component_group", sa.String(40), nullable=False),
        # The failure data the supplier reads (the VIN masked for it by the API).
        sa.Column("vin", sa.String(17), nullable=False),
        sa.Column("repair_date", sa.Date, nullable=False),
        sa.Column("odometer_km", sa.Integer, nullable=False),
        sa.Column("concern", sa.Text, nullable=False),
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("correction", sa.Text, nullable=False),
        sa.Column("verdict_note", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{table}"),
        sa.UniqueConstraint("network_id", "number", name=f"uq_{table}_network_id_number"),
        sa.UniqueConstraint("station_id", "part_return_id", name=f"uq_{table}_station_id_part_return_id"),
        sa.ForeignKeyConstraint(["network_id", "partner_id"], ["partner_networks.network_id",
                                "partner_networks.partner_id"], name=f"fk_{table}_network_id_partner_id_partner_networks"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name=f"fk_{table}_station_id_claim_id_claims"),
        sa.ForeignKeyConstraint(["station_id", "part_return_id"], ["part_returns.station_id", "part_returns.id"],
                                name=f"fk_{table}_station_id_part_return_id_part_returns"),
        sa.CheckConstraint("status IN ('open', 'disputed', 'agreed')", name=op.f(f"ck_{table}_status")),
        sa.CheckConstraint("amount >= 0", name=op.f(f"ck_{table}_amount")),
    )
    op.create_index(f"ix_{table}_network_id_partner_id_created_at", table, ["network_id", "partner_id", "created_at"])
    op.enable_station_rls(table)
    op.create_rls_policy(table, "app_partner", using=OWN_PARTNER)
    op.grant_app(table, app_oem="SELECT, INSERT, UPDATE (status, amount)", app_partner="SELECT, UPDATE (status, amount)")


def _lines() -> None:
    table = "recovery_claim_lines"
    op.create_table(
        table,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, nullable=False),
        sa.Column("recovery_claim_id", UUID, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("claim_line_id", UUID, nullable=False),
        sa.Column("base_amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("share", SHARE, nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("response", sa.String(10)),
        sa.Column("response_reason", sa.Text, nullable=False, server_default=""),
        sa.Column("responded_by", UUID),
        sa.Column("responded_at", TS),
        sa.Column("resolution", sa.String(10)),
        sa.Column("resolved_amount", sa.Numeric(14, 2)),
        sa.Column("resolution_note", sa.Text, nullable=False, server_default=""),
        sa.Column("resolved_by", UUID),
        sa.Column("resolved_at", TS),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{table}"),
        sa.UniqueConstraint("station_id", "recovery_claim_id", "position", name=f"uq_{table}_claim_position"),
        # A claim line's part, labour or handling is recovered once, whichever verdict recovers it.
        sa.UniqueConstraint("station_id", "claim_line_id", "kind", name=f"uq_{table}_station_line_kind"),
        sa.ForeignKeyConstraint(["station_id", "recovery_claim_id"], ["recovery_claims.station_id",
                                "recovery_claims.id"], name=f"fk_{table}_station_id_recovery_claim_id"),
        sa.ForeignKeyConstraint(["station_id", "claim_line_id"], ["claim_lines.station_id", "claim_lines.id"],
                                name=f"fk_{table}_station_id_claim_line_id_claim_lines"),
        sa.CheckConstraint("kind IN ('part', 'labour', 'handling')", name=op.f(f"ck_{table}_kind")),
        sa.CheckConstraint("response IS NULL OR response IN ('accepted', 'disputed')",
                           name=op.f(f"ck_{table}_response")),
        sa.CheckConstraint("resolution IS NULL OR (response = 'disputed' AND resolution IN ('upheld', 'waived', "
                           "'adjusted') AND resolved_amount BETWEEN 0 AND amount)", name=op.f(f"ck_{table}_resolution")),
        sa.CheckConstraint("response <> 'disputed' OR btrim(response_reason) <> ''",
                           name=op.f(f"ck_{table}_dispute_reason")),
        sa.CheckConstraint("amount > 0 AND base_amount >= amount", name=op.f(f"ck_{table}_amount")),
    )
    op.enable_station_rls(table)
    op.create_rls_policy(table, "app_partner", using=OWN_PARTNER)
    op.grant_app(table, app_oem="SELECT, INSERT, UPDATE (resolution, resolved_amount, resolution_note, resolved_by, "
                 "resolved_at)", app_partner="SELECT, UPDATE (response, response_reason, responded_by, responded_at)")


def _partner_notifications() -> None:
    # A supplier's in-app notifications: HQ writes them, the supplier's people read and mark them.
    op.add_column("notifications", sa.Column("partner_id", UUID))
    op.create_foreign_key("fk_notifications_network_id_partner_id_partner_networks", "notifications",
                          "partner_networks", ["network_id", "partner_id"], ["network_id", "partner_id"])
    op.create_check_constraint(op.f("ck_notifications_one_addressee"), "notifications",
                               "station_id IS NULL OR partner_id IS NULL")
    op.create_rls_policy("notifications", "app_partner", using=OWN_PARTNER)
    op.grant_app("notifications", app_partner="SELECT, UPDATE (read_at, read_by)")


def _partner_journal() -> None:
    # A supplier's answers are journaled like everyone's: it appends its own network-level lines about its
    # recovery claims and statements (never a station's), and so takes its turn at the chain's head.
    op.create_rls_policy("journal", "app_partner", command="INSERT", using=f"network_id = {NETWORK_SETTING}",
                         check=f"network_id = {NETWORK_SETTING} AND station_id IS NULL AND entity IN "
                         "('recovery_claim', 'recovery_statement')")
    op.grant_app("journal", app_partner="INSERT")
    op.create_rls_policy("journal_heads", "app_partner", using=f"network_id = {NETWORK_SETTING}")
    op.grant_app("journal_heads", app_partner="SELECT, INSERT, UPDATE")


def upgrade() -> None:
    _agreements()
    _claims()
    _lines()
    _partner_notifications()
    _partner_journal()


def downgrade() -> None:
    op.execute('DROP POLICY "journal_app_partner" ON journal')
    op.execute('DROP POLICY "journal_heads_app_partner" ON journal_heads')
    op.execute("REVOKE ALL ON journal, journal_heads FROM app_partner")
    op.execute('DROP POLICY "notifications_app_partner" ON notifications')
    op.execute("REVOKE ALL ON notifications FROM app_partner")
    op.drop_constraint(op.f("ck_notifications_one_addressee"), "notifications")
    op.drop_constraint("fk_notifications_network_id_partner_id_partner_networks", "notifications")
    op.drop_column("notifications", "partner_id")
    op.drop_table("recovery_claim_lines")
    op.drop_table("recovery_claims")
    op.drop_table("recovery_agreements")
