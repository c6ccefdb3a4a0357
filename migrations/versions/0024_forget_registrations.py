"""Registrations never confirmed are personal data kept for nothing: a nightly job forgets them 30 days after
their link expired (data minimisation, PIPL art. 19). The login scope may read registrations but not delete
them, so the job calls this one function.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "forget_unconfirmed_registrations(interval)"


def upgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        """
        CREATE FUNCTION forget_unconfirmed_registrations(after interval) RETURNS integer
        LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          WITH gone AS (
            DELETE FROM registrations WHERE verified_at IS NULL AND expires_at < now() - after RETURNING 1
          )
          SELECT count(*)::integer FROM gone
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
