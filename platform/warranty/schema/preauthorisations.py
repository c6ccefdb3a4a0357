"""GraphQL for pre-authorisation: the station asks before expensive warranty work; HQ approves with a number,
an amount and a validity, or declines."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.enums import expose
from dealernet.graphql.payloads import ConflictError, ForbiddenError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.warranty import models
from dealernet.warranty.rules import PreauthorisationStatus
from dealernet.warranty.service import preauthorisations

expose(
    PreauthorisationStatus,
    description="Where a pre-authorisation request is.",
    values={
        PreauthorisationStatus.REQUESTED: "Asked; waiting for HQ.",
        PreauthorisationStatus.APPROVED: "Approved with a number, an amount and a validity.",
        PreauthorisationStatus.DECLINED: "Declined, with the reason.",
    },
)

_loader = by_id_loader(preauthorisations.preauthorisations_by_id)


@strawberry.type(description="A pre-authorisation (索赔预申请) of warranty work on a repair order.")
class Preauthorisation(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="The station's number of the year, e.g. PA2026000003.")
    station_id: strawberry.ID = strawberry.field(description="The asking station (global id).")
    repair_order_id: strawberry.ID = strawberry.field(description="The repair order (global id).")
    requested_amount: Money = strawberry.field(description="What the station expects the work to cost.")
    reason: str = strawberry.field(description="Why the work is needed.")
    status: PreauthorisationStatus = strawberry.field(description="Where it is.")
    approval_number: str = strawberry.field(description="HQ's approval number; empty unless approved.")
    approved_amount: Money | None = strawberry.field(description="The amount HQ approved.")
    valid_until: date | None = strawberry.field(description="The last repair day it covers.")
    decline_reason: str = strawberry.field(description="Why HQ declined; empty otherwise.")
    requested_at: datetime = strawberry.field(description="When it was asked.")
    decided_at: datetime | None = strawberry.field(description="When HQ decided.")

    @classmethod
    def from_row(cls, row: models.ClaimPreauthorisation) -> Preauthorisation:
        return cls(
            id=row.id,
            number=row.number,
            station_id=gid("Station", row.station_id),
            repair_order_id=gid("RepairOrder", row.repair_order_id),
            requested_amount=row.requested_amount,
            reason=row.reason,
            status=PreauthorisationStatus(row.status),
            approval_number=row.approval_number,
            approved_amount=row.approved_amount,
            valid_until=row.valid_until,
            decline_reason=row.decline_reason,
            requested_at=row.requested_at,
            decided_at=row.decided_at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "preauthorisation", _loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.input(description="A request to HQ before expensive warranty work.")
class RequestPreauthorisationInput:
    repair_order_id: strawberry.ID = strawberry.field(description="The open repair order (global id).")
    amount: Money = strawberry.field(description="What the work is expected to cost.")
    reason: str = strawberry.field(description="Why it is needed (the diagnosis).")


@strawberry.input(description="HQ's answer to a pre-authorisation request.")
class DecidePreauthorisationInput:
    preauthorisation_id: strawberry.ID = strawberry.field(description="The request (global id).")
    approve: bool = strawberry.field(description="True to approve, false to decline.")
    approved_amount: Money | None = strawberry.field(default=None, description="Approving: the amount.")
    valid_until: date | None = strawberry.field(default=None, description="Approving: the last repair day it covers.")
    reason: str = strawberry.field(default="", description="Declining: why.")


@strawberry.type(description="What the pre-authorisation mutations answer when they worked.")
class PreauthorisationSuccess:
    preauthorisation: Preauthorisation = strawberry.field(description="The pre-authorisation as it is now.")


PreauthorisationResult = Annotated[
    PreauthorisationSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union(
        "PreauthorisationResult",
        description=(
            "PreauthorisationSuccess when it worked; otherwise ValidationError, NotFoundError, ConflictError or "
            "ForbiddenError saying why nothing changed."
        ),
    ),
]


def _success(row: models.ClaimPreauthorisation) -> PreauthorisationSuccess:
    return PreauthorisationSuccess(preauthorisation=Preauthorisation.from_row(row))


@strawberry.type
class PreauthorisationsQuery:
    @strawberry.field(
        extensions=needs(Permission.warranty_claims_read),
        description="Pre-authorisations, newest first: a station its own, HQ its network's.",
    )
    async def preauthorisations(
        self,
        info: Info,
        first: First,
        after: After = None,
        status: Annotated[
            list[PreauthorisationStatus] | None, strawberry.argument(description="Only these statuses.")
        ] = None,
    ) -> relay.Connection[Preauthorisation]:
        rows = await info.context.run(
            preauthorisations.list_preauthorisations, first=first, after=keyset_after(after), status=status or ()
        )
        return connection(
            rows, first=first, node=Preauthorisation.from_row, key=lambda r: (r.requested_at.isoformat(), r.id)
        )


@strawberry.type
class PreauthorisationsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_raise),
        description="Ask HQ to pre-authorise warranty work on an open repair order.",
    )
    async def request_preauthorisation(
        self, info: Info, input: Annotated[RequestPreauthorisationInput, strawberry.argument(description="It.")]
    ) -> PreauthorisationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.ClaimPreauthorisation:
            return await preauthorisations.request_preauthorisation(
                session, scope, repair_order_id=uuid_of(input.repair_order_id, "RepairOrder", "repairOrderId"),
                amount=input.amount, reason=input.reason,
            )  # fmt: skip

        return await attempt(info.context, run, _success)

    @strawberry.mutation(
        extensions=needs(Permission.warranty_claims_decide),
        description="Approve (number, amount, validity) or decline (reason) a pre-authorisation request.",
    )
    async def decide_preauthorisation(
        self, info: Info, input: Annotated[DecidePreauthorisationInput, strawberry.argument(description="It.")]
    ) -> PreauthorisationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.ClaimPreauthorisation:
            return await preauthorisations.decide_preauthorisation(
                session, scope, preauthorisation_id=uuid_of(input.preauthorisation_id, "Preauthorisation",
                "preauthorisationId"), approve=input.approve, approved_amount=input.approved_amount,
                valid_until=input.valid_until, reason=input.reason,
            )  # fmt: skip

        return await attempt(info.context, run, _success)
