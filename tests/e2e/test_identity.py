"""Identity over HTTP: invitations, dealer groups switching tenant, deactivation at once, partner client
credentials, key rotation, persisted queries (SECURITY.md AUTH-5..8)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.journal import JournalEntry
from dealernet.core.mail import MemoryMailer
from dealernet.core.settings import Settings
from dealernet.tenants.models import ApiClient
from dealernet.tenants.service import keys
from tests.conftest import Deliver, PartnerWorld, Serve, Tenants, graphql
from tests.factories import PASSWORD

INVITE = """mutation($input: InviteUserInput!) { inviteUser(input: $input) {
  __typename ... on InviteUserSuccess { invitation { id email role } } ... on UserError { code message } } }"""
ACCEPT = """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {
  __typename ... on AcceptInvitationSuccess { email role } ... on UserError { code message } } }"""
VIEWER = "{ viewer { role station { code } memberships { id role active } } }"


async def token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post("/auth/token", data=form)


async def login(client: httpx.AsyncClient, email: str, password: str, **extra: str) -> dict[str, Any]:
    response = await token(client, grant_type="password", username=email, password=password, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def ask(client: httpx.AsyncClient, query: str, access_token: str, **variables: Any) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(access_token)
    )
    body: dict[str, Any] = response.json()
    return body


MailTo = Callable[[str], Awaitable[str]]


@pytest.fixture
def mail_to(deliver: Deliver, mailer: MemoryMailer) -> MailTo:
    """mail_to(address) -> the token of the newest invitation e-mail the worker sent there."""

    async def token_sent_to(email: str) -> str:
        await deliver()
        return invitation_token(mailer, email)

    return token_sent_to


def invitation_token(mailer: MemoryMailer, email: str) -> str:
    message = [m for m in mailer.sent if m.to == email][-1]
    found = re.search(r"token=([\w-]+)", message.body)
    assert found is not None
    return found.group(1)


async def test_an_invited_manager_sets_a_password_and_logs_in(
    client: httpx.AsyncClient, tenants: Tenants, mail_to: MailTo, seed: AsyncSession
) -> None:
    invited = await graphql(
        client,
        INVITE,
        tenants.hq_x,
        input={"email": "New.Manager@B.test", "role": "STATION_MANAGER", "stationId": str(tenants.station_b)},
    )
    assert invited["data"]["inviteUser"]["__typename"] == "InviteUserSuccess"
    secret = await mail_to("new.manager@b.test")

    too_short = await graphql(client, ACCEPT, None, input={"token": secret, "password": "short"})
    accepted = await graphql(client, ACCEPT, None, input={"token": secret, "password": "a long passphrase"})
    again = await graphql(client, ACCEPT, None, input={"token": secret, "password": "a long passphrase"})
    tokens = await login(client, "new.manager@b.test", "a long passphrase")
    viewer = (await ask(client, VIEWER, tokens["access_token"]))["data"]["viewer"]

    assert too_short["data"]["acceptInvitation"]["__typename"] == "ValidationError"
    assert accepted["data"]["acceptInvitation"] == {
        "__typename": "AcceptInvitationSuccess",
        "email": "new.manager@b.test",
        "role": "STATION_MANAGER",
    }
    assert again["data"]["acceptInvitation"]["__typename"] == "NotFoundError"
    assert viewer["role"] == "station_manager"
    assert viewer["station"] == {"code": "BJ02"}
    actions = set(await seed.scalars(select(JournalEntry.action).where(JournalEntry.network_id == tenants.network_x)))
    assert {"invited", "joined"} <= actions


async def test_hq_invites_a_partners_person_who_then_sees_the_partners_slice(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld, mail_to: MailTo
) -> None:
    partner_p = str(relay.GlobalID("Partner", str(partner_world.partner_p)))
    partner_q = str(relay.GlobalID("Partner", str(partner_world.partner_q)))  # serves network Y only
    without = await graphql(client, INVITE, tenants.hq_x, input={"email": "rep@p.test", "role": "PARTNER_USER"})
    foreign = await graphql(
        client, INVITE, tenants.hq_x, input={"email": "rep@p.test", "role": "PARTNER_USER", "partnerId": partner_q}
    )
    by_manager = await graphql(
        client, INVITE, tenants.manager_a, input={"email": "rep@p.test", "role": "PARTNER_USER", "partnerId": partner_p}
    )
    invited = await graphql(
        client, INVITE, tenants.hq_x, input={"email": "rep@p.test", "role": "PARTNER_USER", "partnerId": partner_p}
    )
    assert without["data"]["inviteUser"]["__typename"] == "ValidationError"
    assert foreign["data"]["inviteUser"]["__typename"] == "NotFoundError"
    assert by_manager["data"]["inviteUser"]["__typename"] == "ForbiddenError"
    assert invited["data"]["inviteUser"]["__typename"] == "InviteUserSuccess"

    accept = {"token": await mail_to("rep@p.test"), "password": "a long passphrase"}
    assert (await graphql(client, ACCEPT, None, input=accept))["data"]["acceptInvitation"]["role"] == "PARTNER_USER"
    tokens = await login(client, "rep@p.test", "a long passphrase")
    query = "query($p: ID!, $q: ID!) { viewer { role } p: node(id: $p) { id } q: node(id: $q) { id } }"
    seen = await ask(client, query, tokens["access_token"], p=partner_p, q=partner_q)
    assert seen["data"] == {"viewer": {"role": "partner_user"}, "p": {"id": partner_p}, "q": None}


async def test_a_station_manager_cannot_invite_hq_staff(client: httpx.AsyncClient, tenants: Tenants) -> None:
    body = await graphql(client, INVITE, tenants.manager_a, input={"email": "boss@x.test", "role": "HQ_ADMIN"})
    assert body["data"]["inviteUser"]["__typename"] == "ForbiddenError"


async def test_a_station_manager_inviting_into_another_station_is_told_it_does_not_exist(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    """Issue 14 item 8: it used to answer Success and invite into the manager's own station instead."""
    before = await seed.scalar(text("SELECT count(*) FROM invitations"))
    body = await graphql(
        client,
        INVITE,
        tenants.manager_a,
        input={"email": "tech@b.test", "role": "STATION_TECHNICIAN", "stationId": str(tenants.station_b)},
    )
    assert body["data"]["inviteUser"] == {
        "__typename": "NotFoundError",
        "code": "NOT_FOUND",
        "message": "no such station",
    }
    assert await seed.scalar(text("SELECT count(*) FROM invitations")) == before
    own = await graphql(
        client,
        INVITE,
        tenants.manager_a,
        input={"email": "tech@a.test", "role": "STATION_TECHNICIAN", "stationId": str(tenants.station_a)},
    )
    assert own["data"]["inviteUser"]["__typename"] == "InviteUserSuccess"


