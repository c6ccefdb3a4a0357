"""The network's directory: people (invitations, acceptance, deactivation), regions, stations and their standing."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import APPLICANT_PERMISSIONS, SUSPENDED_MESSAGE, Permission, Role, may_invite, require
from dealernet.core.db import STANDING, new_id
from dealernet.core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import DbRole, Scope
from dealernet.tenants.models import (
    Invitation,
    Membership,
    Network,
    PartnerNetwork,
    Region,
    Station,
    StationStatus,
    User,
)
from dealernet.tenants.service.passwords import hash_password_async, verify_password
from dealernet.tenants.service.sign_in import digest
from dealernet.tenants.service.throttle import LoginThrottle

INVITATION_DAYS = 7
MIN_PASSWORD_LENGTH = 10


# --- tokens -------------------------------------------------------------------------------------------


# --- people ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str


def check_email(email: str) -> str:
    cleaned = email.strip().lower()
    local, _, domain = cleaned.partition("@")
    if not local or "." not in domain or len(cleaned) > 320 or " " in cleaned:
        raise ValidationFailed("not an e-mail address", fields={"email": "not an e-mail address"})
    return cleaned


async def invite(
    session: AsyncSession,
    scope: Scope,
    *,
    email: str,
    role: Role,
    display_name: str = "",
    station_id: UUID | None = None,
    region_ids: Sequence[UUID] = (),
    partner_id: UUID | None = None,
) -> NewInvitation:
    """Invite someone into the scope's tenant. HQ admins invite HQ staff, station staff of any station of
    the network and a linked partner's people; a station manager invites the staff of its own station."""
    require(scope, Permission.users_invite)
    inviter = Role(scope.role)
    if not may_invite(inviter, role):
        raise Forbidden(f"a {inviter.value} may not invite a {role.value}")
    if scope.is_station:
        # A station manager invites into its own station; another station's id is one it cannot see.
        if station_id is not None and station_id != scope.station_id:
            raise NotFound("no such station")
        station_id = scope.station_id
    if role.is_station_role:
        if station_id is None:
            raise ValidationFailed("a station role needs a station", fields={"station_id": "required for this role"})
        if not await stations_by_id(session, scope, [station_id]):
            raise NotFound("no such station")
    else:
        station_id = None
    if role.is_partner_role:
        if partner_id is None:
            raise ValidationFailed("a partner role needs a partner", fields={"partner_id": "required for this role"})
        linked = select(PartnerNetwork.partner_id).where(PartnerNetwork.partner_id == partner_id)
        if await session.scalar(linked) is None:  # RLS: the network's own partners only
            raise NotFound("no such partner")
    else:
        partner_id = None
    if region_ids and role is not Role.HQ_REGIONAL_MANAGER:
        raise ValidationFailed(
            "only regional managers have regions", fields={"region_ids": "only for regional managers"}
        )
    if region_ids and len(await regions_by_id(session, scope, list(region_ids))) != len(set(region_ids)):
        raise NotFound("no such region")
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        id=new_id(),
        network_id=scope.network_id,
        station_id=station_id,
        partner_id=partner_id,
        email=check_email(email),
        display_name=display_name.strip()[:200],
        role=role.value,
        region_ids=list(region_ids),
        token_hash=digest(token),
        invited_by=scope.actor_id,
        expires_at=datetime.now(UTC) + timedelta(days=INVITATION_DAYS),
    )
    session.add(invitation)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="invitation",
        entity_id=invitation.id,
        action="invited",
        after=journal.snapshot(invitation, "email", "role", "station_id", "partner_id", "region_ids"),
        station_id=station_id,
    )
    return NewInvitation(invitation, token)


