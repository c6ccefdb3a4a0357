"""OEM staff single sign-on over HTTP against a real OpenID Connect provider on loopback (tests/oidc_provider):
discovery, PKCE, nonce, id-token verification, the role claim mapped to HQ roles, and every way a hostile
provider or a replayed callback is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role
from dealernet.core.journal import JournalEntry
from dealernet.tenants.models import ExternalIdentity, Network
from tests.conftest import MakePrincipal, Tenants, graphql
from tests.factories import UserFactory, persist
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

CONFIGURE = """mutation($input: ConfigureIdentityProviderInput!) { configureIdentityProvider(input: $input) {
  __typename ... on IdentityProviderSuccess { identityProvider { name issuer roleMapping { value role } } }
  ... on UserError { code message } ... on ValidationError { fields { field message } } } }"""
VIEWER = "{ viewer { email role secondFactor permissions network { code } } }"
PERSON = {"sub": "emp-1001", "email": "li.wei@oem.example", "email_verified": True, "name": "Li Wei"}


@pytest.fixture
async def idp() -> AsyncIterator[Provider]:
    async with running_provider() as provider:
        yield provider


@pytest.fixture
async def network_code(seed: AsyncSession, tenants: Tenants) -> str:
    code = await seed.scalar(select(Network.code).where(Network.id == tenants.network_x))
    assert code is not None
    return code


async def configure(client: httpx.AsyncClient, tenants: Tenants, idp: Provider, **overrides: Any) -> dict[str, Any]:
    payload = {
        "name": "oem-idp",
        "issuer": idp.issuer,
        "clientId": CLIENT_ID,
        "clientSecret": CLIENT_SECRET,
        "roleClaim": "groups",
        "roleMapping": [
            {"value": "dn-admins", "role": "HQ_ADMIN"},
            {"value": "dn-quality", "role": "HQ_QUALITY_ENGINEER"},
        ],
        **overrides,
    }
    body = await graphql(client, CONFIGURE, tenants.hq_x, input=payload)
    assert "errors" not in body, body["errors"]
    return dict(body["data"]["configureIdentityProvider"])


async def sign_in(client: httpx.AsyncClient, network_code: str) -> httpx.Response:
    """The browser's round trip: us → the provider → our callback."""
    start = await client.get(f"/auth/sso/{network_code}/oem-idp")
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as browser:
        at_provider = await browser.get(start.headers["location"])
    assert at_provider.status_code in (302, 307), at_provider.text
    back = urlsplit(at_provider.headers["location"])
    return await client.get(f"{back.path}?{back.query}")


@pytest.fixture
async def configured(client: httpx.AsyncClient, tenants: Tenants, idp: Provider) -> Provider:
    assert (await configure(client, tenants, idp))["__typename"] == "IdentityProviderSuccess"
    return idp


async def test_a_first_sign_in_creates_the_user_with_the_mapped_role(
    client: httpx.AsyncClient, configured: Provider, network_code: str, seed: AsyncSession
) -> None:
    configured.person = {**PERSON, "groups": ["staff", "dn-quality"]}
    response = await sign_in(client, network_code)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"]

    viewer = (
        await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
    ).json()["data"]["viewer"]
    assert viewer["email"] == PERSON["email"]
    assert viewer["role"] == "hq_quality_engineer"
    assert viewer["network"]["code"] == network_code
    assert viewer["secondFactor"] is True  # the OEM's provider owns the second factor

    # The request carried PKCE (S256) and a nonce; the provider checked the verifier at the token endpoint.
    request = configured.authorize_requests[-1]
    assert request["code_challenge_method"] == "S256"
    assert len(request["code_challenge"]) >= 43
    assert request["nonce"]
    assert request["state"]
    links = await seed.scalar(
        select(func.count()).select_from(ExternalIdentity).where(ExternalIdentity.subject == "emp-1001")
    )
    assert links == 1


async def test_the_role_follows_the_claim_on_the_next_sign_in_and_is_journaled(
    client: httpx.AsyncClient, configured: Provider, network_code: str, seed: AsyncSession
) -> None:
    configured.person = {**PERSON, "groups": ["dn-quality"]}
    assert (await sign_in(client, network_code)).status_code == 200
    configured.person = {**PERSON, "groups": ["dn-admins", "dn-quality"]}  # the first pair that matches wins
    again = await sign_in(client, network_code)
    assert again.status_code == 200
    viewer = (
        await client.post(
            "/graphql", json={"query": VIEWER}, headers={"Authorization": f"Bearer {again.json()['access_token']}"}
        )
    ).json()["data"]["viewer"]
    assert viewer["role"] == "hq_admin"
    assert "users:invite" in viewer["permissions"]
    actions = (
        await seed.scalars(
            select(JournalEntry.action).where(JournalEntry.entity == "membership").order_by(JournalEntry.seq)
        )
    ).all()
    assert actions[-2:] == ["joined by sso", "role from sso"]