async def test_a_dealer_group_member_switches_station_with_a_new_token(
    client: httpx.AsyncClient, tenants: Tenants, mail_to: MailTo
) -> None:
    # manager_a is invited to station B too and accepts with the password they already have.
    await graphql(
        client,
        INVITE,
        tenants.hq_x,
        input={"email": tenants.manager_a.email, "role": "STATION_MANAGER", "stationId": str(tenants.station_b)},
    )
    wrong = await graphql(
        client, ACCEPT, None, input={"token": await mail_to(tenants.manager_a.email), "password": "guess"}
    )
    accepted = await graphql(
        client, ACCEPT, None, input={"token": await mail_to(tenants.manager_a.email), "password": PASSWORD}
    )
    first = await login(client, tenants.manager_a.email, PASSWORD)
    memberships = (await ask(client, VIEWER, first["access_token"]))["data"]["viewer"]["memberships"]
    other = next(m["id"] for m in memberships if not m["active"])
    switched = await token(client, grant_type="refresh_token", refresh_token=first["refresh_token"], tenant=other)
    viewer = (await ask(client, VIEWER, switched.json()["access_token"]))["data"]["viewer"]

    assert [e["extensions"]["code"] for e in wrong["errors"]] == ["UNAUTHENTICATED"]
    assert accepted["data"]["acceptInvitation"]["__typename"] == "AcceptInvitationSuccess"
    assert len(memberships) == 2
    assert switched.status_code == 200
    assert viewer["station"] == {"code": "BJ02"}
    assert [m["active"] for m in viewer["memberships"] if m["id"] == other] == [True]


