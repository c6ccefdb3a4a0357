"""A transaction's scope statement also answers the principal's station's standing (applicant, active,
suspended, terminated — '' for HQ and partners), so a station's request no longer spends a round trip reading it
before its first query (issue 17, the per-request floor). The reviewed function answers only that: whether the
principal is active (NULL when not) and its own station's status, never another's.

Revision ID: 0059
Revises: 0058
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0059"
down_revision: str | None = "0058"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRINCIPAL_STANDING = """
CREATE OR REPLACE FUNCTION principal_standing(kind text, principal uuid) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE kind
    WHEN 'membership' THEN (
      SELECT coalesce(s.status, '') FROM memberships m JOIN users u ON u.id = m.user_id
      LEFT JOIN stations s ON s.id = m.station_id
      WHERE m.id = principal AND m.is_active AND u.is_active)
    WHEN 'client' THEN (SELECT '' FROM api_clients c WHERE c.id = principal AND c.is_active)
    WHEN 'station_client' THEN (
      SELECT s.status FROM station_clients c JOIN stations s ON s.id = c.station_id
      WHERE c.id = principal AND c.is_active)
  END
$$
"""


def upgrade() -> None:
    # Owned by the BYPASSRLS seed role, as principal_is_active: it reads past RLS.
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"SET ROLE {SEED_ROLE}")
    op.execute(PRINCIPAL_STANDING)
    op.execute("RESET ROLE")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION principal_standing(text, uuid)")
