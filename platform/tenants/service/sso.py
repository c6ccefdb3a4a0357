"""Single sign-on for OEM staff: OpenID Connect against the network's identity provider.

The authorization-code flow with PKCE (S256) and a nonce, through authlib's async client: `begin` reads
the provider's discovery document and sends the browser there with a one-use `state` kept in Redis;
`finish` exchanges the code, verifies the id token against the provider's JWKS (signature, issuer,
audience, expiry, nonce, at_hash), maps one of its claims to an HQ role and issues our own tokens.

A provider's people become users of its network only: an e-mail address that already has an account
(made by invitation, or by another network's provider) is never taken over by a provider.
"""

from __future__ import annotations

import json
import secrets
import time
import warnings
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oidc.core import CodeIDToken
from cryptography.fernet import Fernet
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from redis.asyncio import Redis
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from dealernet.core import journal
from dealernet.core.access import Permission, Role, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, Unauthenticated, ValidationFailed
from dealernet.core.scope import DbRole, Scope
from dealernet.tenants.models import ExternalIdentity, IdentityProvider, Membership, Network, User
from dealernet.tenants.service import sign_in
from dealernet.tenants.service.tokens import TokenSigner

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 fork and warns when it falls back to httpx, which it still supports.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

BOX_PURPOSE = "identity provider secrets"
STATE_SECONDS = 600
METADATA_SECONDS = 300
HTTP_TIMEOUT_SECONDS = 10
# Asymmetric algorithms only: an HS256 id token would be signed with our client secret.
ID_TOKEN_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
# Roles an identity provider may grant. A regional manager needs regions, which a claim does not carry:
# invite them instead. Station and partner people are not the OEM's staff.
SSO_ROLES = frozenset(r for r in Role if r.is_hq_role and r is not Role.HQ_REGIONAL_MANAGER)
SIGN_IN_FAILED = "single sign-on failed"


@dataclass(frozen=True)
class RoleRule:
    value: str
    role: Role


def _state_key(state: str) -> str:
    return f"dealernet:sso:state:{state}"


# --- configuration (HQ admins) ----------------------------------------------------------------------


