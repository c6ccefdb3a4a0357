"""Partners and their API clients: the OAuth2 client-credentials side of identity.

A client belongs to one partner in one network; a partner serving two OEMs has a client per network and
sees each network separately. Secrets are shown once, stored as argon2 hashes, and rotatable. A client
gets access tokens only (no refresh token) carrying the scopes it asked for among those it holds.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from dealernet.core import journal
from dealernet.core.access import CLIENT_SCOPES, Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, Unauthenticated, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.tenants.models import ApiClient, Partner, PartnerKind, PartnerNetwork, PersistedQuery
from dealernet.tenants.service.passwords import hash_password_async, verify_password
from dealernet.tenants.service.sign_in import PARTNER_CLIENT_ROLE, TokenPair
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner

BAD_CLIENT = "invalid client credentials"
MAX_DOCUMENT_LENGTH = 20_000


@dataclass(frozen=True)
class NewSecret:
    client: ApiClient
    secret: str


def _check_scopes(scopes: Sequence[str]) -> list[str]:
    allowed = {p.value for p in CLIENT_SCOPES}
    unknown = sorted(set(scopes) - allowed)
    if unknown or not scopes:
        raise ValidationFailed(
            "unknown or missing scopes",
            fields={
                "scopes": f"choose among {', '.join(sorted(allowed))}"
                + (f"; unknown: {', '.join(unknown)}" if unknown else "")
            },
        )
    return sorted(set(scopes))


async def link_partner(session: AsyncSession, *, network_id: UUID, code: str, name: str, kind: PartnerKind) -> Partner:
    """Register a partner organisation (if new) and link it to a network. Operator work: seed scope."""
    await session.execute(
        insert(Partner)
        .values(id=new_id(), code=code, name=name, kind=kind.value)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    partner = (await session.scalars(select(Partner).where(Partner.code == code))).one()
    await session.execute(
        insert(PartnerNetwork)
        .values(id=new_id(), network_id=network_id, partner_id=partner.id)
        .on_conflict_do_nothing(index_elements=["network_id", "partner_id"])
    )
    return partner


async def partners_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Partner]:
    """Partners linked to the scope's network (RLS also lets a partner see itself)."""
    linked = select(PartnerNetwork.partner_id).where(PartnerNetwork.network_id == scope.network_id)
    stmt = select(Partner).where(Partner.id.in_(ids), Partner.id.in_(linked))
    return {row.id: row for row in await session.scalars(stmt)}


async def list_partners(session: AsyncSession, scope: Scope) -> list[Partner]:
    linked = select(PartnerNetwork.partner_id).where(PartnerNetwork.network_id == scope.network_id)
    return list(await session.scalars(select(Partner).where(Partner.id.in_(linked)).order_by(Partner.code)))


def _new_secret() -> str:
    return f"dns_{secrets.token_urlsafe(32)}"


async def create_client(
    session: AsyncSession,
    scope: Scope,
    *,
    partner_id: UUID,
    name: str,
    scopes: Sequence[str],
    allow_list_only: bool = False,
    client_id: str | None = None,
    secret: str | None = None,
) -> NewSecret:
    """A new API client for a partner of the network; the secret is returned once and never again."""
    require(scope, Permission.partners_manage)
    if not await partners_by_id(session, scope, [partner_id]):
        raise NotFound("no such partner")
    if not name.strip():
        raise ValidationFailed("a name is required", fields={"name": "required"})
    secret = secret or _new_secret()
    client = ApiClient(
        id=new_id(),
        client_id=client_id or f"dnc_{secrets.token_hex(8)}",
        network_id=scope.network_id,
        partner_id=partner_id,
        name=name.strip()[:200],
        secret_hash=await hash_password_async(secret),
        scopes=_check_scopes(scopes),
        allow_list_only=allow_list_only,
        is_active=True,
    )
    session.add(client)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="api_client",
        entity_id=client.id,
        action="created",
        after=journal.snapshot(client, "client_id", "partner_id", "scopes", "allow_list_only"),
    )
    return NewSecret(client, secret)


