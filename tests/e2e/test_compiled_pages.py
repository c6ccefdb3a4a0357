"""The same answer both ways (issue 17): a generated corpus of operations over the compiled pages — fields,
aliases, fragments, inline fragments, @include/@skip, __typename, variables, pagination arguments and cursors,
nulls, and errors such as a forbidden field or a bad cursor — runs against the app with the compiled path and
against the app with the resolvers only, as each kind of principal of the demo network; the JSON must be equal
after key-order normalisation, errors and their paths included. The operations the compiled path answered carry
`Server-Timing: compiled`, and the clean ones of HQ and a station must all have been answered so."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from obstore.store import MemoryStore
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.settings import Settings
from dealernet.network.demo import DEMO_APPLICANT_LOGIN, seed_demo_onboarding
from dealernet.policy.demo import seed_demo_policy
from dealernet.tenants.demo import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, seed_demo
from dealernet.warranty.demo import seed_demo_warranty
from dealernet.workshop.demo import seed_demo_workshop
from tests.conftest import Serve

PART = ["id", "partNumber", "nameZh", "nameEn", "componentGroup", "unit", "__typename"]
PRICE = ["currency", "listPrice", "regionId", "validFrom", "__typename"]
CLAIM = [
    "id", "number", "stationId", "repairOrderId", "vehicleId", "claimType", "status", "repairDate", "odometerKm",
    "causalPartId", "concern", "cause", "correction", "goodwillPercent", "claimedAmount", "approvedAmount",
    "version", "submittedAt", "decidedAt", "decidedByRules", "decisionReason", "decisionNote", "__typename",
]  # fmt: skip
LINE = [
    "id", "position", "repairOrderLineId", "kind", "description", "labourOperationId", "partId", "quantity",
    "unitPrice", "amount", "approvedAmount", "adjustmentReason", "__typename",
]  # fmt: skip
PAGE_INFO = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
# (root field, node type, its scalar fields, nested list field, its type and fields, arguments that filter)
STATION = ["id", "code", "name", "city", "status", "tier", "brands", "__typename"]
NOTIFICATION = ["id", "kind", "subject", "body", "createdAt", "readAt", "aboutId", "__typename"]
ORDER = [
    "id", "number", "status", "arrival", "odometerKm", "fuelEighths", "visibleDamage", "belongings", "concern",
    "repairLevel", "promisedAt", "customerNoticeAt", "customerToldAt", "receivedAt", "workStartedAt", "completedAt",
    "certificateNumber", "settledAt", "handedOverAt", "comebackOf", "__typename",
]  # fmt: skip
RECOVERY = [
    "id", "number", "partnerId", "status", "amount", "partId", "partNumber", "componentGroup", "agreementId", "vin",
    "repairDate", "odometerKm", "concern", "cause", "correction", "verdictNote", "createdAt", "warrantyClaimId",
    "__typename",
]  # fmt: skip
RECOVERY_LINE = [
    "id", "position", "kind", "baseAmount", "share", "amount", "response", "responseReason", "respondedAt",
    "resolution", "resolvedAmount", "resolutionNote", "__typename",
]  # fmt: skip
PUBLICATION = [
    "id", "kind", "title", "status", "effectiveOn", "acknowledgeWithinDays", "publishedAt", "regionId",
    "retroactiveReason", "__typename",
]  # fmt: skip
APPLICATION = [
    "id", "stage", "companyName", "legalRepresentative", "contactName", "contactPhone", "registeredAddress",
    "siteAddress", "regionId", "workshopAreaM2", "bays", "staff", "certifiedTechnicians", "equipment", "brands",
    "submittedAt", "createdAt", "stationId", "__typename",
]  # fmt: skip
VEHICLE = ["id", "vin", "model", "productionDate", "saleDate", "sellingDealer", "firstRegistration", "__typename"]
OPERATION = ["id", "code", "description", "flatRateHours", "componentGroup", "includes", "__typename"]
PAGES: dict[str, tuple[str, list[str], tuple[str, str, list[str]] | None, list[str]]] = {
    "parts": ("Part", PART, ("currentListPrices", "ListPrice", PRICE), ['componentGroup: "BRAKE"', 'search: "pad"']),
    "claims": ("Claim", CLAIM, ("lines", "ClaimLine", LINE), ["status: [SUBMITTED, APPROVED]", "status: []"]),
    "stations": ("Station", STATION, None, ["status: [ACTIVE]", "status: []", 'regionId: "bm90LWEtcmVnaW9u"']),
    "notifications": ("Notification", NOTIFICATION, None, ["unreadOnly: true", "unreadOnly: false"]),
    "repairOrders": (
        "RepairOrder",
        ORDER,
        None,
        [
            "status: [HANDED_OVER, COMPLETED]",
            'vin: " ldn "',
            "serviceType: WARRANTY",
            'receivedFrom: "2020-01-01T00:00:00+00:00"',
            'receivedBefore: "2020-01-01T00:00:00Z"',
            'technicianId: "VXNlcjowMWEyMzQ0ZS0wMDAwLTcwMDAtODAwMC0wMDAwMDAwMDAwMDA="',
        ],
    ),
    "recoveryClaims": ("RecoveryClaim", RECOVERY, ("lines", "RecoveryClaimLine", RECOVERY_LINE), ["status: [OPEN]"]),
    "publications": ("Publication", PUBLICATION, None, [
        "kind: PRICE_LIST", "status: PUBLISHED", "retroactive: false", "retroactive: true",
        'effectiveFrom: "2020-01-01"', 'effectiveTo: "2020-01-01"', 'regionId: "UmVnaW9uOng="',
    ]),
    "applications": ("Application", APPLICATION, None, ["stage: SHORTLISTED", 'regionId: "UmVnaW9uOng="']),
    "vehicles": ("Vehicle", VEHICLE, None, ['model: "J6P"', 'model: " J7 "']),
    "claimReviewQueue": ("Claim", CLAIM, ("lines", "ClaimLine", LINE), []),
    "labourOperations": ("LabourOperation", OPERATION, None, ['componentGroup: " brakes "']),
}  # fmt: skip


class Corpus:
    """Operations over the compiled pages, generated from a seed (the same corpus every run)."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.fragments: list[str] = []
        self.variables: dict[str, Any] = {}
        self.definitions: list[str] = []

    def _fields(self, type_name: str, fields: list[str]) -> str:
        chosen = self.random.sample(fields, self.random.randint(1, len(fields)))
        parts = []
        for index, name in enumerate(chosen):
            roll = self.random.random()
            if roll < 0.15:
                parts.append(f"a{index}: {name}")
            elif roll < 0.25:
                parts.append(f"{name} @include(if: $yes)")
                self._declare("yes", "Boolean!", True)
            elif roll < 0.32:
                parts.append(f"{name} @skip(if: $yes)")
                self._declare("yes", "Boolean!", True)
            elif roll < 0.38:
                parts.append(f"{name} @include(if: false)")
            else:
                parts.append(name)
        text = " ".join(parts)
        roll = self.random.random()
        if roll < 0.2:
            return f"... on {type_name} {{ {text} }}"
        if roll < 0.35:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f"fragment {name} on {type_name} {{ {text} }}")
            return f"...{name}"
        return text

    def _declare(self, name: str, graphql_type: str, value: Any) -> None:
        if name not in self.variables:
            self.variables[name] = value
            self.definitions.append(f"${name}: {graphql_type}")

    def page(self, root: str) -> str:
        type_name, fields, nesting, filters = PAGES[root]
        node = self._fields(type_name, fields)
        if nesting is not None and self.random.random() < 0.6:
            nested, nested_type, nested_fields = nesting
            node += f" {nested} {{ {self._fields(nested_type, nested_fields)} }}"
            if self.random.random() < 0.2:  # the same list twice: its selections merge
                node += f" {nested} {{ {self._fields(nested_type, nested_fields)} }}"
        edge = f"node {{ {node} }}"
        if self.random.random() < 0.5:
            edge = "cursor " + edge
        if self.random.random() < 0.1:
            edge += " __typename"
        selection = f"edges {{ {edge} }}"
        if self.random.random() < 0.6:
            selection += f" pageInfo {{ {self._fields('PageInfo', PAGE_INFO)} }}"
        if self.random.random() < 0.1:
            selection += " __typename"
        if self.random.random() < 0.5:
            self._declare("first", "Int!", self.random.choice([1, 2, 5, 50]))
            arguments = ["first: $first"]
        else:
            arguments = [f"first: {self.random.choice([1, 3, 10, 100])}"]
        if filters and self.random.random() < 0.3:
            arguments.append(self.random.choice(filters))
        alias = f"{root}{self.random.randint(1, 9)}: " if self.random.random() < 0.3 else ""
        return f"{alias}{root}({', '.join(arguments)}) {{ {selection} }}"

    def operation(self) -> tuple[str, dict[str, Any]]:
        self.fragments, self.variables, self.definitions = [], {}, []
        roots = [self.page(root) for root in self.random.sample(sorted(PAGES), self.random.randint(1, 2))]
        if self.random.random() < 0.2:
            roots.append("__typename")
        head = f"query Page({', '.join(self.definitions)})" if self.definitions else "query Page"
        return " ".join([f"{head} {{ {' '.join(roots)} }}", *self.fragments]), dict(self.variables)


