"""Issue 16's scenario over HTTP, from the repair order to the money: a repair order's warranty lines become a
claim; the line over the flat rate and a duplicate are flagged with their codes and explanations; HQ partly
approves with a reason code; the failed part goes back and is found a supplier defect; the supplier sees its
recovery claim (the VIN masked) and disputes a line; HQ resolves it; the month's settlement pays the approved
lines, holds the line whose part is still on its way and deducts a chargeback for a part never returned; the
station acknowledges and downloads its statement; running the settlement again changes nothing; the
supplier's recovery statement alike. (The other branches — pre-authorisation declined, returned for
information, appeal, withdrawn policy — are in test_claims_http.py; the goodwill share is here.)"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.relay import GlobalID

from dealernet.core.access import Role
from dealernet.core.mail import MemoryMailer
from dealernet.warranty import jobs
from tests.conftest import Deliver, MakePrincipal, PartnerWorld, Principal, Scoped, Tenants, graphql
from tests.e2e.test_claims_http import BOOK_IN, DECIDE, INSPECT, RAISE, SHIP, SUBMIT, completed_order
from tests.e2e.test_repair_orders_http import VIN, call
from tests.e2e.test_repair_orders_http import workshop as station_under_contract
from tests.factories import network_today

AGREE = """mutation($i: MakeRecoveryAgreementInput!) { makeRecoveryAgreement(input: $i) { __typename
  ... on RecoveryAgreementSuccess { agreement { id componentGroup partShare } } ... on ValidationError { fields {
  field } } ... on ConflictError { message } ... on NotFoundError { message } } }"""
RECOVERY = """id number status amount partNumber vin repairDate concern cause verdictNote
  lines { id position kind baseAmount share amount response responseReason resolution resolvedAmount }"""
RECOVERY_RESULT = (
    "{ __typename ... on RecoveryClaimSuccess { recoveryClaim { " + RECOVERY + " } } ... on ValidationError { "
    "fields { field } } ... on ConflictError { message } ... on NotFoundError { message } }"
)
ANSWER = "mutation($i: AnswerRecoveryClaimInput!) { answerRecoveryClaim(input: $i) " + RECOVERY_RESULT + " }"
RESOLVE = "mutation($i: ResolveRecoveryClaimInput!) { resolveRecoveryClaim(input: $i) " + RECOVERY_RESULT + " }"
RECOVERIES = "{ recoveryClaims(first: 10) { edges { node { " + RECOVERY + " } } } }"
SETTLEMENT = """id number status claimsAmount adjustmentsAmount chargebacksAmount total lineCount statementUrl
  lines { kind amount description }"""
RUN = (
    "mutation($i: PeriodInput!) { runSettlement(input: $i) { __typename ... on SettlementRunSuccess { settlements { "
    + SETTLEMENT
    + " } } ... on ValidationError { fields { field } } } }"
)
ACKNOWLEDGE = (
    "mutation($id: ID!) { acknowledgeSettlement(id: $id) { __typename ... on SettlementSuccess { settlement { "
    "status } } ... on ConflictError { message } ... on NotFoundError { message } } }"
)
PAY = (
    "mutation($i: PaymentInput!) { recordSettlementPayment(input: $i) { __typename ... on SettlementSuccess { "
    "settlement { status paidOn paymentReference } } ... on ConflictError { message } ... on ValidationError { "
    "fields { field } } } }"
)
RUN_RECOVERY = (
    "mutation($i: PeriodInput!) { runRecoveryStatements(input: $i) { __typename ... on RecoveryStatementRunSuccess {"
    " recoveryStatements { id number amount claimCount status statementUrl recoveryClaims { number } } } } }"
)
ACKNOWLEDGE_RECOVERY = (
    "mutation($id: ID!) { acknowledgeRecoveryStatement(id: $id) { __typename ... on RecoveryStatementSuccess { "
    "recoveryStatement { status } } ... on ConflictError { message } } }"
)
PAY_RECOVERY = (
    "mutation($i: PaymentInput!) { recordRecoveryPayment(input: $i) { __typename ... on RecoveryStatementSuccess { "
    "recoveryStatement { status paidOn } } } }"
)
RETURNS = "query($id: ID!) { node(id: $id) { ... on Claim { partReturns { id } } } }"


async def _returns_of(client: httpx.AsyncClient, a: Principal, claim_id: str) -> list[str]:
    shown = await graphql(client, RETURNS, a, id=claim_id)
    return [r["id"] for r in shown["data"]["node"]["partReturns"]]


async def _decide(client: httpx.AsyncClient, auditor: Principal, claim: dict[str, Any], **decision: Any) -> Any:
    given = {"claimId": claim["id"], "version": claim["version"], "decision": "APPROVE", **decision}
    return (await call(client, auditor, DECIDE, "decideClaim", i=given))["claim"]


async def _download(client: httpx.AsyncClient, principal: Principal, url: str) -> httpx.Response:
    return await client.get(url, headers={"Authorization": f"Bearer {principal.token}"})


async def test_from_repair_order_to_settlement_and_supplier_recovery(
    client: httpx.AsyncClient,
    scoped: Scoped,
    seed: AsyncSession,
    tenants: Tenants,
    make_principal: MakePrincipal,
    partner_world: PartnerWorld,
    sessionmaker: async_sessionmaker[AsyncSession],
    deliver: Deliver,
    mailer: MemoryMailer,
) -> None:
    auditor = await make_principal(tenants.network_x, None, Role.HQ_WARRANTY_AUDITOR)  # seed writes first
    supplier = await make_principal(tenants.network_x, None, Role.PARTNER_USER, partner_id=partner_world.partner_p)
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a, today = tenants.manager_a, network_today()
    part_id = GlobalID.from_id(w.part).node_id
    await seed.execute(text("UPDATE parts SET supplier_id = :p WHERE id = :i"), {"p": partner_world.partner_p,
                                                                              "i": part_id})  # fmt: skip
    await seed.execute(text("""UPDATE warranty_terms SET claim_rules = '{"return_component_groups": ["*"]}'"""))
    group = await seed.scalar(text("SELECT component_group FROM parts WHERE id = :i"), {"i": part_id})
    labour = {"kind": "LABOUR", "serviceType": "WARRANTY", "labourOperationId": w.operation}
    pad = {"kind": "PART", "serviceType": "WARRANTY", "partId": w.part}

    # Claim 1: labour over the flat rate and two pads. Claims 2 and 3 name the same VIN and causal part.
    first = await completed_order(client, w, a, [{**labour, "quantity": "2.50"}, {**pad, "quantity": "2"}])
    one = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": first}))["claim"]
    one = (await call(client, a, SUBMIT, "submitClaim", id=one["id"]))["claim"]
    flags = {f["code"]: f["explanation"] for f in one["adjudication"]["flags"]}
    assert flags["LABOUR_ABOVE_FLAT_RATE"] == "labour 2.50 h claimed, flat rate 1.50 h for operation BR-01"
    two = await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": await completed_order(client, w, a, [pad])})
    two = (await call(client, a, SUBMIT, "submitClaim", id=two["claim"]["id"]))["claim"]
    duplicate = next(f for f in two["adjudication"]["flags"] if f["code"] == "DUPLICATE")
    assert one["number"] in duplicate["explanation"] or "claim" in duplicate["explanation"]
    third = await completed_order(client, w, a, [labour, pad])
    three = (await call(client, a, RAISE, "raiseClaim", i={"repairOrderId": third}))["claim"]
    three = (await call(client, a, SUBMIT, "submitClaim", id=three["id"]))["claim"]

    # HQ partly approves claim 1 (the labour at its flat rate, with the code) and approves 2 and 3.
    adjusted = [{"lineId": one["lines"][0]["id"], "approvedAmount": "120.00", "reason": "LABOUR_ABOVE_FLAT_RATE"}]
    one = await _decide(client, auditor, one, decision="PARTLY_APPROVE", adjustments=adjusted)
    assert (one["status"], one["approvedAmount"]) == ("PARTLY_APPROVED", "960.00")
    await _decide(client, auditor, two)
    await _decide(client, auditor, three)

    # The supplier's agreement: all of the part, half the labour, 10 % handling, from before the repair.
    terms = {"partnerId": str(GlobalID("Partner", str(partner_world.partner_p))), "componentGroup": group,
             "partShare": "100", "labourShare": "50", "handlingShare": "10",
             "effectiveFrom": (today - timedelta(days=30)).isoformat(), "note": "SQA-2026-07"}  # fmt: skip
    made = await call(client, auditor, AGREE, "makeRecoveryAgreement", i=terms)
    assert made["__typename"] == "RecoveryAgreementSuccess", made
    twice = await call(client, auditor, AGREE, "makeRecoveryAgreement", i=terms)
    assert twice["__typename"] == "ConflictError"
    too_much = await call(client, auditor, AGREE, "makeRecoveryAgreement", i={**terms, "partShare": "120"})
    assert [f["field"] for f in too_much["fields"]] == ["partShare"]

    # Claim 1's pads go back and are found a supplier defect: the recovery claim, priced by the agreement.
    [returned] = await _returns_of(client, a, one["id"])
    await call(client, a, SHIP, "shipPartReturns", i={"returnIds": [returned], "carrier": "SF"})
    await call(client, auditor, BOOK_IN, "receivePartReturn", id=returned)
    sheet = {"returnId": returned, "verdict": "SUPPLIER_DEFECT", "note": "friction layer delaminated"}
    await call(client, auditor, INSPECT, "inspectPartReturn", i=sheet)

    [recovery] = [e["node"] for e in (await graphql(client, RECOVERIES, supplier))["data"]["recoveryClaims"]["edges"]]
    assert (recovery["status"], recovery["amount"], recovery["verdictNote"]) == (
        "OPEN", "984.00", "friction layer delaminated"
    )  # fmt: skip
    assert recovery["vin"] == VIN[:3] + "*" * 10 + VIN[-4:]  # the owner's vehicle, masked for the supplier
    assert [(x["kind"], x["baseAmount"], x["share"], x["amount"]) for x in recovery["lines"]] == [
        ("LABOUR", "120.00", "50.00", "60.00"), ("PART", "840.00", "100.00", "840.00"),
        ("HANDLING", "840.00", "10.00", "84.00"),
    ]  # fmt: skip
    hq_view = (await graphql(client, RECOVERIES, auditor))["data"]["recoveryClaims"]["edges"][0]["node"]
    assert hq_view["vin"] == VIN
    hidden = await graphql(client, "{ recoveryClaims(first: 5) { edges { node { warrantyClaimId } } } }", supplier)
    assert hidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    station = await graphql(client, RECOVERIES, a)
    assert station["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # what a supplier owes is HQ's business
    told = await graphql(client, "{ notifications(first: 5) { edges { node { subject } } } }", supplier)
    assert [e["node"]["subject"] for e in told["data"]["notifications"]["edges"]] == [
        f"Recovery claim {recovery['number']}: 984.00 for a defective {recovery['partNumber']}"
    ]
    await deliver()  # the network's mail job: the supplier's people hear of it by e-mail too, nobody else
    assert [m.to for m in mailer.sent if m.subject.startswith("Recovery claim")] == [supplier.email]

    # The supplier accepts the part and the handling and disputes the labour; HQ adjusts it.
    labour_line, part_line, handling = (x["id"] for x in recovery["lines"])
    unexplained = await call(client, supplier, ANSWER, "answerRecoveryClaim", i={"recoveryClaimId": recovery["id"],
                             "lines": [{"lineId": labour_line, "response": "DISPUTED"}]})  # fmt: skip
    assert [f["field"] for f in unexplained["fields"]] == ["lines.0.reason"]
    answer = {"recoveryClaimId": recovery["id"], "lines": [
        {"lineId": part_line, "response": "ACCEPTED"}, {"lineId": handling, "response": "ACCEPTED"},
        {"lineId": labour_line, "response": "DISPUTED", "reason": "over the flat rate: the station's"}]}  # fmt: skip
    disputed = (await call(client, supplier, ANSWER, "answerRecoveryClaim", i=answer))["recoveryClaim"]
    assert disputed["status"] == "DISPUTED"
    again = await call(client, supplier, ANSWER, "answerRecoveryClaim", i=answer)
    assert again["__typename"] == "ConflictError"
    own = await graphql(client, RESOLVE, supplier, i={"recoveryClaimId": recovery["id"], "lines": []})
    assert own["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    not_disputed = {"recoveryClaimId": recovery["id"], "lines": [{"lineId": part_line, "resolution": "WAIVED",
                                                                  "note": "x"}]}  # fmt: skip
    assert (await call(client, auditor, RESOLVE, "resolveRecoveryClaim", i=not_disputed))[
        "__typename"
    ] == "ConflictError"
    resolution = {"recoveryClaimId": recovery["id"], "lines": [{"lineId": labour_line, "resolution": "ADJUSTED",
                  "amount": "30.00", "note": "half of the approved flat rate's share"}]}  # fmt: skip
    agreed = (await call(client, auditor, RESOLVE, "resolveRecoveryClaim", i=resolution))["recoveryClaim"]
    assert (agreed["status"], agreed["amount"]) == ("AGREED", "954.00")

    # Claim 2's pad never comes back: reminded, then charged back after the grace period (the cron).
    [missing] = await _returns_of(client, a, two["id"])
    await seed.execute(text("UPDATE part_returns SET due_on = :d WHERE id = :i"),
                       {"d": today - timedelta(days=20), "i": GlobalID.from_id(missing).node_id})  # fmt: skip
    assert await jobs.remind_overdue_returns(sessionmaker) == 1  # the reminder
    assert await jobs.remind_overdue_returns(sessionmaker) == 1  # the chargeback
    # Claim 3's pad is still on its way: its line waits for the verdict; its labour is paid.

    period = {"periodStart": today.replace(day=1).isoformat(), "periodEnd": today.isoformat()}
    future = await call(client, auditor, RUN, "runSettlement", i={**period, "periodEnd": (today + timedelta(days=1))
                                                                  .isoformat()})  # fmt: skip
    assert [f["field"] for f in future["fields"]] == ["periodEnd"]
    run = await call(client, auditor, RUN, "runSettlement", i=period)
    [statement] = run["settlements"]
    assert (statement["claimsAmount"], statement["chargebacksAmount"], statement["adjustmentsAmount"]) == (
        "1500.00", "420.00", "0.00"
    )  # fmt: skip
    assert (statement["total"], statement["lineCount"], statement["status"]) == ("1080.00", 5, "PUBLISHED")
    assert sorted((x["kind"], x["amount"]) for x in statement["lines"]) == [
        ("chargeback", "-420.00"), ("claim_line", "120.00"), ("claim_line", "120.00"), ("claim_line", "420.00"),
        ("claim_line", "840.00"),
    ]  # fmt: skip
    counted = "SELECT (SELECT count(*) FROM settlements), (SELECT count(*) FROM settlement_lines)"
    before = (await seed.execute(text(counted))).one()
    rerun = await call(client, auditor, RUN, "runSettlement", i=period)
    assert rerun["settlements"] == []  # running it again settles nothing twice
    assert (await seed.execute(text(counted))).one() == before == (1, 5)

    # The station reads its statement as PDF and XLSX (station B cannot), acknowledges it; HQ pays it.
    pdf = await _download(client, a, statement["statementUrl"] + "pdf")
    assert (pdf.status_code, pdf.headers["content-type"], pdf.content[:5]) == (200, "application/pdf", b"%PDF-")
    sheet_file = await _download(client, a, statement["statementUrl"] + "xlsx")
    rows = list(load_workbook(io.BytesIO(sheet_file.content)).active.iter_rows(values_only=True))
    assert rows[-1][1:3] == ("应付 Total payable", 1080)
    assert (await _download(client, tenants.manager_b, statement["statementUrl"] + "pdf")).status_code == 404
    early = await call(client, auditor, PAY, "recordSettlementPayment", i={"id": statement["id"],
                       "paidOn": today.isoformat(), "reference": "BOC-1"})  # fmt: skip
    assert early["__typename"] == "ConflictError"  # paid once acknowledged
    acknowledged = await call(client, a, ACKNOWLEDGE, "acknowledgeSettlement", id=statement["id"])
    assert acknowledged["settlement"]["status"] == "ACKNOWLEDGED"
    assert (await call(client, a, ACKNOWLEDGE, "acknowledgeSettlement", id=statement["id"]))["__typename"] == (
        "ConflictError"
    )
    assert (await call(client, tenants.manager_b, ACKNOWLEDGE, "acknowledgeSettlement", id=statement["id"]))[
        "__typename"
    ] == "NotFoundError"
    paid = await call(client, auditor, PAY, "recordSettlementPayment", i={"id": statement["id"],
                      "paidOn": today.isoformat(), "reference": "BOC-20261201-7"})  # fmt: skip
    assert paid["settlement"] == {"status": "PAID", "paidOn": today.isoformat(), "paymentReference": "BOC-20261201-7"}

    # The supplier's recovery statement: its agreed claim, acknowledged by it, its payment recorded by HQ.
    stated = (await call(client, auditor, RUN_RECOVERY, "runRecoveryStatements", i=period))["recoveryStatements"]
    assert [(s["amount"], s["claimCount"], [c["number"] for c in s["recoveryClaims"]]) for s in stated] == [
        ("954.00", 1, [recovery["number"]])
    ]
    assert (await call(client, auditor, RUN_RECOVERY, "runRecoveryStatements", i=period))["recoveryStatements"] == []
    theirs = await _download(client, supplier, stated[0]["statementUrl"] + "xlsx")
    assert theirs.status_code == 200
    assert (await _download(client, a, stated[0]["statementUrl"] + "pdf")).status_code == 403
    done = await call(client, supplier, ACKNOWLEDGE_RECOVERY, "acknowledgeRecoveryStatement", id=stated[0]["id"])
    assert done["recoveryStatement"]["status"] == "ACKNOWLEDGED"
    settled = await call(client, auditor, PAY_RECOVERY, "recordRecoveryPayment", i={"id": stated[0]["id"],
                         "paidOn": today.isoformat(), "reference": "SUP-P-1"})  # fmt: skip
    assert settled["recoveryStatement"]["status"] == "PAID"
    journal = "query($id: ID!) { journal(first: 30, entityId: $id) { edges { node { action } } } }"
    stated_log = (await graphql(client, journal, tenants.hq_x, id=stated[0]["id"]))["data"]["journal"]["edges"]
    assert [e["node"]["action"] for e in stated_log] == ["paid", "acknowledged", "published"]  # the supplier's too

    # The claim's timeline tells the whole story.
    actions = [e["node"]["action"] for e in (await graphql(client, journal, tenants.hq_x, id=one["id"]))["data"][
        "journal"]["edges"]]  # fmt: skip
    assert actions[:4] == ["recovery_claimed", "part_inspected", "part_received", "part_shipped"]
    assert Decimal(statement["total"]) == Decimal("1500.00") - Decimal("420.00")


async def test_a_goodwill_claim_asks_the_oem_s_share_is_always_reviewed_and_shows_its_photos(
    client: httpx.AsyncClient, scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_principal: MakePrincipal
) -> None:
    w = await station_under_contract(scoped, seed, tenants, make_principal)
    a = tenants.manager_a
    order = await completed_order(client, w, a, [{"kind": "PART", "serviceType": "WARRANTY", "partId": w.part}])
    given = {"repairOrderId": order, "claimType": "GOODWILL", "goodwillPercent": "50"}
    claim = (await call(client, a, RAISE, "raiseClaim", i=given))["claim"]
    assert (claim["claimType"], claim["claimedAmount"]) == ("GOODWILL", "210.00")
    submitted = (await call(client, a, SUBMIT, "submitClaim", id=claim["id"]))["claim"]
    assert submitted["status"] == "SUBMITTED"  # never approved by the rules
    assert "GOODWILL" in [f["code"] for f in submitted["adjudication"]["flags"]]

    # Its photos are the repair order's: uploaded there, shown with the claim, downloaded by HQ.
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    uploaded = await client.post(f"/repair-orders/{order}/files", headers=a.headers,
                                 files={"file": ("裂纹 crack.png", photo, "image/png")})  # fmt: skip
    assert uploaded.status_code == 201
    evidence = "query($id: ID!) { node(id: $id) { ... on Claim { evidence { filename size downloadUrl } } } }"
    [shown] = (await graphql(client, evidence, tenants.hq_x, id=claim["id"]))["data"]["node"]["evidence"]
    assert (shown["filename"], shown["size"]) == ("裂纹 crack.png", len(photo))
    assert (await _download(client, tenants.hq_x, shown["downloadUrl"])).content == photo
