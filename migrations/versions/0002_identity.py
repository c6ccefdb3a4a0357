"""Identity: regions, partners, richer memberships, invitations, signing keys, API clients, persisted
queries, and the hash-chained change journal. Every table with row-level security.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from dealernet.core.migration_ops import ACTOR_SETTING, NETWORK_SETTING, PARTNER_SETTING, SEED_ROLE

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UUID = sa.Uuid()
NOW = sa.text("now()")
TS = sa.DateTime(timezone=True)
ROLES = (
    "'hq_admin', 'hq_network_development', 'hq_regional_manager', 'hq_quality_engineer', 'hq_warranty_auditor', "
    "'hq_assessor', 'hq_call_centre', 'station_manager', 'station_service_advisor', 'station_technician', "
    "'station_warranty_clerk', 'station_parts_clerk', 'partner_user'"
)
LINKED_PARTNER = (
    "EXISTS (SELECT 1 FROM partner_networks pn WHERE pn.partner_id = {table}.{column} "
    f"AND pn.network_id = {NETWORK_SETTING})"
)


def _regions() -> None:
    op.create_table(
        "regions",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_regions_network_id_networks"),
                  nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "code", name="uq_regions_network_id_code"),
        sa.UniqueConstraint("network_id", "id", name="uq_regions_network_id_id"),
    )
    op.enable_network_rls("regions", station_read=True)
    op.grant_app("regions", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT")

    op.add_column("stations", sa.Column("region_id", UUID))
    op.create_foreign_key("fk_stations_network_id_region_id_regions", "stations", "regions",
                          ["network_id", "region_id"], ["network_id", "id"])
    op.create_index("ix_stations_network_id_region_id", "stations", ["network_id", "region_id"])


def _partners() -> None:
    # A partner organisation is not owned by one network: each network it serves sees it through a link.
    op.create_table(
        "partners",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("code", name="uq_partners_code"),
        sa.CheckConstraint("kind IN ('supplier', 'logistics', 'insurer')", name="kind"),
    )
    op.create_table(
        "partner_networks",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_partner_networks_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, sa.ForeignKey("partners.id", name="fk_partner_networks_partner_id_partners"),
                  nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("network_id", "partner_id", name="uq_partner_networks_network_id_partner_id"),
    )
    op.create_index("ix_partner_networks_partner_id", "partner_networks", ["partner_id"])
    op.enable_rls("partner_networks")
    op.create_rls_policy("partner_networks", "app_oem", using=f"network_id = {NETWORK_SETTING}", command="SELECT")
    op.create_rls_policy("partner_networks", "app_station", using=f"network_id = {NETWORK_SETTING}", command="SELECT")
    op.create_rls_policy("partner_networks", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND partner_id = {PARTNER_SETTING}")
    op.grant_app("partner_networks", app_oem="SELECT", app_station="SELECT", app_partner="SELECT")

    op.enable_rls("partners")
    linked = LINKED_PARTNER.format(table="partners", column="id")
    op.create_rls_policy("partners", "app_oem", using=linked, command="SELECT")
    op.create_rls_policy("partners", "app_station", using=linked, command="SELECT")
    op.create_rls_policy("partners", "app_partner", using=f"id = {PARTNER_SETTING}", command="SELECT")
    op.grant_app("partners", app_oem="SELECT", app_station="SELECT", app_partner="SELECT")


def _memberships() -> None:
    op.add_column("memberships", sa.Column("partner_id", UUID))
    op.add_column("memberships", sa.Column("region_ids", ARRAY(UUID), nullable=False, server_default="{}"))
    op.add_column("memberships", sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("memberships", sa.Column("deactivated_at", TS))
    # (0001's check constraints got the naming convention applied twice; op.f() takes a name as is.)
    op.drop_constraint(op.f("ck_memberships_ck_memberships_role"), "memberships")
    op.create_check_constraint("role", "memberships", f"role IN ({ROLES})")
    op.create_check_constraint("role_matches_partner", "memberships",
                               "(role LIKE 'partner\\_%') = (partner_id IS NOT NULL)")
    op.create_foreign_key("fk_memberships_network_id_partner_id_partner_networks", "memberships", "partner_networks",
                          ["network_id", "partner_id"], ["network_id", "partner_id"])
    # Users see their own memberships in every tenant (to switch between them); nothing else of them.
    op.create_rls_policy("memberships", "app_oem", using=f"user_id = {ACTOR_SETTING}", command="SELECT",
                         name="memberships_app_oem_own")
    op.create_rls_policy("memberships", "app_station", using=f"user_id = {ACTOR_SETTING}", command="SELECT",
                         name="memberships_app_station_own")
    op.create_rls_policy("memberships", "app_partner", using=f"user_id = {ACTOR_SETTING}", command="SELECT")
    # Accepting an invitation creates the user and the membership before any tenant scope exists.
    op.create_rls_policy("memberships", "app_auth", using="true", command="INSERT", name="memberships_app_auth_insert")
    op.create_rls_policy("users", "app_auth", using="true", command="INSERT", name="users_app_auth_insert")
    op.grant_app("memberships", app_station="UPDATE", app_partner="SELECT", app_auth="INSERT")
    op.grant_app("users", app_auth="INSERT")


def _invitations() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_invitations_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("region_ids", ARRAY(UUID), nullable=False, server_default="{}"),
        sa.Column("token_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("invited_by", UUID, sa.ForeignKey("users.id", name="fk_invitations_invited_by_users"),
                  nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("accepted_at", TS),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"],
                                name="fk_invitations_network_id_station_id_stations"),
        sa.UniqueConstraint("token_hash", name="uq_invitations_token_hash"),
        sa.CheckConstraint(f"role IN ({ROLES})", name="role"),
        sa.CheckConstraint("email = lower(email)", name="email_lower"),
    )
    op.create_index("ix_invitations_network_id_station_id", "invitations", ["network_id", "station_id"])
    # HQ invitations (no station) are visible to HQ only: a NULL station never equals the station setting.
    op.enable_station_rls("invitations")
    op.create_rls_policy("invitations", "app_auth", using="true")
    op.grant_app("invitations", app_oem="SELECT, INSERT", app_station="SELECT, INSERT", app_auth="SELECT, UPDATE")


def _keys_and_clients() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("private_jwk", sa.Text, nullable=False),
        sa.Column("public_jwk", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.Column("retired_at", TS),
        sa.UniqueConstraint("kid", name="uq_signing_keys_kid"),
    )
    # No tenant owns a key; only the auth path reads them (the private half is encrypted at rest).
    op.enable_rls("signing_keys")
    op.create_rls_policy("signing_keys", "app_auth", using="true", command="SELECT")
    op.grant_app("signing_keys", app_auth="SELECT")

    op.create_table(
        "api_clients",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_api_clients_network_id_networks"),
                  nullable=False),
        sa.Column("partner_id", UUID, sa.ForeignKey("partners.id", name="fk_api_clients_partner_id_partners"),
                  nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("secret_hash", sa.String(200), nullable=False),
        sa.Column("scopes", ARRAY(sa.String(32)), nullable=False),
        sa.Column("allow_list_only", sa.Boolean, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.ForeignKeyConstraint(["network_id", "partner_id"], ["partner_networks.network_id", "partner_networks.partner_id"],
                                name="fk_api_clients_network_id_partner_id_partner_networks"),
        sa.UniqueConstraint("client_id", name="uq_api_clients_client_id"),
    )
    op.create_index("ix_api_clients_network_id", "api_clients", ["network_id"])
    op.enable_rls("api_clients")
    op.create_rls_policy("api_clients", "app_oem", using=f"network_id = {NETWORK_SETTING}")
    op.create_rls_policy("api_clients", "app_partner", command="SELECT",
                         using=f"network_id = {NETWORK_SETTING} AND partner_id = {PARTNER_SETTING}")
    op.create_rls_policy("api_clients", "app_auth", using="true", command="SELECT")
    public_columns = "id, client_id, network_id, partner_id, name, scopes, allow_list_only, is_active, created_at"
    op.grant_app("api_clients", app_oem=f"SELECT ({public_columns}), INSERT, UPDATE",
                 app_partner=f"SELECT ({public_columns})", app_auth="SELECT")

    op.create_table(
        "persisted_queries",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_persisted_queries_network_id_networks"),
                  nullable=False),
        sa.Column("client_id", UUID, sa.ForeignKey("api_clients.id", name="fk_persisted_queries_client_id_api_clients"),
                  nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=NOW),
        sa.UniqueConstraint("client_id", "sha256", name="uq_persisted_queries_client_id_sha256"),
    )
    op.enable_rls("persisted_queries")
    op.create_rls_policy("persisted_queries", "app_oem", using=f"network_id = {NETWORK_SETTING}")
    op.create_rls_policy(
        "persisted_queries", "app_partner", command="SELECT",
        using=f"network_id = {NETWORK_SETTING} AND client_id IN "
        f"(SELECT c.id FROM api_clients c WHERE c.partner_id = {PARTNER_SETTING})",
    )
    op.grant_app("persisted_queries", app_oem="SELECT, INSERT, DELETE", app_partner="SELECT")


def _principal_check() -> None:
    # Is a token's membership (and its user) or API client still active? Asked by the first statement of
    # every transaction (db.py), before any tenant setting exists, so it reads past RLS: the function runs
    # as the BYPASSRLS seed role and answers nothing but a boolean for an id the caller already holds.
    op.execute(
        """
        CREATE FUNCTION principal_is_active(kind text, principal uuid) RETURNS boolean
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
    )
    op.execute(f"GRANT CREATE ON SCHEMA public TO {SEED_ROLE}")
    op.execute(f"ALTER FUNCTION principal_is_active(text, uuid) OWNER TO {SEED_ROLE}")
    op.execute(f"REVOKE CREATE ON SCHEMA public FROM {SEED_ROLE}")


