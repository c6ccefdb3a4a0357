"""A station's DMS sends a day's repair orders as one file (CSV or JSON lines) through the import path: an
import may belong to a station (its repair orders), which alone sees it besides HQ; a repair order keeps the
DMS's own reference, once per station, so the same order is never imported twice.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING, STATION_SETTING

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND, FORMAT, STATION = "ck_imports_kind", "ck_imports_file_format", "ck_imports_station"
SAME_FILE = "uq_imports_same_file"
ZERO = "'00000000-0000-0000-0000-000000000000'::uuid"


def _same_file(columns: str) -> None:
    op.execute(f"DROP INDEX {SAME_FILE}")
    op.execute(f"CREATE UNIQUE INDEX {SAME_FILE} ON imports ({columns}, content_hash) "
               "WHERE status IN ('queued', 'running', 'done')")


def upgrade() -> None:
    op.add_column("imports", sa.Column("station_id", sa.Uuid(),
                                       sa.ForeignKey("stations.id", name="fk_imports_station_id_stations")))
    op.drop_constraint(op.f(KIND), "imports")
    op.create_check_constraint(op.f(KIND), "imports", "kind IN ('parts', 'prices', 'vehicles', 'repair_orders')")
    op.create_check_constraint(op.f(STATION), "imports", "(kind = 'repair_orders') = (station_id IS NOT NULL)")
    op.drop_constraint(op.f(FORMAT), "imports")
    op.create_check_constraint(op.f(FORMAT), "imports", "file_format IN ('csv', 'xlsx', 'jsonl')")
    _same_file(f"network_id, kind, coalesce(station_id, {ZERO}), coalesce(publication_id, {ZERO})")
    # The station sees and writes its own imports only; HQ's policy (the network's rows) stays as it is.
    in_station = f"network_id = {NETWORK_SETTING} AND station_id = {STATION_SETTING}"
    op.create_rls_policy("imports", "app_station", using=in_station)
    op.grant_app("imports", app_station="SELECT, INSERT, UPDATE")

    op.add_column("repair_orders", sa.Column("dms_reference", sa.String(40), nullable=False, server_default=""))
    op.execute("CREATE UNIQUE INDEX uq_repair_orders_station_id_dms_reference ON repair_orders "
               "(station_id, dms_reference) WHERE dms_reference <> ''")


def downgrade() -> None:
    op.execute("DROP INDEX uq_repair_orders_station_id_dms_reference")
    op.drop_column("repair_orders", "dms_reference")
    op.execute("REVOKE SELECT, INSERT, UPDATE ON imports FROM app_station")
    op.execute('DROP POLICY "imports_app_station" ON imports')
    op.execute("DELETE FROM imports WHERE kind = 'repair_orders' OR file_format = 'jsonl'")
    _same_file(f"network_id, kind, coalesce(publication_id, {ZERO})")
    op.drop_constraint(op.f(FORMAT), "imports")
    op.create_check_constraint(op.f(FORMAT), "imports", "file_format IN ('csv', 'xlsx')")
    op.drop_constraint(op.f(STATION), "imports")
    op.drop_constraint(op.f(KIND), "imports")
    op.create_check_constraint(op.f(KIND), "imports", "kind IN ('parts', 'prices', 'vehicles')")
    op.drop_column("imports", "station_id")