def _check_mapping(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    if not pairs:
        raise ValidationFailed("map at least one claim value to a role", fields={"role_mapping": "empty"})
    allowed = ", ".join(sorted(r.name for r in SSO_ROLES))
    problems = {}
    for index, (value, role) in enumerate(pairs):
        if not value.strip():
            problems[f"role_mapping.{index}.value"] = "empty"
        if role not in {r.value for r in SSO_ROLES}:
            problems[f"role_mapping.{index}.role"] = f"single sign-on grants {allowed}"
    if problems:
        raise ValidationFailed("the role mapping is not valid", fields=problems)
    return [{"value": value.strip(), "role": role} for value, role in pairs]


def _check_issuer(issuer: str) -> str:
    cleaned = issuer.strip().rstrip("/")
    if not cleaned.startswith(("https://", "http://")) or len(cleaned) > 500:
        raise ValidationFailed("the issuer is the provider's https:// URL", fields={"issuer": "not a URL"})
    return cleaned


async def configure_provider(
    session: AsyncSession,
    scope: Scope,
    *,
    box: Fernet,
    name: str,
    issuer: str,
    client_id: str,
    client_secret: str | None,
    role_claim: str,
    role_mapping: Sequence[tuple[str, str]],
    scopes: str = "openid email profile",
    is_active: bool = True,
) -> IdentityProvider:
    """Create the network's provider `name`, or change it (a secret left out keeps the stored one)."""
    require(scope, Permission.sso_manage)
    mapping = _check_mapping(role_mapping)
    issuer = _check_issuer(issuer)
    if "openid" not in scopes.split():
        raise ValidationFailed("the scopes must include openid", fields={"scopes": "needs openid"})
    if not role_claim.strip():
        raise ValidationFailed("name the id-token claim that carries the role", fields={"role_claim": "empty"})
    provider = (
        await session.scalars(select(IdentityProvider).where(IdentityProvider.name == name).with_for_update())
    ).first()
    fields = ("issuer", "client_id", "role_claim", "role_mapping", "is_active")
    before = journal.snapshot(provider, *fields) if provider is not None else None
    if provider is None:
        if not client_secret:
            raise ValidationFailed("a new provider needs its client secret", fields={"client_secret": "required"})
        provider = IdentityProvider(id=new_id(), network_id=scope.network_id, name=name, client_secret_encrypted="")
        session.add(provider)
    if client_secret:
        provider.client_secret_encrypted = box.encrypt(client_secret.encode()).decode()
    provider.issuer, provider.client_id, provider.scopes = issuer, client_id.strip(), scopes
    provider.role_claim, provider.role_mapping, provider.is_active = role_claim.strip(), mapping, is_active
    provider.updated_at = datetime.now(UTC)
    try:
        await session.flush()
    except IntegrityError as exc:  # the name's slug check
        raise ValidationFailed(
            "the name is lower-case letters, digits and dashes", fields={"name": "not a slug"}
        ) from exc
    after = journal.snapshot(provider, *fields)
    await journal.record(
        session,
        scope,
        entity="identity_provider",
        entity_id=provider.id,
        action="configured" if before else "created",
        before=before,
        after=after,
    )
    return provider


async def list_providers(session: AsyncSession, scope: Scope) -> list[IdentityProvider]:
    require(scope, Permission.sso_manage)
    return list((await session.scalars(select(IdentityProvider).order_by(IdentityProvider.name))).all())


# --- the sign-in flow -----------------------------------------------------------------------------


@dataclass
class _Discovered:
    metadata: dict[str, Any]
    jwks: dict[str, Any] | None
    expires: float


_discovered: dict[str, _Discovered] = {}


async def _metadata(client: AsyncOAuth2Client, issuer: str) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0), kept for a few minutes."""
    known = _discovered.get(issuer)
    if known is not None and known.expires > time.monotonic():
        return known.metadata
    response = await client.request("GET", f"{issuer}/.well-known/openid-configuration", withhold_token=True)
    response.raise_for_status()
    metadata = response.json()
    if metadata.get("issuer", "").rstrip("/") != issuer:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the provider's discovery document names another issuer")
    _discovered[issuer] = _Discovered(metadata, None, time.monotonic() + METADATA_SECONDS)
    return metadata


async def _jwks(client: AsyncOAuth2Client, issuer: str, metadata: Mapping[str, Any], *, fresh: bool) -> KeySet:
    known = _discovered.get(issuer)
    if known is None or known.jwks is None or fresh:
        response = await client.request("GET", metadata["jwks_uri"], withhold_token=True)
        response.raise_for_status()
        if known is not None:
            known.jwks = response.json()
        return KeySet.import_key_set(response.json())
    return KeySet.import_key_set(known.jwks)  # type: ignore[arg-type]


async def _provider(session: AsyncSession, **where: Any) -> IdentityProvider:
    stmt = select(IdentityProvider).options(undefer(IdentityProvider.client_secret_encrypted))
    if "network_code" in where:
        stmt = stmt.join(Network, Network.id == IdentityProvider.network_id).where(
            Network.code == where["network_code"], IdentityProvider.name == where["name"]
        )
    else:
        stmt = stmt.where(IdentityProvider.id == where["id"])
    provider = (await session.scalars(stmt)).first()
    if provider is None or not provider.is_active:
        raise NotFound("no such single sign-on provider")
    return provider


@asynccontextmanager
async def _client(provider: IdentityProvider, box: Fernet, redirect_uri: str) -> AsyncIterator[AsyncOAuth2Client]:
    """authlib's client for the provider; a provider that cannot be reached is a clear sign-in failure."""
    client = AsyncOAuth2Client(
        client_id=provider.client_id,
        client_secret=box.decrypt(provider.client_secret_encrypted.encode()).decode(),
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        timeout=HTTP_TIMEOUT_SECONDS,
    )
    try:
        async with client:
            yield client
    except httpx.HTTPError as exc:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the identity provider could not be reached") from exc


async def begin(
    session: AsyncSession, redis: Redis, *, box: Fernet, network_code: str, name: str, redirect_uri: str
) -> str:
    """The URL to send the browser to. Its state, nonce and PKCE verifier wait in Redis for `finish`."""
    provider = await _provider(session, network_code=network_code, name=name)
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(24)
    async with _client(provider, box, redirect_uri) as client:
        metadata = await _metadata(client, provider.issuer)
        url, state = client.create_authorization_url(
            metadata["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
    pending = {"provider": str(provider.id), "verifier": verifier, "nonce": nonce, "redirect_uri": redirect_uri}
    await redis.set(_state_key(state), json.dumps(pending), ex=STATE_SECONDS)
    return str(url)


async def _verified_claims(
    client: AsyncOAuth2Client, provider: IdentityProvider, token: Mapping[str, Any], nonce: str
) -> CodeIDToken:
    if "id_token" not in token:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the provider returned no id token")
    metadata = await _metadata(client, provider.issuer)
    offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [a for a in offered if a in ID_TOKEN_ALGORITHMS]
    try:
        keys = await _jwks(client, provider.issuer, metadata, fresh=False)
        try:
            decoded = jwt.decode(token["id_token"], keys, algorithms=algorithms)
        except JoseError:  # a rotated key: read the JWKS again once
            decoded = jwt.decode(
                token["id_token"], await _jwks(client, provider.issuer, metadata, fresh=True), algorithms=algorithms
            )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": provider.issuer},
                "aud": {"essential": True, "value": provider.client_id},
            },
            params={"nonce": nonce, "client_id": provider.client_id, "access_token": token.get("access_token")},
        )
        claims.validate(leeway=60)
    except (JoseError, ValueError) as exc:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the id token does not verify ({type(exc).__name__})") from exc
    return claims


