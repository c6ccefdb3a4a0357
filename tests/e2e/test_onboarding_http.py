"""Onboarding over HTTP, as far as it goes today: HQ keeps the application rubric; an applicant in region East
fills in its application and submits it; HQ scores it 72 (shortlisted, explained item by item) — and
another scores 55 (reserve); illegal moves answer CONFLICT naming the stage and the allowed actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from arq import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.mail import MemoryMailer
from tests.conftest import Deliver, MakeApplicant, MakePrincipal, Principal, Tenants, graphql
from tests.e2e.test_registration import registered_applicant
from tests.factories import network_today

# Dates are the test networks' own (Asia/Shanghai), counted from today: a rule that refuses past dates keeps
# passing whatever day the suite runs.


def days(n: int) -> str:
    """The network's today plus `n` days, as the API writes dates."""
    return (network_today() + timedelta(days=n)).isoformat()


RUBRIC = """mutation($i: CreateRubricInput!) { createRubric(input: $i) { __typename
  ... on RubricSuccess { rubric { version criteria { code weight maxPoints } } } } }"""
UPDATE = """mutation($i: ApplicationFormInput!) { updateApplication(input: $i) { __typename
  ... on ApplicationSuccess { application { id stage missingForSubmission } }
  ... on ValidationError { fields { field message } } ... on ConflictError { message } } }"""
SUBMIT = """mutation { submitApplication { __typename ... on ApplicationSuccess { application { id stage
  stageLabel { zh en } } } ... on ValidationError { fields { field } } } }"""
SCORE = """mutation($i: ScoreApplicationInput!) { scoreApplication(input: $i) { __typename
  ... on ScoreSuccess { assessment { total passed items { code points earned note } }
    application { stage allowedActions } }
  ... on ConflictError { message } } }"""


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


PDF = b"%PDF-1.4 scanned"


async def hand_in(
    client: httpx.AsyncClient, applicant: Principal, kind: str, name: str, content: bytes
) -> httpx.Response:
    files = {"file": (name, content, "application/octet-stream")}
    response = await client.post("/application/documents", data={"kind": kind}, files=files, headers=applicant.headers)
    assert response.status_code == 201, response.text
    return response


async def apply(client: httpx.AsyncClient, applicant: Principal, region: str) -> str:
    form = {
        "companyName": "East Motors Service Co.",
        "legalRepresentative": "Wang Wei",
        "contactName": "Li Na",
        "contactPhone": "+86 21 5555 0100",
        "registeredAddress": "1 Pudong Ave",
        "siteAddress": "88 Service Rd",
        "regionId": region,
        "workshopAreaM2": 1200,
        "bays": 8,
        "staff": 25,
        "certifiedTechnicians": 6,
        "brands": ["Demo"],
    }
    partial = await graphql(client, UPDATE, applicant, i={"bays": 8})
    assert "siteAddress" in partial["data"]["updateApplication"]["application"]["missingForSubmission"]
    incomplete = await graphql(client, SUBMIT, applicant)
    assert incomplete["data"]["submitApplication"]["__typename"] == "ValidationError"
    saved = await graphql(client, UPDATE, applicant, i=form)
    missing = saved["data"]["updateApplication"]["application"]["missingForSubmission"]
    assert missing == ["BUSINESS_LICENCE", "TAX_REGISTRATION"]
    for kind in missing:  # the names it lists are the upload's kinds
        await hand_in(client, applicant, kind, f"{kind}.pdf", PDF)
    saved = await graphql(client, UPDATE, applicant, i={"bays": 8})
    assert saved["data"]["updateApplication"]["application"]["missingForSubmission"] == []
    submitted = (await graphql(client, SUBMIT, applicant))["data"]["submitApplication"]
    assert submitted["application"]["stage"] == "SUBMITTED"
    assert submitted["application"]["stageLabel"] == {"zh": "申请已提交", "en": "application submitted"}
    return str(submitted["application"]["id"])


