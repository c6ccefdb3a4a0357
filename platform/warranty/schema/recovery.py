"""GraphQL for supplier recovery (追溯索赔): HQ's recovery agreements, the recovery claims supplier-defect
verdicts make, the supplier's answer line by line and HQ's resolution of a dispute. A supplier (its people
or its API client) reads only its own, with the vehicle's VIN masked."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.masking import Pii, pii
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.warranty import models
from dealernet.warranty.rules import RecoveryKind, RecoveryResponse, RecoveryStatus, Resolution
from dealernet.warranty.service import recovery

expose(
    RecoveryStatus,
    description="Where a recovery claim against a supplier is.",
    values={
        RecoveryStatus.OPEN: "Lines the supplier has not answered yet.",
        RecoveryStatus.DISPUTED: "A disputed line waits for HQ's resolution.",
        RecoveryStatus.AGREED: "Every line accepted or resolved: it goes on the supplier's next statement.",
    },
)
expose(
    RecoveryKind,
    description="What share of a claim line a recovery line claims back.",
    values={
        RecoveryKind.PART: "The defective part.",
        RecoveryKind.LABOUR: "The labour of the repair.",
        RecoveryKind.HANDLING: "The handling of the part (freight, storage): a share of the part's amount.",
    },
)
expose(
    RecoveryResponse,
    description="The supplier's answer to a recovery line.",
    values={RecoveryResponse.ACCEPTED: "Accepted.", RecoveryResponse.DISPUTED: "Disputed, with the reason."},
)
expose(
    Resolution,
    description="HQ's resolution of a disputed recovery line.",
    values={
        Resolution.UPHELD: "The supplier pays the line as claimed.",
        Resolution.WAIVED: "The supplier is right: nothing is recovered.",
        Resolution.ADJUSTED: "A lower amount, agreed.",
    },
)

_claim_loader = by_id_loader(recovery.recovery_claims_by_id)
_lines_loader = by_id_loader(recovery.lines_of)


@strawberry.type(description="HQ's agreement with a supplier on the share of a component group's warranty cost.")
class RecoveryAgreement:
    id: strawberry.ID = strawberry.field(description="The agreement (global id).")
    partner_id: strawberry.ID = strawberry.field(description="The supplier (global id).")
    component_group: str = strawberry.field(description="The component group it covers.")
    part_share: Decimal = strawberry.field(description="The supplier's share of the part, percent.")
    labour_share: Decimal = strawberry.field(description="Its share of the labour, percent.")
    handling_share: Decimal = strawberry.field(description="Its share for handling, percent of the part.")
    effective_from: date = strawberry.field(description="In force from this day until the group's next agreement.")
    note: str = strawberry.field(description="HQ's note (the contract's reference).")

    @classmethod
    def from_row(cls, row: models.RecoveryAgreement) -> RecoveryAgreement:
        return cls(
            id=gid("RecoveryAgreement", row.id),
            partner_id=gid("Partner", row.partner_id),
            component_group=row.component_group,
            part_share=row.part_share,
            labour_share=row.labour_share,
            handling_share=row.handling_share,
            effective_from=row.effective_from,
            note=row.note,
        )


@strawberry.type(description="One recovered share of a claim line, and the supplier's answer to it.")
class RecoveryClaimLine:
    id: strawberry.ID = strawberry.field(description="The line (global id).")
    position: int = strawberry.field(description="Its place on the recovery claim, from 1.")
    kind: RecoveryKind = strawberry.field(description="Part, labour or handling.")
    base_amount: Money = strawberry.field(description="What the OEM paid for the claim line.")
    share: Decimal = strawberry.field(description="The agreement's share, percent.")
    amount: Money = strawberry.field(description="What is claimed from the supplier.")
    response: RecoveryResponse | None = strawberry.field(description="The supplier's answer; empty until given.")
    response_reason: str = strawberry.field(description="Why the supplier disputes it.")
    responded_at: datetime | None = strawberry.field(description="When it answered.")
    resolution: Resolution | None = strawberry.field(description="HQ's resolution of a dispute.")
    resolved_amount: Money | None = strawberry.field(description="What the resolution recovers.")
    resolution_note: str = strawberry.field(description="HQ's reasons.")

    @classmethod
    def from_row(cls, row: models.RecoveryClaimLine) -> RecoveryClaimLine:
        return cls(
            id=gid("RecoveryClaimLine", row.id),
            position=row.position,
            kind=RecoveryKind(row.kind),
            base_amount=row.base_amount,
            share=row.share,
            amount=row.amount,
            response=RecoveryResponse(row.response) if row.response else None,
            response_reason=row.response_reason,
            responded_at=row.responded_at,
            resolution=Resolution(row.resolution) if row.resolution else None,
            resolved_amount=row.resolved_amount,
            resolution_note=row.resolution_note,
        )


@strawberry.type(description="What the OEM claims back from a supplier for a defective part (追溯索赔).")
class RecoveryClaim(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="The network's number of the year, e.g. RC2026000004.")
    partner_id: strawberry.ID = strawberry.field(description="The supplier (global id).")
    status: RecoveryStatus = strawberry.field(description="Where it is.")
    amount: Money = strawberry.field(description="What it recovers now (after any resolution).")
    part_id: strawberry.ID = strawberry.field(description="The defective part (global id).")
    part_number: str = strawberry.field(description="Its part number.")
    component_group: str = strawberry.field(description="Its component group.")
    agreement_id: strawberry.ID = strawberry.field(description="The agreement it was priced by (global id).")
    vin: str = strawberry.field(description="The vehicle (masked for the supplier).", extensions=pii(Pii.vin))
    repair_date: date = strawberry.field(description="The day of the repair: the agreement in force then.")
    odometer_km: int = strawberry.field(description="The odometer at the repair, in km.")
    concern: str = strawberry.field(description="The customer's concern (3C).")
    cause: str = strawberry.field(description="The cause found (3C).")
    correction: str = strawberry.field(description="What was done (3C).")
    verdict_note: str = strawberry.field(description="The identification sheet's findings.")
    created_at: datetime = strawberry.field(description="When the verdict made it.")
    claim_id: strawberry.Private[UUID]

    @classmethod
    def from_row(cls, row: models.RecoveryClaim) -> RecoveryClaim:
        return cls(
            id=row.id,
            number=row.number,
            partner_id=gid("Partner", row.partner_id),
            status=RecoveryStatus(row.status),
            amount=row.amount,
            part_id=gid("Part", row.part_id),
            part_number=row.part_number,
            component_group=row.component_group,
            agreement_id=gid("RecoveryAgreement", row.agreement_id),
            vin=row.vin,
            repair_date=row.repair_date,
            odometer_km=row.odometer_km,
            concern=row.concern,
            cause=row.cause,
            correction=row.correction,
            verdict_note=row.verdict_note,
            created_at=row.created_at,
            claim_id=row.claim_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "recovery_claim", _claim_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info) -> list[RecoveryClaimLine]:
        rows = await info.context.loader("recovery_claim_lines", _lines_loader).load(self.id)
        return [RecoveryClaimLine.from_row(row) for row in rows or []]

    @strawberry.field(
        extensions=needs(Permission.warranty_claims_read),
        description="The warranty claim it recovers (global id): HQ's, never shown to the supplier.",
    )
    def warranty_claim_id(self) -> strawberry.ID:
        return gid("Claim", self.claim_id)


@strawberry.input(description="A supplier's shares of a component group's warranty cost from a day on.")
class MakeRecoveryAgreementInput:
    partner_id: strawberry.ID = strawberry.field(description="The supplier (global id).")
    component_group: str = strawberry.field(description="The component group.")
    part_share: Decimal = strawberry.field(description="Its share of the part, percent (0 to 100).")
    labour_share: Decimal = strawberry.field(description="Its share of the labour, percent.")
    handling_share: Decimal = strawberry.field(default=Decimal(0), description="Handling, percent of the part.")
    effective_from: date = strawberry.field(description="The day it takes effect (repairs from then on).")
    note: str = strawberry.field(default="", description="The contract's reference.")


@strawberry.input(description="The supplier's answer to one line.")
class RecoveryLineResponseInput:
    line_id: strawberry.ID = strawberry.field(description="The recovery line (global id).")
    response: RecoveryResponse = strawberry.field(description="Accepted or disputed.")
    reason: str = strawberry.field(default="", description="Why it is disputed.")


@strawberry.input(description="The supplier's answer to lines of its recovery claim.")
class AnswerRecoveryClaimInput:
    recovery_claim_id: strawberry.ID = strawberry.field(description="The recovery claim (global id).")
    lines: list[RecoveryLineResponseInput] = strawberry.field(description="Each line answered once.")


@strawberry.input(description="HQ's resolution of one disputed line.")
class RecoveryLineResolutionInput:
    line_id: strawberry.ID = strawberry.field(description="The disputed line (global id).")
    resolution: Resolution = strawberry.field(description="Upheld, waived or adjusted.")
    note: str = strawberry.field(description="Why.")
    amount: Money | None = strawberry.field(default=None, description="An adjustment's amount, below the claimed.")


@strawberry.input(description="HQ resolves disputed lines of a recovery claim.")
class ResolveRecoveryClaimInput:
    recovery_claim_id: strawberry.ID = strawberry.field(description="The recovery claim (global id).")
    lines: list[RecoveryLineResolutionInput] = strawberry.field(description="Each disputed line resolved once.")


@strawberry.type(description="What makeRecoveryAgreement answers when it worked.")
class RecoveryAgreementSuccess:
    agreement: RecoveryAgreement = strawberry.field(description="The agreement.")


@strawberry.type(description="What the recovery-claim mutations answer when they worked.")
class RecoveryClaimSuccess:
    recovery_claim: RecoveryClaim = strawberry.field(description="The recovery claim as it is now.")


_WHY = "otherwise ValidationError, NotFoundError, ConflictError or ForbiddenError saying why nothing changed."
RecoveryAgreementResult = Annotated[
    RecoveryAgreementSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("RecoveryAgreementResult", description=f"RecoveryAgreementSuccess when it worked; {_WHY}"),
]
RecoveryClaimResult = Annotated[
    RecoveryClaimSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("RecoveryClaimResult", description=f"RecoveryClaimSuccess when it worked; {_WHY}"),
]


def _claim_success(row: models.RecoveryClaim) -> RecoveryClaimSuccess:
    return RecoveryClaimSuccess(recovery_claim=RecoveryClaim.from_row(row))


# The supplier's claim slice compiled to one statement (graphql/compiled.py); the VIN is masked in SQL for a
# partner by its field's `pii` declaration, as the resolver masks it.
RECOVERY_LINE_ROWS = compiled.Rows(
    "RecoveryClaimLine",
    {
        "id": compiled.gid_of("RecoveryClaimLine", "id"),
        **{
            name: compiled.column(name)
            for name in (
                "position", "kind", "base_amount", "share", "amount", "response", "response_reason", "responded_at",
                "resolution", "resolved_amount", "resolution_note",
            )
        },
    },
)  # fmt: skip
RECOVERY_CLAIM_ROWS = compiled.Rows(
    "RecoveryClaim",
    {
        "id": compiled.NODE_ID,
        "partner_id": compiled.gid_of("Partner", "partner_id"),
        "part_id": compiled.gid_of("Part", "part_id"),
        "agreement_id": compiled.gid_of("RecoveryAgreement", "agreement_id"),
        "warranty_claim_id": compiled.gid_of("Claim", "claim_id"),
        **{
            name: compiled.column(name)
            for name in (
                "number", "status", "amount", "part_number", "component_group", "vin", "repair_date", "odometer_km",
                "concern", "cause", "correction", "verdict_note", "created_at",
            )
        },
        "lines": compiled.Children(
            "RecoveryClaimLine", "recovery_claim_lines",
            join="{r}.recovery_claim_id = {p}.id AND {r}.station_id = {p}.station_id", order="{r}.position",
        ),
    },
)  # fmt: skip


def _recovery_terms(args: Mapping[str, Any], bind: compiled.Binder, scope: Scope) -> list[str]:
    """recovery.list_recovery_claims's filters, as SQL."""
    terms = []
    if scope.partner_id is not None:
        terms.append(f"{{r}}.partner_id = {bind(scope.partner_id)}::uuid")
    if args.get("status"):
        terms.append(f"{{r}}.status = ANY({bind([str(s) for s in args['status']])}::text[])")
    return terms


