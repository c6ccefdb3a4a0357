"""Onboarding files over HTTP: an applicant hands in its licence and tax registration (type and size checked,
checksummed), HQ reviews and downloads them, nobody else can; HQ's site visit photos stay HQ's."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from tests.conftest import MakeApplicant, Principal, Tenants, graphql
from tests.e2e.test_onboarding_http import PDF, hand_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
DOCUMENTS = """query($id: ID!) { node(id: $id) { ... on Application { documents { id kind kindLabel { zh en }
  filename contentType size sha256 } siteVisit { plannedOn photos { id caption contentType sha256 } } } } }"""


async def upload(client: httpx.AsyncClient, who: Principal, kind: str, name: str, content: bytes) -> httpx.Response:
    files = {"file": (name, content, "application/octet-stream")}
    return await client.post("/application/documents", data={"kind": kind}, files=files, headers=who.headers)


async def application_of(seed: AsyncSession, applicant: Principal) -> str:
    from strawberry import relay

    found = await seed.scalar(text("SELECT id FROM applications WHERE station_id = :s"), {"s": applicant.station_id})
    return str(relay.GlobalID("Application", str(found)))


async def test_documents_are_checked_and_read_only_by_the_applicant_and_its_hq(
    client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    applicant = await make_applicant(tenants.network_x, "Licensed Motors")
    other = await make_applicant(tenants.network_x, "Curious Motors")
    renamed = await upload(client, applicant, "business_licence", "licence.pdf", PNG)
    assert renamed.status_code == 400
    assert renamed.json()["fields"] == {"file": ".pdf is not accepted"}
    unknown = await upload(client, applicant, "passport", "p.pdf", PDF)
    assert (unknown.status_code, unknown.json()["code"]) == (400, "VALIDATION")
    anonymous = await client.post("/application/documents", data={"kind": "other"}, files={"file": ("a.pdf", PDF)})
    assert anonymous.status_code == 401

    handed = (await hand_in(client, applicant, "business_licence", "营业执照.pdf", PDF)).json()
    assert handed["sha256"] == hashlib.sha256(PDF).hexdigest()
    body = await graphql(client, DOCUMENTS, tenants.hq_x, id=await application_of(seed, applicant))
    [document] = body["data"]["node"]["documents"]
    assert document["kind"] == "BUSINESS_LICENCE"
    assert document["kindLabel"] == {"zh": "营业执照", "en": "business licence"}
    assert document["filename"] == "营业执照.pdf"

    downloaded = await client.get(f"/documents/{handed['id']}", headers=tenants.hq_x.headers)
    assert downloaded.status_code == 200
    assert downloaded.content == PDF
    assert downloaded.headers["x-content-type-options"] == "nosniff"
    assert "filename*=UTF-8''%E8%90%A5" in downloaded.headers["content-disposition"]
    own = await client.get(f"/documents/{handed['id']}", headers=applicant.headers)
    assert own.content == PDF
    for outsider in (other, tenants.hq_y, tenants.manager_a):
        refused = await client.get(f"/documents/{handed['id']}", headers=outsider.headers)
        assert refused.status_code == 404, outsider
    # Once the committee has decided, documents are closed.
    await seed.execute(
        text("UPDATE applications SET stage = 'approved' WHERE station_id = :s"), {"s": applicant.station_id}
    )
    await seed.commit()
    closed = await upload(client, applicant, "other", "late.pdf", PDF)
    assert (closed.status_code, closed.json()["code"]) == (409, "CONFLICT")


async def test_site_visit_photos_are_hqs_alone(
    client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    applicant = await make_applicant(tenants.network_x, "Visited Motors")
    application = await application_of(seed, applicant)
    path = f"/applications/{application}/visit-photos"
    files = {"file": ("bay.png", PNG, "image/png")}
    not_planned = await client.post(path, data={"caption": "Bay 1"}, files=files, headers=tenants.hq_x.headers)
    assert (not_planned.status_code, not_planned.json()["code"]) == (409, "CONFLICT")
    await seed.execute(
        text(
            "INSERT INTO site_visits (id, network_id, application_id, planned_on, visitor_ids) "
            "SELECT :v, network_id, id, current_date, ARRAY[CAST(:u AS uuid)] FROM applications WHERE station_id = :s"
        ),
        {"v": new_id(), "u": tenants.hq_x.user_id, "s": applicant.station_id},
    )
    await seed.commit()
    added = await client.post(path, data={"caption": "Bay 1"}, files=files, headers=tenants.hq_x.headers)
    assert added.status_code == 201, added.text
    photo = added.json()
    body = await graphql(client, DOCUMENTS, tenants.hq_x, id=application)
    assert body["data"]["node"]["siteVisit"]["photos"] == [
        {"id": photo["id"], "caption": "Bay 1", "contentType": "image/png", "sha256": hashlib.sha256(PNG).hexdigest()}
    ]
    assert (await client.get(f"/visit-photos/{photo['id']}", headers=tenants.hq_x.headers)).content == PNG

    by_applicant = await client.post(path, files=files, headers=applicant.headers)
    assert by_applicant.status_code == 403
    assert (await client.get(f"/visit-photos/{photo['id']}", headers=applicant.headers)).status_code == 403
    assert (await client.get(f"/visit-photos/{photo['id']}", headers=tenants.hq_y.headers)).status_code == 404
    foreign = await client.post(path, files=files, headers=tenants.hq_y.headers)
    assert foreign.status_code == 404
    mine = await graphql(client, DOCUMENTS, applicant, id=application)
    assert [e["extensions"]["code"] for e in mine["errors"]] == ["FORBIDDEN"]
