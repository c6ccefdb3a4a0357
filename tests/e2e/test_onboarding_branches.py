"""The seed path's other branches over HTTP: the committee rejects (reserve), a second failed acceptance
cancels the letter of intent, an overdue rectification item is reminded (in-app and by e-mail)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from arq import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.mail import MemoryMailer
from dealernet.network import jobs as network_jobs
from tests.conftest import Deliver, MakeApplicant, MakePrincipal, Principal, Tenants, graphql
from tests.e2e.test_onboarding_http import (
    DECIDE,
    PLAN_VISIT,
    RECORD_VISIT,
    RUBRIC,
    SCORE,
    VOTE,
    apply,
    appoint,
    days,
    gid,
    marks,
)

INSPECT = """mutation($i: InspectAcceptanceInput!) { inspectAcceptance(input: $i) { __typename
  ... on InspectionSuccess { round passed application { stage allowedActions } rectificationItems { code } } } }"""


async def visited(client: httpx.AsyncClient, hq: Principal, applicant: Principal, region: str) -> str:
    application = await apply(client, applicant, region)
    await graphql(client, SCORE, hq, i={"applicationId": application, "marks": marks(8, 8, 4, 1)})
    visit = {"applicationId": application, "plannedOn": days(0), "visitorIds": [gid("User", hq.user_id)]}
    await graphql(client, PLAN_VISIT, hq, i=visit)
    interview = [{"code": "VISION", "points": 8}, {"code": "TECH", "points": 7}]
    record = {"applicationId": application, "interview": interview, "survey": {}, "findings": ""}
    assert (await graphql(client, RECORD_VISIT, hq, i=record))["data"]["recordSiteVisit"]["application"] == {
        "stage": "VISITED"
    }
    return application


async def world(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    make_applicant: MakeApplicant,
    company: str,
) -> dict[str, Any]:
    """Region East, five committee members, the applicant, then (over HTTP, after every seeded row) the rubrics."""
    east = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'EAST', 'East')"),
        {"id": east, "n": tenants.network_x},
    )
    members = [await make_principal(tenants.network_x, None, Role.HQ_NETWORK_DEVELOPMENT) for _ in range(5)]
    applicant = await make_applicant(tenants.network_x, company)
    rubrics = (
        ("application", ("SITE", "WORKSHOP", "STAFF", "BRANDS")),
        ("interview", ("VISION", "TECH")),
        ("acceptance", ("SIGNAGE", "LIFTS", "TOOLS")),
    )
    for kind, codes in rubrics:
        criteria = [
            {"code": c, "labelZh": c, "labelEn": c, "weight": "25", "maxPoints": 1 if c == "BRANDS" else 10}
            for c in codes
        ]
        if kind == "acceptance":
            criteria = [{**c, "maxPoints": 1} for c in criteria]
        await graphql(client, RUBRIC, tenants.hq_x, i={"kind": kind.upper(), "title": kind, "criteria": criteria})
    await appoint(client, tenants.hq_x, members)
    return {"region": gid("Region", east), "members": members, "applicant": applicant}


async def test_the_committee_rejects_and_the_applicant_goes_to_reserve(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    tenants: Tenants,
    make_applicant: MakeApplicant,
    make_principal: MakePrincipal,
) -> None:
    w = await world(client, seed, tenants, make_principal, make_applicant, "Rejected Motors")
    applicant = w["applicant"]
    application = await visited(client, tenants.hq_x, applicant, w["region"])
    for member, ballot in zip(w["members"], ["REJECT", "REJECT", "APPROVE", "REJECT"], strict=False):
        await graphql(client, VOTE, member, a=application, v=ballot)
    decided = (await graphql(client, DECIDE, tenants.hq_x, a=application))["data"]["decideCommittee"]
    assert (decided["decision"], decided["application"]["stage"], decided["letterOfIntent"]) == (
        "REJECTED",
        "RESERVE",
        None,
    )
    mine = await graphql(client, "{ myLetterOfIntent { number } }", applicant)
    assert mine["data"]["myLetterOfIntent"] is None


async def test_a_second_failed_acceptance_cancels_and_an_overdue_item_is_reminded(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    tenants: Tenants,
    make_applicant: MakeApplicant,
    make_principal: MakePrincipal,
    sessionmaker: async_sessionmaker[AsyncSession],
    deliver: Deliver,
    mailer: MemoryMailer,
    redis: ArqRedis,
) -> None:
    hq = tenants.hq_x
    w = await world(client, seed, tenants, make_principal, make_applicant, "Twice Motors")
    applicant = w["applicant"]
    application = await visited(client, hq, applicant, w["region"])
    for member in w["members"][:3]:
        await graphql(client, VOTE, member, a=application, v="APPROVE")
    await graphql(client, DECIDE, hq, a=application)
    place = """mutation($k: StartupOrderKind!, $p: [PartQuantityInput!]!, $d: Date!) {
      placeStartupOrder(input: {kind: $k, reference: "PO", dueOn: $d, parts: $p}) {
        ... on StartupOrderSuccess { order { id } } } }"""
    part = (
        await graphql(
            client,
            'mutation { createPart(input: {partNumber: "SU-9", nameEn: "Kit", componentGroup: "G"}) '
            "{ ... on PartSuccess { part { id } } } }",
            hq,
        )
    )["data"]["createPart"]["part"]["id"]
    for kind in ("tools", "parts", "vi"):
        lines = [{"partId": part, "quantity": 5}] if kind == "parts" else []
        placed = await graphql(client, place, applicant, k=kind.upper(), p=lines, d=days(45))
        order = placed["data"]["placeStartupOrder"]["order"]["id"]
        await graphql(client, "mutation($o: ID!) { confirmStartupDelivery(orderId: $o) { __typename } }", hq, o=order)
    failing = [{"code": "SIGNAGE", "points": 1}, {"code": "LIFTS", "points": 0}, {"code": "TOOLS", "points": 1}]
    first = (await graphql(client, INSPECT, hq, i={"applicationId": application, "marks": failing}))["data"]
    assert first["inspectAcceptance"]["application"]["stage"] == "RECTIFICATION"
    assert [i["code"] for i in first["inspectAcceptance"]["rectificationItems"]] == ["LIFTS"]

    # The deadline passes: the station is reminded in-app and by e-mail, and HQ sees it overdue.
    await seed.execute(text("UPDATE rectification_items SET due_on = current_date - 1"))
    await seed.commit()
    assert await network_jobs.remind_deadlines(sessionmaker) == 1
    assert await outbox.relay(sessionmaker, redis, older_than=timedelta(0)) == 1  # the worker's relay cron
    await deliver()
    notes = await graphql(client, "{ notifications(first: 5) { edges { node { kind subject } } } }", applicant)
    assert [e["node"] for e in notes["data"]["notifications"]["edges"]] == [
        {"kind": "rectification_overdue", "subject": "Rectification LIFTS: LIFTS"}
    ]
    assert any("Rectification LIFTS" in m.subject or "Rectification LIFTS" in m.body for m in mailer.sent)
    overdue = await graphql(client, "{ onboardingOverdue { kind subject } }", hq)
    assert overdue["data"]["onboardingOverdue"] == [{"kind": "RECTIFICATION", "subject": "LIFTS: LIFTS"}]

    second = (await graphql(client, INSPECT, hq, i={"applicationId": application, "marks": failing}))["data"]
    assert (second["inspectAcceptance"]["round"], second["inspectAcceptance"]["passed"]) == (2, False)
    assert second["inspectAcceptance"]["application"] == {"stage": "CANCELLED", "allowedActions": []}