async def _own_client(session: AsyncSession, scope: Scope, client_id: UUID) -> ApiClient:
    require(scope, Permission.partners_manage)
    client = (
        await session.scalars(
            select(ApiClient)
            .where(ApiClient.id == client_id, ApiClient.network_id == scope.network_id)
            .with_for_update()
        )
    ).first()
    if client is None:
        raise NotFound("no such API client")
    return client


async def rotate_secret(session: AsyncSession, scope: Scope, *, client_id: UUID) -> NewSecret:
    """A new secret; the old one stops working at once (tokens already issued live out their minutes)."""
    client = await _own_client(session, scope, client_id)
    secret = _new_secret()
    client.secret_hash = await hash_password_async(secret)
    await session.flush()
    await journal.record(session, scope, entity="api_client", entity_id=client.id, action="secret_rotated")
    return NewSecret(client, secret)


async def deactivate_client(session: AsyncSession, scope: Scope, *, client_id: UUID) -> ApiClient:
    """The client's tokens stop working at the next request."""
    client = await _own_client(session, scope, client_id)
    client.is_active = False
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="api_client",
        entity_id=client.id,
        action="deactivated",
        before={"is_active": True},
        after={"is_active": False},
    )
    return client


async def clients_of_network(session: AsyncSession, scope: Scope) -> list[ApiClient]:
    require(scope, Permission.partners_manage)
    stmt = select(ApiClient).where(ApiClient.network_id == scope.network_id).order_by(ApiClient.created_at)
    return list(await session.scalars(stmt))


async def client_credentials(
    session: AsyncSession, *, client_id: str, secret: str, requested: Sequence[str], signer: TokenSigner
) -> TokenPair:
    """The client-credentials grant (auth scope). Unknown client and wrong secret fail alike, at one cost."""
    client = (
        await session.scalars(
            select(ApiClient).options(undefer(ApiClient.secret_hash)).where(ApiClient.client_id == client_id)
        )
    ).first()
    # Read only: the connection goes back to the pool while argon2 runs (see service.login).
    if client is not None:
        session.expunge(client)
    await session.rollback()
    matches = await verify_password(client.secret_hash if client else None, secret)
    if client is None or not matches or not client.is_active:
        raise Unauthenticated(BAD_CLIENT)
    scopes = tuple(client.scopes) if not requested else tuple(sorted(set(requested)))
    if not set(scopes) <= set(client.scopes):
        raise ValidationFailed("invalid_scope", fields={"scope": "asks for more than the client holds"})
    claims = AccessClaims(
        subject=client.id,
        network_id=client.network_id,
        role=PARTNER_CLIENT_ROLE,
        partner_id=client.partner_id,
        client_id=client.id,
        scopes=scopes,
        allow_list_only=client.allow_list_only,
    )
    return TokenPair(signer.issue(claims), None, signer.lifetime)


def document_hash(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


async def register_persisted_query(
    session: AsyncSession, scope: Scope, *, client_id: UUID, document: str
) -> PersistedQuery:
    """Register a query document for a client (HQ); the client then sends only its SHA-256 hash."""
    client = await _own_client(session, scope, client_id)
    if not document.strip() or len(document) > MAX_DOCUMENT_LENGTH:
        raise ValidationFailed("document required", fields={"document": f"1 to {MAX_DOCUMENT_LENGTH} characters"})
    sha = document_hash(document)
    await session.execute(
        insert(PersistedQuery)
        .values(id=new_id(), network_id=scope.network_id, client_id=client.id, sha256=sha, document=document)
        .on_conflict_do_nothing(index_elements=["client_id", "sha256"])
    )
    return (
        await session.scalars(
            select(PersistedQuery).where(PersistedQuery.client_id == client.id, PersistedQuery.sha256 == sha)
        )
    ).one()


async def persisted_document(session: AsyncSession, scope: Scope, *, sha256: str) -> str | None:
    """The document a partner client registered under this hash (partner scope), if any."""
    stmt = select(PersistedQuery.document).where(
        PersistedQuery.client_id == scope.client_id, PersistedQuery.sha256 == sha256
    )
    return await session.scalar(stmt)