def _journal() -> None:
    op.create_table(
        "journal",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_journal_network_id_networks"),
                  nullable=False),
        sa.Column("station_id", UUID),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("actor_id", UUID),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", UUID, nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("before", JSONB),
        sa.Column("after", JSONB),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
        sa.UniqueConstraint("network_id", "seq", name="uq_journal_network_id_seq"),
    )
    op.create_index("ix_journal_network_id_station_id_at", "journal", ["network_id", "station_id", "at"])
    op.create_index("ix_journal_network_id_entity_id", "journal", ["network_id", "entity_id"])
    op.enable_station_rls("journal")
    # Append-only: insert and read, never update or delete (no privilege, so no policy can grant it).
    # Accepting an invitation (the auth path, before any tenant scope) journals the new membership.
    op.create_rls_policy("journal", "app_auth", using="true", command="INSERT")
    op.grant_app("journal", app_oem="SELECT, INSERT", app_station="SELECT, INSERT", app_auth="INSERT")

    # The head of each network's chain. Its row lock serialises the network's journal writers, so the
    # chain never forks; it holds nothing but a counter and a hash.
    op.create_table(
        "journal_heads",
        sa.Column("network_id", UUID, sa.ForeignKey("networks.id", name="fk_journal_heads_network_id_networks"),
                  primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.enable_rls("journal_heads")
    for role in ("app_oem", "app_station"):
        op.create_rls_policy("journal_heads", role, using=f"network_id = {NETWORK_SETTING}")
    op.create_rls_policy("journal_heads", "app_auth", using="true")
    op.grant_app("journal_heads", app_oem="SELECT, INSERT, UPDATE", app_station="SELECT, INSERT, UPDATE",
                 app_auth="SELECT, INSERT, UPDATE")

    # What a row's hash covers, in one place for the trigger and for `dealernet journal verify`.
    op.execute(
        """
        CREATE FUNCTION journal_digest(j journal) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
          SELECT sha256(j.prev_hash || convert_to(concat_ws('|', j.seq, j.network_id, j.station_id, j.actor_id,
            j.entity, j.entity_id, j.action, j.before::text, j.after::text, j.request_id,
            extract(epoch FROM j.at)), 'UTF8'))
        $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION journal_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
          head journal_heads%ROWTYPE;
        BEGIN
          INSERT INTO journal_heads (network_id, seq, hash) VALUES (NEW.network_id, 0, sha256(''::bytea))
            ON CONFLICT (network_id) DO NOTHING;
          SELECT * INTO STRICT head FROM journal_heads WHERE network_id = NEW.network_id FOR UPDATE;
          NEW.seq := head.seq + 1;
          NEW.prev_hash := head.hash;
          NEW.at := clock_timestamp();
          NEW.hash := journal_digest(NEW);
          UPDATE journal_heads SET seq = NEW.seq, hash = NEW.hash WHERE network_id = NEW.network_id;
          RETURN NEW;
        END
        $$
        """
    )
    op.execute("CREATE TRIGGER journal_chain BEFORE INSERT ON journal FOR EACH ROW EXECUTE FUNCTION journal_chain()")


def upgrade() -> None:
    _regions()
    _partners()
    _memberships()
    _invitations()
    _keys_and_clients()
    _principal_check()
    _journal()


def downgrade() -> None:
    op.execute("DROP TRIGGER journal_chain ON journal")
    op.execute("DROP FUNCTION journal_chain(), journal_digest(journal)")
    op.execute("DROP TABLE journal_heads, journal")
    op.execute("DROP TABLE persisted_queries, api_clients, signing_keys, invitations")
    op.execute("DROP FUNCTION principal_is_active(text, uuid)")
    for name in ("memberships_app_oem_own", "memberships_app_station_own", "memberships_app_partner",
                 "memberships_app_auth_insert"):
        op.execute(f'DROP POLICY "{name}" ON memberships')
    op.execute('DROP POLICY "users_app_auth_insert" ON users')
    op.execute("REVOKE INSERT ON users FROM app_auth")
    op.execute("REVOKE INSERT ON memberships FROM app_auth")
    op.execute("REVOKE UPDATE ON memberships FROM app_station")
    op.execute("REVOKE SELECT ON memberships FROM app_partner")
    op.drop_constraint("fk_memberships_network_id_partner_id_partner_networks", "memberships")
    op.drop_constraint(op.f("ck_memberships_role_matches_partner"), "memberships")
    op.drop_constraint(op.f("ck_memberships_role"), "memberships")
    op.execute("ALTER TABLE memberships NO FORCE ROW LEVEL SECURITY")  # the owner may delete past RLS
    op.execute("DELETE FROM memberships WHERE role NOT IN ('hq_admin', 'station_manager')")
    op.execute("ALTER TABLE memberships FORCE ROW LEVEL SECURITY")
    op.create_check_constraint(op.f("ck_memberships_ck_memberships_role"), "memberships",
                               "role IN ('hq_admin', 'station_manager')")
    for column in ("deactivated_at", "is_active", "region_ids", "partner_id"):
        op.drop_column("memberships", column)
    op.execute("DROP TABLE partners, partner_networks CASCADE")
    op.drop_index("ix_stations_network_id_region_id", "stations")
    op.drop_constraint("fk_stations_network_id_region_id_regions", "stations")
    op.drop_column("stations", "region_id")
    op.drop_table("regions")
