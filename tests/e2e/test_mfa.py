"""A second factor for HQ admins over HTTP (SECURITY.md AUTH-9): a password-only admin can read but not
change the network; TOTP enrolment; the password grant then asks for a one-time code, accepts each code
once, and a refreshed token keeps what the login proved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pyotp
import pytest

from dealernet.core.settings import Settings
from dealernet.tenants.service.factors import accepted_step
from tests.conftest import PartnerWorld, Serve, Tenants
from tests.factories import PASSWORD

START = """mutation { startMfaEnrollment { __typename
  ... on MfaEnrollment { secret provisioningUri } ... on UserError { code message } } }"""
CONFIRM = """mutation($code: String!) { confirmMfaEnrollment(code: $code) { __typename
  ... on MfaEnrollmentConfirmed { enrolledAt } ... on UserError { code message } } }"""
INVITE = """mutation { inviteUser(input: {email: "new.person@oem.example", role: HQ_QUALITY_ENGINEER}) {
  __typename } }"""
VIEWER = "{ viewer { secondFactor permissions } }"


async def password_grant(client: httpx.AsyncClient, email: str, **extra: str) -> httpx.Response:
    form = {"grant_type": "password", "username": email, "password": PASSWORD, **extra}
    return await client.post("/auth/token", data=form)


async def as_bearer(client: httpx.AsyncClient, access_token: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def enrol(client: httpx.AsyncClient, access_token: str) -> pyotp.TOTP:
    started = (await as_bearer(client, access_token, START))["data"]["startMfaEnrollment"]
    assert started["__typename"] == "MfaEnrollment"
    assert started["provisioningUri"].startswith("otpauth://totp/Dealernet:")
    totp = pyotp.TOTP(started["secret"])
    confirmed = (await as_bearer(client, access_token, CONFIRM, code=totp.now()))["data"]["confirmMfaEnrollment"]
    assert confirmed["__typename"] == "MfaEnrollmentConfirmed"
    return totp


def next_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    """A code of a later time step (the server allows one step of drift), so tests need not wait 30 s."""
    return totp.at(datetime.now(UTC) + timedelta(seconds=totp.interval * steps))


async def test_a_password_only_admin_reads_but_does_not_change_the_network(
    client: httpx.AsyncClient, tenants: Tenants
) -> None:
    tokens = (await password_grant(client, tenants.hq_x.email)).json()
    viewer = (await as_bearer(client, tokens["access_token"], VIEWER))["data"]["viewer"]
    assert viewer["secondFactor"] is False
    assert "network:read" in viewer["permissions"]
    assert "users:invite" not in viewer["permissions"]
    refused = await as_bearer(client, tokens["access_token"], INVITE)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "second factor" in refused["errors"][0]["message"]
    assert refused["data"] is None


async def test_enrolment_then_every_login_needs_a_fresh_code(client: httpx.AsyncClient, tenants: Tenants) -> None:
    email = tenants.hq_x.email
    first = (await password_grant(client, email)).json()
    wrong = (await as_bearer(client, first["access_token"], START))["data"]["startMfaEnrollment"]
    bad = (await as_bearer(client, first["access_token"], CONFIRM, code="000000"))["data"]["confirmMfaEnrollment"]
    assert bad["__typename"] == "ValidationError"
    totp = await enrol(client, first["access_token"])  # a restart replaced the first secret
    assert wrong["secret"] != totp.secret

    missing = await password_grant(client, email)
    assert missing.status_code == 401
    assert missing.json()["mfa_required"] is True
    assert "access_token" not in missing.json()

    assert (await password_grant(client, email, otp="123456")).status_code == 401

    code = next_code(totp)
    strong = await password_grant(client, email, otp=code)
    assert strong.status_code == 200, strong.text
    viewer = (await as_bearer(client, strong.json()["access_token"], VIEWER))["data"]["viewer"]
    assert viewer["secondFactor"] is True
    assert "users:invite" in viewer["permissions"]
    invited = await as_bearer(client, strong.json()["access_token"], INVITE)
    assert invited["data"]["inviteUser"]["__typename"] == "InviteUserSuccess"

    replayed = await password_grant(client, email, otp=code)
    assert replayed.status_code == 401  # a code is good once

    refreshed = await client.post(
        "/auth/token", data={"grant_type": "refresh_token", "refresh_token": strong.json()["refresh_token"]}
    )
    assert refreshed.status_code == 200
    again = (await as_bearer(client, refreshed.json()["access_token"], VIEWER))["data"]["viewer"]
    assert again["secondFactor"] is True


async def test_enrolling_twice_is_a_conflict(client: httpx.AsyncClient, tenants: Tenants) -> None:
    token = (await password_grant(client, tenants.manager_a.email)).json()["access_token"]
    await enrol(client, token)
    again = (await as_bearer(client, token, START))["data"]["startMfaEnrollment"]
    assert again["__typename"] == "ConflictError"


async def test_a_partner_client_has_no_second_factor_to_enrol(
    client: httpx.AsyncClient, partner_world: PartnerWorld
) -> None:
    form = {"grant_type": "client_credentials", "client_id": partner_world.client_p_id, "client_secret": PASSWORD}
    access_token = (await client.post("/auth/token", data=form)).json()["access_token"]
    body = await as_bearer(client, access_token, START)
    assert body["data"]["startMfaEnrollment"]["__typename"] == "ForbiddenError"


@pytest.fixture
async def strict(settings: Settings, serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings.model_copy(update={"login_lock_after": 2})) as http:
        yield http


async def test_a_locked_account_does_not_say_the_password_was_right(
    strict: httpx.AsyncClient, tenants: Tenants
) -> None:
    email = tenants.hq_x.email
    await enrol(strict, (await password_grant(strict, email)).json()["access_token"])
    failures = [await password_grant(strict, email, otp="999999") for _ in range(2)]
    locked = await password_grant(strict, email)  # right password, no code, account locked
    assert [r.status_code for r in failures] == [401, 401]
    assert locked.status_code == 401
    assert "mfa_required" not in locked.json()


def test_codes_allow_one_step_of_drift_and_never_repeat() -> None:
    secret = pyotp.random_base32()
    totp = pyotp.TOTP(secret)
    now = datetime.now(UTC)
    step = totp.timecode(now)
    assert accepted_step(secret, totp.at(now), None, now) == step
    assert accepted_step(secret, totp.at(now - timedelta(seconds=30)), None, now) == step - 1
    assert accepted_step(secret, totp.at(now + timedelta(seconds=30)), None, now) == step + 1
    assert accepted_step(secret, totp.at(now - timedelta(seconds=90)), None, now) is None
    assert accepted_step(secret, totp.at(now), step, now) is None  # used already
    assert accepted_step(secret, totp.at(now + timedelta(seconds=30)), step, now) == step + 1
