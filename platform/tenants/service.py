"""Use cases of the tenants context: login, token refresh, scope, stations and networks."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.db import new_id
from dealernet.errors import Unauthenticated
from dealernet.paging import check_page_size
from dealernet.scope import DbRole, Scope
from dealernet.tenants.models import Membership, Network, RefreshToken, Role, Station, User
from dealernet.tenants.passwords import verify_password
from dealernet.tenants.tokens import AccessClaims, TokenSigner

BAD_CREDENTIALS = "invalid username or password"


class RefreshTokenReused(Unauthenticated):
    """A rotated refresh token came back: its whole family has been revoked (likely theft)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def scope_for(claims: AccessClaims) -> Scope:
    """The scope a verified access token grants (the only way requests get a Scope)."""
    role = Role(claims.role)
    return Scope(
        db_role=DbRole.station if role.is_station_role else DbRole.oem,
        network_id=claims.network_id,
        station_id=claims.station_id if role.is_station_role else None,
        actor_id=claims.user_id,
        role=role.value,
    )


def _digest(refresh_token: str) -> bytes:
    return hashlib.sha256(refresh_token.encode()).digest()


async def _issue(
    session: AsyncSession, signer: TokenSigner, membership: Membership, *, family_id: UUID, refresh_days: int
) -> TokenPair:
    refresh_token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_id(),
            token_hash=_digest(refresh_token),
            family_id=family_id,
            user_id=membership.user_id,
            membership_id=membership.id,
            network_id=membership.network_id,
            station_id=membership.station_id,
            expires_at=datetime.now(UTC) + timedelta(days=refresh_days),
        )
    )
    await session.flush()
    claims = AccessClaims(
        user_id=membership.user_id,
        membership_id=membership.id,
        network_id=membership.network_id,
        station_id=membership.station_id,
        role=membership.role,
    )
    return TokenPair(signer.issue(claims), refresh_token, signer.lifetime)


async def _first_membership(session: AsyncSession, user_id: UUID) -> Membership | None:
    stmt = select(Membership).where(Membership.user_id == user_id).order_by(Membership.created_at, Membership.id)
    return (await session.scalars(stmt.limit(1))).first()


async def login(
    session: AsyncSession, *, email: str, password: str, signer: TokenSigner, refresh_days: int
) -> TokenPair:
    """Password grant. Unknown user, wrong password and inactive user all fail the same way, at the same cost."""
    row = (
        await session.execute(
            select(User.id, User.password_hash, User.is_active).where(User.email == email.strip().lower())
        )
    ).one_or_none()
    matches = await verify_password(row.password_hash if row else None, password)
    if row is None or not matches or not row.is_active:
        raise Unauthenticated(BAD_CREDENTIALS)
    membership = await _first_membership(session, row.id)
    if membership is None:
        raise Unauthenticated(BAD_CREDENTIALS)
    return await _issue(session, signer, membership, family_id=new_id(), refresh_days=refresh_days)


async def refresh(session: AsyncSession, *, refresh_token: str, signer: TokenSigner, refresh_days: int) -> TokenPair:
    """Refresh grant: rotate the token. A token used twice revokes its family; the caller commits that."""
    now = datetime.now(UTC)
    stored = (
        await session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == _digest(refresh_token)).with_for_update()
        )
    ).first()
    if stored is None or stored.expires_at <= now:
        raise Unauthenticated("invalid refresh token")
    if stored.used_at is not None or stored.revoked_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        raise RefreshTokenReused("invalid refresh token")
    stored.used_at = now
    membership = await session.get(Membership, stored.membership_id)
    active = await session.scalar(select(User.is_active).where(User.id == stored.user_id))
    if membership is None or not active:
        raise Unauthenticated("invalid refresh token")
    return await _issue(session, signer, membership, family_id=stored.family_id, refresh_days=refresh_days)


async def users_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, User]:
    """Users visible to the scope: RLS shows those with a membership in the scope's tenant."""
    members = select(Membership.user_id).where(scope.owns(Membership))
    stmt = select(User).where(User.id.in_(ids), User.id.in_(members))
    return {row.id: row for row in await session.scalars(stmt)}


async def networks_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Network]:
    rows = await session.scalars(select(Network).where(Network.id.in_(ids), Network.id == scope.network_id))
    return {row.id: row for row in rows}


async def stations_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Station]:
    stmt = select(Station).where(Station.id.in_(ids), scope.owns(Station, station_column="id"))
    return {row.id: row for row in await session.scalars(stmt)}


async def list_stations(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[Station]:
    """Stations in scope ordered by code; returns up to first + 1 rows so the caller knows if more follow."""
    check_page_size(first)
    stmt = select(Station).where(scope.owns(Station, station_column="id")).order_by(Station.code, Station.id)
    if after is not None:
        code, station_id = after
        stmt = stmt.where(tuple_(Station.code, Station.id) > tuple_(code, station_id))
    return list(await session.scalars(stmt.limit(first + 1)))