RECOVERY_CLAIMS_PAGE = compiled.Page(
    "recovery_claims", RECOVERY_CLAIM_ROWS, table="recovery_claims", key="created_at",
    key_type=compiled.KeyType.TIME, where=_recovery_terms,
)  # fmt: skip


@strawberry.type
class RecoveryQuery:
    @strawberry.field(
        extensions=needs(Permission.recovery_read),
        description="Recovery claims, oldest first: HQ its network's, a supplier its own.",
    )
    async def recovery_claims(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[list[RecoveryStatus] | None, strawberry.argument(description="Only these statuses.")] = None,
    ) -> relay.Connection[RecoveryClaim]:
        rows = await info.context.run(
            recovery.list_recovery_claims, first=first, after=keyset_after(after), status=status or ()
        )
        return connection(
            rows, first=first, node=RecoveryClaim.from_row, key=lambda r: (r.created_at.isoformat(), r.id)
        )

    @strawberry.field(
        extensions=needs(Permission.recovery_read),
        description="Recovery agreements by supplier, group and day: HQ its network's, a supplier its own.",
    )
    async def recovery_agreements(self, info: Info) -> list[RecoveryAgreement]:
        rows = await info.context.run(recovery.list_agreements)
        return [RecoveryAgreement.from_row(row) for row in rows]


