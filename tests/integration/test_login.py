"""Login through the service: an unknown user costs one argon2 verification like a wrong password."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import Unauthenticated
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.tenants.service import passwords, sign_in
from dealernet.tenants.service.tokens import TokenSigner
from tests.conftest import Tenants
from tests.factories import PASSWORD

Scoped = Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]]


@pytest.mark.parametrize(
    ("email", "password", "accepted"),
    [("own", PASSWORD, True), ("own", "wrong", False), ("nobody@example.test", PASSWORD, False)],
)
async def test_every_login_attempt_verifies_one_hash(
    scoped: Scoped,
    tenants: Tenants,
    signer: TokenSigner,
    monkeypatch: pytest.MonkeyPatch,
    email: str,
    password: str,
    accepted: bool,
) -> None:
    calls: list[str] = []
    real = passwords.HASHER

    class CountingHasher:
        def verify(self, stored: str, given: str) -> bool:
            calls.append(stored)
            return real.verify(stored, given)

    monkeypatch.setattr(passwords, "HASHER", CountingHasher())
    login = tenants.manager_a.email if email == "own" else email
    async with scoped(AUTH_SCOPE) as session:
        try:
            pair = await sign_in.login(session, email=login.upper(), password=password, signer=signer, refresh_days=1)
            outcome = signer.verify(pair.access_token).station_id == tenants.station_a
        except Unauthenticated as exc:
            assert exc.message == sign_in.BAD_CREDENTIALS
            outcome = False

    assert outcome is accepted
    assert len(calls) == 1
