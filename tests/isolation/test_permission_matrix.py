"""The permission matrix (SECURITY.md ISO-7): docs/permissions.md is what the declarations say, and every
cell holds over HTTP: a denied principal gets FORBIDDEN (and no data), an allowed one never does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import CLIENT_SCOPES, Role
from dealernet.core.db import new_id
from dealernet.matrix import ADMIN_WITHOUT_SECOND_FACTOR, PARTNER_CLIENT, PRINCIPALS, operations, render_matrix
from dealernet.tenants.service.sign_in import scope_for
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from tests.conftest import MakePrincipal, PartnerWorld, Principal, Tenants, dms_principal

MATRIX = Path(__file__).parents[2] / "docs" / "permissions.md"
NOBODY = str(new_id())

# One harmless call per operation: ids that match nothing, inputs that fail validation.
SAMPLES: dict[str, tuple[str, dict[str, Any]]] = {
    "viewer": ("{ viewer { id } }", {}),
    "stations": ("{ stations(first: 1) { edges { cursor } } }", {}),
    "node": ('{ node(id: "nothing") { id } }', {}),
    "regions": ("{ regions { id } }", {}),
    "journal": ("{ journal(first: 1) { edges { cursor } } }", {}),
    "partners": ("{ partners { id } }", {}),
    "apiClients": ("{ apiClients { id } }", {}),
    "inviteUser": (
        "mutation($i: InviteUserInput!) { inviteUser(input: $i) { __typename } }",
        {"i": {"email": "not-an-address", "role": "STATION_TECHNICIAN"}},
    ),
    "acceptInvitation": (
        'mutation { acceptInvitation(input: {token: "nope", password: "irrelevant!!"}) { __typename } }',
        {},
    ),
    "registerApplicant": (
        'mutation { registerApplicant(input: {networkCode: "", companyName: "", email: "x"}) { __typename } }',
        {},
    ),
    "verifyRegistration": (
        'mutation { verifyRegistration(input: {token: "nope", password: "irrelevant!!"}) { __typename } }',
        {},
    ),
    "stationProfile": ("{ stationProfile { address } }", {}),
    "onboardingOverdue": ("{ onboardingOverdue { kind } }", {}),
    "onboardingRules": ("{ onboardingRules { committeeQuorum } }", {}),
    "setOnboardingRules": ("mutation { setOnboardingRules(input: {committeeQuorum: 0}) { __typename } }", {}),
    "profileChanges": ("{ profileChanges(first: 1) { edges { cursor } } }", {}),
    "recordProfileChange": (
        'mutation { recordProfileChange(input: {kind: ADDRESS, changedOn: "2026-01-01", values: {}}) { __typename } }',
        {},
    ),
    "fileProfileChange": ("mutation($c: ID!) { fileProfileChange(changeId: $c) { __typename } }", {"c": NOBODY}),
    "decideProfileChange": (
        "mutation($c: ID!) { decideProfileChange(changeId: $c, approve: true) { __typename } }",
        {"c": NOBODY},
    ),
    "deactivateUser": ("mutation($u: ID!) { deactivateUser(userId: $u) { __typename } }", {"u": NOBODY}),
    "unlockSignIn": ("mutation($u: ID!) { unlockSignIn(userId: $u) { __typename } }", {"u": NOBODY}),
    "createRegion": ('mutation { createRegion(code: "", name: "") { __typename } }', {}),
    "setStationRegion": ("mutation($s: ID!) { setStationRegion(stationId: $s) { __typename } }", {"s": NOBODY}),
    "createApiClient": (
        'mutation($p: ID!) { createApiClient(input: {partnerId: $p, name: "n", scopes: []}) { __typename } }',
        {"p": NOBODY},
    ),
    "rotateApiClientSecret": ("mutation($i: ID!) { rotateApiClientSecret(id: $i) { __typename } }", {"i": NOBODY}),
    "deactivateApiClient": ("mutation($i: ID!) { deactivateApiClient(id: $i) { __typename } }", {"i": NOBODY}),
    "registerPersistedQuery": (
        'mutation($i: ID!) { registerPersistedQuery(clientId: $i, document: "{ viewer { id } }") { __typename } }',
        {"i": NOBODY},
    ),
    "identityProviders": ("{ identityProviders { name } }", {}),
    "configureIdentityProvider": (
        """mutation { configureIdentityProvider(input: {name: "n", issuer: "https://idp.example", clientId: "c",
        roleMapping: [{value: "v", role: STATION_MANAGER}]}) { __typename } }""",
        {},
    ),
    "startMfaEnrollment": ("mutation { startMfaEnrollment { __typename } }", {}),
    "confirmMfaEnrollment": ('mutation { confirmMfaEnrollment(code: "000000") { __typename } }', {}),
    "parts": ("{ parts(first: 5) { edges { node { id } } } }", {}),
    "vehicle": ('{ vehicle(vin: "11111111111111111") { id } }', {}),
    "vehicles": ("{ vehicles(first: 5) { edges { node { id } } } }", {}),
    "customers": ("{ customers(first: 5) { edges { node { id } } } }", {}),
    "stationClients": ("{ stationClients { id } }", {}),
    "createStationClient": ('mutation { createStationClient(name: "") { __typename } }', {}),
    "deactivateStationClient": ("mutation($c: ID!) { deactivateStationClient(id: $c) { __typename } }", {"c": NOBODY}),
    "repairOrders": ("{ repairOrders(first: 5) { edges { node { id } } } }", {}),
    "partsOrders": ("{ partsOrders(first: 5) { edges { node { id } } } }", {}),
    "shippingAccuracy": ('{ shippingAccuracy(month: "2026-11-01") { percent } }', {}),
    "suggestedStockOrder": ("{ suggestedStockOrder { partId quantity } }", {}),
    "placePartsOrder": ("mutation { placePartsOrder(input: {kind: STOCK, lines: []}) { __typename } }", {}),
    "allocatePartsOrder": (
        "mutation($o: ID!) { allocatePartsOrder(input: {partsOrderId: $o, lines: []}) { __typename } }",
        {"o": NOBODY},
    ),
    "shipPartsOrder": (
        """mutation($o: ID!) { shipPartsOrder(input: {partsOrderId: $o, carrier: "", trackingNumber: ""}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    "receivePartsOrder": (
        "mutation($o: ID!) { receivePartsOrder(input: {partsOrderId: $o}) { __typename } }",
        {"o": NOBODY},
    ),
    "claims": ("{ claims(first: 1) { edges { node { id } } } }", {}),
    "claimReviewQueue": ("{ claimReviewQueue(first: 1) { edges { node { id } } } }", {}),
    "raiseClaim": ("mutation($o: ID!) { raiseClaim(input: {repairOrderId: $o}) { __typename } }", {"o": NOBODY}),
    "submitClaim": ("mutation($o: ID!) { submitClaim(id: $o) { __typename } }", {"o": NOBODY}),
    "decideClaim": (
        "mutation($o: ID!) { decideClaim(input: {claimId: $o, version: 1, decision: APPROVE}) { __typename } }",
        {"o": NOBODY},
    ),
    "readjudicateClaim": ('mutation($o: ID!) { readjudicateClaim(id: $o, reason: "r") { __typename } }', {"o": NOBODY}),
    "appealClaim": (
        'mutation($o: ID!) { appealClaim(input: {claimId: $o, reason: "", evidence: ""}) { __typename } }',
        {"o": NOBODY},
    ),
    "decideAppeal": (
        'mutation($o: ID!) { decideAppeal(input: {claimId: $o, grant: true, note: ""}) { __typename } }',
        {"o": NOBODY},
    ),
    "partReturns": ("{ partReturns(first: 1) { edges { node { id } } } }", {}),
    "requestPartReturn": (
        "mutation($o: ID!) { requestPartReturn(input: {claimLineId: $o}) { __typename } }",
        {"o": NOBODY},
    ),
    "shipPartReturns": (
        'mutation($o: ID!) { shipPartReturns(input: {returnIds: [$o], carrier: ""}) { __typename } }',
        {"o": NOBODY},
    ),
    "receivePartReturn": ("mutation($o: ID!) { receivePartReturn(id: $o) { __typename } }", {"o": NOBODY}),
    "inspectPartReturn": (
        'mutation($o: ID!) { inspectPartReturn(input: {returnId: $o, verdict: WEAR_AND_TEAR, note: ""}) '
        "{ __typename } }",
        {"o": NOBODY},
    ),
    "preauthorisations": ("{ preauthorisations(first: 1) { edges { node { id } } } }", {}),
    "recoveryClaims": ("{ recoveryClaims(first: 1) { edges { node { id } } } }", {}),
    "stationClaimRates": ("{ stationClaimRates { stationId } }", {}),
    "recoveryAgreements": ("{ recoveryAgreements { id } }", {}),
    "makeRecoveryAgreement": (
        """mutation($o: ID!) { makeRecoveryAgreement(input: {partnerId: $o, componentGroup: "", partShare: "0",
        labourShare: "0", effectiveFrom: "2026-01-01"}) { __typename } }""",
        {"o": NOBODY},
    ),
    "answerRecoveryClaim": (
        "mutation($o: ID!) { answerRecoveryClaim(input: {recoveryClaimId: $o, lines: []}) { __typename } }",
        {"o": NOBODY},
    ),
    "resolveRecoveryClaim": (
        "mutation($o: ID!) { resolveRecoveryClaim(input: {recoveryClaimId: $o, lines: []}) { __typename } }",
        {"o": NOBODY},
    ),
    "settlements": ("{ settlements(first: 1) { edges { node { id } } } }", {}),
    "recoveryStatements": ("{ recoveryStatements(first: 1) { edges { node { id } } } }", {}),
    "runSettlement": (
        'mutation { runSettlement(input: {periodStart: "2000-02-01", periodEnd: "2000-01-01"}) { __typename } }',
        {},
    ),
    "runRecoveryStatements": (
        'mutation { runRecoveryStatements(input: {periodStart: "2000-02-01", periodEnd: "2000-01-01"}) '
        "{ __typename } }",
        {},
    ),
    **{
        field: (f"mutation($o: ID!) {{ {field}(id: $o) {{ __typename }} }}", {"o": NOBODY})
        for field in ("acknowledgeSettlement", "acknowledgeRecoveryStatement")
    },
    **{
        field: (
            f'mutation($o: ID!) {{ {field}(input: {{id: $o, paidOn: "2000-01-01", reference: ""}}) {{ __typename }} }}',
            {"o": NOBODY},
        )
        for field in ("recordSettlementPayment", "recordRecoveryPayment")
    },
    "requestPreauthorisation": (
        'mutation($o: ID!) { requestPreauthorisation(input: {repairOrderId: $o, amount: "0.00", reason: ""}) '
        "{ __typename } }",
        {"o": NOBODY},
    ),
    "decidePreauthorisation": (
        "mutation($o: ID!) { decidePreauthorisation(input: {preauthorisationId: $o, approve: false}) { __typename } }",
        {"o": NOBODY},
    ),
    "receiveVehicle": (
        """mutation($v: ID!) { receiveVehicle(input: {vehicleId: $v, customerId: $v, odometerKm: -1, fuelEighths: 9,
        concern: "", promisedAt: "2020-01-01T00:00:00+00:00"}) { __typename } }""",
        {"v": NOBODY},
    ),
    "quoteLine": (
        """mutation($o: ID!) { quoteLine(input: {repairOrderId: $o, kind: PART, serviceType: PAID, partId: $o}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    "recordConsent": (
        """mutation($o: ID!) { recordConsent(input: {repairOrderId: $o, lineIds: [$o], consented: true}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    "reverseSettledLine": (
        """mutation($o: ID!) { reverseSettledLine(input: {repairOrderId: $o, lineId: $o, reason: ""}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    "recordWork": (
        """mutation($o: ID!) { recordWork(input: {repairOrderId: $o, lineId: $o, cause: "", correction: ""}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    "assignTechnician": (
        """mutation($o: ID!) { assignTechnician(input: {repairOrderId: $o, lineId: $o, technicianId: $o}) {
        __typename } }""",
        {"o": NOBODY},
    ),
    **{
        field: (f"mutation($o: ID!) {{ {field}(id: $o) {{ __typename }} }}", {"o": NOBODY})
        for field in (
            "startWork",
            "completeRepairOrder",
            "settleRepairOrder",
            "handOverRepairOrder",
            "cancelRepairOrder",
            "recordCustomerTold",
        )
    },
    "delayRepairOrder": (
        """mutation($o: ID!) { delayRepairOrder(input: {repairOrderId: $o, promisedAt: "2000-01-01T00:00:00Z",
        reason: ""}) { __typename } }""",
        {"o": NOBODY},
    ),
    "createCustomer": ('mutation { createCustomer(input: {name: "", phone: "x"}) { __typename } }', {}),
    "updateCustomer": (
        'mutation($c: ID!) { updateCustomer(input: {customerId: $c, name: "", phone: "x"}) { __typename } }',
        {"c": NOBODY},
    ),
    "registerVehicle": (
        'mutation { registerVehicle(input: {vin: "?", model: "", productionDate: "2025-01-01"}) { __typename } }',
        {},
    ),
    "correctVehicle": (
        """mutation($v: ID!) { correctVehicle(input: {vehicleId: $v, vin: "?", model: "",
        productionDate: "2025-01-01"}) { __typename } }""",
        {"v": NOBODY},
    ),
    "serviceBom": ('{ serviceBom(vehicleModel: "NONE") { quantity } }', {}),
    "createPart": ('mutation { createPart(input: {partNumber: "!", componentGroup: ""}) { __typename } }', {}),
    "supersedePart": (
        """mutation($p: ID!) { supersedePart(input: {oldPartId: $p, newPartId: $p, effectiveOn: "2026-01-01",
        interchangeable: true}) { __typename } }""",
        {"p": NOBODY},
    ),
    "setServiceBomLine": (
        'mutation($p: ID!) { setServiceBomLine(input: {vehicleModel: "M", partId: $p, quantity: "x"}) { __typename } }',
        {"p": NOBODY},
    ),
    "publications": ("{ publications(first: 5) { edges { node { id } } } }", {}),
    "policyAsOf": ('{ policyAsOf(on: "2026-01-01") { on } }', {}),
    "draftLabourRates": (
        'mutation { draftLabourRates(input: {title: "", effectiveOn: "2026-01-01"}) { __typename } }',
        {},
    ),
    "setLabourRate": (
        'mutation($c: ID!) { setLabourRate(input: {rateCardId: $c, hourlyRate: "1.00"}) { __typename } }',
        {"c": NOBODY},
    ),
    "draftWarrantyPolicy": (
        'mutation { draftWarrantyPolicy(input: {title: "", effectiveOn: "2026-01-01"}) { __typename } }',
        {},
    ),
    "setWarrantyCoverage": (
        'mutation($p: ID!) { setWarrantyCoverage(input: {policyId: $p, componentGroup: "G", months: 1, km: 1}) '
        "{ __typename } }",
        {"p": NOBODY},
    ),
    "draftServiceCommitments": (
        'mutation { draftServiceCommitments(input: {title: "", effectiveOn: "2026-01-01", ordinaryResponseHours: 0, '
        "majorResponseHours: 0}) { __typename } }",
        {},
    ),
    "draftBulletin": (
        'mutation { draftBulletin(input: {title: "", effectiveOn: "2026-01-01", number: "", body: ""}) '
        "{ __typename } }",
        {},
    ),
    "draftPriceCoefficients": (
        'mutation { draftPriceCoefficients(input: {title: "", effectiveOn: "2026-01-01"}) { __typename } }',
        {},
    ),
    "setPriceCoefficient": (
        'mutation($c: ID!) { setPriceCoefficient(input: {coefficientsId: $c, regionId: $c, coefficient: "1"}) '
        "{ __typename } }",
        {"c": NOBODY},
    ),
    "myApplication": ("{ myApplication { id } }", {}),
    "applications": ("{ applications(first: 5) { edges { node { id } } } }", {}),
    "rubric": ("{ rubric(kind: APPLICATION) { id } }", {}),
    "createRubric": (
        'mutation { createRubric(input: {kind: INTERVIEW, title: "", criteria: []}) { __typename } }',
        {},
    ),
    "updateApplication": ("mutation { updateApplication(input: {bays: -1}) { __typename } }", {}),
    "submitApplication": ("mutation { submitApplication { __typename } }", {}),
    "scoreApplication": (
        "mutation($a: ID!) { scoreApplication(input: {applicationId: $a, marks: []}) { __typename } }",
        {"a": NOBODY},
    ),
    "reopenApplication": (
        'mutation($a: ID!) { reopenApplication(applicationId: $a, reason: "r") { __typename } }',
        {"a": NOBODY},
    ),
    "developmentPlan": ("{ developmentPlan { regionCode } }", {}),
    "myLetterOfIntent": ("{ myLetterOfIntent { number } }", {}),
    "setRegionQuota": (
        "mutation($r: ID!) { setRegionQuota(regionId: $r, stationsNeeded: -1) { __typename } }",
        {"r": NOBODY},
    ),
    "planSiteVisit": (
        'mutation($a: ID!) { planSiteVisit(input: {applicationId: $a, plannedOn: "2026-01-01", visitorIds: []}) '
        "{ __typename } }",
        {"a": NOBODY},
    ),
    "recordSiteVisit": (
        "mutation($a: ID!) { recordSiteVisit(input: {applicationId: $a, interview: [], survey: {}}) { __typename } }",
        {"a": NOBODY},
    ),
    "committeeMembers": ("{ committeeMembers { userId } }", {}),
    "appointCommitteeMember": (
        "mutation($u: ID!) { appointCommitteeMember(userId: $u) { __typename } }",
        {"u": NOBODY},
    ),
    "removeCommitteeMember": (
        'mutation($u: ID!) { removeCommitteeMember(userId: $u, reason: "r") { __typename } }',
        {"u": NOBODY},
    ),
    "changeCommitteeVote": (
        'mutation($a: ID!) { changeCommitteeVote(applicationId: $a, vote: ABSTAIN, reason: "r") { __typename } }',
        {"a": NOBODY},
    ),
    "castCommitteeVote": (
        "mutation($a: ID!) { castCommitteeVote(applicationId: $a, vote: ABSTAIN) { __typename } }",
        {"a": NOBODY},
    ),
    "decideCommittee": ("mutation($a: ID!) { decideCommittee(applicationId: $a) { __typename } }", {"a": NOBODY}),
    "placeStartupOrder": (
        'mutation { placeStartupOrder(input: {kind: TOOLS, reference: "", dueOn: "2026-01-01"}) { __typename } }',
        {},
    ),
    "confirmStartupDelivery": (
        "mutation($o: ID!) { confirmStartupDelivery(orderId: $o) { __typename } }",
        {"o": NOBODY},
    ),
    "inspectAcceptance": (
        "mutation($a: ID!) { inspectAcceptance(input: {applicationId: $a, marks: []}) { __typename } }",
        {"a": NOBODY},
    ),
    "signContract": (
        'mutation($a: ID!) { signContract(input: {applicationId: $a, termStart: "2026-01-01", termEnd: "2025-01-01", '
        "serviceTypes: []}) { __typename } }",
        {"a": NOBODY},
    ),
    "tierRepairLevels": ("{ tierRepairLevels { tier } }", {}),
    "setTierRepairLevels": (
        'mutation { setTierRepairLevels(tier: "", repairLevels: []) { __typename } }',
        {},
    ),
    "dispatchCheck": (
        'query($s: ID!) { dispatchCheck(stationId: $s, serviceType: WARRANTY, on: "2026-01-01") { allowed } }',
        {"s": NOBODY},
    ),
    "recordStaffCertificate": (
        'mutation($s: ID!) { recordStaffCertificate(input: {stationId: $s, personName: "", role: "x", '
        'serviceTypes: [], course: "", certificateNumber: "", passedOn: "2026-01-01", expiresOn: "2025-01-01"}) '
        "{ __typename } }",
        {"s": NOBODY},
    ),
    "changeStationStanding": (
        'mutation($s: ID!) { changeStationStanding(stationId: $s, action: SUSPEND, reason: "r") { __typename } }',
        {"s": NOBODY},
    ),
    "minimumStock": ('{ minimumStock(on: "2026-01-01", first: 5) { hasNextPage } }', {}),
    "draftStockRules": ('mutation { draftStockRules(title: "", effectiveOn: "2026-01-01") { __typename } }', {}),
    "setStockRule": (
        'mutation($r: ID!) { setStockRule(rulesId: $r, componentGroup: "G", perThousandVehicles: "1") { __typename } }',
        {"r": NOBODY},
    ),
    "setVehiclePopulation": (
        'mutation($r: ID!) { setVehiclePopulation(regionId: $r, vehicleModel: "J6P", vehicles: 1) { __typename } }',
        {"r": NOBODY},
    ),
    "setMinimumStockOverride": (
        "mutation($s: ID!) { setMinimumStockOverride(stationId: $s, partId: $s, minimum: null) { __typename } }",
        {"s": NOBODY},
    ),
    "imports": ("{ imports(first: 5) { edges { node { id } } } }", {}),
    "notifications": ("{ notifications(first: 5) { edges { node { id } } } }", {}),
    "markNotificationRead": ("mutation($n: ID!) { markNotificationRead(id: $n) { __typename } }", {"n": NOBODY}),
    "priceAsOf": (
        'query($p: ID!) { priceAsOf(partId: $p, on: "2026-01-01", stationId: $p) { listPrice } }',
        {"p": NOBODY},
    ),
    "draftPriceList": ('mutation { draftPriceList(input: {title: "", effectiveOn: "2026-01-01"}) { __typename } }', {}),
    "setPartPrice": (
        """mutation($p: ID!) { setPartPrice(input: {priceListId: $p, partId: $p, listPrice: "1.00",
        dealerPrice: "1.00"}) { __typename } }""",
        {"p": NOBODY},
    ),
    "publish": ("mutation($p: ID!) { publish(id: $p) { __typename } }", {"p": NOBODY}),
    "acknowledgePublication": ("mutation($p: ID!) { acknowledgePublication(id: $p) { __typename } }", {"p": NOBODY}),
    "withdrawPublication": (
        'mutation($p: ID!) { withdrawPublication(id: $p, reason: "r") { __typename } }',
        {"p": NOBODY},
    ),
    "labourOperations": ("{ labourOperations(first: 5) { edges { node { id } } } }", {}),
    "createLabourOperation": (
        """mutation { createLabourOperation(input: {code: "?", description: "", flatRateHours: "x",
        componentGroup: ""}) { __typename } }""",
        {},
    ),
}


def test_the_committed_matrix_is_current() -> None:
    assert MATRIX.read_text() == render_matrix(), "docs/permissions.md is stale: run `make permissions`"


def test_every_operation_has_a_sample() -> None:
    assert {op.name for op in operations()} == set(SAMPLES)


async def _principals(
    tenants: Tenants,
    partner_world: PartnerWorld,
    make_principal: MakePrincipal,
    signer: TokenSigner,
    seed: AsyncSession,
) -> dict[str, Principal]:
    found: dict[str, Principal] = {}
    for role in Role:
        if role is Role.STATION_DMS:  # no person: a station API client's token
            found[role.value] = await dms_principal(tenants, signer, seed)
            continue
        station = tenants.station_a if role.is_station_role else None
        partner = partner_world.partner_p if role.is_partner_role else None
        found[role.value] = await make_principal(tenants.network_x, station, role, partner_id=partner)
    found[ADMIN_WITHOUT_SECOND_FACTOR] = await make_principal(
        tenants.network_x, None, Role.HQ_ADMIN, second_factor=False
    )
    claims = AccessClaims(
        subject=partner_world.client_p,
        network_id=tenants.network_x,
        role="partner_client",
        partner_id=partner_world.partner_p,
        client_id=partner_world.client_p,
        scopes=tuple(sorted(p.value for p in CLIENT_SCOPES)),  # the matrix's partner client holds every scope
    )
    found[PARTNER_CLIENT] = Principal(
        partner_world.client_p, "", tenants.network_x, None, scope_for(claims), signer.issue(claims)
    )
    return found


async def test_every_cell_holds_over_http(
    client: httpx.AsyncClient,
    tenants: Tenants,
    partner_world: PartnerWorld,
    make_principal: MakePrincipal,
    signer: TokenSigner,
    seed: AsyncSession,
) -> None:
    principals = await _principals(tenants, partner_world, make_principal, signer, seed)
    mismatches = []
    cells = 0
    for op in operations():
        document, variables = SAMPLES[op.name]
        for name in PRINCIPALS:
            cells += 1
            response = await client.post(
                "/graphql", json={"query": document, "variables": variables}, headers=principals[name].headers
            )
            body = response.json()
            codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
            forbidden = "FORBIDDEN" in codes
            if forbidden == op.allows(name) or (forbidden and (body.get("data") or {}).get(op.name) is not None):
                mismatches.append((op.name, name, codes))
    assert cells == len(SAMPLES) * len(PRINCIPALS)
    assert mismatches == []


@pytest.mark.parametrize("name", ["stations", "inviteUser"])
async def test_anonymous_callers_are_unauthenticated_not_forbidden(client: httpx.AsyncClient, name: str) -> None:
    document, variables = SAMPLES[name]
    body = (await client.post("/graphql", json={"query": document, "variables": variables})).json()
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
