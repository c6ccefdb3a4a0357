"""Issue 14 item 13: the links the registration and invitation mails send open a page the app serves, which
completes what the link is for (until the web console takes these pages over)."""

from __future__ import annotations

import re

import httpx

from dealernet.core.mail import MemoryMailer
from tests.conftest import Deliver, Tenants, graphql
from tests.e2e.test_identity import INVITE, ask, login
from tests.e2e.test_registration import register


def mailed_link(mailer: MemoryMailer, email: str) -> str:
    message = [m for m in mailer.sent if m.to == email][-1]
    found = re.search(r"https?://[^/\s]+(/[\w-]+\?token=[\w-]+)", message.body)
    assert found is not None, message.body
    return found.group(1)


async def test_the_registration_link_opens_a_page_that_confirms_it(
    client: httpx.AsyncClient, network_code: str, deliver: Deliver, mailer: MemoryMailer
) -> None:
    await register(client, networkCode=network_code, companyName="Link Motors", email="owner@link.test")
    await deliver()
    link = mailed_link(mailer, "owner@link.test")
    page = await client.get(link)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    token = link.split("token=")[1]
    assert f'name="token" value="{token}"' in page.text
    assert 'type="password"' in page.text

    short = await client.post("/verify-registration", data={"token": token, "password": "short"})
    assert short.status_code == 400
    assert "at least 10 characters" in short.text
    assert f'value="{token}"' in short.text  # the form again, the token kept

    done = await client.post(
        "/verify-registration", data={"token": token, "password": "a long passphrase", "display_name": "Wang"}
    )
    assert done.status_code == 200
    assert "owner@link.test is confirmed" in done.text
    tokens = await login(client, "owner@link.test", "a long passphrase")
    mine = await ask(client, "{ myApplication { companyName } }", tokens["access_token"])
    assert mine["data"]["myApplication"] == {"companyName": "Link Motors"}

    used = await client.post("/verify-registration", data={"token": token, "password": "a long passphrase"})
    assert used.status_code == 404
    assert "unknown, used or expired" in used.text


async def test_the_invitation_link_opens_a_page_that_accepts_it(
    client: httpx.AsyncClient, tenants: Tenants, deliver: Deliver, mailer: MemoryMailer
) -> None:
    invited = await graphql(
        client,
        INVITE,
        tenants.hq_x,
        input={"email": "clerk@b.test", "role": "STATION_PARTS_CLERK", "stationId": str(tenants.station_b)},
    )
    assert invited["data"]["inviteUser"]["__typename"] == "InviteUserSuccess"
    await deliver()
    link = mailed_link(mailer, "clerk@b.test")
    assert (await client.get(link)).status_code == 200
    token = link.split("token=")[1]
    done = await client.post("/accept-invitation", data={"token": token, "password": "a long passphrase"})
    assert done.status_code == 200
    assert "clerk@b.test has joined" in done.text
    assert (await login(client, "clerk@b.test", "a long passphrase"))["access_token"]


async def test_a_page_escapes_what_it_is_given(client: httpx.AsyncClient) -> None:
    page = await client.get("/verify-registration", params={"token": '"><script>alert(1)</script>'})
    assert "<script>alert(1)" not in page.text
    assert "&quot;&gt;&lt;script&gt;" in page.text


async def test_a_nul_in_the_form_is_the_clients_mistake(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/accept-invitation", data={"token": "t", "password": "a long passphrase", "display_name": "Li\x00"}
    )
    assert answer.status_code == 400
    assert "NUL character" in answer.text