async def test_switching_to_someone_elses_membership_is_refused(client: httpx.AsyncClient, tenants: Tenants) -> None:
    first = await login(client, tenants.manager_a.email, PASSWORD)
    foreign = str(tenants.manager_b.scope.membership_id)
    switched = await token(client, grant_type="refresh_token", refresh_token=first["refresh_token"], tenant=foreign)
    assert switched.status_code == 401


async def test_auth5_deactivation_takes_effect_on_the_next_request(client: httpx.AsyncClient, tenants: Tenants) -> None:
    tokens = await login(client, tenants.manager_a.email, PASSWORD)
    before = await ask(client, "{ stations(first: 1) { edges { cursor } } }", tokens["access_token"])

    done = await graphql(
        client,
        "mutation($u: ID!) { deactivateUser(userId: $u) { __typename ... on DeactivateUserSuccess { deactivated } } }",
        tenants.hq_x,
        u=str(tenants.manager_a.user_id),
    )
    after = await ask(client, "{ stations(first: 1) { edges { cursor } } }", tokens["access_token"])
    refreshed = await token(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    relogin = await token(client, grant_type="password", username=tenants.manager_a.email, password=PASSWORD)

    assert "errors" not in before
    assert done["data"]["deactivateUser"] == {"__typename": "DeactivateUserSuccess", "deactivated": 1}
    assert [e["extensions"]["code"] for e in after["errors"]] == ["UNAUTHENTICATED"]
    assert refreshed.status_code == 401
    assert relogin.status_code == 401


async def test_auth8_a_partner_client_gets_a_scoped_access_token_only(
    client: httpx.AsyncClient, partner_world: PartnerWorld
) -> None:
    good = await token(
        client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret=PASSWORD
    )
    narrowed = await token(
        client,
        grant_type="client_credentials",
        client_id=partner_world.client_p_id,
        client_secret=PASSWORD,
        scope="parts:read",
    )
    wider = await token(
        client,
        grant_type="client_credentials",
        client_id=partner_world.client_p_id,
        client_secret=PASSWORD,
        scope="recovery:read",
    )
    wrong = await token(
        client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret="nope"
    )
    unknown = await token(client, grant_type="client_credentials", client_id="nobody", client_secret=PASSWORD)

    assert good.status_code == 200
    assert "refresh_token" not in good.json()
    assert narrowed.status_code == 200
    assert (wider.status_code, wider.json()["error"]) == (400, "invalid_scope")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    stations = await ask(client, "{ stations(first: 5) { edges { cursor } } }", good.json()["access_token"])
    assert [e["extensions"]["code"] for e in stations["errors"]] == ["FORBIDDEN"]


async def test_a_deactivated_client_token_stops_working_at_once(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    issued = await token(
        client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret=PASSWORD
    )
    access = issued.json()["access_token"]
    assert "errors" not in await ask(client, "{ viewer { role } }", access)

    done = await graphql(
        client,
        "mutation($i: ID!) { deactivateApiClient(id: $i) { __typename } }",
        tenants.hq_x,
        i=str(partner_world.client_p),
    )
    assert done["data"]["deactivateApiClient"]["__typename"] == "ApiClientSuccess", done

    # Any request that reads data runs the per-transaction check (one answering from no data reads nothing).
    network = str(relay.GlobalID("Network", str(tenants.network_x)))  # its own network: a row it reads
    after = await ask(client, "query($id: ID!) { node(id: $id) { id } }", access, id=network)
    assert [e["extensions"]["code"] for e in after["errors"]] == ["UNAUTHENTICATED"]


async def test_hq_creates_a_client_and_sees_the_secret_once(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld, seed: AsyncSession
) -> None:
    answer = await graphql(
        client,
        """mutation($p: ID!) { createApiClient(input: {partnerId: $p, name: "Analytics", scopes: ["claims:read"]}) {
          __typename ... on ApiClientSecret { client { id clientId scopes } clientSecret } } }""",
        tenants.hq_x,
        p=str(partner_world.partner_p),
    )
    created = answer["data"]["createApiClient"]
    issued = await token(
        client,
        grant_type="client_credentials",
        client_id=created["client"]["clientId"],
        client_secret=created["clientSecret"],
    )
    listed = await graphql(client, "{ apiClients { clientId } }", tenants.hq_x)
    stored = await seed.scalar(select(ApiClient).where(ApiClient.client_id == created["client"]["clientId"]))

    assert created["client"]["scopes"] == ["claims:read"]
    assert issued.status_code == 200
    assert "clientSecret" not in str(listed)
    assert stored is not None
    assert created["clientSecret"] not in str(stored.__dict__)


async def test_auth7_rotated_keys_keep_old_tokens_valid_and_sign_new_ones(
    settings: Settings, serve: Serve, seed: AsyncSession, tenants: Tenants
) -> None:
    async with serve(settings) as before:
        old = await login(before, tenants.manager_a.email, PASSWORD)
        old_keys = (await before.get("/.well-known/jwks.json")).json()["keys"]
    retired, new_kid = await keys.rotate(seed, settings)
    await seed.flush()

    async with serve(settings) as after:
        still = await ask(after, "{ viewer { role } }", old["access_token"])
        fresh = await login(after, tenants.manager_a.email, PASSWORD)
        published = (await after.get("/.well-known/jwks.json")).json()["keys"]

    assert [k["kid"] for k in old_keys] == retired
    assert still["data"]["viewer"]["role"] == "station_manager"
    assert _kid(fresh["access_token"]) == new_kid
    assert {k["kid"] for k in published} == {new_kid, *retired}
    assert all("d" not in k for k in published)


def _kid(jwt: str) -> str:
    header = jwt.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def test_persisted_queries_and_allow_list_mode(
    client: httpx.AsyncClient, tenants: Tenants, partner_world: PartnerWorld, seed: AsyncSession
) -> None:
    document = "{ viewer { role } }"
    registered = await graphql(
        client,
        "mutation($i: ID!, $d: String!) { registerPersistedQuery(clientId: $i, document: $d) { "
        "... on PersistedQuerySuccess { sha256 } } }",
        tenants.hq_x,
        i=str(partner_world.client_p),
        d=document,
    )
    sha = registered["data"]["registerPersistedQuery"]["sha256"]
    client_row = await seed.get(ApiClient, partner_world.client_p)
    assert client_row is not None
    client_row.allow_list_only = True
    await seed.flush()
    access = (
        await token(
            client, grant_type="client_credentials", client_id=partner_world.client_p_id, client_secret=PASSWORD
        )
    ).json()["access_token"]

    async def send(body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = (await client.post("/graphql", json=body, headers=bearer(access))).json()
        return result

    by_hash = await send({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}})
    by_text = await send({"query": document})
    other = await send({"query": "{ viewer { permissions } }"})
    unknown = await send({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}})

    assert sha == hashlib.sha256(document.encode()).hexdigest()
    assert by_hash == by_text == {"data": {"viewer": None}}  # a client is not a user: no viewer
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in unknown["errors"]] == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_the_invitation_mail_goes_through_the_outbox_and_leaves_no_secret_behind(
    client: httpx.AsyncClient, tenants: Tenants, mail_to: MailTo, seed: AsyncSession
) -> None:
    rows = "SELECT done_at IS NOT NULL AS done, payload FROM outbox WHERE job = 'tenants.send_invitation_mail'"
    refused = await graphql(client, INVITE, tenants.hq_x, input={"email": "not an address", "role": "HQ_ASSESSOR"})
    assert refused["data"]["inviteUser"]["__typename"] == "ValidationError"
    assert (await seed.execute(text(rows))).all() == []  # a refused invitation queues no e-mail

    await graphql(client, INVITE, tenants.hq_x, input={"email": "assessor@x.test", "role": "HQ_ASSESSOR"})
    pending = (await seed.execute(text(rows))).one()
    assert not pending.done
    assert "token" in pending.payload

    token = await mail_to("assessor@x.test")
    assert token not in pending.payload["token"]  # sealed: the raw token was never in the row
    assert (await seed.execute(text(rows))).one() == (True, {})
