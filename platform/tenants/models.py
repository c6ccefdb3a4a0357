"""Tenants and people: networks (OEMs), regions, stations, partners, users, memberships, invitations,
refresh tokens, signing keys and API clients."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.core.access import Role
from dealernet.core.db import Base, IdMixin


class StationStatus(enum.StrEnum):
    APPLICANT = "applicant"  # in the onboarding pipeline: sees only its own application
    ACTIVE = "active"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"


def _in(values: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


class Network(IdMixin, Base):
    """One OEM's service network: the `oem` tenant."""

    __tablename__ = "networks"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Onboarding: the application's pass mark (60/100 by the standard) and the committee's rule.
    application_pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(60))
    committee_members: Mapped[int] = mapped_column(default=5)
    committee_quorum: Mapped[int] = mapped_column(default=3)
    committee_majority: Mapped[Decimal] = mapped_column(Numeric(4, 3), default=Decimal("0.5"))
    acceptance_pass_mark: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal(100))
    rectification_days: Mapped[int] = mapped_column(default=30)  # 限期整改: the deadline of a failed item
    # {network}, {region}, {year} and {seq} (zero-padded to N digits with {seq:N}); numbering.py
    authorisation_number_format: Mapped[str] = mapped_column(String(60), default="{network}-{region}-{seq:4}")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Region(IdMixin, Base):
    """A sales/service region of a network (East, North-West, ...): quotas, rates and HQ staff hang on it."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("network_id", "code"), UniqueConstraint("network_id", "id"))

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartnerKind(enum.StrEnum):
    SUPPLIER = "supplier"
    LOGISTICS = "logistics"
    INSURER = "insurer"


class Partner(IdMixin, Base):
    """A parts supplier, logistics firm or insurer. One organisation may serve several OEMs; each network
    it serves links it separately (PartnerNetwork) and sees it only through that link."""

    __tablename__ = "partners"
    __table_args__ = (CheckConstraint(f"kind IN {_in(PartnerKind)}", name="kind"),)

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PartnerNetwork(IdMixin, Base):
    """A partner serving a network: the partner tenant inside that network."""

    __tablename__ = "partner_networks"
    __table_args__ = (UniqueConstraint("network_id", "partner_id"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID] = mapped_column(ForeignKey("partners.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Station(IdMixin, Base):
    """An authorised service station of a network: the `station` tenant."""

    __tablename__ = "stations"
    __table_args__ = (
        UniqueConstraint("network_id", "code"),
        # Target of composite foreign keys: a row can only point at a station of its own network.
        UniqueConstraint("network_id", "id"),
        CheckConstraint(f"status IN {_in(StationStatus)}", name="status"),
        ForeignKeyConstraint(["network_id", "region_id"], ["regions.network_id", "regions.id"]),
    )

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    code: Mapped[str] = mapped_column(String(40))  # APP-… while applying, then the authorisation number
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default=StationStatus.ACTIVE.value)
    region_id: Mapped[UUID | None]
    tier: Mapped[str | None] = mapped_column(String(8))  # A, B, C… as the network grades its stations
    brands: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class User(IdMixin, Base):
    """A person who logs in; what they may see comes from their memberships."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lower"),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    # Only the login role (app_auth) holds a column grant on the hash; loading it elsewhere must fail loudly.
    password_hash: Mapped[str | None] = mapped_column(String(200), deferred=True, deferred_raiseload=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Membership(IdMixin, Base):
    """A user's role in a network (HQ, station_id empty) or in one station of it."""

    __tablename__ = "memberships"
    __table_args__ = (
        ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"]),
        UniqueConstraint("user_id", "network_id", "station_id", postgresql_nulls_not_distinct=True),
        CheckConstraint(f"role IN {_in(Role)}", name="role"),
        CheckConstraint("(role LIKE 'station\\_%') = (station_id IS NOT NULL)", name="role_matches_tenant"),
        CheckConstraint("(role LIKE 'partner\\_%') = (partner_id IS NOT NULL)", name="role_matches_partner"),
        ForeignKeyConstraint(
            ["network_id", "partner_id"], ["partner_networks.network_id", "partner_networks.partner_id"]
        ),
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    partner_id: Mapped[UUID | None]
    role: Mapped[str] = mapped_column(String(32))
    # The regions a regional manager is limited to (empty: the whole network).
    region_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    deactivated_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Invitation(IdMixin, Base):
    """An invitation to join a tenant with a role; the token (stored hashed) is e-mailed and used once."""

    __tablename__ = "invitations"
    __table_args__ = (
        ForeignKeyConstraint(["network_id", "station_id"], ["stations.network_id", "stations.id"]),
        CheckConstraint(f"role IN {_in(Role)}", name="role"),
        CheckConstraint("email = lower(email)", name="email_lower"),
    )

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    partner_id: Mapped[UUID | None]
    email: Mapped[str] = mapped_column(String(320))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(32))
    region_ids: Mapped[list[UUID]] = mapped_column(ARRAY(Uuid), default=list)
    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    invited_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class RefreshToken(IdMixin, Base):
    """A refresh token, stored as a hash. Tokens issued from one login share a family."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    family_id: Mapped[UUID]
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    membership_id: Mapped[UUID] = mapped_column(ForeignKey("memberships.id"))
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # The login that started the family passed a second factor (TOTP, or the OEM's SSO).
    second_factor: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class SigningKey(IdMixin, Base):
    """A key access tokens are signed with. The newest active key signs; every key not yet retired
    verifies, so tokens signed before a rotation stay valid until they expire."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), unique=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    # The private JWK (JSON). Readable only by the auth path and the key-rotation command.
    private_jwk: Mapped[str] = mapped_column(Text, deferred=True, deferred_raiseload=True)
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    # Set on rotation: the key stops signing at once and stops verifying after the token lifetime.
    retired_at: Mapped[datetime | None]


class ApiClient(IdMixin, Base):
    """A partner's OAuth2 client (client-credentials grant) in one network, with its scopes."""

    __tablename__ = "api_clients"
    __table_args__ = (
        ForeignKeyConstraint(
            ["network_id", "partner_id"], ["partner_networks.network_id", "partner_networks.partner_id"]
        ),
    )

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    partner_id: Mapped[UUID] = mapped_column(ForeignKey("partners.id"))
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200), deferred=True, deferred_raiseload=True)
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(32)))
    # Allow-list mode: only persisted queries registered for this client run.
    allow_list_only: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class PersistedQuery(IdMixin, Base):
    """A query document registered for a partner client, called by its SHA-256 hash. A client in
    allow-list mode may run nothing else."""

    __tablename__ = "persisted_queries"
    __table_args__ = (UniqueConstraint("client_id", "sha256"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    client_id: Mapped[UUID] = mapped_column(ForeignKey("api_clients.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class IdentityProvider(IdMixin, Base):
    """An OEM's OpenID Connect identity provider: its staff sign in there, and a claim of the id token
    (say `groups`) maps to their HQ role."""

    __tablename__ = "identity_providers"
    __table_args__ = (UniqueConstraint("network_id", "name"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    name: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret_encrypted: Mapped[str] = mapped_column(Text, deferred=True, deferred_raiseload=True)
    scopes: Mapped[str] = mapped_column(String(200), default="openid email profile")
    role_claim: Mapped[str] = mapped_column(String(64), default="groups")
    # [{"value": claim value, "role": role}, ...]: the first pair the claim matches wins.
    role_mapping: Mapped[list[dict[str, str]]] = mapped_column(JSONB, default=list)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())


class ExternalIdentity(IdMixin, Base):
    """A person at an identity provider (its `sub`) linked to our user."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider_id", "subject"),)

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    provider_id: Mapped[UUID] = mapped_column(ForeignKey("identity_providers.id"))
    subject: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime] = mapped_column(server_default=func.now())


class UserFactor(Base):
    """A person's TOTP second factor (RFC 6238). Until confirmed with a first code it is not asked for."""

    __tablename__ = "user_factors"

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Notification(IdMixin, Base):
    """An in-app message to a station, a partner (or to HQ, both empty) about an entity, e-mailed once
    (mailed_at) by the notifications job."""

    __tablename__ = "notifications"

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    partner_id: Mapped[UUID | None]  # a supplier's (migration 0049); neither: HQ's own
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(default="")
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[UUID]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    read_at: Mapped[datetime | None]
    read_by: Mapped[UUID | None]
    mailed_at: Mapped[datetime | None]


class StationClient(Base):
    """A station's own API client, for its dealer management system: client credentials scoped to the
    station (migration 0036)."""

    __tablename__ = "station_clients"

    station_id: Mapped[UUID] = mapped_column(ForeignKey("stations.id"), primary_key=True)
    id: Mapped[UUID] = mapped_column(primary_key=True, unique=True)
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200), deferred=True, deferred_raiseload=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[UUID | None]
