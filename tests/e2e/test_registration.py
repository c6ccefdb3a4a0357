"""Public registration over HTTP: a prospective dealer registers, confirms the mailed link, logs in to its
own applicant tenant and finds its draft application; the limits, the refusals and what they leave behind."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.access import Role, permissions_of
from dealernet.core.journal import JournalEntry
from dealernet.core.mail import MemoryMailer
from dealernet.core.scope import DbRole, Scope
from dealernet.network import jobs as network_jobs
from dealernet.network.models import Application, Registration
from dealernet.tenants.models import Membership, Network, Station
from tests.conftest import Deliver, MakeApplicant, Principal, Tenants, graphql
from tests.e2e.test_identity import ask, login
from tests.factories import PASSWORD

REGISTER = """mutation($input: RegisterApplicantInput!) { registerApplicant(input: $input) {
  __typename ... on RegisterApplicantSuccess { email }
  ... on RateLimitedError { retryAfterSeconds } ... on ValidationError { fields { field message } }
  ... on UserError { code message } } }"""
VERIFY = """mutation($input: VerifyRegistrationInput!) { verifyRegistration(input: $input) {
  __typename ... on VerifyRegistrationSuccess { email } ... on UserError { code message } } }"""
MY_APPLICATION = "{ myApplication { companyName stage stageLabel { en } } viewer { role station { status } } }"


async def register(client: httpx.AsyncClient, **fields: str) -> dict[str, Any]:
    body = await graphql(client, REGISTER, None, input=fields)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["registerApplicant"]
    return result


def link_token(mailer: MemoryMailer, email: str) -> str:
    message = [m for m in mailer.sent if m.to == email][-1]
    found = re.search(r"verify-registration\?token=([\w-]+)", message.body)
    assert found is not None, message.body
    return found.group(1)


async def test_a_dealer_registers_confirms_and_finds_its_draft_application(
    client: httpx.AsyncClient, network_code: str, deliver: Deliver, mailer: MemoryMailer, seed: AsyncSession
) -> None:
    email = "owner@east-motors.test"
    registered = await register(client, networkCode=network_code.lower(), companyName=" East Motors ", email=email)
    assert registered == {"__typename": "RegisterApplicantSuccess", "email": email}
    # Nothing but the registration exists until the address is confirmed.
    assert await seed.scalar(select(func.count()).select_from(Station).where(Station.name == "East Motors")) == 0
    await deliver()
    token = link_token(mailer, email)

    body = await graphql(client, VERIFY, None, input={"token": token, "password": PASSWORD, "displayName": "Ms Li"})
    assert body["data"]["verifyRegistration"] == {"__typename": "VerifyRegistrationSuccess", "email": email}
    tokens = await login(client, email, PASSWORD)
    mine = (await ask(client, MY_APPLICATION, tokens["access_token"]))["data"]
    assert mine["myApplication"] == {
        "companyName": "East Motors",
        "stage": "DRAFT",
        "stageLabel": {"en": "application in progress"},
    }
    assert mine["viewer"] == {"role": "station_manager", "station": {"status": "APPLICANT"}}

    station = (await seed.scalars(select(Station).where(Station.name == "East Motors"))).one()
    assert station.code.startswith("APP-")
    journal = (await seed.scalars(select(JournalEntry).where(JournalEntry.station_id == station.id))).all()
    assert [(e.entity, e.action) for e in journal] == [("application", "registered")]
    # The link works once.
    again = await graphql(client, VERIFY, None, input={"token": token, "password": PASSWORD})
    assert again["data"]["verifyRegistration"]["__typename"] == "NotFoundError"
    assert await seed.scalar(select(func.count()).select_from(Station).where(Station.name == "East Motors")) == 1


async def test_an_existing_user_confirms_with_their_own_password(
    client: httpx.AsyncClient,
    network_code: str,
    deliver: Deliver,
    mailer: MemoryMailer,
    tenants: Tenants,
    seed: AsyncSession,
) -> None:
    """A dealer group applying for another site: the account gains a membership, its password unchanged."""
    email = tenants.manager_a.email
    await register(client, networkCode=network_code, companyName="Second Site Motors", email=email)
    await deliver()
    token = link_token(mailer, email)
    wrong = await graphql(client, VERIFY, None, input={"token": token, "password": "someone else's guess"})
    assert [e["extensions"]["code"] for e in wrong["errors"]] == ["UNAUTHENTICATED"]
    assert await seed.scalar(select(func.count()).select_from(Station).where(Station.name == "Second Site Motors")) == 0

    body = await graphql(client, VERIFY, None, input={"token": token, "password": PASSWORD})
    assert body["data"]["verifyRegistration"]["__typename"] == "VerifyRegistrationSuccess"
    memberships = await seed.scalar(
        select(func.count()).select_from(Membership).where(Membership.user_id == tenants.manager_a.user_id)
    )
    assert memberships == 2


async def test_registrations_are_limited_per_address_and_per_email(
    client: httpx.AsyncClient, network_code: str, seed: AsyncSession
) -> None:
    for n in range(3):
        result = await register(client, networkCode=network_code, companyName=f"Same {n}", email="same@x.test")
        assert result["__typename"] == "RegisterApplicantSuccess"
    limited = await register(client, networkCode=network_code, companyName="Same 4", email="same@x.test")
    assert limited["__typename"] == "RateLimitedError"
    assert 0 < limited["retryAfterSeconds"] <= 3600
    # Another address from the same client: the refused attempt counted too, so one more fits the
    # per-address limit of five, then no more.
    other = await register(client, networkCode=network_code, companyName="Other", email="a@x.test")
    assert other["__typename"] == "RegisterApplicantSuccess"
    blocked = await register(client, networkCode=network_code, companyName="Other", email="c@x.test")
    assert blocked["__typename"] == "RateLimitedError"
    count = await seed.scalar(select(func.count()).select_from(Registration).where(Registration.email == "c@x.test"))
    assert count == 0


async def test_bad_registrations_are_refused_and_write_nothing(
    client: httpx.AsyncClient, network_code: str, seed: AsyncSession
) -> None:
    before = await seed.scalar(select(func.count()).select_from(Registration))
    invalid = await register(client, networkCode=network_code, companyName="  ", email="not-an-address")
    assert invalid["__typename"] == "ValidationError"
    assert {f["field"] for f in invalid["fields"]} == {"email", "companyName"}
    assert await seed.scalar(select(func.count()).select_from(Registration)) == before


async def test_an_unknown_network_code_answers_like_a_known_one(
    client: httpx.AsyncClient, network_code: str, seed: AsyncSession, deliver: Deliver, mailer: MemoryMailer
) -> None:
    """Issue 14 item 4: NOT_FOUND for an unknown code let anyone enumerate the networks' codes."""
    known = await register(client, networkCode=network_code, companyName="Known", email="k@x.test")
    unknown = await register(client, networkCode="NO-SUCH-NETWORK", companyName="Unknown", email="u@x.test")
    assert known == {"__typename": "RegisterApplicantSuccess", "email": "k@x.test"}
    assert unknown == {"__typename": "RegisterApplicantSuccess", "email": "u@x.test"}
    await deliver()
    assert [m.to for m in mailer.sent] == ["k@x.test"]  # nothing recorded or sent for the unknown code
    assert (
        await seed.scalar(select(func.count()).select_from(Registration).where(Registration.email == "u@x.test")) == 0
    )


