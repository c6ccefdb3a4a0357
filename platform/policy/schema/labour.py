"""GraphQL for labour: the labour operations with their flat-rate hours, and the rates of a labour rate card."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import ConflictError, NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.policy import models
from dealernet.policy.service import labour

if TYPE_CHECKING:
    pass

from dealernet.policy.schema.catalogue import _decimal

_operation_loader = by_id_loader(labour.operations_by_id)


@strawberry.type(description="A labour operation code (工时代码) with its flat-rate hours.")
class LabourOperation(relay.Node):
    id: relay.NodeID[UUID]
    code: str = strawberry.field(description="The labour operation code.")
    description: str = strawberry.field(description="What the operation is.")
    flat_rate_hours: str = strawberry.field(description='Allowed time in hours, as a decimal string, e.g. "1.50".')
    component_group: str = strawberry.field(description="The component group it works on.")
    includes: list[str] = strawberry.field(
        description="The operations its time already covers (claimed with it: overlapping labour)."
    )

    @classmethod
    def from_row(cls, row: models.LabourOperation) -> LabourOperation:
        return cls(
            id=row.id,
            code=row.code,
            description=row.description,
            flat_rate_hours=f"{row.flat_rate_hours:.2f}",
            component_group=row.component_group,
            includes=list(row.includes),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "labour_operation", _operation_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


@strawberry.input(description="A new labour operation.")
class CreateLabourOperationInput:
    code: str = strawberry.field(description="Its code, unique in the network.")
    description: str = strawberry.field(description="What the operation is.")
    flat_rate_hours: str = strawberry.field(description='Hours as a decimal string, e.g. "1.50".')
    component_group: str = strawberry.field(description="The component group it works on.")
    includes: list[str] = strawberry.field(
        default_factory=list, description="Codes of existing operations its time already covers."
    )


@strawberry.type(description="What `createLabourOperation` answers when it worked.")
class LabourOperationSuccess:
    labour_operation: LabourOperation = strawberry.field(description="The labour operation.")


LabourOperationResult = Annotated[
    LabourOperationSuccess | ValidationError | ConflictError,
    strawberry.union(
        "LabourOperationResult",
        description=(
            "LabourOperationSuccess when it worked; otherwise ValidationError, ConflictError saying "
            "why nothing changed."
        ),
    ),
]


rates_loader = by_id_loader(labour.rates_of)


@strawberry.type(description="A labour rate per hour in a rate card: a region's, or national (regionId empty).")
class LabourRate:
    region_id: strawberry.ID | None = strawberry.field(description="The region (global id); empty: the national rate.")
    currency: str = strawberry.field(description="ISO 4217 currency code, e.g. CNY.")
    hourly_rate: Money = strawberry.field(description="The hourly rate.")
    valid_from: date = strawberry.field(description="The first day it holds.")
    valid_to: date | None = strawberry.field(description="The next version's start; empty while open-ended.")

    @classmethod
    def from_row(cls, row: models.LabourRate) -> LabourRate:
        region = gid("Region", row.region_id) if row.region_id else None
        return cls(
            region_id=region,
            currency=row.currency,
            hourly_rate=row.hourly_rate,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )


@strawberry.input(description="A region's rate per hour in a draft rate card; no region: the national rate.")
class SetLabourRateInput:
    rate_card_id: strawberry.ID = strawberry.field(
        description="The draft rate card (a LABOUR_RATES publication, global id)."
    )
    region_id: strawberry.ID | None = strawberry.field(
        default=None, description="The region (global id); empty: the national rate."
    )
    currency: str = strawberry.field(default="CNY", description="ISO 4217 currency code, e.g. CNY.")
    hourly_rate: Money = strawberry.field(description="The hourly rate, a decimal string.")


@strawberry.type(description="What `setLabourRate` answers when it worked.")
class LabourRateSuccess:
    labour_rate: LabourRate = strawberry.field(description="The rate as set.")


LabourRateResult = Annotated[
    LabourRateSuccess | ValidationError | NotFoundError | ConflictError,
    strawberry.union(
        "LabourRateResult",
        description=(
            "LabourRateSuccess when it worked; otherwise ValidationError, NotFoundError, "
            "ConflictError saying why nothing changed."
        ),
    ),
]


# The labour standard's page compiled to one statement (graphql/compiled.py).
LABOUR_OPERATION_ROWS = compiled.Rows(
    "LabourOperation",
    {
        "id": compiled.NODE_ID,
        "code": compiled.column("code"),
        "description": compiled.column("description"),
        "flat_rate_hours": compiled.expression("({r}.flat_rate_hours)::numeric(12, 2)::text"),  # as f"{:.2f}"
        "component_group": compiled.column("component_group"),
        "includes": compiled.column("includes"),
    },
)


def _operation_terms(args: Mapping[str, Any], bind: compiled.Binder, _scope: Scope) -> list[str]:
    """labour.list_operations's filters, as SQL."""
    terms = []
    if args.get("componentGroup"):
        terms.append(f"{{r}}.component_group = {bind(args['componentGroup'].strip().upper())}")
    return terms


LABOUR_OPERATIONS_PAGE = compiled.Page(
    "labour_operations", LABOUR_OPERATION_ROWS, table="labour_operations", key="code", where=_operation_terms,
)  # fmt: skip


@strawberry.type
class LabourQuery:
    @strawberry.field(
        extensions=needs(Permission.policy_read), description="Labour operations by code, optionally of one group."
    )
    async def labour_operations(
        self,
        info: Info,
        first: First,
        after: After = None,
        component_group: Annotated[
            str | None, strawberry.argument(description="Only those of this component group.")
        ] = None,
    ) -> relay.Connection[LabourOperation]:
        after_key = keyset_after(after)
        rows = await info.context.run(
            labour.list_operations, first=first, after=after_key, component_group=component_group
        )
        return connection(rows, first=first, node=LabourOperation.from_row, key=lambda row: (row.code, row.id))


@strawberry.type
class LabourMutation:
    @strawberry.mutation(extensions=needs(Permission.catalogue_manage), description="Add a labour operation code.")
    async def create_labour_operation(
        self,
        info: Info,
        input: Annotated[CreateLabourOperationInput, strawberry.argument(description="The new labour operation.")],
    ) -> LabourOperationResult:
        async def create(session: AsyncSession, scope: Scope) -> models.LabourOperation:
            return await labour.create_operation(
                session,
                scope,
                code=input.code,
                description=input.description,
                flat_rate_hours=_decimal(input.flat_rate_hours, "flatRateHours"),
                component_group=input.component_group,
                includes=input.includes,
            )

        return await attempt(
            info.context, create, lambda row: LabourOperationSuccess(labour_operation=LabourOperation.from_row(row))
        )

    @strawberry.mutation(extensions=needs(Permission.policy_publish), description="Set a rate in a draft rate card.")
    async def set_labour_rate(
        self,
        info: Info,
        input: Annotated[SetLabourRateInput, strawberry.argument(description="The rate to set on a draft rate card.")],
    ) -> LabourRateResult:
        async def run(session: AsyncSession, scope: Scope) -> models.LabourRate:
            return await labour.set_labour_rate(
                session,
                scope,
                publication_id=uuid_of(input.rate_card_id, "Publication", "rateCardId"),
                region_id=uuid_of(input.region_id, "Region", "regionId") if input.region_id else None,
                currency=input.currency,
                hourly_rate=Decimal(input.hourly_rate),
            )

        return await attempt(info.context, run, lambda row: LabourRateSuccess(labour_rate=LabourRate.from_row(row)))
