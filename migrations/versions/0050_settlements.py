"""Settlement (结算): a run per network and period settles each station's approved claim lines not paid yet
(and the difference when a later decision changed what was approved: an adjustment), less its chargebacks,
on one numbered statement per station and period; the station acknowledges it and HQ records the payment.
A line whose failed part is still on its way waits for the verdict. The same for suppliers: a recovery
statement per supplier and period of its agreed recovery claims.

Settlement lines carry what was paid per claim line, so a second run pays only what is still owed (nothing
twice); a station's periods never overlap (one statement per station and period start, and the run skips a
station settled for an overlapping period).

Station-owned tables keyed `(station_id, id)`; the recovery statement is the supplier's (app_partner reads
its own); HQ writes all of them.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, PARTNER_SETTING

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
STATUSES = "'published', 'acknowledged', 'paid'"


def _statement_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("acknowledged_by", UUID),
        sa.Column("acknowledged_at", TS),
        sa.Column("paid_on", sa.Date),
        sa.Column("payment_reference", sa.String(100), nullable=False, server_default=""),
        sa.Column("paid_by", UUID),
    ]


def _statement_checks(table: str) -> list[sa.CheckConstraint]:
    return [
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f(f"ck_{table}_status")),
        sa.CheckConstraint("period_start <= period_end", name=op.f(f"ck_{table}_period")),
        # Published, then acknowledged by its addressee, then paid.
        sa.CheckConstraint("(status = 'published') = (acknowledged_at IS NULL)", name=op.f(f"ck_{table}_acknowledged")),
        sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name=op.f(f"ck_{table}_paid")),
    ]


def _settlements() -> None:
    table = "settlements"
    op.create_table(
        table,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("claims_amount", MONEY, nullable=False),
        sa.Column("adjustments_amount", MONEY, nullable=False),
        sa.Column("chargebacks_amount", MONEY, nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("line_count", sa.Integer, nullable=False),
        *_statement_columns(),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{table}"),
        sa.UniqueConstraint("station_id", "period_start", name=f"uq_{table}_station_id_period_start"),
        sa.UniqueConstraint("network_id", "number", name=f"uq_{table}_network_id_number"),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name=f"fk_{table}_network_id_station_id_stations"),
        sa.CheckConstraint("total = claims_amount + adjustments_amount - chargebacks_amount AND claims_amount >= 0"
                           " AND chargebacks_amount >= 0 AND line_count > 0", name=op.f(f"ck_{table}_total")),
        *_statement_checks(table),
    )
    op.create_index(f"ix_{table}_network_id_period_start", table, ["network_id", "period_start"])
    op.enable_station_rls(table)
    op.grant_app(table, app_oem="SELECT, INSERT, UPDATE (status, paid_on, payment_reference, paid_by)",
                 app_station="SELECT, UPDATE (status, acknowledged_by, acknowledged_at)")

    table = "settlement_lines"
    op.create_table(
        table,
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("settlement_id", UUID, nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("claim_line_id", UUID),
        sa.Column("chargeback_id", UUID),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("description", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("station_id", "id", name=f"pk_{table}"),
        # A chargeback is deducted once; a claim line appears once per statement (paid, or adjusted later).
        sa.UniqueConstraint("station_id", "chargeback_id", name=f"uq_{table}_station_id_chargeback_id"),
        sa.UniqueConstraint("station_id", "settlement_id", "claim_line_id", name=f"uq_{table}_settlement_line"),
        sa.ForeignKeyConstraint(["station_id", "settlement_id"], ["settlements.station_id", "settlements.id"],
                                name=f"fk_{table}_station_id_settlement_id_settlements"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name=f"fk_{table}_station_id_claim_id_claims"),
        sa.ForeignKeyConstraint(["station_id", "claim_line_id"], ["claim_lines.station_id", "claim_lines.id"],
                                name=f"fk_{table}_station_id_claim_line_id_claim_lines"),
        sa.ForeignKeyConstraint(["station_id", "chargeback_id"], ["claim_chargebacks.station_id",
                                "claim_chargebacks.id"], name=f"fk_{table}_station_id_chargeback_id"),
        sa.CheckConstraint("kind IN ('claim_line', 'adjustment', 'chargeback')", name=op.f(f"ck_{table}_kind")),
        sa.CheckConstraint("(kind = 'chargeback') = (chargeback_id IS NOT NULL AND claim_line_id IS NULL AND "
                           "amount < 0) AND (kind <> 'claim_line' OR amount > 0) AND amount <> 0",
                           name=op.f(f"ck_{table}_kind_amount")),
    )
    op.create_index(f"ix_{table}_station_id_claim_line_id", table, ["station_id", "claim_line_id"])
    op.enable_station_rls(table)
    op.grant_app(table, app_oem="SELECT, INSERT", app_station="SELECT")


def _recovery_statements() -> None:
    table = "recovery_statements"
    op.create_table(
        table,
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, nullable=False),
        sa.Column("number", sa.String(60), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("claim_count", sa.Integer, nullable=False),
        *_statement_columns(),
        sa.UniqueConstraint("network_id", "partner_id", "period_start", name=f"uq_{table}_partner_period_start"),
        sa.UniqueConstraint("network_id", "number", name=f"uq_{table}_network_id_number"),
        sa.ForeignKeyConstraint(["network_id", "partner_id"], ["partner_networks.network_id",
                                "partner_networks.partner_id"], name=f"fk_{table}_network_id_partner_id_partner_networks"),
        sa.CheckConstraint("amount >= 0 AND claim_count > 0", name=op.f(f"ck_{table}_amount")),
        *_statement_checks(table),
    )
    op.enable_network_rls(table, station_read=False)
    op.create_rls_policy(table, "app_partner", using=f"network_id = {NETWORK_SETTING} AND partner_id = {PARTNER_SETTING}")
    op.grant_app(table, app_oem="SELECT, INSERT, UPDATE (status, paid_on, payment_reference, paid_by)",
                 app_partner="SELECT, UPDATE (status, acknowledged_by, acknowledged_at)")
    op.add_column("recovery_claims", sa.Column("statement_id", UUID, sa.ForeignKey(
        "recovery_statements.id", name="fk_recovery_claims_statement_id_recovery_statements")))
    op.create_index("ix_recovery_claims_unstated", "recovery_claims", ["network_id", "partner_id"],
                    postgresql_where=sa.text("statement_id IS NULL"))
    op.execute("GRANT UPDATE (statement_id) ON recovery_claims TO app_oem")


def upgrade() -> None:
    _settlements()
    _recovery_statements()


def downgrade() -> None:
    op.drop_column("recovery_claims", "statement_id")
    op.drop_table("recovery_statements")
    op.drop_table("settlement_lines")
    op.drop_table("settlements")
