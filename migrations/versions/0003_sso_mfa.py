"""Single sign-on and second factors: the OEM's OpenID Connect identity providers, the external
identities linked to users, TOTP factors, and whether a refresh token's login used a second factor.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from dealernet.core.migration_ops import ACTOR_SETTING

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
NOW = sa.text("now()")
TS = sa.DateTime(timezone=True)


def _identity_providers() -> None:
    op.create_table(
        "identity_providers",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_identity_providers_network_id_networks"),
                  nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("issuer", sa.String(500), nullable=False),
        sa.Column("client_id", sa.String(200), nullable=False),
        sa.Column("client_secret_encrypted", sa.Text, nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("role_claim", sa.String(64), nullable=False),
        # [{"value": "<claim value>", "role": "<role>"}, ...]: the first pair that matches wins.
        sa.Column("role_mapping", JSONB, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("updated_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "name", name="uq_identity_providers_network_id_name"),
        sa.CheckConstraint("name ~ '^[a-z0-9][a-z0-9-]*$'", name="ck_identity_providers_name_slug"),
        sa.CheckConstraint("jsonb_typeof(role_mapping) = 'array'", name="ck_identity_providers_mapping_array"),
    )
    op.enable_network_rls("identity_providers", station_read=False)
    # The sign-in path finds the provider before anyone is logged in.
    op.create_rls_policy("identity_providers", "app_auth", using="true", command="SELECT")
    # HQ writes the client secret but never reads it back (it is encrypted besides).
    readable = "id, network_id, name, issuer, client_id, scopes, role_claim, role_mapping, is_active, created_at, updated_at"
    op.grant_app("identity_providers", app_oem=f"SELECT ({readable}), INSERT, UPDATE", app_auth="SELECT")

    op.create_table(
        "external_identities",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_external_identities_network_id_networks"),
                  nullable=False),
        sa.Column("provider_id", UUID,
                  sa.ForeignKey("identity_providers.id", name="fk_external_identities_provider_id_identity_providers"),
                  nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", name="fk_external_identities_user_id_users"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("last_login_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("provider_id", "subject", name="uq_external_identities_provider_id_subject"),
    )
    op.create_index("ix_external_identities_user_id", "external_identities", ["user_id"])
    op.enable_network_rls("external_identities", station_read=False)
    op.create_rls_policy("external_identities", "app_auth", using="true")
    op.grant_app("external_identities", app_oem="SELECT", app_auth="SELECT, INSERT, UPDATE")

    # The sign-in URL names the network by its code.
    op.create_rls_policy("networks", "app_auth", using="true", command="SELECT")
    op.execute("GRANT SELECT (id, code) ON networks TO app_auth")

    # A returning SSO user's role follows the identity provider's claim.
    op.create_rls_policy("memberships", "app_auth", using="true", command="UPDATE", name="memberships_app_auth_update")
    op.execute("GRANT UPDATE (role, is_active, deactivated_at) ON memberships TO app_auth")


def _user_factors() -> None:
    op.create_table(
        "user_factors",
        sa.Column("user_id", UUID, sa.ForeignKey("users.id", name="fk_user_factors_user_id_users"), primary_key=True),
        sa.Column("secret_encrypted", sa.Text, nullable=False),
        sa.Column("confirmed_at", TS),
        # The last TOTP time step accepted: a code is good once.
        sa.Column("last_used_step", sa.BigInteger),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
    )
    # A person's own factor, whichever tenant they are logged in to; the sign-in path checks codes.
    op.enable_rls("user_factors")
    for role in ("app_oem", "app_station", "app_partner"):
        op.create_rls_policy("user_factors", role, using=f"user_id = {ACTOR_SETTING}")
        op.grant_app("user_factors", **{role: "SELECT, INSERT, UPDATE, DELETE"})
    op.create_rls_policy("user_factors", "app_auth", using="true")
    op.grant_app("user_factors", app_auth="SELECT, UPDATE")

    # A partner's people read their own user row (the viewer, the authenticator label), nobody else's.
    op.create_rls_policy("users", "app_partner", command="SELECT", using=f"id = {ACTOR_SETTING}")
    op.execute("GRANT SELECT (id, email, display_name, is_active, created_at) ON users TO app_partner")

    op.add_column("refresh_tokens", sa.Column("second_factor", sa.Boolean, nullable=False, server_default=sa.false()))


# The active check runs in every transaction's scope statement (db.py). As plpgsql its plans are cached
# per connection; the SQL function of 0002 (SECURITY DEFINER, so never inlined) was planned anew on every
# call, which was most of W6's overhead.
PRINCIPAL_IS_ACTIVE_PLPGSQL = """
CREATE OR REPLACE FUNCTION principal_is_active(kind text, principal uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF kind = 'membership' THEN
    RETURN EXISTS (SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
                   WHERE m.id = principal AND m.is_active AND u.is_active);
  ELSIF kind = 'client' THEN
    RETURN EXISTS (SELECT 1 FROM api_clients c WHERE c.id = principal AND c.is_active);
  END IF;
  RETURN false;
END
$$
"""
PRINCIPAL_IS_ACTIVE_SQL = """
CREATE OR REPLACE FUNCTION principal_is_active(kind text, principal uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT CASE kind
    WHEN 'membership' THEN EXISTS (
      SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
      WHERE m.id = principal AND m.is_active AND u.is_active)
    WHEN 'client' THEN EXISTS (SELECT 1 FROM api_clients c WHERE c.id = principal AND c.is_active)
    ELSE false
  END
$$
"""


def upgrade() -> None:
    _identity_providers()
    _user_factors()
    op.execute(PRINCIPAL_IS_ACTIVE_PLPGSQL)


def downgrade() -> None:
    op.execute(PRINCIPAL_IS_ACTIVE_SQL)
    op.drop_column("refresh_tokens", "second_factor")
    op.execute('DROP POLICY "users_app_partner" ON users')
    op.execute("REVOKE SELECT (id, email, display_name, is_active, created_at) ON users FROM app_partner")
    op.execute("DROP TABLE user_factors, external_identities, identity_providers")
    op.execute('DROP POLICY "memberships_app_auth_update" ON memberships')
    op.execute('DROP POLICY "networks_app_auth" ON networks')
    op.execute("REVOKE SELECT (id, code) ON networks FROM app_auth")
    op.execute("REVOKE UPDATE (role, is_active, deactivated_at) ON memberships FROM app_auth")