def marks(site: int, workshop: int, staff: int, brands: int) -> list[dict[str, Any]]:
    return [
        {"code": "SITE", "points": site, "note": "near the ring road"},
        {"code": "WORKSHOP", "points": workshop},
        {"code": "STAFF", "points": staff},
        {"code": "BRANDS", "points": brands},
    ]


async def test_apply_submit_and_score(
    client: httpx.AsyncClient, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    east = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'EAST', 'East')"),
        {"id": east, "n": tenants.network_x},
    )
    strong = await make_applicant(tenants.network_x, "Strong Motors")
    weak = await make_applicant(tenants.network_x, "Weak Motors")
    hq = tenants.hq_x
    criteria = [
        {"code": "SITE", "labelZh": "场地位置", "labelEn": "Site", "weight": "30", "maxPoints": 10},
        {"code": "WORKSHOP", "labelZh": "车间", "labelEn": "Workshop", "weight": "40", "maxPoints": 10},
        {"code": "STAFF", "labelZh": "人员", "labelEn": "Staff", "weight": "20", "maxPoints": 5},
        {"code": "BRANDS", "labelZh": "品牌", "labelEn": "Brands", "weight": "10", "maxPoints": 1},
    ]
    made = await graphql(client, RUBRIC, hq, i={"kind": "APPLICATION", "title": "申请评分标准", "criteria": criteria})
    assert made["data"]["createRubric"]["rubric"]["version"] == 1

    strong_id = await apply(client, strong, gid("Region", east))
    weak_id = await apply(client, weak, gid("Region", east))

    scored = (await graphql(client, SCORE, hq, i={"applicationId": strong_id, "marks": marks(8, 8, 4, 0)}))["data"]
    assert scored["scoreApplication"]["assessment"]["total"] == "72.00"
    assert scored["scoreApplication"]["assessment"]["items"][0] == {
        "code": "SITE",
        "points": 8,
        "earned": "24.00",
        "note": "near the ring road",
    }
    assert scored["scoreApplication"]["application"] == {"stage": "SHORTLISTED", "allowedActions": ["PLAN_VISIT"]}
    reserve = (await graphql(client, SCORE, hq, i={"applicationId": weak_id, "marks": marks(5, 7, 3, 0)}))["data"]
    assert (
        reserve["scoreApplication"]["assessment"]["total"],
        reserve["scoreApplication"]["application"]["stage"],
    ) == (
        "55.00",
        "RESERVE",
    )
    again = (await graphql(client, SCORE, hq, i={"applicationId": weak_id, "marks": marks(9, 9, 5, 1)}))["data"]
    assert again["scoreApplication"] == {
        "__typename": "ConflictError",
        "message": "cannot score an applicant in stage reserve; allowed: reopen",
    }

    pipeline = "query($s: Stage) { applications(first: 10, stage: $s) { edges { node { companyName } } } }"
    shortlisted = (await graphql(client, pipeline, hq, s="SHORTLISTED"))["data"]["applications"]["edges"]
    assert [e["node"]["companyName"] for e in shortlisted] == ["East Motors Service Co."]
    own = await graphql(client, "{ myApplication { stage assessments { total } } }", strong)
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the applicant does not read HQ's scoring
    assert (await graphql(client, "{ myApplication { stage } }", strong))["data"]["myApplication"] == {
        "stage": "SHORTLISTED"
    }
    late_edit = await graphql(client, UPDATE, strong, i={"bays": 9})
    assert late_edit["data"]["updateApplication"] == {
        "__typename": "ConflictError",
        "message": "the application is shortlisted; only a draft can change",
    }


PLAN_VISIT = """mutation($i: PlanSiteVisitInput!) { planSiteVisit(input: $i) { __typename
  ... on ApplicationSuccess { application { stage } } ... on NotFoundError { message } } }"""
RECORD_VISIT = """mutation($i: RecordSiteVisitInput!) { recordSiteVisit(input: $i) { __typename
  ... on ApplicationSuccess { application { stage } } } }"""
