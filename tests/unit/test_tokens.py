"""Access tokens: only our own, unexpired, HS256-signed tokens with every claim verify (SECURITY.md AUTH-4)."""

from __future__ import annotations

import base64
import json
import time

import pytest

from dealernet.db import new_id
from dealernet.errors import Unauthenticated
from dealernet.tenants.tokens import AccessClaims, TokenSigner

CLAIMS = AccessClaims(
    user_id=new_id(), membership_id=new_id(), network_id=new_id(), station_id=new_id(), role="station_manager"
)


def signer(secret: str = "s" * 48, **kw: object) -> TokenSigner:
    options: dict[str, object] = {"issuer": "dealernet", "audience": "dealernet-api", "lifetime_seconds": 900}
    options.update(kw)
    return TokenSigner(secret, **options)  # type: ignore[arg-type]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_round_trips() -> None:
    assert signer().verify(signer().issue(CLAIMS)) == CLAIMS


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        signer().verify(signer("t" * 48).issue(CLAIMS))


def test_an_expired_token_is_refused() -> None:
    old = signer().issue(CLAIMS, now=int(time.time()) - 3600)
    with pytest.raises(Unauthenticated):
        signer().verify(old)


def test_a_token_for_another_audience_or_issuer_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        signer().verify(signer(audience="someone-else").issue(CLAIMS))
    with pytest.raises(Unauthenticated):
        signer().verify(signer(issuer="someone-else").issue(CLAIMS))


def test_alg_none_is_refused() -> None:
    _, payload, _ = signer().issue(CLAIMS).split(".")
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': signer().kid})}.{payload}."
    with pytest.raises(Unauthenticated):
        signer().verify(unsigned)


def test_a_tampered_payload_is_refused() -> None:
    header, payload, signature = signer().issue(CLAIMS).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "hq_admin"
    with pytest.raises(Unauthenticated):
        signer().verify(f"{header}.{_b64(claims)}.{signature}")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "a.b", "....", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(Unauthenticated):
        signer().verify(garbage)
