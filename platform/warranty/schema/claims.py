"""GraphQL for warranty claims: the station raises a claim from a repair order and submits it; each
adjudication shows its flags and the policy versions it used; HQ decides from its review queue."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.scalars import JSON

from dealernet.core.access import Permission
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, maybe_gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.warranty import models
from dealernet.warranty.rules import AppealStatus, ClaimDecision, ClaimStatus, ClaimType, ReasonCode
from dealernet.warranty.schema.part_returns import PartReturn, returns_loader
from dealernet.warranty.service import appeals, claims, part_returns
from dealernet.workshop.service import repair_orders

expose(
    ClaimType,
    description="What a claim asks the OEM to pay for.",
    values={
        ClaimType.NORMAL: "保修索赔: a failure under warranty.",
        ClaimType.FIRST_MAINTENANCE: "首保: the free first maintenance.",
        ClaimType.FIELD_ACTION: "A campaign or recall from a bulletin naming the VIN.",
        ClaimType.PARTS_WARRANTY: "A part fitted under an earlier repair failed.",
        ClaimType.GOODWILL: "善意索赔: a share of a cost outside coverage; always reviewed.",
    },
)
expose(
    ClaimStatus,
    description="Where a claim is.",
    values={
        ClaimStatus.DRAFT: "Written by the station, not submitted.",
        ClaimStatus.SUBMITTED: "Judged as of the repair date and waiting in HQ's review queue.",
        ClaimStatus.APPROVED: "通过: approved in full (by HQ, or by the rules when clean and under the limit).",
        ClaimStatus.PARTLY_APPROVED: "部分通过: some lines approved for less, each with its reason.",
        ClaimStatus.REJECTED: "拒赔: rejected, with the reason.",
        ClaimStatus.RETURNED: "退回: HQ asks for information; answer it and submit again.",
        ClaimStatus.APPEALED: "复判: the station appealed the decision; another reviewer decides.",
    },
)
expose(
    ClaimDecision,
    description="HQ's decision on a submitted claim.",
    values={
        ClaimDecision.APPROVE: "Approve every line in full.",
        ClaimDecision.PARTLY_APPROVE: "Approve, some lines for less (each with its reason code).",
        ClaimDecision.REJECT: "Reject, with a reason code.",
        ClaimDecision.RETURN: "Return to the station with a question.",
    },
)
expose(
    ReasonCode,
    description="The standard reason codes of the claim checks and of HQ's adjustments and rejections.",
    values={
        ReasonCode.COVERAGE_TIME_EXCEEDED: "Repaired after the coverage's months ran out.",
        ReasonCode.COVERAGE_KM_EXCEEDED: "The odometer is past the coverage's km.",
        ReasonCode.GROUP_NOT_COVERED: "No coverage of the component group in force on the repair date.",
        ReasonCode.EXCLUDED_BY_TERMS: "An exclusion of the warranty terms names the causal part.",
        ReasonCode.BEFORE_SALE: "Repaired before the vehicle was sold (its warranty had not started).",
        ReasonCode.BEFORE_PRODUCTION: "Repaired before the vehicle was built.",
        ReasonCode.DUPLICATE: "Another claim names the same VIN and causal part within the window, at any station.",
        ReasonCode.ODOMETER_BACKWARDS: "The odometer reads lower than at an earlier repair.",
        ReasonCode.LABOUR_ABOVE_FLAT_RATE: "More labour hours than the operation's flat rate.",
        ReasonCode.OVERLAPPING_LABOUR: "The same operation twice, or one the labour standard includes in another.",
        ReasonCode.NEAR_COVERAGE_END: "Repaired within the last days or km of the coverage.",
        ReasonCode.COMEBACK: "Back within an earlier repair's quality guarantee: the station's cost.",
        ReasonCode.SUBMITTED_LATE: "Submitted later than the terms allow after the completion.",
        ReasonCode.PREAUTHORISATION_MISSING: "Above the amount that needs pre-authorisation, without one.",
        ReasonCode.PREAUTHORISATION_EXPIRED: "Repaired after the pre-authorisation's validity.",
        ReasonCode.PREAUTHORISATION_EXCEEDED: "Claimed more than the pre-authorisation approved.",
        ReasonCode.POLICY_NOT_DELIVERED: "The warranty policy in force was not delivered to the station.",
        ReasonCode.PRICE_DIFFERS: "A unit price other than the one in force on the repair date.",
        ReasonCode.GOODWILL: "A goodwill claim, reviewed always.",
        ReasonCode.NO_FIELD_ACTION: "A field action claimed without a bulletin in force that names the vehicle.",
        ReasonCode.FIRST_MAINTENANCE: "A first maintenance claimed twice for a vehicle, or outside its window.",
        ReasonCode.CLAIM_RATE_SPIKE: "The station's claim rate this month is far above its network's median.",
        ReasonCode.INVOICED_COST: "Sublet work or another cost: reviewed against its invoice.",
        ReasonCode.NO_EARLIER_FITTING: "A parts-warranty claim without an earlier repair that fitted the part.",
        ReasonCode.PARTS_WARRANTY_EXPIRED: "The part fitted earlier is past its own warranty's months or km.",
        ReasonCode.OTHER: "Another reason, which the note gives.",
    },
)

expose(
    AppealStatus,
    description="Where an appeal is.",
    values={
        AppealStatus.OPEN: "Filed; waiting for a reviewer other than the claim's.",
        AppealStatus.GRANTED: "Granted: the claim is approved in full.",
        AppealStatus.UPHELD: "Upheld: the decision stands.",
    },
)

_claim_loader = by_id_loader(claims.claims_by_id)
_appeal_loader = by_id_loader(appeals.appeals_of)
_chargebacks_loader = by_id_loader(part_returns.chargebacks_of)
_lines_loader = by_id_loader(claims.lines_of)
_adjudications_loader = by_id_loader(claims.adjudications_of)
_evidence_loader = by_id_loader(repair_orders.files_of)


@strawberry.type(description="A photo or document of the claim's repair (uploaded to its repair order).")
class ClaimEvidence:
    id: strawberry.ID = strawberry.field(description="The repair order's file (global id).")
    filename: str = strawberry.field(description="Its name as uploaded.")
    content_type: str = strawberry.field(description="Its media type.")
    size: int = strawberry.field(description="Its size in bytes.")
    uploaded_at: datetime = strawberry.field(description="When it was uploaded.")
    download_url: str = strawberry.field(description="Where to download it (with your bearer token).")


@strawberry.type(description="A check's finding: its reason code and an explanation a station can read.")
class ClaimFlag:
    code: ReasonCode = strawberry.field(description="The standard reason code.")
    explanation: str = strawberry.field(description="What the check found, with the figures and versions it used.")
    line: int | None = strawberry.field(description="The claim line it is about; empty: the whole claim.")


@strawberry.type(description="One judgement of a claim as of its repair date, kept as it was made.")
class ClaimAdjudication:
    id: strawberry.ID = strawberry.field(description="The adjudication (global id).")
    as_of: date = strawberry.field(description="The repair date it judged by.")
    at: datetime = strawberry.field(description="When it was made.")
    occasion: str = strawberry.field(description="Why: submitted, resubmitted with the answer, or HQ's reason.")
    flags: list[ClaimFlag] = strawberry.field(description="What the checks found; empty: a clean claim.")
    versions: JSON = strawberry.field(
        description="The policy versions it used: warranty terms, coverage, labour rate and each line's price."
    )

    @classmethod
    def from_row(cls, row: models.ClaimAdjudication) -> ClaimAdjudication:
        return cls(
            id=gid("ClaimAdjudication", row.id),
            as_of=row.as_of,
            at=row.at,
            occasion=row.occasion,
            flags=[
                ClaimFlag(code=ReasonCode(f["code"]), explanation=f["explanation"], line=f["line"]) for f in row.flags
            ],
            versions=row.versions,
        )


@strawberry.type(description="A claimed labour or part line and what HQ approved of it.")
class ClaimLine:
    id: strawberry.ID = strawberry.field(description="The line (global id).")
    position: int = strawberry.field(description="Its place on the claim, from 1.")
    repair_order_line_id: strawberry.ID = strawberry.field(description="The repair-order line it claims.")
    kind: str = strawberry.field(description="labour, part, sublet or other.")
    description: str = strawberry.field(description="Sublet work or another cost: what it is, and its invoice.")
    labour_operation_id: strawberry.ID | None = strawberry.field(description="The labour operation (labour lines).")
    part_id: strawberry.ID | None = strawberry.field(description="The part (part lines).")
    quantity: Decimal = strawberry.field(description="Hours (labour) or units (parts).")
    unit_price: Money = strawberry.field(description="The unit price claimed.")
    amount: Money = strawberry.field(description="What is claimed for the line.")
    approved_amount: Money | None = strawberry.field(description="What HQ approved; empty until decided.")
    adjustment_reason: ReasonCode | None = strawberry.field(description="Why less was approved than claimed.")

    @classmethod
    def from_row(cls, row: models.ClaimLine) -> ClaimLine:
        return cls(
            id=gid("ClaimLine", row.id),
            position=row.position,
            repair_order_line_id=gid("RepairOrderLine", row.repair_order_line_id),
            kind=row.kind,
            description=row.description,
            labour_operation_id=maybe_gid("LabourOperation", row.labour_operation_id),
            part_id=maybe_gid("Part", row.part_id),
            quantity=row.quantity,
            unit_price=row.unit_price,
            amount=row.amount,
            approved_amount=row.approved_amount,
            adjustment_reason=ReasonCode(row.adjustment_reason) if row.adjustment_reason else None,
        )


@strawberry.type(description="Money the station owes back on a claim (扣款), for its next settlement.")
class ClaimChargeback:
    part_return_id: strawberry.ID = strawberry.field(description="The part return it comes from (global id).")
    amount: Money = strawberry.field(description="What the station owes back.")
    reason: str = strawberry.field(
        description="station_fault, no_fault_found, wear_and_tear (the verdict) or part_not_returned."
    )
    note: str = strawberry.field(description="The inspector's findings, or why.")
    created_at: datetime = strawberry.field(description="When it was charged.")

    @classmethod
    def from_row(cls, row: models.ClaimChargeback) -> ClaimChargeback:
        return cls(
            part_return_id=gid("PartReturn", row.part_return_id),
            amount=row.amount,
            reason=row.reason,
            note=row.note,
            created_at=row.created_at,
        )


@strawberry.type(description="A station's appeal of HQ's decision on a claim.")
class ClaimAppeal:
    appealed_status: ClaimStatus = strawberry.field(description="The decision appealed.")
    reason: str = strawberry.field(description="Why the station appeals.")
    evidence: str = strawberry.field(description="The evidence it offers.")
    status: AppealStatus = strawberry.field(description="Where the appeal is.")
    filed_at: datetime = strawberry.field(description="When it was filed.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decision_note: str = strawberry.field(description="The reviewer's reasons.")

    @classmethod
    def from_row(cls, row: models.ClaimAppeal) -> ClaimAppeal:
        return cls(
            appealed_status=ClaimStatus(row.appealed_status),
            reason=row.reason,
            evidence=row.evidence,
            status=AppealStatus(row.status),
            filed_at=row.filed_at,
            decided_at=row.decided_at,
            decision_note=row.decision_note,
        )


@strawberry.type(description="A warranty claim (索赔单), raised from a repair order's warranty lines.")
class Claim(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="The station's number of the year, e.g. WC2026000042.")
    station_id: strawberry.ID = strawberry.field(description="The station that did the repair (global id).")
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order it claims from (global id).")
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle (global id).")
    claim_type: ClaimType = strawberry.field(description="What it claims for.")
    status: ClaimStatus = strawberry.field(description="Where it is.")
    repair_date: date = strawberry.field(description="The day the vehicle came in: the claim is judged as of it.")
    odometer_km: int = strawberry.field(description="The odometer at the repair, in km.")
    causal_part_id: strawberry.ID | None = strawberry.field(description="The causal part (主损件), global id.")
    concern: str = strawberry.field(description="The customer's concern (3C).")
    cause: str = strawberry.field(description="The cause found (3C).")
    correction: str = strawberry.field(description="What was done (3C).")
    goodwill_percent: Decimal | None = strawberry.field(description="The OEM's share of a goodwill claim, percent.")
    claimed_amount: Money = strawberry.field(description="What is claimed.")
    approved_amount: Money | None = strawberry.field(description="What was approved; empty until decided.")
    version: int = strawberry.field(description="Its version: a decision names the version it read.")
    submitted_at: datetime | None = strawberry.field(description="When it was (last) submitted.")
    decided_at: datetime | None = strawberry.field(description="When it was decided.")
    decided_by_rules: bool = strawberry.field(description="Approved by the rules (clean and under the limit).")
    decision_reason: ReasonCode | None = strawberry.field(description="The reason code of a rejection.")
    decision_note: str = strawberry.field(description="HQ's note: a question when returned.")
    adjudication_id: strawberry.Private[UUID | None]
    order_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.Claim) -> Claim:
        return cls(
            id=row.id,
            number=row.number,
            station_id=gid("Station", row.station_id),
            repair_order_id=gid("RepairOrder", row.repair_order_id),
            vehicle_id=gid("Vehicle", row.vehicle_id),
            claim_type=ClaimType(row.claim_type),
            status=ClaimStatus(row.status),
            repair_date=row.repair_date,
            odometer_km=row.odometer_km,
            causal_part_id=maybe_gid("Part", row.causal_part_id),
            concern=row.concern,
            cause=row.cause,
            correction=row.correction,
            goodwill_percent=row.goodwill_percent,
            claimed_amount=row.claimed_amount,
            approved_amount=row.approved_amount,
            version=row.version,
            submitted_at=row.submitted_at,
            decided_at=row.decided_at,
            decided_by_rules=row.decision_reason == "auto",
            decision_reason=ReasonCode(row.decision_reason) if row.decision_reason not in ("", "auto") else None,
            decision_note=row.decision_note,
            adjudication_id=row.adjudication_id,
            order_id=row.repair_order_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "claim", _claim_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info) -> list[ClaimLine]:
        rows = await info.context.loader("claim_lines", _lines_loader).load(self.id)
        return [ClaimLine.from_row(row) for row in rows or []]

    @strawberry.field(description="Every judgement of the claim, oldest first (HQ's re-adjudications too).")
    async def adjudications(self, info: Info) -> list[ClaimAdjudication]:
        rows = await info.context.loader("claim_adjudications", _adjudications_loader).load(self.id)
        return [ClaimAdjudication.from_row(row) for row in rows or []]

    @strawberry.field(description="The failed parts to return for inspection, by tag.")
    async def part_returns(self, info: Info) -> list[PartReturn]:
        rows = await info.context.loader("claim_part_returns", returns_loader).load(self.id)
        return [PartReturn.from_row(row) for row in rows or []]

    @strawberry.field(description="What the station owes back on the claim (its returned parts' verdicts).")
    async def chargebacks(self, info: Info) -> list[ClaimChargeback]:
        rows = await info.context.loader("claim_chargebacks", _chargebacks_loader).load(self.id)
        return [ClaimChargeback.from_row(row) for row in rows or []]

    @strawberry.field(description="The station's appeal of the decision, if it appealed (once per claim).")
    async def appeal(self, info: Info) -> ClaimAppeal | None:
        row = await info.context.loader("claim_appeal", _appeal_loader).load(self.id)
        return ClaimAppeal.from_row(row) if row else None

    @strawberry.field(
        description="Its photos and documents: the repair order's files (POST /repair-orders/<id>/files adds one)."
    )
    async def evidence(self, info: Info) -> list[ClaimEvidence]:
        rows = await info.context.loader("claim_evidence", _evidence_loader).load(self.order_id)
        return [
            ClaimEvidence(
                id=gid("RepairOrderFile", r.id),
                filename=r.filename,
                content_type=r.content_type,
                size=r.size,
                uploaded_at=r.uploaded_at,
                download_url=f"/repair-order-files/{gid('RepairOrderFile', r.id)}",
            )
            for r in rows or []
        ]

    @strawberry.field(description="The judgement in force: the latest; empty while a draft.")
    async def adjudication(self, info: Info) -> ClaimAdjudication | None:
        rows = await info.context.loader("claim_adjudications", _adjudications_loader).load(self.id)
        current = next((row for row in rows or [] if row.id == self.adjudication_id), None)
        return ClaimAdjudication.from_row(current) if current else None


@strawberry.input(description="A claim of a completed repair order's warranty lines.")
class RaiseClaimInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    claim_type: ClaimType = strawberry.field(default=ClaimType.NORMAL, description="What it claims for.")
    causal_part_id: strawberry.ID | None = strawberry.field(
        default=None, description="The causal part (global id); by default the first claimed part."
    )
    goodwill_percent: Decimal | None = strawberry.field(
        default=None, description="A goodwill claim: the OEM's share in percent (0.01 to 100)."
    )


@strawberry.input(description="A line approved for less than claimed, and why.")
class ClaimAdjustmentInput:
    line_id: strawberry.ID = strawberry.field(description="The claim line (global id).")
    approved_amount: Money = strawberry.field(description="What is approved of it, less than claimed.")
    reason: ReasonCode = strawberry.field(description="Why (a standard reason code).")


@strawberry.input(description="HQ's decision on a submitted claim.")
class DecideClaimInput:
    claim_id: strawberry.ID = strawberry.field(description="The claim (global id).")
    version: int = strawberry.field(description="The claim's version you read: a newer one refuses the decision.")
    decision: ClaimDecision = strawberry.field(description="Approve, partly approve, reject or return.")
    reason: ReasonCode | None = strawberry.field(default=None, description="A rejection's reason code.")
    note: str = strawberry.field(default="", description="A note; the question when returning the claim.")
    adjustments: list[ClaimAdjustmentInput] = strawberry.field(
        default_factory=list, description="A partial approval's adjusted lines."
    )


@strawberry.type(description="What the claim mutations answer when they worked.")
class ClaimSuccess:
    claim: Claim = strawberry.field(description="The claim as it is now.")


ClaimResult = Annotated[
    ClaimSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union(
        "ClaimResult",
        description=(
            "ClaimSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError or ForbiddenError "
            "saying why nothing changed."
        ),
    ),
]


def success(row: models.Claim) -> ClaimSuccess:
    return ClaimSuccess(claim=Claim.from_row(row))


def _key(row: models.Claim) -> tuple[str, UUID]:
    return (row.created_at.isoformat(), row.id)


# The claims page compiled to one statement (graphql/compiled.py): the SQL form of the fields it covers.
CLAIM_LINE_ROWS = compiled.Rows(
    "ClaimLine",
    {
        "id": compiled.gid_of("ClaimLine", "id"),
        "position": compiled.column("position"),
        "repair_order_line_id": compiled.gid_of("RepairOrderLine", "repair_order_line_id"),
        "kind": compiled.column("kind"),
        "description": compiled.column("description"),
        "labour_operation_id": compiled.gid_of("LabourOperation", "labour_operation_id"),
        "part_id": compiled.gid_of("Part", "part_id"),
        "quantity": compiled.column("quantity"),
        "unit_price": compiled.column("unit_price"),
        "amount": compiled.column("amount"),
        "approved_amount": compiled.column("approved_amount"),
        "adjustment_reason": compiled.column("adjustment_reason"),
    },
)
CLAIM_ROWS = compiled.Rows(
    "Claim",
    {
        "id": compiled.NODE_ID,
        "number": compiled.column("number"),
        "station_id": compiled.gid_of("Station", "station_id"),
        "repair_order_id": compiled.gid_of("RepairOrder", "repair_order_id"),
        "vehicle_id": compiled.gid_of("Vehicle", "vehicle_id"),
        "claim_type": compiled.column("claim_type"),
        "status": compiled.column("status"),
        "repair_date": compiled.column("repair_date"),
        "odometer_km": compiled.column("odometer_km"),
        "causal_part_id": compiled.gid_of("Part", "causal_part_id"),
        "concern": compiled.column("concern"),
        "cause": compiled.column("cause"),
        "correction": compiled.column("correction"),
        "goodwill_percent": compiled.column("goodwill_percent"),
        "claimed_amount": compiled.column("claimed_amount"),
        "approved_amount": compiled.column("approved_amount"),
        "version": compiled.column("version"),
        "submitted_at": compiled.column("submitted_at"),
        "decided_at": compiled.column("decided_at"),
        "decided_by_rules": compiled.expression("{r}.decision_reason = 'auto'"),
        # '' and 'auto' are no reason code: the enum's CASE answers null for them, as from_row does
        "decision_reason": compiled.column("decision_reason"),
        "decision_note": compiled.column("decision_note"),
        "lines": compiled.Children(
            "ClaimLine",
            "claim_lines",
            join="{r}.claim_id = {p}.id AND {r}.station_id = {p}.station_id",
            order="{r}.position",
        ),
    },
)


def _claim_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """claims.list_claims's filters, as SQL."""
    terms = []
    if args.get("status"):
        terms.append(f"{{r}}.status = ANY({bind([str(s) for s in args['status']])}::text[])")
    return terms


