"""Warranty claims (索赔), first part: a claim raised from a repair order's warranty lines, its lines, and each
adjudication as of the repair date — the policy versions it used and the flags it raised, kept for good (a
later publication never changes them; HQ re-adjudicating on purpose adds a second one). Station-owned, keyed
`(station_id, id)`; the station raises and submits, HQ decides. A warranty policy version carries its claim
rules (deadlines, windows, limits). Two reviewed SECURITY DEFINER functions give the cross-station facts a
check needs and nothing else: how many other claims name the VIN and causal part in a window, and the
highest odometer read on the vehicle before a time.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dealernet.core.migration_ops import NETWORK_SETTING, SEED_ROLE

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
TYPES = "'normal', 'first_maintenance', 'field_action', 'parts_warranty', 'goodwill'"
STATUSES = "'draft', 'submitted', 'approved', 'partly_approved', 'rejected', 'returned'"
DUPLICATES = "claim_duplicates(uuid, uuid, date, date, uuid)"
ODOMETER_BEFORE = "vehicle_odometer_before(uuid, timestamptz, uuid)"


def _network(table: str) -> sa.Column:
    return sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name=f"fk_{table}_network_id_networks"),
                     nullable=False)


def _claims() -> None:
    op.create_table(
        "claims",
        sa.Column("station_id", UUID, sa.ForeignKey("stations.id", name="fk_claims_station_id_stations"),
                  nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("claims"),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("repair_order_id", UUID, nullable=False),
        sa.Column("vehicle_id", UUID, sa.ForeignKey("vehicles.id", name="fk_claims_vehicle_id_vehicles"), nullable=False),
        sa.Column("claim_type", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("repair_date", sa.Date, nullable=False),
        sa.Column("odometer_km", sa.Integer, nullable=False),
        sa.Column("causal_part_id", UUID, sa.ForeignKey("parts.id", name="fk_claims_causal_part_id_parts")),
        sa.Column("concern", sa.Text, nullable=False, server_default=""),
        sa.Column("cause", sa.Text, nullable=False, server_default=""),
        sa.Column("correction", sa.Text, nullable=False, server_default=""),
        sa.Column("goodwill_percent", sa.Numeric(5, 2)),
        sa.Column("claimed_amount", MONEY, nullable=False),
        sa.Column("approved_amount", MONEY),
        sa.Column("adjudication_id", UUID),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by", UUID),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("submitted_at", TS),
        sa.Column("submitted_by", UUID),
        sa.Column("decided_at", TS),
        sa.Column("decided_by", UUID),  # empty on a decided claim: the rules approved it
        sa.Column("decision_reason", sa.String(40), nullable=False, server_default=""),
        sa.Column("decision_note", sa.Text, nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_claims"),
        sa.UniqueConstraint("station_id", "number", name="uq_claims_station_id_number"),
        sa.ForeignKeyConstraint(["station_id", "repair_order_id"], ["repair_orders.station_id", "repair_orders.id"],
                                name="fk_claims_station_id_repair_order_id_repair_orders"),
        sa.CheckConstraint(f"claim_type IN ({TYPES})", name=op.f("ck_claims_claim_type")),
        sa.CheckConstraint(f"status IN ({STATUSES})", name=op.f("ck_claims_status")),
        sa.CheckConstraint("claimed_amount >= 0 AND (approved_amount IS NULL OR approved_amount BETWEEN 0 AND "
                           "claimed_amount)", name=op.f("ck_claims_amounts")),
        sa.CheckConstraint("(claim_type = 'goodwill') = (goodwill_percent IS NOT NULL) AND "
                           "(goodwill_percent IS NULL OR goodwill_percent > 0 AND goodwill_percent <= 100)",
                           name=op.f("ck_claims_goodwill")),
        sa.CheckConstraint("status = 'draft' OR submitted_at IS NOT NULL", name=op.f("ck_claims_submitted")),
    )
    # HQ's review queue: the network's submitted claims, oldest first.
    op.create_index("ix_claims_network_id_status_submitted_at", "claims", ["network_id", "status", "submitted_at"])
    op.create_index("ix_claims_station_id_created_at", "claims", ["station_id", "created_at"])
    # The duplicate check: the same VIN and causal part in a window, at any station.
    op.create_index("ix_claims_vehicle_id_causal_part_id_repair_date", "claims",
                    ["vehicle_id", "causal_part_id", "repair_date"])
    op.enable_station_rls("claims")
    op.grant_app("claims", app_oem="SELECT, UPDATE", app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "claim_lines",
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("claim_lines"),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("position", sa.SmallInteger, nullable=False),
        sa.Column("repair_order_line_id", UUID, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("labour_operation_id", UUID,
                  sa.ForeignKey("labour_operations.id", name="fk_claim_lines_labour_operation_id_labour_operations")),
        sa.Column("part_id", UUID, sa.ForeignKey("parts.id", name="fk_claim_lines_part_id_parts")),
        sa.Column("quantity", sa.Numeric(10, 2), nullable=False),
        sa.Column("unit_price", sa.Numeric(12, 2), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("approved_amount", MONEY),
        sa.Column("adjustment_reason", sa.String(40), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_claim_lines"),
        sa.UniqueConstraint("station_id", "claim_id", "position", name="uq_claim_lines_station_id_claim_id_position"),
        # A repair-order line is claimed once.
        sa.UniqueConstraint("station_id", "repair_order_line_id", name="uq_claim_lines_station_id_repair_order_line_id"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name="fk_claim_lines_station_id_claim_id_claims"),
        sa.ForeignKeyConstraint(["station_id", "repair_order_line_id"],
                                ["repair_order_lines.station_id", "repair_order_lines.id"],
                                name="fk_claim_lines_repair_order_line_repair_order_lines"),
        sa.CheckConstraint("kind IN ('labour', 'part')", name=op.f("ck_claim_lines_kind")),
        sa.CheckConstraint("quantity > 0 AND unit_price >= 0 AND amount >= 0 AND (approved_amount IS NULL OR "
                           "approved_amount BETWEEN 0 AND amount)", name=op.f("ck_claim_lines_money")),
        sa.CheckConstraint("approved_amount IS NULL OR approved_amount = amount OR btrim(adjustment_reason) <> ''",
                           name=op.f("ck_claim_lines_adjustment_reason")),
    )
    op.enable_station_rls("claim_lines")
    op.grant_app("claim_lines", app_oem="SELECT, UPDATE (approved_amount, adjustment_reason)",
                 app_station="SELECT, INSERT, UPDATE")

    op.create_table(
        "claim_adjudications",
        sa.Column("station_id", UUID, nullable=False),
        sa.Column("id", UUID, nullable=False),
        _network("claim_adjudications"),
        sa.Column("claim_id", UUID, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),  # the repair date it judged by
        sa.Column("at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("by", UUID),
        sa.Column("occasion", sa.String(300), nullable=False),
        # The versions it used: {"coverage": {...}, "terms": {...}, "labour_rate": {...}, "lines": [...]}.
        sa.Column("versions", JSONB, nullable=False),
        sa.Column("flags", JSONB, nullable=False),  # [{"code", "line", "explanation"}]
        sa.PrimaryKeyConstraint("station_id", "id", name="pk_claim_adjudications"),
        sa.ForeignKeyConstraint(["station_id", "claim_id"], ["claims.station_id", "claims.id"],
                                name="fk_claim_adjudications_station_id_claim_id_claims"),
    )
    op.create_index("ix_claim_adjudications_station_id_claim_id", "claim_adjudications", ["station_id", "claim_id"])
    op.enable_station_rls("claim_adjudications")
    # Rows of a judgement are never changed: a new judgement is a new row.
    op.grant_app("claim_adjudications", app_oem="SELECT, INSERT", app_station="SELECT, INSERT")
    op.create_foreign_key("fk_claims_station_id_adjudication_id_claim_adjudications", "claims",
                          "claim_adjudications", ["station_id", "adjudication_id"], ["station_id", "id"])


def _facts() -> None:
    op.execute(
        f"""
        CREATE FUNCTION {DUPLICATES.replace("(uuid, uuid, date, date, uuid)",
                                            "(vehicle uuid, part uuid, since date, until date, not_claim uuid)")}
        RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT count(*)::integer FROM claims c
          WHERE c.network_id = {NETWORK_SETTING} AND c.vehicle_id = vehicle AND c.causal_part_id = part
            AND c.repair_date BETWEEN since AND until AND c.id <> not_claim AND c.status NOT IN ('draft', 'rejected')
        $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION {ODOMETER_BEFORE.replace("(uuid, timestamptz, uuid)",
                                                 "(vehicle uuid, before timestamptz, not_order uuid)")}
        RETURNS integer LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT max(r.odometer_km) FROM repair_orders r
          WHERE r.network_id = {NETWORK_SETTING} AND r.vehicle_id = vehicle AND r.received_at < before
            AND r.id <> not_order AND r.status <> 'cancelled'
        $$
        """
    )
    for function in (DUPLICATES, ODOMETER_BEFORE):
        op.execute(f"ALTER FUNCTION {function} OWNER TO {SEED_ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO app_station, app_oem")


def upgrade() -> None:
    op.add_column("warranty_terms", sa.Column("claim_rules", JSONB, nullable=False, server_default="{}"))
    _claims()
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    _facts()
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {ODOMETER_BEFORE}")
    op.execute(f"DROP FUNCTION {DUPLICATES}")
    op.drop_constraint("fk_claims_station_id_adjudication_id_claim_adjudications", "claims")
    op.drop_table("claim_adjudications")
    op.drop_table("claim_lines")
    op.drop_table("claims")
    op.drop_column("warranty_terms", "claim_rules")