@strawberry.type
class RecoveryMutation:
    @strawberry.mutation(
        extensions=needs(Permission.recovery_manage),
        description="Agree a supplier's shares of a component group's warranty cost from a day on (HQ).",
    )
    async def make_recovery_agreement(
        self, info: Info, input: Annotated[MakeRecoveryAgreementInput, strawberry.argument(description="The terms.")]
    ) -> RecoveryAgreementResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RecoveryAgreement:
            terms = recovery.AgreementTerms(
                partner_id=uuid_of(input.partner_id, "Partner", "partnerId"),
                component_group=input.component_group,
                part_share=input.part_share,
                labour_share=input.labour_share,
                handling_share=input.handling_share,
                effective_from=input.effective_from,
                note=input.note,
            )
            return await recovery.make_agreement(session, scope, terms)

        return await attempt(
            info.context, run, lambda row: RecoveryAgreementSuccess(agreement=RecoveryAgreement.from_row(row))
        )

    @strawberry.mutation(
        extensions=needs(Permission.recovery_respond),
        description="Accept or dispute lines of your recovery claim (the supplier); a dispute says why.",
    )
    async def answer_recovery_claim(
        self, info: Info, input: Annotated[AnswerRecoveryClaimInput, strawberry.argument(description="The answer.")]
    ) -> RecoveryClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RecoveryClaim:
            with IdReader() as read:
                claim_id = read.one(input.recovery_claim_id, "RecoveryClaim", "recoveryClaimId")
                ids = [read.one(x.line_id, "RecoveryClaimLine", f"lines.{n}.lineId") for n, x in enumerate(input.lines)]
            answers = [recovery.LineResponse(i, x.response, x.reason) for i, x in zip(ids, input.lines, strict=True)]
            return await recovery.respond(session, scope, recovery_claim_id=claim_id, responses=answers)

        return await attempt(info.context, run, _claim_success)

    @strawberry.mutation(
        extensions=needs(Permission.recovery_manage),
        description="Resolve disputed lines of a recovery claim (HQ): upheld, waived or adjusted.",
    )
    async def resolve_recovery_claim(
        self,
        info: Info,
        input: Annotated[ResolveRecoveryClaimInput, strawberry.argument(description="The resolution.")],
    ) -> RecoveryClaimResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RecoveryClaim:
            with IdReader() as read:
                claim_id = read.one(input.recovery_claim_id, "RecoveryClaim", "recoveryClaimId")
                ids = [read.one(x.line_id, "RecoveryClaimLine", f"lines.{n}.lineId") for n, x in enumerate(input.lines)]
            resolutions = [
                recovery.LineResolution(i, x.resolution, x.note, x.amount)
                for i, x in zip(ids, input.lines, strict=True)
            ]
            return await recovery.resolve(session, scope, recovery_claim_id=claim_id, resolutions=resolutions)

        return await attempt(info.context, run, _claim_success)
