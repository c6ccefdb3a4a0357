"""Warranty claims over HTTP (issue 16, first part): a completed repair order's warranty lines become a
claim; submitted, it is judged as of the repair date — a line over the flat rate, a part the terms exclude
and a duplicate flagged with their codes, explanations and the versions used; HQ partly approves with a
reason code per adjusted line; a stale decision is refused; a claim returned for information is answered and
judged again; HQ's re-adjudication keeps both judgements; a clean small claim is approved by the rules;
another station sees none of it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.relay import GlobalID

from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.journal import JournalEntry
from dealernet.policy.models import Part
from tests.conftest import MakePrincipal, Principal, Scoped, Tenants, graphql
from tests.e2e.test_repair_orders_http import ASSIGN, CONSENT, QUOTE, RECEIVE, Workshop, call, reception, step
from tests.e2e.test_repair_orders_http import workshop as station_under_contract
from tests.factories import network_today

CLAIM = """id number status claimType claimedAmount approvedAmount version decidedByRules decisionNote
  lines { id position kind quantity unitPrice amount approvedAmount adjustmentReason }
  adjudication { asOf occasion flags { code line explanation } versions }
  adjudications { occasion }"""
RESULT = (
    "{ __typename ... on ClaimSuccess { claim { " + CLAIM + " } } ... on ValidationError { message fields { field } } "
    "... on ConflictError { message } ... on NotFoundError { message } ... on ForbiddenError { message } }"
)
RAISE = "mutation($i: RaiseClaimInput!) { raiseClaim(input: $i) " + RESULT + " }"
SUBMIT = 'mutation($id: ID!, $note: String! = "") { submitClaim(id: $id, note: $note) ' + RESULT + " }"
DECIDE = "mutation($i: DecideClaimInput!) { decideClaim(input: $i) " + RESULT + " }"
READJUDICATE = "mutation($id: ID!, $r: String!) { readjudicateClaim(id: $id, reason: $r) " + RESULT + " }"
QUEUE = "{ claimReviewQueue(first: 10) { edges { node { number status } } } }"


async def completed_order(client: httpx.AsyncClient, w: Workshop, a: Principal, lines: list[dict[str, Any]]) -> str:
    """A repair order received, quoted with `lines`, consented, worked by the certified technician and
    inspected: its id."""
    order = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w)))["repairOrder"]["id"]
    for line in lines:
        quoted = await call(client, a, QUOTE, "quoteLine", i={"repairOrderId": order, **line})
        assert quoted["__typename"] == "RepairOrderSuccess", quoted
    await finish(client, w, a, order)
    return order


async def finish(client: httpx.AsyncClient, w: Workshop, a: Principal, order: str) -> None:
    """Consent to every quoted line, work them with the certified technician and sign the order off."""
    shown = await graphql(client, "query($id: ID!) { node(id: $id) { ... on RepairOrder { lines { id } } } }", a,
                          id=order)  # fmt: skip
    ids = [line["id"] for line in shown["data"]["node"]["lines"]]
    await call(client, a, CONSENT, "recordConsent", i={"repairOrderId": order, "lineIds": ids, "consented": True})
    await call(client, a, step("startWork"), "startWork", id=order)
    for line_id in ids:
        assigned = await call(
            client, a, ASSIGN, "assignTechnician", i={"repairOrderId": order, "lineId": line_id, "technicianId":
                                                     w.technician}
        )  # fmt: skip
        assert assigned["__typename"] == "RepairOrderSuccess", assigned
    done = await call(client, a, step("completeRepairOrder"), "completeRepairOrder", id=order)
    assert done["repairOrder"]["status"] == "COMPLETED", done


async def test_a_claim_from_repair_order_to_decision(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    auditor = await make_principal(tenants.network_x, None, Role.HQ_WARRANTY_AUDITOR)  # seed writes first
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    warranty_lines = [
        {"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation, "quantity": "2.50"},
        {"kind": "PART", "serviceType": "WARRANTY", "partId": w.part, "quantity": "2"},
    ]
    order = await completed_order(client, w, a, warranty_lines)

    raised = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
    year = network_today().year
    assert (raised["number"], raised["status"], raised["claimedAmount"]) == (f"WC{year}000001", "DRAFT", "1040.00")
    assert [(x["kind"], x["amount"]) for x in raised["lines"]] == [("labour", "200.00"), ("part", "840.00")]
    again = await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order})
    assert again["__typename"] == "ConflictError"  # its warranty lines are claimed

    submitted = (await call(client, a, SUBMIT, "submitClaim", id=raised["id"]))["claim"]
    assert submitted["status"] == "SUBMITTED"
    flags = submitted["adjudication"]["flags"]
    assert [(f["code"], f["line"]) for f in flags] == [("EXCLUDED_BY_TERMS", None), ("LABOUR_ABOVE_FLAT_RATE", 1)]
    assert flags[1]["explanation"] == "labour 2.50 h claimed, flat rate 1.50 h for operation BR-01"
    versions = submitted["adjudication"]["versions"]
    assert versions["coverage"]["months"] == 24
    assert versions["labour_rate"]["hourly_rate"] == "80.00"
    assert submitted["adjudication"]["asOf"] == network_today().isoformat()

    # A second claim of the same VIN and causal part within the window: flagged as a duplicate.
    second_order = await completed_order(client, w, a, [warranty_lines[1]])
    second = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": second_order}))["claim"]
    second = (await call(client, a, SUBMIT, "submitClaim", id=second["id"]))["claim"]
    assert "DUPLICATE" in [f["code"] for f in second["adjudication"]["flags"]]
    queue = await graphql(client, QUEUE, auditor)
    assert [e["node"]["number"] for e in queue["data"]["claimReviewQueue"]["edges"]] == [
        f"WC{year}000001", f"WC{year}000002"
    ]  # fmt: skip

    # HQ partly approves: the labour line at its flat rate, with the reason code.
    labour = submitted["lines"][0]
    decision = {"claimId": raised["id"], "version": submitted["version"], "decision": "PARTLY_APPROVE",
                "adjustments": [{"lineId": labour["id"], "approvedAmount": "120.00",
                                 "reason": "LABOUR_ABOVE_FLAT_RATE"}]}  # fmt: skip
    partly = (await call(client, auditor, DECIDE, "decideClaim", i=decision))["claim"]
    assert (partly["status"], partly["approvedAmount"]) == ("PARTLY_APPROVED", "960.00")
    assert [(x["approvedAmount"], x["adjustmentReason"]) for x in partly["lines"]] == [
        ("120.00", "LABOUR_ABOVE_FLAT_RATE"), ("840.00", None)
    ]  # fmt: skip
    stale = await call(client, auditor, DECIDE, "decideClaim", i={**decision, "decision": "APPROVE", "adjustments": []})
    assert stale["__typename"] == "ConflictError"  # decided already (and its version moved on)

    # The second claim is returned with a question, answered and judged again; HQ re-adjudicates it too.
    returned = await call(
        client,
        auditor,
        DECIDE,
        "decideClaim",
        i={"claimId": second["id"], "version": second["version"], "decision": "RETURN", "note": "photo of the pads?"},
    )
    assert returned["claim"]["status"] == "RETURNED"
    unanswered = await call(client, a, SUBMIT, "submitClaim", id=second["id"])
    assert unanswered["__typename"] == "ValidationError"
    answered = (await call(client, a, SUBMIT, "submitClaim", id=second["id"], note="photos attached"))["claim"]
    assert answered["status"] == "SUBMITTED"
    again = await call(client, auditor, READJUDICATE, "readjudicateClaim", id=second["id"], r="terms corrected")
    assert [x["occasion"] for x in again["claim"]["adjudications"]] == [
        "submitted", "resubmitted: photos attached", "HQ re-adjudication: terms corrected"
    ]  # fmt: skip
    # The warranty policy is withdrawn after submission: the claim's judgement stands as it was made; only a
    # re-adjudication on purpose judges by what is in force now, and both are kept.
    policy_id = await seed.scalar(text("SELECT id FROM publications WHERE kind = 'warranty_policy'"))
    withdraw = 'mutation($id: ID!) { withdrawPublication(id: $id, reason: "wrong km") { __typename } }'
    withdrawn = await graphql(client, withdraw, tenants.hq_x, id=str(GlobalID("Publication", str(policy_id))))
    assert "errors" not in withdrawn, withdrawn
    read = "query($id: ID!) { node(id: $id) { ... on Claim { adjudication { flags { code } versions } } } }"
    unchanged = (await graphql(client, read, auditor, id=second["id"]))["data"]["node"]["adjudication"]
    current = again["claim"]["adjudication"]
    assert unchanged == {"flags": [{"code": f["code"]} for f in current["flags"]], "versions": current["versions"]}
    again = await call(client, auditor, READJUDICATE, "readjudicateClaim", id=second["id"], r="policy withdrawn")
    assert "GROUP_NOT_COVERED" in [f["code"] for f in again["claim"]["adjudication"]["flags"]]
    assert len(again["claim"]["adjudications"]) == 4
    rejected = await call(
        client,
        auditor,
        DECIDE,
        "decideClaim",
        i={"claimId": second["id"], "version": again["claim"]["version"], "decision": "REJECT", "reason": "DUPLICATE"},
    )
    assert (rejected["claim"]["status"], rejected["claim"]["approvedAmount"]) == ("REJECTED", "0.00")
    decided = select(func.count()).where(JournalEntry.entity == "claim", JournalEntry.action == "decided")
    assert await seed.scalar(decided) == 3

    # The claim's timeline, by its global id.
    journal = "query($id: ID!) { journal(first: 20, entityId: $id) { edges { node { action } } } }"
    timeline = await graphql(client, journal, tenants.hq_x, id=second["id"])
    actions = [e["node"]["action"] for e in timeline["data"]["journal"]["edges"]]
    assert actions == ["decided", "readjudicated", "readjudicated", "submitted", "decided", "submitted", "raised"]

    # Station B sees none of it and decides nothing; the station decides nothing either.
    theirs = await graphql(client, "{ claims(first: 10) { edges { node { id } } } }", tenants.manager_b)
    assert theirs["data"]["claims"]["edges"] == []
    node = await graphql(client, "query($id: ID!) { node(id: $id) { id } }", tenants.manager_b, id=raised["id"])
    assert node["data"]["node"] is None
    own = await graphql(client, DECIDE, a, i={**decision, "claimId": second["id"]})
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_clean_small_claim_is_approved_by_the_rules(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    caliper = Part(id=new_id(), network_id=tenants.network_x, part_number="CAL-1", name_zh="卡钳", name_en="caliper",
                   component_group="BRAKES")  # fmt: skip
    seed.add(caliper)
    await seed.flush()  # seed writes first
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    order = await completed_order(
        client, w, a, [{"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}]
    )
    labour_only = await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order})
    assert labour_only["__typename"] == "ValidationError"  # no part claimed: name the causal part
    causal = str(GlobalID("Part", str(caliper.id)))
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order, "causalPartId": causal}))["claim"]
    done = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    assert done["adjudication"]["flags"] == []
    assert (done["status"], done["approvedAmount"], done["decidedByRules"]) == ("APPROVED", "120.00", True)
    queue = await graphql(client, QUEUE, tenants.hq_x)
    assert queue["data"]["claimReviewQueue"]["edges"] == []


async def test_bad_claims_answer_typed_and_write_nothing(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    open_order = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w)))["repairOrder"]["id"]
    paid_only = await completed_order(client, w, a, [{"kind": "PART", "serviceType": "PAID", "partId": w.part}])
    cases = [
        ({"repairOrderId": open_order}, "ConflictError"),  # not inspected yet
        ({"repairOrderId": paid_only}, "ConflictError"),  # no warranty line
        ({"repairOrderId": "nonsense"}, "ValidationError"),
        ({"repairOrderId": paid_only, "claimType": "GOODWILL"}, "ValidationError"),  # no share named
        ({"repairOrderId": paid_only, "claimType": "GOODWILL", "goodwillPercent": "120"}, "ValidationError"),
        ({"repairOrderId": paid_only, "goodwillPercent": "10"}, "ValidationError"),  # a share without goodwill
    ]
    for given, expected in cases:
        answer = await call(client, a, RAISE, "raiseClaim", i=given)
        assert answer["__typename"] == expected, (given, answer)
    theirs = await call(client, tenants.manager_b, RAISE, "raiseClaim", i={"repairOrderId": paid_only})
    assert theirs["__typename"] == "NotFoundError"
    listed = await graphql(client, "{ claims(first: 10) { edges { node { id } } } }", a)
    assert listed["data"]["claims"]["edges"] == []


PREAUTH = """{ __typename ... on PreauthorisationSuccess { preauthorisation { id number status approvalNumber
  approvedAmount validUntil declineReason } } ... on ValidationError { fields { field } } ... on ConflictError {
  message } ... on NotFoundError { message } }"""
REQUEST = "mutation($i: RequestPreauthorisationInput!) { requestPreauthorisation(input: $i) " + PREAUTH + " }"
ANSWER = "mutation($i: DecidePreauthorisationInput!) { decidePreauthorisation(input: $i) " + PREAUTH + " }"


async def test_expensive_work_asks_hq_first(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    """Above the terms' amount a claim needs HQ's pre-authorisation: without one it is flagged (not refused);
    approved before the work, the claim is clean; a declined request says why."""
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a, hq = tenants.manager_a, tenants.hq_x
    expensive = [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part, "quantity": "13"}]  # 5,460.00

    unasked = await completed_order(client, w, a, expensive)
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": unasked}))["claim"]
    flagged = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    assert flagged["status"] == "SUBMITTED"
    assert "PREAUTHORISATION_MISSING" in [f["code"] for f in flagged["adjudication"]["flags"]]

    order = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w, odometerKm=43_000)))["repairOrder"]["id"]
    bad = await call(client, a, REQUEST, "requestPreauthorisation", i={"repairOrderId": order, "amount": "0.00",
                                                                        "reason": " "})  # fmt: skip
    assert {f["field"] for f in bad["fields"]} == {"amount", "reason"}
    asked = (
        await call(
            client,
            a,
            REQUEST,
            "requestPreauthorisation",
            i={"repairOrderId": order, "amount": "5500.00", "reason": "caliper seized, pads and discs"},
        )
    )["preauthorisation"]
    assert (asked["number"], asked["status"]) == (f"PA{network_today().year}000001", "REQUESTED")
    past = await call(client, hq, ANSWER, "decidePreauthorisation", i={"preauthorisationId": asked["id"],
        "approve": True, "approvedAmount": "5500.00", "validUntil": "2000-01-01"})  # fmt: skip
    assert [f["field"] for f in past["fields"]] == ["validUntil"]
    until = (network_today() + timedelta(days=7)).isoformat()
    approved = (await call(client, hq, ANSWER, "decidePreauthorisation", i={"preauthorisationId": asked["id"],
        "approve": True, "approvedAmount": "5500.00", "validUntil": until}))["preauthorisation"]  # fmt: skip
    assert (approved["status"], approved["approvalNumber"]) == ("APPROVED", f"APR{network_today().year}000001")
    again = await call(client, hq, ANSWER, "decidePreauthorisation", i={"preauthorisationId": asked["id"],
        "approve": False, "reason": "changed my mind"})  # fmt: skip
    assert again["__typename"] == "ConflictError"

    # The work, then its claim: judged with the approval, nothing about pre-authorisation flagged.
    for line in expensive:
        await call(client, a, QUOTE, "quoteLine", i={"repairOrderId": order, **line})
    await finish(client, w, a, order)
    covered = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
    covered = (await call(client, a, SUBMIT, "submitClaim", id=covered["id"]))["claim"]
    assert not [f for f in covered["adjudication"]["flags"] if f["code"].startswith("PREAUTHORISATION")]

    # A declined request says why; the station cannot decide its own, another station cannot ask for A's order.
    later = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w, odometerKm=44_000)))["repairOrder"]["id"]
    asked = (await call(client, a, REQUEST, "requestPreauthorisation", i={
        "repairOrderId": later, "amount": "9000.00", "reason": "engine"}))["preauthorisation"]  # fmt: skip
    own = await graphql(client, ANSWER, a, i={"preauthorisationId": asked["id"], "approve": True})
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    declined = (await call(client, hq, ANSWER, "decidePreauthorisation", i={"preauthorisationId": asked["id"],
        "approve": False, "reason": "a goodwill case, not warranty"}))["preauthorisation"]  # fmt: skip
    assert (declined["status"], declined["declineReason"]) == ("DECLINED", "a goodwill case, not warranty")
    theirs = await call(client, tenants.manager_b, REQUEST, "requestPreauthorisation", i={
        "repairOrderId": later, "amount": "1.00", "reason": "x"})  # fmt: skip
    assert theirs["__typename"] == "NotFoundError"


APPEAL = "mutation($i: AppealClaimInput!) { appealClaim(input: $i) " + RESULT + " }"
DECIDE_APPEAL = "mutation($i: DecideAppealInput!) { decideAppeal(input: $i) " + RESULT + " }"


async def test_an_appeal_is_decided_by_another_reviewer(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    first = await make_principal(tenants.network_x, None, Role.HQ_WARRANTY_AUDITOR)  # seed writes first
    second = await make_principal(tenants.network_x, None, Role.HQ_WARRANTY_AUDITOR)
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    line = [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part}]

    async def rejected_claim() -> dict[str, Any]:
        order = await completed_order(client, w, a, line)
        claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
        claim = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
        decision = {"claimId": claim["id"], "version": claim["version"], "decision": "REJECT",
                    "reason": "EXCLUDED_BY_TERMS"}  # fmt: skip
        return dict((await call(client, first, DECIDE, "decideClaim", i=decision))["claim"])

    granted = await rejected_claim()
    no_evidence = await call(
        client, a, APPEAL, "appealClaim", i={"claimId": granted["id"], "reason": "x", "evidence": ""}
    )
    assert [f["field"] for f in no_evidence["fields"]] == ["evidence"]
    grounds = {"claimId": granted["id"], "reason": "the pad cracked: a defect, not wear", "evidence": "photos 1-3"}
    appealed = (await call(client, a, APPEAL, "appealClaim", i=grounds))["claim"]
    assert appealed["status"] == "APPEALED"
    twice = await call(client, a, APPEAL, "appealClaim", i=grounds)
    assert twice["__typename"] == "ConflictError"
    own = await call(client, first, DECIDE_APPEAL, "decideAppeal", i={"claimId": granted["id"], "grant": True,
                                                                      "note": "fine"})  # fmt: skip
    assert own["__typename"] == "ConflictError"  # the reviewer who decided the claim does not decide its appeal
    grant = {"claimId": granted["id"], "grant": True, "note": "a crack is a defect"}
    done = (await call(client, second, DECIDE_APPEAL, "decideAppeal", i=grant))["claim"]
    assert (done["status"], done["approvedAmount"]) == ("APPROVED", "420.00")

    upheld = await rejected_claim()
    await call(client, a, APPEAL, "appealClaim", i={**grounds, "claimId": upheld["id"]})
    uphold = {"claimId": upheld["id"], "grant": False, "note": "worn, not cracked"}
    stands = (await call(client, second, DECIDE_APPEAL, "decideAppeal", i=uphold))["claim"]
    assert (stands["status"], stands["approvedAmount"]) == ("REJECTED", "0.00")
    again = await call(client, a, APPEAL, "appealClaim", i={**grounds, "claimId": upheld["id"]})
    assert again["__typename"] == "ConflictError"  # once per claim
    theirs = await call(client, tenants.manager_b, APPEAL, "appealClaim", i={**grounds, "claimId": upheld["id"]})
    assert theirs["__typename"] == "NotFoundError"


RETURNED = """{ __typename ... on PartReturnsSuccess { partReturns { id tagNumber status dueOn carrier verdict } }
  ... on ValidationError { fields { field } } ... on ConflictError { message } ... on NotFoundError { message } }"""
ASK_BACK = "mutation($i: RequestPartReturnInput!) { requestPartReturn(input: $i) " + RETURNED + " }"
SHIP = "mutation($i: ShipPartReturnsInput!) { shipPartReturns(input: $i) " + RETURNED + " }"
BOOK_IN = 'mutation($id: ID!) { receivePartReturn(id: $id, condition: "oily, tag intact") ' + RETURNED + " }"
INSPECT = "mutation($i: InspectPartReturnInput!) { inspectPartReturn(input: $i) " + RETURNED + " }"


async def test_a_failed_part_goes_back_and_is_inspected(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    """The policy version wants brake parts back: submitting the claim authorises the pad's return (tag, due
    date); HQ asks another part back; the station ships both; HQ books them in and inspects them."""
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a, hq = tenants.manager_a, tenants.hq_x
    rules = '{"return_component_groups": ["brakes"], "return_within_days": 10}'  # no API sets them yet
    await seed.execute(text("UPDATE warranty_terms SET claim_rules = CAST(:r AS jsonb)"), {"r": rules})
    await seed.flush()
    lines = [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part},
             {"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}]  # fmt: skip
    order = await completed_order(client, w, a, lines)
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
    await call(client, a, SUBMIT, "submitClaim", id=claim["id"])
    listed = await graphql(client, "{ partReturns(first: 10) { edges { node { id tagNumber status dueOn } } } }", a)
    [authorised] = [e["node"] for e in listed["data"]["partReturns"]["edges"]]
    assert (authorised["tagNumber"], authorised["status"]) == (f"TAG-{claim['number']}-1", "AUTHORISED")
    assert authorised["dueOn"] == (network_today() + timedelta(days=10)).isoformat()

    twice = await call(client, hq, ASK_BACK, "requestPartReturn", i={"claimLineId": claim["lines"][0]["id"]})
    assert twice["__typename"] == "ConflictError"  # asked back already
    labour = await call(client, hq, ASK_BACK, "requestPartReturn", i={"claimLineId": claim["lines"][1]["id"]})
    assert labour["__typename"] == "NotFoundError"  # a labour line has no part to return

    theirs = await call(client, tenants.manager_b, SHIP, "shipPartReturns", i={"returnIds": [authorised["id"]],
                                                                             "carrier": "SF"})  # fmt: skip
    assert theirs["__typename"] == "NotFoundError"
    too_soon = {"returnId": authorised["id"], "verdict": "SUPPLIER_DEFECT", "note": "x"}
    early = await call(client, hq, INSPECT, "inspectPartReturn", i=too_soon)
    assert early["__typename"] == "ConflictError"  # not received yet
    shipped = await call(client, a, SHIP, "shipPartReturns", i={"returnIds": [authorised["id"]], "carrier": "顺丰",
                                                                "trackingNumber": "SF123"})  # fmt: skip
    assert [(r["status"], r["carrier"]) for r in shipped["partReturns"]] == [("SHIPPED", "顺丰")]
    booked = await call(client, hq, BOOK_IN, "receivePartReturn", id=authorised["id"])
    assert booked["partReturns"][0]["status"] == "RECEIVED"
    verdict = {"returnId": authorised["id"], "verdict": "SUPPLIER_DEFECT", "note": "friction layer delaminated"}
    inspected = await call(client, hq, INSPECT, "inspectPartReturn", i=verdict)
    assert (inspected["partReturns"][0]["status"], inspected["partReturns"][0]["verdict"]) == (
        "INSPECTED", "SUPPLIER_DEFECT"
    )  # fmt: skip
    again = await call(client, hq, INSPECT, "inspectPartReturn", i=verdict)
    assert again["__typename"] == "ConflictError"


async def test_a_verdict_of_the_station_s_liability_charges_it_back(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a, hq = tenants.manager_a, tenants.hq_x
    rules = '{"return_component_groups": ["*"]}'
    await seed.execute(text("UPDATE warranty_terms SET claim_rules = CAST(:r AS jsonb)"), {"r": rules})
    await seed.flush()
    charged = "query($id: ID!) { node(id: $id) { ... on Claim { chargebacks { amount reason note } } } }"
    outcomes = []
    for verdict in ("SUPPLIER_DEFECT", "NO_FAULT_FOUND"):
        order = await completed_order(client, w, a, [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part}])
        claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
        await call(client, a, SUBMIT, "submitClaim", id=claim["id"])
        shown = await graphql(client, "query($id: ID!) { node(id: $id) { ... on Claim { partReturns { id } } } }", a,
                              id=claim["id"])  # fmt: skip
        [returned] = shown["data"]["node"]["partReturns"]
        await call(client, a, SHIP, "shipPartReturns", i={"returnIds": [returned["id"]], "carrier": "SF"})
        await call(client, hq, BOOK_IN, "receivePartReturn", id=returned["id"])
        sheet = {"returnId": returned["id"], "verdict": verdict, "note": "bench test: pad within spec"}
        await call(client, hq, INSPECT, "inspectPartReturn", i=sheet)
        outcomes.append((await graphql(client, charged, a, id=claim["id"]))["data"]["node"]["chargebacks"])
    assert outcomes == [[], [{"amount": "420.00", "reason": "no_fault_found", "note": "bench test: pad within spec"}]]


async def test_a_field_action_needs_a_bulletin_naming_the_vehicle(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    """Without a bulletin in force naming the vehicle, a field-action claim is flagged, never approved by the
    rules; once HQ publishes one for its model, the same kind of claim is clean."""
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a, hq = tenants.manager_a, tenants.hq_x
    line = [{"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}]
    campaign = {"claimType": "FIELD_ACTION", "causalPartId": w.part}
    order = await completed_order(client, w, a, line)
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order, **campaign}))["claim"]
    flagged = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    assert flagged["status"] == "SUBMITTED"
    assert [f["code"] for f in flagged["adjudication"]["flags"]] == ["EXCLUDED_BY_TERMS", "NO_FIELD_ACTION"]

    draft = """mutation($on: Date!) { draftBulletin(input: {title: "Caliper recall", effectiveOn: $on,
      number: "TSB-9", body: "# Replace caliper bolts", affectedModels: ["J6P"]}) {
      ... on PublicationSuccess { publication { id } } } }"""
    drafted = await graphql(client, draft, hq, on=network_today().isoformat())
    bulletin = drafted["data"]["draftBulletin"]["publication"]["id"]
    published = await graphql(client, "mutation($id: ID!) { publish(id: $id) { __typename } }", hq, id=bulletin)
    assert "errors" not in published, published
    order = await completed_order(client, w, a, line)
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order, **campaign}))["claim"]
    named = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    assert "NO_FIELD_ACTION" not in [f["code"] for f in named["adjudication"]["flags"]]


async def test_a_first_maintenance_is_claimed_once_per_vehicle_within_its_window(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    """首保: in its window after the sale a clean first maintenance is approved by the rules; the vehicle's
    second is flagged (the other claim found through the cross-station function), as is one past the window."""
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    window = '{"first_maintenance_months": 24, "first_maintenance_km": 50000}'  # the vehicle was sold 380 days ago
    await seed.execute(text("UPDATE warranty_terms SET claim_rules = CAST(:r AS jsonb)"), {"r": window})
    service = [{"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}]
    given = {"claimType": "FIRST_MAINTENANCE", "causalPartId": w.part}
    first = await call(
        client, a, RAISE, "raiseClaim", i={"repairOrderId": await completed_order(client, w, a, service), **given}
    )
    first = (await call(client, a, SUBMIT, "submitClaim", id=first["claim"]["id"]))["claim"]
    assert (first["adjudication"]["flags"], first["status"]) == ([], "APPROVED")
    second = await call(
        client, a, RAISE, "raiseClaim", i={"repairOrderId": await completed_order(client, w, a, service), **given}
    )
    second = (await call(client, a, SUBMIT, "submitClaim", id=second["claim"]["id"]))["claim"]
    [flag] = [f for f in second["adjudication"]["flags"] if f["code"] == "FIRST_MAINTENANCE"]
    assert "claimed already (1 other claim): once per vehicle" in flag["explanation"]
    assert second["status"] == "SUBMITTED"  # HQ decides


async def test_a_station_claiming_far_above_its_network_is_flagged(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    """The daily job found station A spiking this month: its next claim says so, with the figures."""
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    await seed.execute(
        text(
            "INSERT INTO station_claim_rates (station_id, month, network_id, claims, repair_orders, rate, "
            "network_rate, spiking) VALUES (:s, :m, :n, 12, 40, 30.00, 6.50, true)"
        ),
        {"s": tenants.station_a, "m": network_today().replace(day=1), "n": tenants.network_x},
    )
    order = await completed_order(client, w, a, [{"kind": "LABOUR", "serviceType": "WARRANTY",
                                                  "labourOperationId": w.operation}])  # fmt: skip
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order, "causalPartId": w.part}))["claim"]
    submitted = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    [flag] = [f for f in submitted["adjudication"]["flags"] if f["code"] == "CLAIM_RATE_SPIKE"]
    assert flag["explanation"].startswith("the station's claims this month: 12, 30.00 per 100 repair orders against")
    assert submitted["status"] == "SUBMITTED"  # not approved by the rules


async def test_an_operation_the_standard_includes_in_another_is_overlapping_labour(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    create = """mutation($i: CreateLabourOperationInput!) { createLabourOperation(input: $i) { __typename
      ... on LabourOperationSuccess { labourOperation { id includes } }
      ... on ValidationError { fields { field } } } }"""
    caliper = {"code": "BR-10", "description": "replace caliper", "flatRateHours": "2.00", "componentGroup": "BRAKES"}
    unknown = await call(client, tenants.hq_x, create, "createLabourOperation", i={**caliper, "includes": ["NOPE"]})
    assert [f["field"] for f in unknown["fields"]] == ["includes"]
    made = await call(client, tenants.hq_x, create, "createLabourOperation", i={**caliper, "includes": ["br-01"]})
    assert made["labourOperation"]["includes"] == ["BR-01"]
    both = [{"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": made["labourOperation"]["id"]},
            {"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}]  # fmt: skip
    order = await completed_order(client, w, a, both)
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order, "causalPartId": w.part}))["claim"]
    flags = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]["adjudication"]["flags"]
    assert [(f["code"], f["line"]) for f in flags if f["code"] == "OVERLAPPING_LABOUR"] == [("OVERLAPPING_LABOUR", 2)]


async def test_a_parts_warranty_claim_is_judged_from_the_repair_that_fitted_the_part(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    pad = [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part}]
    given = {"claimType": "PARTS_WARRANTY"}
    first = await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": await completed_order(client, w, a, pad),
                                                          **given})  # fmt: skip
    first = (await call(client, a, SUBMIT, "submitClaim", id=first["claim"]["id"]))["claim"]
    codes = [f["code"] for f in first["adjudication"]["flags"]]
    assert "NO_EARLIER_FITTING" in codes
    assert "GROUP_NOT_COVERED" not in codes  # its basis is the part's own warranty, not the vehicle's coverage
    again = await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": await completed_order(client, w, a, pad),
                                                          **given})  # fmt: skip
    again = (await call(client, a, SUBMIT, "submitClaim", id=again["claim"]["id"]))["claim"]
    codes = [f["code"] for f in again["adjudication"]["flags"]]
    assert not {"NO_EARLIER_FITTING", "PARTS_WARRANTY_EXPIRED"} & set(codes)  # fitted by the first, just now


QUOTE_FIELDS = ("mutation($i: QuoteLineInput!) { quoteLine(input: $i) { __typename ... on ValidationError { fields {"
                " field } } } }")  # fmt: skip


async def test_sublet_work_is_claimed_at_its_invoice_and_reviewed(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    order = (await call(client, a, RECEIVE, "receiveVehicle", i=reception(w)))["repairOrder"]["id"]
    sublet = {"repairOrderId": order, "kind": "SUBLET", "serviceType": "WARRANTY"}
    for bad, field in (({}, "description"), ({"description": "alignment", "unitPrice": "0.00"}, "unitPrice"),
                       ({"description": "x" * 301, "unitPrice": "10.00"}, "description")):  # fmt: skip
        refused = await call(client, a, QUOTE_FIELDS, "quoteLine", i={**sublet, **bad})
        assert (refused["__typename"], field in {f["field"] for f in refused["fields"]}) == ("ValidationError", True)
    invoiced = {**sublet, "description": "四轮定位 wheel alignment at 城东轮胎", "unitPrice": "350.00",
                "reference": "INV-2026-118"}  # fmt: skip
    quoted = await call(client, a, QUOTE, "quoteLine", i=invoiced)
    assert [(x["kind"], x["amount"]) for x in quoted["repairOrder"]["lines"]] == [("SUBLET", "350.00")]
    await call(client, a, QUOTE, "quoteLine", i={"repairOrderId": order, "kind": "PART", "serviceType": "WARRANTY",
                                                 "partId": w.part})  # fmt: skip
    await finish(client, w, a, order)  # the sublet line needs no technician of the station
    claim = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": order}))["claim"]
    assert [(x["kind"], x["amount"]) for x in claim["lines"]] == [("sublet", "350.00"), ("part", "420.00")]
    submitted = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    [flag] = [f for f in submitted["adjudication"]["flags"] if f["code"] == "INVOICED_COST"]
    assert (flag["line"], submitted["status"]) == (1, "SUBMITTED")
    assert "四轮定位 wheel alignment at 城东轮胎, invoice INV-2026-118" in flag["explanation"]
    assert "PRICE_DIFFERS" not in [f["code"] for f in submitted["adjudication"]["flags"]]
