"""A station that goes live takes its authorisation number (授权号) as its code, in place of the applicant
code APP-… it had in onboarding: station codes grow to the authorisation number's 40 characters.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("stations", "code", type_=sa.String(40), existing_nullable=False)


def downgrade() -> None:
    op.alter_column("stations", "code", type_=sa.String(32), existing_nullable=False)
