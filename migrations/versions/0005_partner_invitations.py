"""HQ admins invite a partner's people: an invitation may name the partner (one the network works with).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invitations", sa.Column("partner_id", sa.Uuid()))
    op.create_foreign_key("fk_invitations_network_id_partner_id_partner_networks", "invitations", "partner_networks",
                          ["network_id", "partner_id"], ["network_id", "partner_id"])
    op.create_check_constraint(op.f("ck_invitations_partner_role"), "invitations",
                               "(role LIKE 'partner\\_%') = (partner_id IS NOT NULL)")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_invitations_partner_role"), "invitations")
    op.drop_constraint("fk_invitations_network_id_partner_id_partner_networks", "invitations")
    op.drop_column("invitations", "partner_id")
