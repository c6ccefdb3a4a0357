"""PostgreSQL 18 makes UUIDv7 itself (`uuidv7()`): the set-based writers' `uuid_generate_v7()` uses it there,
several times cheaper per row than building the id from a random UUID and the clock (a 100,000-vehicle
import spends a tenth of its merge on ids otherwise). Older servers keep the SQL version of 0007.

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQL_V7 = """
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
         substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3)
         FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
"""


def upgrade() -> None:
    op.execute(
        """
        DO $do$ BEGIN
          IF current_setting('server_version_num')::int >= 180000 THEN
            CREATE OR REPLACE FUNCTION uuid_generate_v7() RETURNS uuid LANGUAGE sql VOLATILE AS 'SELECT uuidv7()';
          END IF;
        END $do$
        """
    )


def downgrade() -> None:
    op.execute(f"CREATE OR REPLACE FUNCTION uuid_generate_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $${SQL_V7}$$")