# Ids the node resolver answers null for without looking anything up: the compiled path leaves them to it.
INVALID_IDS = ("not-an-id", "Q2xhaW06bm90LWEtdXVpZA==")  # the second: Claim:not-a-uuid
NODE = """query($id: ID!) { node(id: $id) { __typename id ... on Claim { number status lines { amount } }
  ... on Part { partNumber currentListPrices { listPrice } } ... on RepairOrder { number receivedAt } } }"""


# Hand-written cases the generator does not reach: errors (with their paths), nulls, cursors.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("{ parts(first: 0) { edges { node { id } } } }", {}),
    ("{ parts(first: 101) { edges { node { id } } } }", {}),
    ('{ parts(first: 2, after: "not-a-cursor") { edges { node { id } } } }', {}),
    ('{ claims(first: 2, after: "WyJub3QgYSBkYXRlIiwgIngiXQ==") { edges { node { id } } } }', {}),
    ("query($f: Int!) { parts(first: $f) { edges { node { id } } } }", {"f": "two"}),
    ("{ parts(first: 2) { edges { node { id supplier { id } } } } }", {}),
    ("{ claims(first: 3) { edges { node { id adjudication { flags { code } } } } } }", {}),
    ("{ parts(first: 2) { edges { node { id } } } viewer { email } }", {}),
    ("{ claims(first: 5, status: [DRAFT]) { edges { node { submittedAt decidedAt approvedAmount } } } }", {}),
    ('{ parts(first: 5, search: "100%_\\\\") { edges { node { id } } } }', {}),
    ("{ __typename }", {}),
    ("{ viewer { id email displayName role permissions secondFactor __typename } }", {}),
    ("{ me: viewer { e: email ... on Viewer { role } } parts(first: 1) { edges { node { id } } } }", {}),
    ("query($no: Boolean!) { viewer { email permissions @skip(if: $no) } }", {"no": True}),
    ("{ viewer { email network { id } } }", {}),
    (NODE, {"id": INVALID_IDS[0]}),
    (NODE, {"id": INVALID_IDS[1]}),
    (NODE, {"id": "Q2xhaW06MDFhMjM0NGUtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw"}),  # a claim no one has
]


