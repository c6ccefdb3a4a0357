"""Access tokens: short-lived JWTs (joserfc) signed with the keys kept in `signing_keys`.

The newest active key signs; every key that is active, or was retired less than a token lifetime ago,
verifies. Each key pins its algorithm (ES256), `alg: none` and HMAC confusion are refused, the `kid` is
looked up among our keys only, and iss/aud/exp/nbf are checked. The public halves are published at
/.well-known/jwks.json. Verifying ES256 costs ~0.13 ms, so a verified token's claims are remembered
(bounded, until the token expires): a client reusing its token pays a dictionary lookup.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import extract_compact
from joserfc.jwt import JWTClaimsRegistry

from dealernet.core.errors import Unauthenticated
from dealernet.core.settings import Settings

ALGORITHM = "ES256"
LEEWAY_SECONDS = 5
_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: who (a user's membership, or a partner's API client) and which
    tenant is active."""

    subject: UUID
    network_id: UUID
    role: str
    membership_id: UUID | None = None
    station_id: UUID | None = None
    partner_id: UUID | None = None
    client_id: UUID | None = None
    scopes: tuple[str, ...] = ()
    region_ids: tuple[UUID, ...] = ()
    # A partner client in allow-list mode may run its registered queries only.
    allow_list_only: bool = False
    # The login passed a second factor (TOTP or the OEM's SSO); HQ admins need it to change things.
    second_factor: bool = False


@dataclass(frozen=True)
class VerifyingKey:
    kid: str
    key: ECKey
    retired_at: datetime | None = None


@dataclass
class TokenSigner:
    """Issues with the newest key, verifies with all current ones. Rebuilt when the keys change."""

    keys: Sequence[VerifyingKey]
    issuer: str
    audience: str
    lifetime: int
    signing: VerifyingKey | None = None
    _by_kid: dict[str, VerifyingKey] = field(init=False)
    _verified: OrderedDict[str, tuple[int, AccessClaims]] = field(init=False, default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self._by_kid = {key.kid: key for key in self.keys}
        self._claims_check = JWTClaimsRegistry(
            leeway=LEEWAY_SECONDS,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
            nbf={"essential": True},
            sub={"essential": True},
            net={"essential": True},
            role={"essential": True},
        )

    @classmethod
    def for_settings(
        cls, settings: Settings, keys: Sequence[VerifyingKey], signing: VerifyingKey | None
    ) -> TokenSigner:
        return cls(
            keys=keys,
            signing=signing,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime=settings.access_token_seconds,
        )

    @property
    def kids(self) -> frozenset[str]:
        return frozenset(self._by_kid)

    def issue(self, claims: AccessClaims, *, now: int | None = None) -> str:
        if self.signing is None:
            raise RuntimeError("no signing key: run `dealernet keys rotate` (or `dealernet migrate`)")
        issued = int(time.time()) if now is None else now
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(claims.subject),
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.lifetime,
            "jti": secrets.token_hex(8),
            "net": str(claims.network_id),
            "role": claims.role,
        }
        optional = {
            "mid": claims.membership_id,
            "stn": claims.station_id,
            "ptn": claims.partner_id,
            "cid": claims.client_id,
        }
        payload.update({name: str(value) for name, value in optional.items() if value is not None})
        if claims.scopes:
            payload["scope"] = " ".join(claims.scopes)
        if claims.region_ids:
            payload["rgn"] = [str(r) for r in claims.region_ids]
        if claims.allow_list_only:
            payload["pq"] = True
        if claims.second_factor:
            payload["mfa"] = True
        header = {"alg": ALGORITHM, "kid": self.signing.kid, "typ": "JWT"}
        return jwt.encode(header, payload, self.signing.key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> AccessClaims:
        """The token's claims, or Unauthenticated for anything forged, expired, malformed or foreign."""
        now = int(time.time())
        cached = self._verified.get(token)
        if cached is not None and cached[0] > now - LEEWAY_SECONDS:
            return cached[1]
        claims, expires = self._verify(token)
        self._verified[token] = (expires, claims)
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return claims

    def _verify(self, token: str) -> tuple[AccessClaims, int]:
        try:
            header = extract_compact(token.encode()).headers() if token.count(".") == 2 else {}
            key = self._by_kid.get(str(header.get("kid")))
            if key is None or header.get("alg") != ALGORITHM or not self._verifies(key):
                raise Unauthenticated("invalid token")
            decoded = jwt.decode(token, key.key, algorithms=[ALGORITHM])
            self._claims_check.validate(decoded.claims)
            c = decoded.claims
            return (
                AccessClaims(
                    subject=UUID(c["sub"]),
                    network_id=UUID(c["net"]),
                    role=str(c["role"]),
                    membership_id=_uuid(c.get("mid")),
                    station_id=_uuid(c.get("stn")),
                    partner_id=_uuid(c.get("ptn")),
                    client_id=_uuid(c.get("cid")),
                    scopes=tuple(str(c.get("scope", "")).split()),
                    region_ids=tuple(UUID(r) for r in c.get("rgn", [])),
                    allow_list_only=c.get("pq") is True,
                    second_factor=c.get("mfa") is True,
                ),
                int(c["exp"]),
            )
        except (JoseError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise Unauthenticated("invalid token") from exc

    def _verifies(self, key: VerifyingKey) -> bool:
        if key.retired_at is None:
            return True
        return key.retired_at.timestamp() + self.lifetime + LEEWAY_SECONDS > time.time()

    def jwks(self) -> dict[str, Any]:
        """The public keys that still verify, for /.well-known/jwks.json."""
        keys = [
            {**key.key.as_dict(private=False), "kid": key.kid, "alg": ALGORITHM, "use": "sig"}
            for key in self.keys
            if self._verifies(key)
        ]
        return {"keys": keys}


def _uuid(value: Any) -> UUID | None:
    return UUID(str(value)) if value else None
