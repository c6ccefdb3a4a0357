"""A station's own API clients, for its dealer management system (DMS): the station's manager creates one
(its secret is shown once), revokes it, and lists them; HQ lists its network's. The DMS signs in with the
client-credentials grant and gets a token scoped to that station with the DMS role: it submits customers
and repair orders through the same mutations and checks as a service adviser, and touches nothing of
another station (RLS keys every row on the station).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from dealernet.core import journal
from dealernet.core.access import Permission, Role, require
from dealernet.core.db import new_id
from dealernet.core.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.tenants.models import StationClient
from dealernet.tenants.service.passwords import hash_password_async, verify_password
from dealernet.tenants.service.sign_in import TokenPair
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner

PREFIX = "dms_"  # a station client's id; the token endpoint tells the kinds of client apart by it
BAD_CLIENT = "invalid client credentials"


@dataclass(frozen=True)
class NewStationSecret:
    client: StationClient
    secret: str  # shown once


def _station_of(scope: Scope) -> UUID:
    if scope.station_id is None:
        raise Forbidden("a station's API clients are created by the station")
    return scope.station_id


async def create_station_client(session: AsyncSession, scope: Scope, *, name: str) -> NewStationSecret:
    require(scope, Permission.station_clients_manage)
    station_id = _station_of(scope)
    if not name.strip() or len(name.strip()) > 200:
        raise ValidationFailed("name the client (its DMS), at most 200 characters", fields={"name": "required"})
    secret = f"dss_{secrets.token_urlsafe(32)}"
    client = StationClient(
        station_id=station_id,
        id=new_id(),
        network_id=scope.network_id,
        client_id=f"{PREFIX}{secrets.token_hex(8)}",
        name=name.strip(),
        secret_hash=await hash_password_async(secret),
        is_active=True,
        created_by=scope.actor_id,
    )
    session.add(client)
    await session.flush()
    after = {"client_id": client.client_id, "name": client.name}
    await journal.record(session, scope, entity="station_client", entity_id=client.id, action="created", after=after)
    return NewStationSecret(client, secret)


async def deactivate_station_client(session: AsyncSession, scope: Scope, *, client_id: UUID) -> StationClient:
    """Revoke: the client's tokens stop at their next request."""
    require(scope, Permission.station_clients_manage)
    station_id = _station_of(scope)
    client = await session.get(StationClient, (station_id, client_id), with_for_update=True)
    if client is None:
        raise NotFound("no such API client of your station", fields={"client_id": "not found"})
    if client.is_active:
        client.is_active = False
        await session.flush()
        await journal.record(
            session, scope, entity="station_client", entity_id=client.id, action="deactivated",
            before={"is_active": True}, after={"is_active": False},
        )  # fmt: skip
    return client


async def station_clients(session: AsyncSession, scope: Scope) -> list[StationClient]:
    """A station's clients (its manager), or every station's of the network (HQ's admins)."""
    require(scope, Permission.station_clients_manage)
    stmt = select(StationClient).order_by(StationClient.created_at, StationClient.id)
    return list(await session.scalars(stmt))


async def station_client_credentials(
    session: AsyncSession, *, client_id: str, secret: str, signer: TokenSigner
) -> TokenPair:
    """The client-credentials grant for a station's client (auth scope); unknown and wrong fail alike."""
    client = (
        await session.scalars(
            select(StationClient)
            .options(undefer(StationClient.secret_hash))
            .where(StationClient.client_id == client_id)
        )
    ).first()
    if client is not None:
        session.expunge(client)
    await session.rollback()  # the connection goes back to the pool while argon2 runs
    matches = await verify_password(client.secret_hash if client else None, secret)
    if client is None or not matches or not client.is_active:
        raise Unauthenticated(BAD_CLIENT)
    claims = AccessClaims(
        subject=client.id,
        network_id=client.network_id,
        role=Role.STATION_DMS.value,
        station_id=client.station_id,
        client_id=client.id,
    )
    return TokenPair(signer.issue(claims), None, signer.lifetime)
