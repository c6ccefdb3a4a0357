"""Bad tokens over HTTP: each is refused with UNAUTHENTICATED and reads nothing."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import replace

import httpx
import pytest
from joserfc.jwk import ECKey

from dealernet.core.settings import Settings
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner, VerifyingKey
from tests.conftest import Tenants

STATIONS = "{ viewer { id } stations(first: 5) { edges { node { id } } } }"


def _claims(t: Tenants) -> AccessClaims:
    p = t.manager_a
    assert p.scope.membership_id is not None
    return AccessClaims(
        subject=p.user_id,
        membership_id=p.scope.membership_id,
        network_id=p.network_id,
        station_id=p.station_id,
        role="station_manager",
    )


def _impostor(signer: TokenSigner) -> TokenSigner:
    """Another key under our signing key's kid."""
    assert signer.signing is not None
    fake = VerifyingKey(signer.signing.kid, ECKey.generate_key("P-256", private=True))
    return replace(signer, keys=[fake], signing=fake)


def _alg_none(token: str) -> str:
    _, payload, _ = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=").decode()
    return f"{header}.{payload}."


@pytest.mark.parametrize("kind", ["wrong", "expired", "other-key", "alg-none", "not-bearer"])
async def test_bad_tokens_are_unauthenticated(
    client: httpx.AsyncClient, tenants: Tenants, settings: Settings, signer: TokenSigner, kind: str
) -> None:
    claims = _claims(tenants)
    header = {
        "wrong": "Bearer not-a-token",
        "expired": "Bearer " + signer.issue(claims, now=int(time.time()) - 7200),
        "other-key": "Bearer " + _impostor(signer).issue(claims),
        "alg-none": "Bearer " + _alg_none(signer.issue(claims)),
        "not-bearer": "Basic " + base64.b64encode(b"manager:password").decode(),
    }[kind]

    response = await client.post("/graphql", json={"query": STATIONS}, headers={"Authorization": header})

    body = response.json()
    assert response.status_code == 200
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


async def test_a_good_token_reads(client: httpx.AsyncClient, tenants: Tenants) -> None:
    response = await client.post("/graphql", json={"query": STATIONS}, headers=tenants.manager_a.headers)
    assert len(response.json()["data"]["stations"]["edges"]) == 1
