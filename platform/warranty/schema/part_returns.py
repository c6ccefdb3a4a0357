"""GraphQL for the parts-return loop: the returns a claim's failed parts are authorised for, the station's
shipment, HQ's receipt and the identification sheet's verdict."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.ids import IdReader
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.warranty import models
from dealernet.warranty.rules import ReturnStatus, Verdict
from dealernet.warranty.service import part_returns

expose(
    ReturnStatus,
    description="Where a failed part's return is.",
    values={
        ReturnStatus.AUTHORISED: "The station is to send it, tagged, by the due date.",
        ReturnStatus.SHIPPED: "On its way (carrier and tracking number).",
        ReturnStatus.RECEIVED: "At HQ's claim office.",
        ReturnStatus.INSPECTED: "Inspected: the identification sheet's verdict is in.",
    },
)
expose(
    Verdict,
    description="The identification sheet's (鉴定单) finding on a returned part.",
    values={
        Verdict.SUPPLIER_DEFECT: "The supplier's defect: recovered from the supplier.",
        Verdict.STATION_FAULT: "The station's fault (misdiagnosis, handling damage): its liability.",
        Verdict.NO_FAULT_FOUND: "No fault found.",
        Verdict.WEAR_AND_TEAR: "Wear and tear.",
    },
)

_loader = by_id_loader(part_returns.returns_by_id)
returns_loader = by_id_loader(part_returns.returns_of)


@strawberry.type(description="A failed part's return authorisation (旧件回运) and what became of it.")
class PartReturn(relay.Node):
    id: relay.NodeID[UUID]
    claim_id: strawberry.ID = strawberry.field(description="The claim (global id).")
    claim_line_id: strawberry.ID = strawberry.field(description="The claimed part line (global id).")
    part_id: strawberry.ID = strawberry.field(description="The part (global id).")
    tag_number: str = strawberry.field(description="The tag the part carries (换下件标签).")
    due_on: date = strawberry.field(description="The day it is due at HQ.")
    send_to: str = strawberry.field(description="Where to send it.")
    status: ReturnStatus = strawberry.field(description="Where it is.")
    carrier: str = strawberry.field(description="The carrier; empty until shipped.")
    tracking_number: str = strawberry.field(description="The carrier's tracking number.")
    shipped_at: datetime | None = strawberry.field(description="When the station shipped it.")
    received_at: datetime | None = strawberry.field(description="When HQ received it.")
    condition: str = strawberry.field(description="The condition it arrived in.")
    verdict: Verdict | None = strawberry.field(description="The identification sheet's verdict.")
    verdict_note: str = strawberry.field(description="The inspector's findings.")
    inspected_at: datetime | None = strawberry.field(description="When it was inspected.")

    @classmethod
    def from_row(cls, row: models.PartReturn) -> PartReturn:
        return cls(
            id=row.id,
            claim_id=gid("Claim", row.claim_id),
            claim_line_id=gid("ClaimLine", row.claim_line_id),
            part_id=gid("Part", row.part_id),
            tag_number=row.tag_number,
            due_on=row.due_on,
            send_to=row.send_to,
            status=ReturnStatus(row.status),
            carrier=row.carrier,
            tracking_number=row.tracking_number,
            shipped_at=row.shipped_at,
            received_at=row.received_at,
            condition=row.condition,
            verdict=Verdict(row.verdict) if row.verdict else None,
            verdict_note=row.verdict_note,
            inspected_at=row.inspected_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "part_return", _loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.input(description="HQ asks a claimed part back that the policy did not list.")
class RequestPartReturnInput:
    claim_line_id: strawberry.ID = strawberry.field(description="The claimed part line (global id).")
    within_days: int = strawberry.field(default=15, description="Days the station has to send it (1 to 180).")
    send_to: str = strawberry.field(default="", description="Where to send it; by default the claim office.")


@strawberry.input(description="The station's shipment of tagged parts.")
class ShipPartReturnsInput:
    return_ids: list[strawberry.ID] = strawberry.field(description="The returns shipped together (global ids).")
    carrier: str = strawberry.field(description="The carrier.")
    tracking_number: str = strawberry.field(default="", description="Its tracking number.")


@strawberry.input(description="The identification sheet (鉴定单) of a received part.")
class InspectPartReturnInput:
    return_id: strawberry.ID = strawberry.field(description="The return (global id).")
    verdict: Verdict = strawberry.field(description="The finding.")
    note: str = strawberry.field(description="The inspector's findings.")


@strawberry.type(description="What the part-return mutations answer when they worked.")
class PartReturnsSuccess:
    part_returns: list[PartReturn] = strawberry.field(description="The returns as they are now.")


PartReturnResult = Annotated[
    PartReturnsSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union(
        "PartReturnResult",
        description=(
            "PartReturnsSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError or "
            "ForbiddenError saying why nothing changed."
        ),
    ),
]


def _success(rows: models.PartReturn | list[models.PartReturn]) -> PartReturnsSuccess:
    return PartReturnsSuccess(
        part_returns=[PartReturn.from_row(r) for r in (rows if isinstance(rows, list) else [rows])]
    )


@strawberry.type
class PartReturnsQuery:
    @strawberry.field(
        extensions=needs(Permission.warranty_claims_read),
        description="Failed parts to return, soonest due first: a station its own, HQ its network's.",
    )
    async def part_returns(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[list[ReturnStatus] | None, strawberry.argument(description="Only these statuses.")] = None,
    ) -> relay.Connection[PartReturn]:
        rows = await info.context.run(
            part_returns.list_returns, first=first, after=keyset_after(after), status=status or ()
        )
        return connection(rows, first=first, node=PartReturn.from_row, key=lambda r: (r.due_on.isoformat(), r.id))


@strawberry.type
class PartReturnsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide), description="Ask a claimed part back (HQ)."
    )
    async def request_part_return(
        self, info: Info, input: Annotated[RequestPartReturnInput, strawberry.argument(description="Which.")]
    ) -> PartReturnResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartReturn:
            return await part_returns.request_return(
                session,
                scope,
                claim_line_id=uuid_of(input.claim_line_id, "ClaimLine", "claimLineId"),
                within_days=input.within_days,
                send_to=input.send_to,
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_raise), description="Ship tagged failed parts to HQ."
    )
    async def ship_part_returns(
        self, info: Info, input: Annotated[ShipPartReturnsInput, strawberry.argument(description="The shipment.")]
    ) -> PartReturnResult:
        async def run(session: AsyncSession, scope: Scope) -> list[models.PartReturn]:
            with IdReader() as read:
                ids = read.many(input.return_ids, "PartReturn", "returnIds")
            return await part_returns.ship_returns(
                session, scope, return_ids=ids, carrier=input.carrier, tracking_number=input.tracking_number
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide), description="Book a shipped part in at the claim office."
    )
    async def receive_part_return(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The return (global id).")],
        condition: Annotated[str, strawberry.argument(description="The condition it arrived in.")] = "",
    ) -> PartReturnResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartReturn:
            return await part_returns.receive_return(
                session, scope, return_id=uuid_of(id, "PartReturn", "id"), condition=condition
            )

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide),
        description="The identification sheet (鉴定单): the verdict on a received part.",
    )
    async def inspect_part_return(
        self, info: Info, input: Annotated[InspectPartReturnInput, strawberry.argument(description="The sheet.")]
    ) -> PartReturnResult:
        async def run(session: AsyncSession, scope: Scope) -> models.PartReturn:
            return await part_returns.inspect_return(
                session,
                scope,
                return_id=uuid_of(input.return_id, "PartReturn", "returnId"),
                verdict=input.verdict,
                note=input.note,
            )

        return await attempt(info.context, run, _success)
