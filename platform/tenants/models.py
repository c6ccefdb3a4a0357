"""Tenants and people: networks (OEMs), stations, users, memberships and refresh tokens."""

from __future__ import annotations

import enum
from datetime import datetime
from uuid import UUID

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    LargeBinary,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from dealernet.db import Base, IdMixin


class StationStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    terminated = "terminated"


class Role(enum.StrEnum):
    """A membership's role. HQ roles belong to a network, station roles to one station of it."""

    hq_admin = "hq_admin"
    station_manager = "station_manager"

    @property
    def is_station_role(self) -> bool:
        return self.value.startswith("station_")


def _in(values: type[enum.StrEnum]) -> str:
    return "(" + ", ".join(f"'{v.value}'" for v in values) + ")"


class Network(IdMixin, Base):
    """One OEM's service network: the `oem` tenant."""

    __tablename__ = "networks"

    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Station(IdMixin, Base):
    """An authorised service station of a network: the `station` tenant."""

    __tablename__ = "stations"
    __table_args__ = (
        UniqueConstraint("network_id", "code"),
        # Target of composite foreign keys: a row can only point at a station of its own network.
        UniqueConstraint("network_id", "id"),
        CheckConstraint(f"status IN {_in(StationStatus)}", name="status"),
    )

    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), default=StationStatus.active.value)
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
    )

    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    network_id: Mapped[UUID] = mapped_column(ForeignKey("networks.id"))
    station_id: Mapped[UUID | None]
    role: Mapped[str] = mapped_column(String(32))
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
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