APPLICANT_READS = {
    "parts": "{ parts(first: 5) { edges { node { partNumber supplier { name } } } } }",
    "labourOperations": "{ labourOperations(first: 5) { edges { node { code } } } }",
    "serviceBom": '{ serviceBom(vehicleModel: "J6P") { quantity } }',
    "onboardingRules": "{ onboardingRules { committeeQuorum } }",
    "publications": "{ publications(first: 5) { edges { node { title } } } }",
    "journal": "{ journal(first: 5) { edges { cursor } } }",
}


@pytest.mark.parametrize("field", sorted(APPLICANT_READS))
async def test_an_applicant_reads_its_application_not_the_networks_catalogue(
    client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant, field: str
) -> None:
    """Issue 14 item 4: a self-registered applicant read the catalogue with its suppliers, labour operations,
    the service BOM and the onboarding rules; a live station's manager still does."""
    applicant = await make_applicant(tenants.network_x, "Curious Motors")
    refused = await graphql(client, APPLICANT_READS[field], applicant)
    assert refused["data"] is None
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    mine = await graphql(client, "{ myApplication { companyName } }", applicant)
    assert mine["data"]["myApplication"] == {"companyName": "Curious Motors"}
    if field != "journal":  # the manager of a live station reads the network's policy
        assert "errors" not in await graphql(client, APPLICANT_READS[field], tenants.manager_a)
    # Once it goes live, the same token reads what a station reads.
    await seed.execute(text("UPDATE stations SET status = 'active' WHERE id = :s"), {"s": applicant.station_id})
    assert "errors" not in await graphql(client, APPLICANT_READS[field], applicant)


