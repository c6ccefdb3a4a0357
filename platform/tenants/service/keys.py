"""The token signing keys in the database: create, rotate, load.

Private keys are stored encrypted (Fernet) under a key derived from `DEALERNET_SIGNING_KEY`, so a copy
of the database alone cannot mint tokens. `dealernet keys rotate` retires the signing key (it keeps
verifying for one token lifetime) and creates the next; running API processes pick the new key up
within `RELOAD_SECONDS`, or at once when they meet a token signed with a `kid` they do not know.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from datetime import UTC, datetime

from cryptography.fernet import InvalidToken
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.jws import extract_compact
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import undefer

from dealernet.core.db import new_id
from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import AUTH_SCOPE
from dealernet.core.secrets import secret_box
from dealernet.core.settings import Settings
from dealernet.tenants.models import SigningKey
from dealernet.tenants.service.tokens import ALGORITHM, AccessClaims, TokenSigner, VerifyingKey

RELOAD_SECONDS = 60
UNKNOWN_KID_RELOAD_SECONDS = 5


class KeyDecryptionError(RuntimeError):
    """The stored keys were encrypted under another DEALERNET_SIGNING_KEY."""


async def create_key(session: AsyncSession, settings: Settings) -> str:
    """A new signing key; it signs from now on. Returns its kid."""
    key = ECKey.generate_key("P-256", private=True)
    kid = f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    session.add(
        SigningKey(
            id=new_id(),
            kid=kid,
            algorithm=ALGORITHM,
            private_jwk=secret_box(settings).encrypt(json.dumps(key.as_dict(private=True)).encode()).decode(),
            public_jwk=json.dumps(key.as_dict(private=False)),
        )
    )
    await session.flush()
    return kid


async def ensure_key(session: AsyncSession, settings: Settings) -> str | None:
    """Create the first key when there is no active one (migrate runs this); the new kid or None."""
    active = await session.scalar(select(SigningKey.kid).where(SigningKey.retired_at.is_(None)).limit(1))
    return None if active else await create_key(session, settings)


async def rotate(session: AsyncSession, settings: Settings) -> tuple[list[str], str]:
    """Retire the active keys and create the next one: (retired kids, new kid)."""
    retired = await session.scalars(
        update(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .values(retired_at=datetime.now(UTC))
        .returning(SigningKey.kid)
    )
    kids = list(retired)
    return kids, await create_key(session, settings)


async def load_signer(session: AsyncSession, settings: Settings) -> TokenSigner:
    """Every key that may still verify; the newest active one signs. Needs the auth (or seed) scope."""
    rows = await session.scalars(
        select(SigningKey).options(undefer(SigningKey.private_jwk)).order_by(SigningKey.created_at.desc())
    )
    fernet = secret_box(settings)
    keys: list[VerifyingKey] = []
    signing: VerifyingKey | None = None
    for row in rows:
        try:
            private = json.loads(fernet.decrypt(row.private_jwk.encode()))
        except InvalidToken as exc:
            raise KeyDecryptionError(
                f"signing key {row.kid} cannot be decrypted: DEALERNET_SIGNING_KEY differs from the one it was "
                "created with"
            ) from exc
        key = VerifyingKey(kid=row.kid, key=ECKey.import_key(private), retired_at=row.retired_at)
        keys.append(key)
        if signing is None and row.retired_at is None:
            signing = key
    return TokenSigner.for_settings(settings, keys, signing)


class KeyStore:
    """The API process's current TokenSigner, reloaded from the database every RELOAD_SECONDS, and at
    once (at most every few seconds) when a token names a kid we have not loaded."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.signer: TokenSigner | None = None
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    async def current(
        self, sessionmaker: async_sessionmaker[AsyncSession], *, max_age: float = RELOAD_SECONDS
    ) -> TokenSigner:
        if self.signer is not None and time.monotonic() - self._loaded_at < max_age:
            return self.signer
        async with self._lock:
            if self.signer is None or time.monotonic() - self._loaded_at >= max_age:
                async with sessionmaker(info={"scope": AUTH_SCOPE}) as session:
                    self.signer = await load_signer(session, self.settings)
                    await session.rollback()
                self._loaded_at = time.monotonic()
        return self.signer

    async def verify(self, sessionmaker: async_sessionmaker[AsyncSession], token: str) -> AccessClaims:
        signer = await self.current(sessionmaker)
        try:
            return signer.verify(token)
        except Unauthenticated:
            kid = _kid(token)
            if kid is None or kid in signer.kids:
                raise
        signer = await self.current(sessionmaker, max_age=UNKNOWN_KID_RELOAD_SECONDS)
        return signer.verify(token)


def _kid(token: str) -> str | None:
    try:
        return str(extract_compact(token.encode()).headers().get("kid"))
    except (JoseError, ValueError, TypeError):
        return None
