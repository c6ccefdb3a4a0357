"""Signing in: the password and refresh-token grants, the access and refresh tokens they issue, and the scope a
verified access token grants (the only way requests get a Scope)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from cryptography.fernet import Fernet
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import DbRole, Scope
from dealernet.tenants.models import (
    Membership,
    RefreshToken,
    User,
)
from dealernet.tenants.service import factors
from dealernet.tenants.service.passwords import verify_password
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner

INVITATION_DAYS = 7

BAD_CREDENTIALS = "invalid username or password"


PARTNER_CLIENT_ROLE = "partner_client"


class RefreshTokenReused(Unauthenticated):
    """A rotated refresh token came back: its whole family has been revoked (likely theft)."""


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str | None
    expires_in: int


def scope_for(claims: AccessClaims) -> Scope:
    """The scope a verified access token grants (the only way requests get a Scope)."""
    if claims.client_id is not None and claims.role == Role.STATION_DMS:  # a station's own client (its DMS)
        return Scope(
            db_role=DbRole.station,
            network_id=claims.network_id,
            station_id=claims.station_id,
            actor_id=claims.client_id,
            role=Role.STATION_DMS.value,
            permissions=permissions_of(Role.STATION_DMS),
            station_client_id=claims.client_id,
        )
    if claims.client_id is not None:  # a partner's API client: its scopes are its permissions
        return Scope(
            db_role=DbRole.partner,
            network_id=claims.network_id,
            partner_id=claims.partner_id,
            actor_id=claims.client_id,
            role=PARTNER_CLIENT_ROLE,
            permissions=frozenset(claims.scopes),
            client_id=claims.client_id,
            allow_list_only=claims.allow_list_only,
        )
    role = Role(claims.role)
    db_role = DbRole.station if role.is_station_role else DbRole.partner if role.is_partner_role else DbRole.oem
    return Scope(
        db_role=db_role,
        network_id=claims.network_id,
        station_id=claims.station_id if role.is_station_role else None,
        partner_id=claims.partner_id if role.is_partner_role else None,
        actor_id=claims.subject,
        role=role.value,
        permissions=permissions_of(role, second_factor=claims.second_factor),
        membership_id=claims.membership_id,
        region_ids=frozenset(claims.region_ids) if claims.region_ids else None,
        second_factor=claims.second_factor,
    )


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def claims_of(membership: Membership, *, second_factor: bool = False) -> AccessClaims:
    return AccessClaims(
        subject=membership.user_id,
        network_id=membership.network_id,
        role=membership.role,
        membership_id=membership.id,
        station_id=membership.station_id,
        partner_id=membership.partner_id,
        region_ids=tuple(membership.region_ids or ()),
        second_factor=second_factor,
    )


async def issue(
    session: AsyncSession,
    signer: TokenSigner,
    membership: Membership,
    *,
    family_id: UUID,
    refresh_days: int,
    second_factor: bool = False,
) -> TokenPair:
    """An access token and a new refresh token of `family_id` for `membership`."""
    refresh_token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            id=new_id(),
            token_hash=digest(refresh_token),
            family_id=family_id,
            user_id=membership.user_id,
            membership_id=membership.id,
            network_id=membership.network_id,
            station_id=membership.station_id,
            expires_at=datetime.now(UTC) + timedelta(days=refresh_days),
            second_factor=second_factor,
        )
    )
    await session.flush()
    claims = claims_of(membership, second_factor=second_factor)
    return TokenPair(signer.issue(claims), refresh_token, signer.lifetime)


async def _membership_of(session: AsyncSession, user_id: UUID, tenant: UUID | None) -> Membership | None:
    """The user's active membership `tenant` (a membership id), or their first one."""
    stmt = select(Membership).where(Membership.user_id == user_id, Membership.is_active)
    if tenant is not None:
        stmt = stmt.where(Membership.id == tenant)
    stmt = stmt.order_by(Membership.created_at, Membership.id).limit(1)
    return (await session.scalars(stmt)).first()


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    signer: TokenSigner,
    refresh_days: int,
    tenant: UUID | None = None,
    otp: str | None = None,
    box: Fernet | None = None,
) -> TokenPair:
    """Password grant. Unknown user, wrong password and inactive user all fail the same way, at the same cost.
    A person with a second factor also needs the one-time code `otp` (checked with `box`, the TOTP secrets'
    key)."""
    row = (
        await session.execute(
            select(User.id, User.password_hash, User.is_active).where(User.email == email.strip().lower())
        )
    ).one_or_none()
    # Nothing written yet: let the connection go back to the pool while argon2 runs (tens of ms), so a
    # burst of logins does not hold every connection; the writes below begin a new transaction.
    await session.rollback()
    matches = await verify_password(row.password_hash if row else None, password)
    if row is None or not matches or not row.is_active:
        raise Unauthenticated(BAD_CREDENTIALS)
    membership = await _membership_of(session, row.id, tenant)
    if membership is None:
        raise Unauthenticated(BAD_CREDENTIALS)
    second_factor = await factors.passes_second_factor(session, box, row.id, otp)
    return await issue(
        session, signer, membership, family_id=new_id(), refresh_days=refresh_days, second_factor=second_factor
    )


async def refresh(
    session: AsyncSession, *, refresh_token: str, signer: TokenSigner, refresh_days: int, tenant: UUID | None = None
) -> TokenPair:
    """Refresh grant: rotate the token, optionally switching to another of the user's tenants. A token used
    twice revokes its family; so does a deactivated membership or user. The caller commits that."""
    now = datetime.now(UTC)
    stored = (
        await session.scalars(
            select(RefreshToken).where(RefreshToken.token_hash == digest(refresh_token)).with_for_update()
        )
    ).first()
    if stored is None or stored.expires_at <= now:
        raise Unauthenticated("invalid refresh token")
    reused = stored.used_at is not None or stored.revoked_at is not None
    membership = await _membership_of(session, stored.user_id, tenant or stored.membership_id)
    active = await session.scalar(select(User.is_active).where(User.id == stored.user_id))
    if reused or not active or (membership is None and tenant is None):
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == stored.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        raise RefreshTokenReused("invalid refresh token")
    if membership is None:  # asked for a tenant the user has no active membership in
        raise Unauthenticated("invalid refresh token")
    stored.used_at = now
    return await issue(
        session,
        signer,
        membership,
        family_id=stored.family_id,
        refresh_days=refresh_days,
        second_factor=stored.second_factor,
    )