async def test_an_expired_link_opens_nothing(
    client: httpx.AsyncClient, network_code: str, deliver: Deliver, mailer: MemoryMailer, seed: AsyncSession
) -> None:
    await register(client, networkCode=network_code, companyName="Late Motors", email="late@x.test")
    await deliver()
    token = link_token(mailer, "late@x.test")
    expire = "UPDATE registrations SET expires_at = now() - interval '1 minute' WHERE email = 'late@x.test'"
    await seed.execute(text(expire))
    await seed.commit()
    body = await graphql(client, VERIFY, None, input={"token": token, "password": PASSWORD})
    assert body["data"]["verifyRegistration"]["__typename"] == "NotFoundError"
    opened = select(func.count()).select_from(Application).where(Application.company_name == "Late Motors")
    assert await seed.scalar(opened) == 0


async def registered_applicant(
    client: httpx.AsyncClient, seed: AsyncSession, deliver: Deliver, mailer: MemoryMailer, network: UUID, company: str
) -> Principal:
    """An applicant as a prospective dealer becomes one: registers, confirms the mailed link, logs in."""
    code = await seed.scalar(select(Network.code).where(Network.id == network))
    email = f"owner@{company.lower().replace(' ', '-')}.test"
    assert (await register(client, networkCode=code, companyName=company, email=email))["__typename"] == (
        "RegisterApplicantSuccess"
    )
    await deliver()
    body = await graphql(client, VERIFY, None, input={"token": link_token(mailer, email), "password": PASSWORD})
    assert body["data"]["verifyRegistration"]["__typename"] == "VerifyRegistrationSuccess"
    tokens = await login(client, email, PASSWORD)
    row = (
        await seed.execute(
            select(Membership.user_id, Membership.station_id)
            .join(Station, Station.id == Membership.station_id)
            .where(Station.name == company)
        )
    ).one()
    scope = Scope(
        db_role=DbRole.station,
        network_id=network,
        station_id=row.station_id,
        actor_id=row.user_id,
        role=Role.STATION_MANAGER.value,
        permissions=permissions_of(Role.STATION_MANAGER),
    )
    return Principal(row.user_id, email, network, row.station_id, scope, tokens["access_token"])


async def test_unconfirmed_registrations_are_forgotten_after_a_while(
    client: httpx.AsyncClient, network_code: str, seed: AsyncSession, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    for email in ("stale@x.test", "fresh@x.test"):
        await register(client, networkCode=network_code, companyName="C", email=email)
    stale = "UPDATE registrations SET expires_at = now() - interval '31 days' WHERE email = 'stale@x.test'"
    await seed.execute(text(stale))
    await seed.commit()
    assert await network_jobs.forget_unconfirmed(sessionmaker) == 1
    left = await seed.scalars(
        select(Registration.email).where(Registration.email.in_(["stale@x.test", "fresh@x.test"]))
    )
    assert left.all() == ["fresh@x.test"]


async def test_hq_lists_the_live_network_without_the_applicants(
    client: httpx.AsyncClient, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    """Issue 14 item 15: HQ's stations listed applicant tenants with no way to tell or leave them out."""
    await make_applicant(tenants.network_x, "Pipeline Motors")
    query = "query($s: [StationStatus!]) { stations(first: 20, status: $s) { edges { node { name status } } } }"
    everyone = (await graphql(client, query, tenants.hq_x))["data"]["stations"]["edges"]
    live = (await graphql(client, query, tenants.hq_x, s=["ACTIVE"]))["data"]["stations"]["edges"]
    assert {"name": "Pipeline Motors", "status": "APPLICANT"} in [e["node"] for e in everyone]
    assert live
    assert {e["node"]["status"] for e in live} == {"ACTIVE"}
