"""Access tokens: only our own, unexpired, ES256-signed tokens with every claim verify (SECURITY.md AUTH-4,
AUTH-7 rotation)."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from dealernet.core.db import new_id
from dealernet.core.errors import Unauthenticated
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner, VerifyingKey

CLAIMS = AccessClaims(
    subject=new_id(), membership_id=new_id(), network_id=new_id(), station_id=new_id(), role="station_manager"
)
KEY = VerifyingKey("k1", ECKey.generate_key("P-256", private=True))
OTHER = VerifyingKey("k1", ECKey.generate_key("P-256", private=True))  # same kid, another key


def signer(*keys: VerifyingKey, signing: VerifyingKey | None = KEY, **kw: object) -> TokenSigner:
    options: dict[str, object] = {"issuer": "dealernet", "audience": "dealernet-api", "lifetime": 900}
    options.update(kw)
    return TokenSigner(keys=list(keys or [KEY]), signing=signing, **options)  # type: ignore[arg-type]


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_token_round_trips() -> None:
    assert signer().verify(signer().issue(CLAIMS)) == CLAIMS


def test_a_token_signed_with_another_key_under_our_kid_is_refused() -> None:
    with pytest.raises(Unauthenticated):
        signer().verify(signer(OTHER, signing=OTHER).issue(CLAIMS))


def test_an_unknown_kid_is_refused() -> None:
    stranger = VerifyingKey("k9", ECKey.generate_key("P-256", private=True))
    with pytest.raises(Unauthenticated):
        signer().verify(signer(stranger, signing=stranger).issue(CLAIMS))


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
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': 'k1'})}.{payload}."
    with pytest.raises(Unauthenticated):
        signer().verify(unsigned)


def test_hmac_signed_with_the_public_key_is_refused() -> None:
    """Algorithm confusion: an HS256 token whose secret is our published public key."""
    public = json.dumps(KEY.key.as_dict(private=False)).encode()
    _, payload, _ = signer().issue(CLAIMS).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = jwt.encode({"alg": "HS256", "kid": "k1"}, claims, OctKey.import_key(public), algorithms=["HS256"])
    with pytest.raises(Unauthenticated):
        signer().verify(forged)


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


def test_a_retired_key_verifies_for_one_token_lifetime_and_is_not_published_after() -> None:
    token = signer().issue(CLAIMS)
    new = VerifyingKey("k2", ECKey.generate_key("P-256", private=True))
    just_retired = VerifyingKey("k1", KEY.key, retired_at=datetime.now(UTC))
    long_retired = VerifyingKey("k1", KEY.key, retired_at=datetime.now(UTC) - timedelta(hours=1))

    assert signer(new, just_retired, signing=new).verify(token) == CLAIMS
    assert {k["kid"] for k in signer(new, just_retired, signing=new).jwks()["keys"]} == {"k1", "k2"}
    with pytest.raises(Unauthenticated):
        signer(new, long_retired, signing=new).verify(token)
    assert {k["kid"] for k in signer(new, long_retired, signing=new).jwks()["keys"]} == {"k2"}


def test_the_jwks_has_no_private_part() -> None:
    (published,) = signer().jwks()["keys"]
    assert "d" not in published
    assert published["alg"] == "ES256"


def test_a_remembered_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    verifier = signer(lifetime=60)
    token = verifier.issue(CLAIMS)
    assert verifier.verify(token) == CLAIMS  # remembered from here on
    later = time.time() + 120
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated):
        verifier.verify(token)