@dataclass
class Answer:
    body: Any
    compiled: bool


async def _ask(client: httpx.AsyncClient, headers: dict[str, str], query: str, variables: dict[str, Any]) -> Answer:
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200, response.text
    return Answer(response.json(), response.headers.get("server-timing", "").startswith("compiled"))


def _normal(body: Any) -> str:
    return json.dumps(body, sort_keys=True, ensure_ascii=False)


@dataclass
class Pair:
    compiled: httpx.AsyncClient
    resolvers: httpx.AsyncClient

    async def both(self, headers: dict[str, str], query: str, variables: dict[str, Any]) -> tuple[Answer, Answer]:
        return await _ask(self.compiled, headers, query, variables), await _ask(
            self.resolvers, headers, query, variables
        )


async def _inboxes(seed: AsyncSession, network: UUID) -> None:
    """Notifications in every inbox — HQ's, each station's, the supplier's — read and unread, with microseconds
    and without, about things of several types (the worker's fan-out, which writes them, does not run here)."""
    stations = (await seed.execute(text("SELECT id FROM stations WHERE network_id = :n"), {"n": network})).scalars()
    partner = await seed.scalar(
        text("SELECT partner_id FROM partner_networks WHERE network_id = :n LIMIT 1"), {"n": network}
    )
    owners = [(None, None), (None, partner), *((station, None) for station in stations)]
    now = datetime.now(UTC).replace(microsecond=0)
    reader = await seed.scalar(text("SELECT id FROM users LIMIT 1"))
    for index, (station, supplier) in enumerate(owners):
        for n, entity in enumerate(("publication", "labour_operation", "claim", "recovery_claim")):
            await seed.execute(
                text(
                    "INSERT INTO notifications (id, network_id, station_id, partner_id, kind, subject, body, entity, "
                    "entity_id, created_at, read_at, read_by) VALUES (:id, :network, :station, :partner, 'note', "
                    ":subject, 'body \"quoted\" 中文', :entity, :entity_id, :at, :read, :reader)"
                ),
                {"id": new_id(), "network": network, "station": station, "partner": supplier,
                 "subject": f"s{index}-{n}", "entity": entity, "entity_id": new_id(),
                 "at": now - timedelta(minutes=n, microseconds=n * 120),
                 "read": now if n % 2 else None, "reader": reader if n % 2 else None},
            )  # fmt: skip