def check_password(password: str, email: str) -> None:
    """NIST 800-63B: a minimum length and not the obvious; no composition rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed("password too short", fields={"password": f"at least {MIN_PASSWORD_LENGTH} characters"})
    if password.strip().lower() in {email, email.partition("@")[0]}:
        raise ValidationFailed("password is your e-mail address", fields={"password": "must not be your e-mail"})


@dataclass(frozen=True)
class Accepted:
    email: str
    role: str
    membership_id: UUID


async def accept_invitation(session: AsyncSession, *, token: str, password: str, display_name: str = "") -> Accepted:
    """Accept an invitation (the auth scope: no tenant yet). A new user sets their password; someone who
    already has an account (another station of a dealer group) proves it with their password."""
    now = datetime.now(UTC)
    invitation = (
        await session.scalars(select(Invitation).where(Invitation.token_hash == digest(token)).with_for_update())
    ).first()
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= now:
        raise NotFound("this invitation is unknown, used or expired")
    user = (
        await session.execute(select(User.id, User.password_hash).where(User.email == invitation.email))
    ).one_or_none()
    if user is None:
        check_password(password, invitation.email)
        user_id = new_id()
        session.add(
            User(
                id=user_id,
                email=invitation.email,
                display_name=(display_name.strip() or invitation.display_name)[:200],
                password_hash=await hash_password_async(password),
                is_active=True,
            )
        )
        await session.flush()
    elif await verify_password(user.password_hash, password):
        user_id = user.id
    else:
        raise Unauthenticated("you already have an account: give its password to accept")
    membership = Membership(
        id=new_id(),
        user_id=user_id,
        network_id=invitation.network_id,
        station_id=invitation.station_id,
        partner_id=invitation.partner_id,
        role=invitation.role,
        region_ids=list(invitation.region_ids),
    )
    session.add(membership)
    invitation.accepted_at = now
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("you are already a member of this tenant") from exc
    actor = Scope(db_role=DbRole.auth, network_id=invitation.network_id, actor_id=user_id)
    await journal.record(
        session,
        actor,
        entity="membership",
        entity_id=membership.id,
        action="joined",
        after=journal.snapshot(membership, "user_id", "role", "station_id", "region_ids"),
        station_id=invitation.station_id,
    )
    return Accepted(invitation.email, invitation.role, membership.id)


async def unlock_sign_in(session: AsyncSession, scope: Scope, throttle: LoginThrottle, *, user_id: UUID) -> str:
    """Lift the failed-login locks on a user of the scope's tenant (HQ: the network; a station manager: its
    station), from every address: the unlock path when guessing locked the account for everyone. Returns
    the user's e-mail; an unknown or foreign user is NOT_FOUND."""
    require(scope, Permission.users_deactivate)
    stmt = select(User.email).join(Membership, Membership.user_id == User.id)
    email = (await session.scalars(stmt.where(scope.owns(Membership), User.id == user_id))).first()
    if email is None:
        raise NotFound("no such user", fields={"user_id": "not found"})
    lifted = await throttle.unlock(email)
    await journal.record(
        session, scope, entity="user", entity_id=user_id, action="sign_in_unlocked", after={"counters": lifted}
    )
    return email


async def deactivate_user(session: AsyncSession, scope: Scope, *, user_id: UUID) -> int:
    """Deactivate the user's memberships in the scope's tenant (HQ: the whole network; a station manager:
    its station). Their tokens stop working at the next request; refresh tokens are refused. Returns the
    number of memberships deactivated; an unknown or foreign user is NOT_FOUND."""
    require(scope, Permission.users_deactivate)
    if user_id == scope.actor_id:
        raise Conflict("you cannot deactivate yourself")
    stmt = select(Membership).where(scope.owns(Membership), Membership.user_id == user_id, Membership.is_active)
    memberships = list(await session.scalars(stmt.with_for_update()))
    if not memberships:
        raise NotFound("no such user")
    now = datetime.now(UTC)
    for membership in memberships:
        membership.is_active = False
        membership.deactivated_at = now
        await journal.record(
            session,
            scope,
            entity="membership",
            entity_id=membership.id,
            action="deactivated",
            before={"is_active": True},
            after={"is_active": False},
            station_id=membership.station_id,
        )
    await session.flush()
    return len(memberships)


async def memberships_of_actor(session: AsyncSession, scope: Scope) -> list[Membership]:
    """The viewer's own active memberships in every tenant, to choose one to switch to."""
    stmt = select(Membership).where(Membership.user_id == scope.actor_id, Membership.is_active)
    return list(await session.scalars(stmt.order_by(Membership.created_at, Membership.id)))


async def users_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, User]:
    """Users visible to the scope: those with a membership in the scope's tenant."""
    members = select(Membership.user_id).where(scope.owns(Membership))
    stmt = select(User).where(User.id.in_(ids), User.id.in_(members))
    return {row.id: row for row in await session.scalars(stmt)}


# --- regions, stations, networks -----------------------------------------------------------------------


async def create_region(session: AsyncSession, scope: Scope, *, code: str, name: str) -> Region:
    require(scope, Permission.regions_manage)
    code, name = code.strip().upper(), name.strip()
    if not code or len(code) > 32 or not name:
        raise ValidationFailed("code and name are required", fields={"code": "1 to 32 characters", "name": "required"})
    region = Region(id=new_id(), network_id=scope.network_id, code=code, name=name[:200])
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(region)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"region {code} exists", fields={"code": "already used in this network"}) from exc
    await journal.record(
        session,
        scope,
        entity="region",
        entity_id=region.id,
        action="created",
        after=journal.snapshot(region, "code", "name"),
    )
    return region


