"""HQ admins invite a partner's people: an invitation may name the partner (one the network works with);
a partner's people and clients see the network they work in (its name, for the viewer).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from dealernet.core.migration_ops import NETWORK_SETTING

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
    op.create_rls_policy("networks", "app_partner", using=f"id = {NETWORK_SETTING}", command="SELECT")
    op.grant_app("networks", app_partner="SELECT")


def downgrade() -> None:
    op.execute('DROP POLICY "networks_app_partner" ON networks')
    op.execute("REVOKE SELECT ON networks FROM app_partner")
    op.drop_constraint(op.f("ck_invitations_partner_role"), "invitations")
    op.drop_constraint("fk_invitations_network_id_partner_id_partner_networks", "invitations")
    op.drop_column("invitations", "partner_id")