CLAIMS_PAGE = compiled.Page(
    "claims", CLAIM_ROWS, table="claims", key="created_at", key_type=compiled.KeyType.TIME, newest_first=True,
    where=_claim_terms,
)  # fmt: skip


def _queue_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """claims.review_queue's filters, as SQL."""
    terms = [f"{{r}}.status = '{ClaimStatus.SUBMITTED.value}'"]
    return terms


REVIEW_QUEUE_PAGE = compiled.Page(  # submitted claims only: the resolver's (submitted_at or created_at) key
    "claim_review_queue", CLAIM_ROWS, table="claims", key="submitted_at", key_type=compiled.KeyType.TIME,
    where=_queue_terms,
)  # fmt: skip


@strawberry.type
class ClaimsQuery:
    @strawberry.field(
        extensions=needs(Permission.warranty_claims_read),
        description="Warranty claims, newest first: a station its own, HQ its network's.",
    )
    async def claims(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[list[ClaimStatus] | None, strawberry.argument(description="Only these statuses.")] = None,
    ) -> relay.Connection[Claim]:
        rows = await info.context.run(claims.list_claims, first=first, after=keyset_after(after), status=status or ())
        return connection(rows, first=first, node=Claim.from_row, key=_key)

    @strawberry.field(
        extensions=needs(Permission.warranty_claims_decide),
        description="HQ's review queue: the network's submitted claims, oldest first.",
    )
    async def claim_review_queue(self, info: Info, first: First, after: After = None) -> relay.Connection[Claim]:
        rows = await info.context.run(claims.review_queue, first=first, after=keyset_after(after))
        return connection(
            rows, first=first, node=Claim.from_row, key=lambda r: ((r.submitted_at or r.created_at).isoformat(), r.id)
        )