def role_for(claims: Mapping[str, Any], claim: str, mapping: Sequence[Mapping[str, str]]) -> Role | None:
    """The role of the first mapping pair the claim (a string or a list of strings) matches."""
    raw = claims.get(claim)
    values = (
        {raw} if isinstance(raw, str) else {v for v in raw if isinstance(v, str)} if isinstance(raw, list) else set()
    )
    for pair in mapping:
        if pair["value"] in values:
            return Role(pair["role"])
    return None


async def _user_of(session: AsyncSession, provider: IdentityProvider, claims: Mapping[str, Any]) -> UUID:
    """The user linked to the provider's subject; a first sign-in creates both."""
    now = datetime.now(UTC)
    link = (
        await session.scalars(
            select(ExternalIdentity).where(
                ExternalIdentity.provider_id == provider.id, ExternalIdentity.subject == str(claims["sub"])
            )
        )
    ).first()
    if link is not None:
        link.last_login_at = now
        return link.user_id
    email = str(claims.get("email") or "").strip().lower()
    if not email or claims.get("email_verified") is False:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the provider gave no verified e-mail address")
    if await session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            "an account with this e-mail address already exists and is not linked to this sign-on; "
            "ask your administrator"
        )
    user_id = new_id()
    session.add(User(id=user_id, email=email, display_name=str(claims.get("name") or "")[:200], is_active=True))
    await session.flush()
    session.add(
        ExternalIdentity(
            id=new_id(),
            network_id=provider.network_id,
            provider_id=provider.id,
            subject=str(claims["sub"]),
            user_id=user_id,
            last_login_at=now,
        )
    )
    return user_id


async def _membership(session: AsyncSession, provider: IdentityProvider, user_id: UUID, role: Role) -> Membership:
    """The user's HQ membership of the provider's network, created or given the role the claim says now."""
    membership = (
        await session.scalars(
            select(Membership).where(
                Membership.user_id == user_id,
                Membership.network_id == provider.network_id,
                Membership.station_id.is_(None),
                Membership.partner_id.is_(None),
            )
        )
    ).first()
    actor = Scope(db_role=DbRole.auth, network_id=provider.network_id, actor_id=user_id)
    if membership is None:
        membership = Membership(id=new_id(), user_id=user_id, network_id=provider.network_id, role=role.value)
        session.add(membership)
        await session.flush()
        after = journal.snapshot(membership, "user_id", "role")
        await journal.record(
            session, actor, entity="membership", entity_id=membership.id, action="joined by sso", after=after
        )
    elif not membership.is_active:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: your access to this network was deactivated")
    elif membership.role != role.value:
        before = journal.snapshot(membership, "role")
        membership.role = role.value
        await session.flush()
        await journal.record(
            session,
            actor,
            entity="membership",
            entity_id=membership.id,
            action="role from sso",
            before=before,
            after={"role": role.value},
        )
    return membership


async def finish(
    session: AsyncSession,
    redis: Redis,
    *,
    box: Fernet,
    state: str,
    code: str,
    signer: TokenSigner,
    refresh_days: int,
) -> sign_in.TokenPair:
    """Exchange the code (with the PKCE verifier), verify the id token, map the role, issue our tokens.
    A state is good once and for STATE_SECONDS."""
    raw = await redis.getdel(_state_key(state))
    if raw is None:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: the sign-in expired or was already used; start again")
    pending = json.loads(raw)
    provider = await _provider(session, id=UUID(pending["provider"]))
    async with _client(provider, box, pending["redirect_uri"]) as client:
        metadata = await _metadata(client, provider.issuer)
        try:
            token = await client.fetch_token(
                metadata["token_endpoint"], code=code, code_verifier=pending["verifier"], state=state
            )
        except OAuthError as exc:
            raise Unauthenticated(f"{SIGN_IN_FAILED}: the provider refused the code ({exc.error})") from exc
        claims = await _verified_claims(client, provider, token, pending["nonce"])
    role = role_for(claims, provider.role_claim, provider.role_mapping)
    if role is None:
        raise Unauthenticated(f"{SIGN_IN_FAILED}: your identity provider grants you no Dealernet role")
    user_id = await _user_of(session, provider, claims)
    if not await session.scalar(select(User.is_active).where(User.id == user_id)):
        raise Unauthenticated(f"{SIGN_IN_FAILED}: your account is deactivated")
    membership = await _membership(session, provider, user_id, role)
    # The OEM's identity provider is the second factor's owner: its sign-ins count as strong.
    return await sign_in.issue(
        session, signer, membership, family_id=new_id(), refresh_days=refresh_days, second_factor=True
    )