async def set_station_region(
    session: AsyncSession, scope: Scope, *, station_id: UUID, region_id: UUID | None
) -> Station:
    require(scope, Permission.regions_manage)
    station = (await stations_by_id(session, scope, [station_id])).get(station_id)
    if station is None:
        raise NotFound("no such station")
    if region_id is not None and not await regions_by_id(session, scope, [region_id]):
        raise NotFound("no such region")
    before = journal.snapshot(station, "region_id")
    station.region_id = region_id
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="station",
        entity_id=station.id,
        action="region_changed",
        before=before,
        after=journal.snapshot(station, "region_id"),
        station_id=station.id,
    )
    return station


async def regions_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Region]:
    if scope.db_role is DbRole.partner:  # a partner's slice holds no regions (its role may not read them)
        return {}
    stmt = select(Region).where(Region.id.in_(ids), Region.network_id == scope.network_id)
    return {row.id: row for row in await session.scalars(stmt)}


async def list_regions(session: AsyncSession, scope: Scope) -> list[Region]:
    """A network has tens of regions: the list is not paged."""
    stmt = select(Region).where(Region.network_id == scope.network_id).order_by(Region.code)
    return list(await session.scalars(stmt))


async def networks_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Network]:
    rows = await session.scalars(select(Network).where(Network.id.in_(ids), Network.id == scope.network_id))
    return {row.id: row for row in rows}


def _in_view(scope: Scope) -> list[ColumnElement[bool]]:
    """Stations in the scope, narrowed to a regional manager's regions."""
    clauses = [scope.owns(Station, station_column="id")]
    if scope.region_ids:
        clauses.append(Station.region_id.in_(scope.region_ids))
    return clauses


async def stations_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Station]:
    if scope.db_role is DbRole.partner:  # a partner's slice holds no stations (its role may not read them)
        return {}
    stmt = select(Station).where(Station.id.in_(ids), *_in_view(scope))
    return {row.id: row for row in await session.scalars(stmt)}


async def list_stations(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    region_id: UUID | None = None,
    statuses: Sequence[StationStatus] = (),
) -> list[Station]:
    """Stations in scope ordered by code (of any status, or of `statuses`); returns up to first + 1 rows so
    the caller knows if more follow."""
    check_page_size(first)
    stmt = select(Station).where(*_in_view(scope)).order_by(Station.code, Station.id)
    if region_id is not None:
        stmt = stmt.where(Station.region_id == region_id)
    if statuses:
        stmt = stmt.where(Station.status.in_([s.value for s in statuses]))
    if after is not None:
        code, station_id = after
        stmt = stmt.where(tuple_(Station.code, Station.id) > tuple_(code, station_id))
    return list(await session.scalars(stmt.limit(first + 1)))


CLOSED_STATIONS = frozenset({StationStatus.SUSPENDED.value, StationStatus.TERMINATED.value})


async def station_is_closed(session: AsyncSession, scope: Scope) -> bool:
    """A station scope whose station is suspended or terminated now (whatever the token's age)."""
    if not scope.is_station:
        return False
    status = await session.scalar(select(Station.status).where(Station.id == scope.station_id))
    return status in CLOSED_STATIONS


async def with_standing(session: AsyncSession, scope: Scope) -> Scope:
    """The scope with its station's standing now, what the API's permission checks read: a suspended or
    terminated station reads and does not submit; an applicant (in onboarding, not yet a station of the
    network) holds only what its application needs, whatever its role grants a live station."""
    if not scope.is_station:
        return scope
    await session.connection()  # the transaction's scope statement reads the standing (core/db.py)
    status = session.info.get(STANDING) or await session.scalar(
        select(Station.status).where(Station.id == scope.station_id)
    )
    if status == StationStatus.APPLICANT:
        return dataclasses.replace(scope, permissions=scope.permissions & APPLICANT_PERMISSIONS)
    return dataclasses.replace(scope, station_closed=status in CLOSED_STATIONS)


async def require_open_station(session: AsyncSession, scope: Scope) -> None:
    """For the plain-HTTP writes; GraphQL mutations check the same in their permission."""
    if await station_is_closed(session, scope):
        raise Forbidden(SUSPENDED_MESSAGE)


async def network_today(session: AsyncSession, network_id: UUID | None) -> date:
    """Today where the network works (its IANA time zone): a change made this morning in Shanghai happened
    today, whatever the date is in UTC."""
    zone = await session.scalar(select(Network.time_zone).where(Network.id == network_id))
    return datetime.now(ZoneInfo(zone or "UTC")).date()