APPOINT = """mutation($u: ID!) { appointCommitteeMember(userId: $u) { __typename
  ... on CommitteeMemberSuccess { member { userId } } ... on UserError { message } } }"""


async def appoint(client: httpx.AsyncClient, hq: Principal, members: list[Principal]) -> None:
    """HQ seats the development committee: only its members vote."""
    for member in members:
        seated = await graphql(client, APPOINT, hq, u=gid("User", member.user_id))
        assert seated["data"]["appointCommitteeMember"]["__typename"] == "CommitteeMemberSuccess", seated


VOTE = """mutation($a: ID!, $v: Vote!) { castCommitteeVote(applicationId: $a, vote: $v, comment: "seen the site") {
  __typename } }"""
DECIDE = """mutation($a: ID!) { decideCommittee(applicationId: $a) { __typename
  ... on DecisionSuccess { decision application { stage } letterOfIntent { number url } }
  ... on ConflictError { message } } }"""


async def test_the_seed_path_from_registration_to_a_live_station(
    client: httpx.AsyncClient,
    seed: AsyncSession,
    tenants: Tenants,
    make_applicant: MakeApplicant,
    make_principal: MakePrincipal,
    deliver: Deliver,
    mailer: MemoryMailer,
    redis: ArqRedis,
) -> None:
    """The seed's path: a dealer in region East registers and applies, scores 72, is visited, approved 3 of 5,
    orders its start-up kit, fails acceptance on two items, rectifies, passes, signs, is certified."""
    east = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, 'EAST', 'East')"),
        {"id": east, "n": tenants.network_x},
    )
    applicant = await registered_applicant(client, seed, deliver, mailer, tenants.network_x, "East Motors")
    other = await make_applicant(tenants.network_x, "Other Motors")
    members = [await make_principal(tenants.network_x, None, Role.HQ_NETWORK_DEVELOPMENT) for _ in range(5)]
    hq = tenants.hq_x
    for kind, codes in (("application", ("SITE", "WORKSHOP", "STAFF", "BRANDS")), ("interview", ("VISION", "TECH"))):
        criteria = [
            {"code": c, "labelZh": c, "labelEn": c, "weight": "25", "maxPoints": 1 if c == "BRANDS" else 10}
            for c in codes
        ]
        await graphql(client, RUBRIC, hq, i={"kind": kind.upper(), "title": kind, "criteria": criteria})
    application = await apply(client, applicant, gid("Region", east))
    await graphql(client, SCORE, hq, i={"applicationId": application, "marks": marks(8, 8, 4, 1)})
    quota = "mutation($r: ID!) { setRegionQuota(regionId: $r, stationsNeeded: 2) { __typename } }"
    assert (await graphql(client, quota, hq, r=gid("Region", east)))["data"]["setRegionQuota"]["__typename"] == (
        "RegionQuotaSuccess"
    )
    plan = (
        await graphql(
            client, "{ developmentPlan { regionCode stationsNeeded active inPipeline { stage count } openPlaces } }", hq
        )
    )["data"]["developmentPlan"]
    assert plan == [
        {
            "regionCode": "EAST",
            "stationsNeeded": 2,
            "active": 0,
            "inPipeline": [{"stage": "SHORTLISTED", "count": 1}],
            "openPlaces": 1,
        }
    ]

    visit = {"applicationId": application, "plannedOn": days(0), "visitorIds": [gid("User", hq.user_id)]}
    assert (await graphql(client, PLAN_VISIT, hq, i=visit))["data"]["planSiteVisit"]["application"]["stage"] == (
        "VISIT_PLANNED"
    )
    recorded = await graphql(
        client,
        RECORD_VISIT,
        hq,
        i={
            "applicationId": application,
            "interview": [{"code": "VISION", "points": 8}, {"code": "TECH", "points": 7}],
            "survey": {"repairArea": "1,200 m2, 8 bays", "strengths": "fleet customers"},
            "findings": "a well-run workshop",
        },
    )
    assert recorded["data"]["recordSiteVisit"]["application"]["stage"] == "VISITED"

    outsider = await graphql(client, VOTE, members[0], a=application, v="APPROVE")  # not appointed yet
    assert outsider["data"]["castCommitteeVote"]["__typename"] == "ForbiddenError"
    await appoint(client, hq, members)
    for member, ballot in zip(members, ["APPROVE", "APPROVE", "APPROVE", "REJECT", "ABSTAIN"], strict=True):
        assert (await graphql(client, VOTE, member, a=application, v=ballot))["data"]["castCommitteeVote"][
            "__typename"
        ] == "ApplicationSuccess"
    forbidden = await graphql(client, VOTE, applicant, a=application, v="APPROVE")
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    papers = "query($a: ID!) { node(id: $a) { ... on Application { committeeVotes { vote } } } }"
    votes = (await graphql(client, papers, hq, a=application))["data"]["node"]["committeeVotes"]
    assert sorted(v["vote"] for v in votes) == ["ABSTAIN", "APPROVE", "APPROVE", "APPROVE", "REJECT"]
    hidden = await graphql(client, papers, applicant, a=application)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    decided = (await graphql(client, DECIDE, hq, a=application))["data"]["decideCommittee"]
    assert (decided["decision"], decided["application"]["stage"]) == ("APPROVED", "APPROVED")
    letter = decided["letterOfIntent"]
    assert letter["number"].startswith("LOI-")

    mine = await graphql(client, "{ myLetterOfIntent { number url } }", applicant)
    assert mine["data"]["myLetterOfIntent"] == letter
    pdf = await client.get(letter["url"], headers=applicant.headers)
    assert (pdf.status_code, pdf.content[:5]) == (200, b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    for who in (other, tenants.hq_y, tenants.manager_a):
        denied = await client.get(letter["url"], headers=who.headers)
        assert (denied.status_code, denied.json()["code"]) in ((404, "NOT_FOUND"), (403, "FORBIDDEN")), who
    votes = await graphql(
        client,
        "query($a: ID!) { node(id: $a) { ... on Application { assessments { kind } } } }",
        applicant,
        a=application,
    )
    assert votes["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    # Start-up orders, acceptance with two failed items, rectification, the contract.
    part = (
        await graphql(
            client,
            'mutation { createPart(input: {partNumber: "SU-1", nameEn: "Start-up kit", componentGroup: "G"}) '
            "{ ... on PartSuccess { part { id } } } }",
            hq,
        )
    )["data"]["createPart"]["part"]["id"]
    place = """mutation($i: PlaceStartupOrderInput!) { placeStartupOrder(input: $i) { __typename
      ... on StartupOrderSuccess { order { id kind } } } }"""
    orders = []
    for kind in ("tools", "parts", "vi"):
        lines = [{"partId": part, "quantity": 10}] if kind == "parts" else []
        placed = await graphql(
            client,
            place,
            applicant,
            i={"kind": kind.upper(), "reference": f"PO-{kind}", "dueOn": days(45), "parts": lines},
        )
        orders.append(placed["data"]["placeStartupOrder"]["order"]["id"])
    confirm = 'mutation($o: ID!) { confirmStartupDelivery(orderId: $o, note: "ok") { __typename } }'
    for order in orders:
        await graphql(client, confirm, hq, o=order)
    checklist = [
        {"code": c, "labelZh": c, "labelEn": c, "weight": "1", "maxPoints": 1} for c in ("SIGNAGE", "LIFTS", "TOOLS")
    ]
    await graphql(client, RUBRIC, hq, i={"kind": "ACCEPTANCE", "title": "验收", "criteria": checklist})
    inspect = """mutation($i: InspectAcceptanceInput!) { inspectAcceptance(input: $i) { __typename
      ... on InspectionSuccess { round passed application { stage } rectificationItems { code dueOn } } } }"""
    failed = await graphql(
        client,
        inspect,
        hq,
        i={
            "applicationId": application,
            "marks": [{"code": "SIGNAGE", "points": 1}, {"code": "LIFTS", "points": 0}, {"code": "TOOLS", "points": 0}],
        },
    )
    result = failed["data"]["inspectAcceptance"]
    assert (result["passed"], result["application"]["stage"]) == (False, "RECTIFICATION")
    assert [i["code"] for i in result["rectificationItems"]] == ["LIFTS", "TOOLS"]
    sign = f"""mutation($a: ID!) {{ signContract(input: {{applicationId: $a, termStart: "{days(31)}",
      termEnd: "{days(1125)}", serviceTypes: [PAID, WARRANTY]}}) {{ __typename
      ... on ContractSuccess {{ contract {{ authorisationNumber certificateUrl }} application {{ stage }} }}
      ... on ConflictError {{ message }} }} }}"""
    refused = (await graphql(client, sign, hq, a=application))["data"]["signContract"]
    assert refused == {
        "__typename": "ConflictError",
        "message": "2 rectification item(s) open (LIFTS, TOOLS); re-inspect first",
    }
    all_met = [{"code": c, "points": 1} for c in ("SIGNAGE", "LIFTS", "TOOLS")]
    again = (await graphql(client, inspect, hq, i={"applicationId": application, "marks": all_met}))["data"]
    assert (again["inspectAcceptance"]["round"], again["inspectAcceptance"]["application"]["stage"]) == (2, "ACCEPTED")
    signed = (await graphql(client, sign, hq, a=application))["data"]["signContract"]
    assert signed["application"]["stage"] == "ACTIVE"
    assert signed["contract"]["authorisationNumber"].endswith("-EAST-0001")
    certificate = await client.get(signed["contract"]["certificateUrl"], headers=applicant.headers)
    assert (certificate.status_code, certificate.content[:5]) == (200, b"%PDF-")
    assert (await client.get(signed["contract"]["certificateUrl"], headers=other.headers)).status_code == 404

    # A technician certified for warranty work: the new station is dispatched warranty work, not yet paid work.
    station = gid("Station", applicant.station_id)
    check = (
        f'query($s: ID!, $t: ServiceType!) {{ dispatchCheck(stationId: $s, serviceType: $t, on: "{days(62)}") '
        "{ allowed } }"
    )
    assert (await graphql(client, check, hq, s=station, t="WARRANTY"))["data"]["dispatchCheck"]["allowed"] is False
    certify = """mutation($i: RecordStaffCertificateInput!) { recordStaffCertificate(input: $i) { __typename } }"""
    certificate = {
        "stationId": station,
        "personName": "Zhao Lei",
        "role": "technician",
        "serviceTypes": ["WARRANTY"],
        "course": "Warranty repair basics",
        "certificateNumber": "SG-EAST-001",
        "passedOn": days(40),
        "expiresOn": days(770),
    }
    recorded = await graphql(client, certify, hq, i=certificate)
    assert recorded["data"]["recordStaffCertificate"]["__typename"] == "StaffCertificateSuccess"
    assert (await graphql(client, check, hq, s=station, t="WARRANTY"))["data"]["dispatchCheck"]["allowed"] is True
    assert (await graphql(client, check, hq, s=station, t="PAID"))["data"]["dispatchCheck"]["allowed"] is False
    viewer = await graphql(client, "{ viewer { station { status code } } }", applicant)
    # Live: its applicant code APP-… gave way to its authorisation number.
    assert viewer["data"]["viewer"]["station"] == {
        "status": "ACTIVE",
        "code": signed["contract"]["authorisationNumber"],
    }


async def test_an_unknown_stage_is_a_validation_error(client: httpx.AsyncClient, tenants: Tenants) -> None:
    """Issue 14 item 15: applications(stage: "nonsense") answered an empty list; the stage is an enum now."""
    for stage in ('"nonsense"', "NONSENSE"):
        body = await graphql(
            client, f"{{ applications(first: 5, stage: {stage}) {{ edges {{ cursor }} }} }}", tenants.hq_x
        )
        assert body.get("data") is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["VALIDATION"]
