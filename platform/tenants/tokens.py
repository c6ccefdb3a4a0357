"""Access tokens: short-lived JWTs (joserfc), algorithm pinned, key looked up by `kid` among our own keys.

Issue #4 moves the keys into the database with rotation and a JWKS endpoint; the interface stays.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from joserfc.jwt import JWTClaimsRegistry

from dealernet.errors import Unauthenticated
from dealernet.settings import Settings

ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says: who, and which tenant membership is active."""

    user_id: UUID
    membership_id: UUID
    network_id: UUID
    station_id: UUID | None
    role: str


class TokenSigner:
    """Signs and verifies access tokens with one HMAC key (pinned to HS256)."""

    def __init__(self, secret: str, *, issuer: str, audience: str, lifetime_seconds: int) -> None:
        raw = secret.encode()
        self.kid = hashlib.sha256(raw).hexdigest()[:16]
        self._key = OctKey.import_key(raw, {"kid": self.kid, "alg": ALGORITHM})
        self.issuer, self.audience, self.lifetime = issuer, audience, lifetime_seconds
        self._claims_check = JWTClaimsRegistry(
            leeway=5,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
            net={"essential": True},
            mid={"essential": True},
            role={"essential": True},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenSigner:
        return cls(
            settings.signing_key or _development_key(settings.data_dir),
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            lifetime_seconds=settings.access_token_seconds,
        )

    def issue(self, claims: AccessClaims, *, now: int | None = None) -> str:
        issued = int(time.time()) if now is None else now
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(claims.user_id),
            "iat": issued,
            "nbf": issued,
            "exp": issued + self.lifetime,
            "jti": secrets.token_hex(8),
            "mid": str(claims.membership_id),
            "net": str(claims.network_id),
            "stn": str(claims.station_id) if claims.station_id else None,
            "role": claims.role,
        }
        return jwt.encode({"alg": ALGORITHM, "kid": self.kid, "typ": "JWT"}, payload, self._key, algorithms=[ALGORITHM])

    def verify(self, token: str) -> AccessClaims:
        """The token's claims, or Unauthenticated for anything forged, expired, malformed or foreign."""
        try:
            decoded = jwt.decode(token, self._key, algorithms=[ALGORITHM])
            if decoded.header.get("kid") != self.kid:
                raise Unauthenticated("invalid token")
            self._claims_check.validate(decoded.claims)
            claims = decoded.claims
            return AccessClaims(
                user_id=UUID(claims["sub"]),
                membership_id=UUID(claims["mid"]),
                network_id=UUID(claims["net"]),
                station_id=UUID(claims["stn"]) if claims.get("stn") else None,
                role=str(claims["role"]),
            )
        except (JoseError, ValueError, KeyError, TypeError) as exc:
            raise Unauthenticated("invalid token") from exc


def _development_key(data_dir: Path) -> str:
    """A random key kept under the data directory, so development tokens survive a restart."""
    path = data_dir / "signing.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip()
