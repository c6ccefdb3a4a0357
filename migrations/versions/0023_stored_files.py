"""Which stored files no row names any more: the worker's daily sweep lists the object store and asks this
function (across tenants, naming nothing but keys) which of the old keys are unreferenced, then removes
them — files written by a request that rolled back after putting its bytes.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

from dealernet.core.migration_ops import SEED_ROLE

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "unreferenced_keys(text[])"


def upgrade() -> None:
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(
        """
        CREATE FUNCTION unreferenced_keys(candidates text[]) RETURNS SETOF text
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
          SELECT key FROM unnest(candidates) AS key
          WHERE NOT EXISTS (SELECT 1 FROM bulletin_attachments WHERE storage_key = key)
            AND NOT EXISTS (SELECT 1 FROM letters_of_intent WHERE storage_key = key)
            AND NOT EXISTS (SELECT 1 FROM contracts WHERE certificate_key = key)
            AND NOT EXISTS (SELECT 1 FROM station_documents WHERE storage_key = key)
            AND NOT EXISTS (SELECT 1 FROM site_visit_photos WHERE storage_key = key)
        $$
        """
    )
    op.execute(f"ALTER FUNCTION {FUNCTION} OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO app_auth")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
