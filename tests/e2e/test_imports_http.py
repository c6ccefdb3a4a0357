"""Bulk import end to end: the file uploaded over HTTP, the job run by the worker, the outcome read over
GraphQL — and who may not upload."""

from __future__ import annotations

from uuid import UUID

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.policy.models import Import, Part
from tests.conftest import Deliver, Principal, Tenants, graphql

CATALOGUE = "part_number,name_zh,name_en,component_group\nE-1,甲,One,G\nE-2,乙,Two,G\n"
NO_LIST = str(relay.GlobalID("Publication", str(UUID(int=0))))
FOLLOW = """query($id: ID!) { node(id: $id) { ... on Import { status filename rowsTotal rowsDone rowsWritten
  rowsRejected errors { line column reason } } } }"""


async def upload(client: httpx.AsyncClient, principal: Principal | None, content: str, **form: str) -> httpx.Response:
    headers = principal.headers if principal else {}
    files = {"file": ("catalogue.csv", content.encode(), "text/csv")}
    return await client.post("/imports", headers=headers, data={"kind": "parts", **form}, files=files)


async def test_upload_run_and_follow(
    client: httpx.AsyncClient, seed: AsyncSession, deliver: Deliver, tenants: Tenants
) -> None:
    bad = await upload(client, tenants.hq_x, CATALOGUE + "not valid!,x,x,G\n")
    assert bad.status_code == 202
    assert await deliver() == 1
    followed = (await graphql(client, FOLLOW, tenants.hq_x, id=bad.json()["id"]))["data"]["node"]
    assert followed == {
        "status": "REJECTED",
        "filename": "catalogue.csv",
        "rowsTotal": 3,
        "rowsDone": 3,
        "rowsWritten": 0,
        "rowsRejected": 1,
        "errors": [{"line": 4, "column": "part_number", "reason": "letters, digits, dots and dashes, at most 40"}],
    }

    good = await upload(client, tenants.hq_x, CATALOGUE)
    assert good.status_code == 202
    assert await deliver() == 1
    followed = (await graphql(client, FOLLOW, tenants.hq_x, id=good.json()["id"]))["data"]["node"]
    assert (followed["status"], followed["rowsWritten"]) == ("DONE", 2)

    again = await upload(client, tenants.hq_x, CATALOGUE)
    assert again.status_code == 200
    assert again.json() == {**good.json(), "status": "done", "duplicate": True}
    listed = await graphql(client, "{ imports(first: 10) { edges { node { id status } } } }", tenants.hq_x)
    assert [e["node"]["status"] for e in listed["data"]["imports"]["edges"]] == ["DONE", "REJECTED"]
    assert await seed.scalar(select(func.count()).select_from(Part)) == 2


@pytest.mark.parametrize(
    ("who", "form", "status", "code"),
    [
        (None, {}, 401, "UNAUTHENTICATED"),
        ("manager_a", {}, 403, "FORBIDDEN"),
        ("hq_x", {"kind": "nothing"}, 400, "VALIDATION"),
        ("hq_x", {"mode": "some"}, 400, "VALIDATION"),
        ("hq_x", {"kind": "prices"}, 400, "VALIDATION"),
        (
            "hq_x",
            {"kind": "prices", "priceListId": "UHVibGljYXRpb246MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw"},
            404,
            "NOT_FOUND",
        ),
    ],
)
async def test_refused_uploads_change_nothing(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    tenants: Tenants,
    who: str | None,
    form: dict[str, str],
    status: int,
    code: str,
) -> None:
    principal = getattr(tenants, who) if who else None
    response = await upload(client, principal, CATALOGUE, **form)
    assert (response.status_code, response.json()["code"]) == (status, code), response.json()
    assert await seed.scalar(select(func.count()).select_from(Import)) == 0