@pytest.fixture
async def pair(serve: Serve, settings: Settings, seed: AsyncSession) -> AsyncIterator[Pair]:
    network = await seed_demo(seed)
    await seed_demo_policy(seed, network)
    await seed_demo_onboarding(seed, network, DEMO_PASSWORD, MemoryStore())
    await seed_demo_workshop(seed, network)
    await seed_demo_warranty(seed, network)
    await _inboxes(seed, network)
    await seed.flush()
    async with (
        serve(settings.model_copy(update={"compiled_pages": True})) as compiled,
        serve(settings.model_copy(update={"compiled_pages": False})) as resolvers,
    ):
        yield Pair(compiled, resolvers)


async def _principals(client: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    found = {}
    for login in ("hq@demo-motors.test", "warranty@demo-motors.test", "manager@east0001.demo-motors.test",
                  "manager@sh01.demo-motors.test", DEMO_APPLICANT_LOGIN):  # fmt: skip
        token = await client.post(
            "/auth/token", data={"grant_type": "password", "username": login, "password": DEMO_PASSWORD}
        )
        assert token.status_code == 200, token.text
        found[login] = {"Authorization": f"Bearer {token.json()['access_token']}"}
    token = await client.post(
        "/auth/token",
        data={"grant_type": "client_credentials", "client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET},
    )
    assert token.status_code == 200, token.text
    found["supplier client"] = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return found


# Who may read both pages, so that every clean answer of theirs must come from the compiled path.
READS_BOTH = ("hq@demo-motors.test", "manager@east0001.demo-motors.test")  # (and the other pages)


async def test_the_generated_corpus_answers_the_same_both_ways_for_every_principal(pair: Pair) -> None:
    principals = await _principals(pair.compiled)
    corpus = Corpus(seed=17)
    operations = [corpus.operation() for _ in range(180)] + CASES
    differences, compiled, clean_not_compiled = [], 0, []
    for who, headers in principals.items():
        for query, variables in operations:
            fast, slow = await pair.both(headers, query, variables)
            assert not slow.compiled
            if _normal(fast.body) != _normal(slow.body):
                differences.append((who, query, variables, fast.body, slow.body))
            compiled += fast.compiled
            uncovered = any(field in query for field in ("network {", "supplier", "adjudication"))
            uncovered = uncovered or variables.get("id") in INVALID_IDS
            if who in READS_BOTH and "errors" not in slow.body and not uncovered and not fast.compiled:
                clean_not_compiled.append((who, query))

    assert not differences, json.dumps(differences[:3], indent=1, ensure_ascii=False)
    assert not clean_not_compiled, clean_not_compiled[:3]
    assert compiled >= 200  # most of the corpus went through the planner, for several kinds of principal


async def test_every_node_of_a_page_is_the_same_both_ways(pair: Pair) -> None:
    """`node(id:)` for the claims, parts and repair orders the pages show, as each principal: compiled when the
    type has an SQL form and the caller may read it, the same answer either way."""
    principals = await _principals(pair.compiled)
    hq = principals["hq@demo-motors.test"]
    ids = []
    for root in ("claims", "parts", "repairOrders"):
        page, _ = await pair.both(hq, f"{{ {root}(first: 4) {{ edges {{ node {{ id }} }} }} }}", {})
        ids += [edge["node"]["id"] for edge in page.body["data"][root]["edges"]]
    compiled = 0
    for who, headers in principals.items():
        for node_id in ids:
            fast, slow = await pair.both(headers, NODE, {"id": node_id})
            assert _normal(fast.body) == _normal(slow.body), (node_id, fast.body, slow.body)
            assert fast.compiled or who not in READS_BOTH, (who, node_id)  # they may read all three types
            compiled += fast.compiled
    assert len(ids) == 12
    assert compiled > 24  # and others for the types they may read


async def test_every_page_followed_by_its_cursors_is_the_same_both_ways(pair: Pair) -> None:
    """Each compiled page walked to its end, page by page with `after`, as every principal: the keyset each
    page's declaration derives (its key column's type and direction) reads the resolvers' cursors and writes
    the same ones."""
    principals = await _principals(pair.compiled)
    pages = {root: "id" for root in PAGES}
    pages["parts"] = "id partNumber currentListPrices { listPrice validFrom }"
    pages["claims"] = "id number submittedAt lines { id amount }"
    walked: dict[str, int] = dict.fromkeys(pages, 0)
    for who, headers in principals.items():
        for root, fields in pages.items():
            query = (
                f"query($after: String) {{ {root}(first: 3, after: $after) {{ edges {{ cursor node {{ {fields} }} }} "
                "pageInfo { hasNextPage endCursor startCursor } } }"
            )
            after = None
            for _ in range(100):
                fast, slow = await pair.both(headers, query, {"after": after})
                assert _normal(fast.body) == _normal(slow.body), (who, root, after)
                if "errors" in slow.body:  # the caller may not read this page
                    break
                assert fast.compiled
                walked[root] += len(fast.body["data"][root]["edges"])
                if not fast.body["data"][root]["pageInfo"]["hasNextPage"]:
                    break
                assert fast.body["data"][root]["pageInfo"]["endCursor"] != after  # the walk moves on
                after = fast.body["data"][root]["pageInfo"]["endCursor"]
            else:
                pytest.fail(f"{root} did not end")
    assert all(walked[root] > 3 for root in pages), json.dumps(walked)  # each ran to more than one page


async def test_a_station_compiled_claims_page_holds_its_own_claims_only(pair: Pair) -> None:
    principals = await _principals(pair.compiled)
    query = "{ claims(first: 100) { edges { node { id stationId lines { id } } } } }"
    hq, _ = await pair.both(principals["hq@demo-motors.test"], query, {})
    station, _ = await pair.both(principals["manager@east0001.demo-motors.test"], query, {})
    other, _ = await pair.both(principals["manager@sh01.demo-motors.test"], query, {})

    assert hq.compiled
    assert station.compiled
    assert other.compiled
    everyone = {e["node"]["id"] for e in hq.body["data"]["claims"]["edges"]}
    own = {e["node"]["id"] for e in station.body["data"]["claims"]["edges"]}
    assert len({e["node"]["stationId"] for e in station.body["data"]["claims"]["edges"]}) == 1
    assert own
    assert own <= everyone
    assert not {e["node"]["id"] for e in other.body["data"]["claims"]["edges"]} & own


async def test_a_suppliers_compiled_claim_slice_masks_the_vin_and_hides_the_warranty_claim(pair: Pair) -> None:
    supplier = (await _principals(pair.compiled))["supplier client"]
    query = "{ recoveryClaims(first: 10) { edges { node { number vin lines { amount } } } } }"
    fast, slow = await pair.both(supplier, query, {})
    hidden, _ = await pair.both(supplier, "{ recoveryClaims(first: 10) { edges { node { warrantyClaimId } } } }", {})

    assert fast.compiled
    vins = [e["node"]["vin"] for e in fast.body["data"]["recoveryClaims"]["edges"]]
    assert vins
    assert all(vin[3:-4] == "*" * (len(vin) - 7) for vin in vins)
    assert fast.body == slow.body
    assert not hidden.compiled  # a field the supplier may not read: the resolvers answer it, with the error
    assert [e["extensions"]["code"] for e in hidden.body["errors"]] == ["FORBIDDEN"]