async def test_a_callback_is_good_once(client: httpx.AsyncClient, configured: Provider, network_code: str) -> None:
    configured.person = {**PERSON, "groups": ["dn-quality"]}
    start = await client.get(f"/auth/sso/{network_code}/oem-idp")
    async with httpx.AsyncClient() as browser:
        back = urlsplit((await browser.get(start.headers["location"])).headers["location"])
    assert (await client.get(f"{back.path}?{back.query}")).status_code == 200
    replay = await client.get(f"{back.path}?{back.query}")
    assert replay.status_code == 401
    assert "already used" in replay.json()["error_description"]


async def test_a_forged_state_is_refused_before_the_provider_is_asked(
    client: httpx.AsyncClient, configured: Provider
) -> None:
    response = await client.get("/auth/sso/callback", params={"state": "made-up", "code": "whatever"})
    assert response.status_code == 401
    assert configured.token_requests == 0


@pytest.mark.parametrize("tamper", ["nonce", "audience", "key", "expired", "hs256"])
async def test_an_id_token_that_does_not_verify_is_refused(
    client: httpx.AsyncClient, configured: Provider, network_code: str, seed: AsyncSession, tamper: str
) -> None:
    configured.person = {**PERSON, "groups": ["dn-admins"]}
    configured.tamper = tamper
    response = await sign_in(client, network_code)
    assert response.status_code == 401
    assert "does not verify" in response.json()["error_description"]
    assert "access_token" not in response.json()
    assert await seed.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


async def test_a_person_the_mapping_gives_no_role_is_refused(
    client: httpx.AsyncClient, configured: Provider, network_code: str, seed: AsyncSession
) -> None:
    configured.person = {**PERSON, "groups": ["canteen"]}
    response = await sign_in(client, network_code)
    assert response.status_code == 401
    assert "no Dealernet role" in response.json()["error_description"]
    assert await seed.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


async def test_a_provider_cannot_take_over_an_existing_account(
    client: httpx.AsyncClient, configured: Provider, network_code: str, seed: AsyncSession
) -> None:
    existing = UserFactory.build(email="someone@elsewhere.example")
    await persist(seed, existing)
    configured.person = {**PERSON, "email": existing.email, "groups": ["dn-admins"]}
    response = await sign_in(client, network_code)
    assert response.status_code == 401
    assert "already exists" in response.json()["error_description"]


async def test_an_unverified_email_is_refused(
    client: httpx.AsyncClient, configured: Provider, network_code: str
) -> None:
    configured.person = {**PERSON, "email_verified": False, "groups": ["dn-admins"]}
    assert (await sign_in(client, network_code)).status_code == 401


async def test_unknown_and_inactive_providers_answer_not_found(
    client: httpx.AsyncClient, tenants: Tenants, idp: Provider, network_code: str
) -> None:
    assert (await client.get(f"/auth/sso/{network_code}/nobody")).status_code == 404
    await configure(client, tenants, idp, isActive=False)
    assert (await client.get(f"/auth/sso/{network_code}/oem-idp")).status_code == 404


async def test_configuring_is_validated_and_needs_a_second_factor(
    client: httpx.AsyncClient, tenants: Tenants, idp: Provider, make_principal: MakePrincipal
) -> None:
    bad = await configure(client, tenants, idp, roleMapping=[{"value": "x", "role": "STATION_MANAGER"}])
    assert bad["__typename"] == "ValidationError"
    assert bad["fields"][0]["field"] == "roleMapping.0.role"
    slug = await configure(client, tenants, idp, name="Not A Slug")
    assert slug["__typename"] == "ValidationError"

    password_only = await make_principal(tenants.network_x, None, Role.HQ_ADMIN, second_factor=False)
    body = await graphql(
        client,
        CONFIGURE,
        password_only,
        input={
            "name": "oem-idp",
            "issuer": idp.issuer,
            "clientId": CLIENT_ID,
            "clientSecret": "s",
            "roleMapping": [{"value": "a", "role": "HQ_ADMIN"}],
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "second factor" in body["errors"][0]["message"]


async def test_the_providers_secret_is_never_shown_and_networks_do_not_see_each_others(
    client: httpx.AsyncClient, tenants: Tenants, configured: Provider
) -> None:
    query = "{ identityProviders { name clientId } }"
    mine = await graphql(client, query, tenants.hq_x)
    assert mine["data"]["identityProviders"] == [{"name": "oem-idp", "clientId": CLIENT_ID}]
    other = await graphql(client, query, tenants.hq_y)
    assert other["data"]["identityProviders"] == []
    schema = await client.post("/graphql", json={"query": '{ __type(name: "IdentityProvider") { fields { name } } }'})
    names = {f["name"] for f in schema.json()["data"]["__type"]["fields"]}
    assert not any("secret" in name.lower() for name in names)