@strawberry.type
class ClaimsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_raise),
        description="Raise a draft claim from a completed repair order's consented warranty lines.",
    )
    async def raise_claim(
        self, info: Info, input: Annotated[RaiseClaimInput, strawberry.argument(description="The claim.")]
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            with IdReader() as read:
                order = read.one(input.repair_order_id, "RepairOrder", "repairOrderId")
                part = read.one(input.causal_part_id, "Part", "causalPartId") if input.causal_part_id else None
            return await claims.raise_claim(
                session,
                scope,
                repair_order_id=order,
                claim_type=input.claim_type,
                causal_part_id=part,
                goodwill_percent=input.goodwill_percent,
            )

        return await attempt(info.context, run, success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_raise),
        description="Submit a draft (or a returned claim with your answer): it is judged as of its repair date.",
    )
    async def submit_claim(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The claim (global id).")],
        note: Annotated[str, strawberry.argument(description="Your answer to HQ's question, when returned.")] = "",
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            return await claims.submit_claim(session, scope, claim_id=uuid_of(id, "Claim", "id"), note=note)

        return await attempt(info.context, run, success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide),
        description="Decide a submitted claim: approve, partly approve, reject or return for information.",
    )
    async def decide_claim(
        self, info: Info, input: Annotated[DecideClaimInput, strawberry.argument(description="The decision.")]
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            with IdReader() as read:
                claim_id = read.one(input.claim_id, "Claim", "claimId")
                lines = [
                    read.one(a.line_id, "ClaimLine", f"adjustments.{n}.lineId") for n, a in enumerate(input.adjustments)
                ]
            adjustments = [
                claims.Adjustment(line, a.approved_amount, a.reason)
                for n, (line, a) in enumerate(zip(lines, input.adjustments, strict=True))
            ]
            return await claims.decide_claim(
                session,
                scope,
                claim_id=claim_id,
                version=input.version,
                decision=input.decision,
                reason=input.reason,
                note=input.note,
                adjustments=adjustments,
            )

        return await attempt(info.context, run, success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide),
        description="Judge a submitted claim again on purpose; both judgements are kept.",
    )
    async def readjudicate_claim(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The claim (global id).")],
        reason: Annotated[str, strawberry.argument(description="Why it is judged again.")],
    ) -> ClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Claim:
            return await claims.readjudicate(session, scope, claim_id=uuid_of(id, "Claim", "id"), reason=reason)

        return await attempt(info.context, run, success)
