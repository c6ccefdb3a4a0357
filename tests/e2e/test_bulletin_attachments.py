"""Bulletin attachments over HTTP: HQ attaches a PDF to a draft bulletin (type, size and content checked), the
stations it is delivered to download it, nobody else can, and a published bulletin takes no more files."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.policy.models import BulletinAttachment
from dealernet.tenants.models import Station
from tests.conftest import Principal, Tenants, graphql
from tests.factories import network_today

PDF = b"%PDF-1.7\n% a bulletin\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DRAFT = """mutation { draftBulletin(input: {title: "Pad wear", effectiveOn: "%s", number: "TSB-9", body: "# Pads",
  target: {tiers: ["A"]}}) { ... on PublicationSuccess { publication { id } } } }"""
ATTACHMENTS = """query($id: ID!) { node(id: $id) { ... on Publication { bulletin { attachments {
  id filename contentType size sha256 url } } } } }"""


async def attach(
    client: httpx.AsyncClient, who: Principal | None, bulletin: str, name: str, content: bytes
) -> httpx.Response:
    headers = who.headers if who else {}
    files = {"file": (name, content, "application/octet-stream")}
    return await client.post(f"/bulletins/{bulletin}/attachments", headers=headers, files=files)


async def test_attach_download_and_who_may_not(client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants) -> None:
    t = tenants
    await seed.execute(update(Station).where(Station.id == t.station_a).values(tier="A"))
    today = network_today()
    bulletin = (await graphql(client, DRAFT % today, t.hq_x))["data"]["draftBulletin"]["publication"]["id"]

    sent = await attach(client, t.hq_x, bulletin, "制动片检查.pdf", PDF)
    assert sent.status_code == 201, sent.json()
    attachment = sent.json()
    assert (attachment["contentType"], attachment["size"]) == ("application/pdf", len(PDF))
    assert attachment["sha256"] == hashlib.sha256(PDF).hexdigest()
    for name, content in (("virus.exe", b"MZ..."), ("fake.pdf", b"<html>not a pdf</html>"), ("empty.pdf", b"")):
        refused = await attach(client, t.hq_x, bulletin, name, content)
        assert (refused.status_code, refused.json()["code"]) == (400, "VALIDATION"), name
    for who, status in ((t.manager_a, 403), (t.hq_y, 404), (None, 401)):
        assert (await attach(client, who, bulletin, "b.pdf", PDF)).status_code == status

    published = await graphql(client, "mutation($id: ID!) { publish(id: $id) { __typename } }", t.hq_x, id=bulletin)
    assert published["data"]["publish"]["__typename"] == "PublishSuccess"
    late = await attach(client, t.hq_x, bulletin, "late.pdf", PDF)
    assert (late.status_code, late.json()["code"]) == (409, "CONFLICT")
    assert await seed.scalar(select(func.count()).select_from(BulletinAttachment)) == 1

    listed = (await graphql(client, ATTACHMENTS, t.manager_a, id=bulletin))["data"]["node"]["bulletin"]["attachments"]
    assert [(a["id"], a["filename"]) for a in listed] == [(attachment["id"], "制动片检查.pdf")]
    download = await client.get(listed[0]["url"], headers=t.manager_a.headers)
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert f"filename*=UTF-8''{quote('制动片检查.pdf')}" in download.headers["content-disposition"]
    for who in (t.manager_b, t.hq_y):  # not delivered to B (tier B); another network
        denied = await client.get(listed[0]["url"], headers=who.headers)
        assert (denied.status_code, denied.json()["code"]) == (404, "NOT_FOUND")
        assert PDF not in denied.content


@pytest.mark.parametrize("attachment_id", ["not-an-id", "QnVsbGV0aW5BdHRhY2htZW50OjE="])
async def test_a_malformed_attachment_id_is_a_validation_error(
    client: httpx.AsyncClient, tenants: Tenants, attachment_id: str
) -> None:
    response = await client.get(f"/attachments/{attachment_id}", headers=tenants.hq_x.headers)
    assert (response.status_code, response.json()["code"]) == (400, "VALIDATION")
