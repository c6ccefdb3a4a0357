"""GraphQL for settlement: HQ runs a period's settlement (every station's statement in one run) and records
payments; a station reads and acknowledges its statements; suppliers alike with their recovery statements.
The statements download as PDF or XLSX at `statementUrl`."""

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
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, maybe_gid, uuid_of
from dealernet.graphql.scalars import Money
from dealernet.warranty import models
from dealernet.warranty.rules import StatementStatus
from dealernet.warranty.schema.recovery import RecoveryClaim
from dealernet.warranty.service import settlements

expose(
    StatementStatus,
    description="Where a settlement (or a supplier's recovery statement) is.",
    values={
        StatementStatus.PUBLISHED: "Published to its addressee, who checks it.",
        StatementStatus.ACKNOWLEDGED: "Confirmed by the station (the supplier).",
        StatementStatus.PAID: "Paid: the day and the bank's reference are recorded.",
    },
)

_settlement_loader = by_id_loader(settlements.settlements_by_id)
_lines_loader = by_id_loader(settlements.lines_of)
_statement_loader = by_id_loader(settlements.recovery_statements_by_id)
_claims_loader = by_id_loader(settlements.claims_on)


@strawberry.type(description="One line of a settlement: a claim line paid, an adjustment, or a chargeback.")
class SettlementLine:
    kind: str = strawberry.field(description="claim_line, adjustment (a later decision's difference) or chargeback.")
    claim_id: strawberry.ID = strawberry.field(description="The claim (global id).")
    claim_line_id: strawberry.ID | None = strawberry.field(description="The claim line paid or adjusted.")
    chargeback_id: strawberry.ID | None = strawberry.field(description="The chargeback deducted.")
    amount: str = strawberry.field(description="The amount: negative for a chargeback (two decimals).")
    description: str = strawberry.field(description="The claim's number and line, or the chargeback's reason.")

    @classmethod
    def from_row(cls, row: models.SettlementLine) -> SettlementLine:
        return cls(
            kind=row.kind,
            claim_id=gid("Claim", row.claim_id),
            claim_line_id=maybe_gid("ClaimLine", row.claim_line_id),
            chargeback_id=maybe_gid("ClaimChargeback", row.chargeback_id),
            amount=f"{row.amount:.2f}",
            description=row.description,
        )


@strawberry.type(description="A station's settlement statement (结算单) for a period.")
class Settlement(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="ST + the period's first day + the station's code.")
    station_id: strawberry.ID = strawberry.field(description="The station (global id).")
    period_start: date = strawberry.field(description="The period's first day.")
    period_end: date = strawberry.field(description="Its last day: lines decided by its end are settled.")
    status: StatementStatus = strawberry.field(description="Where it is.")
    claims_amount: Money = strawberry.field(description="Claim lines paid for the first time.")
    adjustments_amount: str = strawberry.field(description="Later decisions' differences (may be negative).")
    chargebacks_amount: Money = strawberry.field(description="Chargebacks deducted.")
    total: str = strawberry.field(description="What HQ pays: claims + adjustments - chargebacks (may be negative).")
    line_count: int = strawberry.field(description="How many lines it has.")
    created_at: datetime = strawberry.field(description="When the run published it.")
    acknowledged_at: datetime | None = strawberry.field(description="When the station acknowledged it.")
    paid_on: date | None = strawberry.field(description="The day it was paid.")
    payment_reference: str = strawberry.field(description="The bank's reference of the payment.")
    statement_url: str = strawberry.field(description="The statement as a file: add pdf or xlsx.")

    @classmethod
    def from_row(cls, row: models.Settlement) -> Settlement:
        return cls(
            id=row.id,
            number=row.number,
            station_id=gid("Station", row.station_id),
            period_start=row.period_start,
            period_end=row.period_end,
            status=StatementStatus(row.status),
            claims_amount=row.claims_amount,
            adjustments_amount=f"{row.adjustments_amount:.2f}",
            chargebacks_amount=row.chargebacks_amount,
            total=f"{row.total:.2f}",
            line_count=row.line_count,
            created_at=row.created_at,
            acknowledged_at=row.acknowledged_at,
            paid_on=row.paid_on,
            payment_reference=row.payment_reference,
            statement_url=f"/settlements/{gid('Settlement', row.id)}/statement.",
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "settlement", _settlement_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="The lines: claim lines and adjustments by claim, then chargebacks.")
    async def lines(self, info: Info) -> list[SettlementLine]:
        rows = await info.context.loader("settlement_lines", _lines_loader).load(self.id)
        return [SettlementLine.from_row(row) for row in rows or []]


@strawberry.type(description="A supplier's recovery statement (追溯结算单) for a period.")
class RecoveryStatement(relay.Node):
    id: relay.NodeID[UUID]
    number: str = strawberry.field(description="RS + the period's first day + the supplier's code.")
    partner_id: strawberry.ID = strawberry.field(description="The supplier (global id).")
    period_start: date = strawberry.field(description="The period's first day.")
    period_end: date = strawberry.field(description="Its last day.")
    status: StatementStatus = strawberry.field(description="Where it is.")
    amount: Money = strawberry.field(description="What the supplier owes the OEM.")
    claim_count: int = strawberry.field(description="How many recovery claims it has.")
    acknowledged_at: datetime | None = strawberry.field(description="When the supplier acknowledged it.")
    paid_on: date | None = strawberry.field(description="The day the supplier paid.")
    payment_reference: str = strawberry.field(description="The bank's reference of the payment.")
    statement_url: str = strawberry.field(description="The statement as a file: add pdf or xlsx.")

    @classmethod
    def from_row(cls, row: models.RecoveryStatement) -> RecoveryStatement:
        return cls(
            id=row.id,
            number=row.number,
            partner_id=gid("Partner", row.partner_id),
            period_start=row.period_start,
            period_end=row.period_end,
            status=StatementStatus(row.status),
            amount=row.amount,
            claim_count=row.claim_count,
            acknowledged_at=row.acknowledged_at,
            paid_on=row.paid_on,
            payment_reference=row.payment_reference,
            statement_url=f"/recovery-statements/{gid('RecoveryStatement', row.id)}/statement.",
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "recovery_statement", _statement_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @strawberry.field(description="Its recovery claims, by number.")
    async def recovery_claims(self, info: Info) -> list[RecoveryClaim]:
        rows = await info.context.loader("recovery_statement_claims", _claims_loader).load(self.id)
        return [RecoveryClaim.from_row(row) for row in rows or []]


@strawberry.input(description="A settlement period; both empty: last month.")
class PeriodInput:
    period_start: date | None = strawberry.field(default=None, description="The first day.")
    period_end: date | None = strawberry.field(default=None, description="The last day (today at the latest).")


@strawberry.input(description="A payment of a statement.")
class PaymentInput:
    id: strawberry.ID = strawberry.field(description="The statement (global id).")
    paid_on: date = strawberry.field(description="The day it was paid.")
    reference: str = strawberry.field(description="The bank's reference.")


@strawberry.type(description="What runSettlement answers: the statements it published (none: all settled).")
class SettlementRunSuccess:
    settlements: list[Settlement] = strawberry.field(description="The statements published, by number.")


@strawberry.type(description="What the settlement mutations answer when they worked.")
class SettlementSuccess:
    settlement: Settlement = strawberry.field(description="The statement as it is now.")


@strawberry.type(description="What runRecoveryStatements answers: the statements it published.")
class RecoveryStatementRunSuccess:
    recovery_statements: list[RecoveryStatement] = strawberry.field(description="The statements published.")


@strawberry.type(description="What the recovery-statement mutations answer when they worked.")
class RecoveryStatementSuccess:
    recovery_statement: RecoveryStatement = strawberry.field(description="The statement as it is now.")


_WHY = "otherwise ValidationError, NotFoundError, ConflictError or ForbiddenError saying why nothing changed."
SettlementRunResult = Annotated[
    SettlementRunSuccess | ValidationError | ConflictError | ForbiddenError,
    strawberry.union(
        "SettlementRunResult",
        description="SettlementRunSuccess when it worked; otherwise ValidationError, ConflictError or ForbiddenError.",
    ),
]
SettlementResult = Annotated[
    SettlementSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("SettlementResult", description=f"SettlementSuccess; {_WHY}"),
]
RecoveryStatementRunResult = Annotated[
    RecoveryStatementRunSuccess | ValidationError | ConflictError | ForbiddenError,
    strawberry.union(
        "RecoveryStatementRunResult",
        description="RecoveryStatementRunSuccess when it worked; otherwise ValidationError, ConflictError or "
        "ForbiddenError.",
    ),
]
RecoveryStatementResult = Annotated[
    RecoveryStatementSuccess | ValidationError | NotFoundError | ConflictError | ForbiddenError,
    strawberry.union("RecoveryStatementResult", description=f"RecoveryStatementSuccess; {_WHY}"),
]


def _settlement(row: models.Settlement) -> SettlementSuccess:
    return SettlementSuccess(settlement=Settlement.from_row(row))


def _statement(row: models.RecoveryStatement) -> RecoveryStatementSuccess:
    return RecoveryStatementSuccess(recovery_statement=RecoveryStatement.from_row(row))


@strawberry.type
class SettlementsQuery:
    @strawberry.field(
        extensions=needs(Permission.settlements_read),
        description="Settlement statements, latest period first: a station its own, HQ its network's.",
    )
    async def settlements(self, info: Info, first: First, after: After = None) -> relay.Connection[Settlement]:
        rows = await info.context.run(settlements.list_settlements, first=first, after=keyset_after(after))
        return connection(rows, first=first, node=Settlement.from_row, key=lambda r: (r.period_start.isoformat(), r.id))

    @strawberry.field(
        extensions=needs(Permission.recovery_read),
        description="Recovery statements, latest period first: HQ its network's, a supplier its own.",
    )
    async def recovery_statements(
        self, info: Info, first: First, after: After = None
    ) -> relay.Connection[RecoveryStatement]:
        rows = await info.context.run(settlements.list_recovery_statements, first=first, after=keyset_after(after))
        return connection(
            rows, first=first, node=RecoveryStatement.from_row, key=lambda r: (r.period_start.isoformat(), r.id)
        )


@strawberry.type
class SettlementsMutation:
    @strawberry.mutation(
        extensions=needs(Permission.settlements_run),
        description="Settle a period for every station of the network (HQ); running it again settles nothing twice.",
    )
    async def run_settlement(
        self, info: Info, input: Annotated[PeriodInput, strawberry.argument(description="The period.")]
    ) -> SettlementRunResult:
        async def run(session: AsyncSession, scope: Scope) -> list[models.Settlement]:
            return await settlements.run_settlement(
                session, scope, period_start=input.period_start, period_end=input.period_end
            )

        return await attempt(
            info.context, run, lambda rows: SettlementRunSuccess(settlements=[Settlement.from_row(r) for r in rows])
        )

    @strawberry.mutation(
        extensions=needs(Permission.settlements_acknowledge), description="Acknowledge your station's statement."
    )
    async def acknowledge_settlement(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The settlement (global id).")]
    ) -> SettlementResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Settlement:
            return await settlements.acknowledge(session, scope, settlement_id=uuid_of(id, "Settlement", "id"))

        return await attempt(info.context, run, _settlement)

    @strawberry.mutation(
        extensions=needs(Permission.settlements_run), description="Record the payment of an acknowledged statement."
    )
    async def record_settlement_payment(
        self, info: Info, input: Annotated[PaymentInput, strawberry.argument(description="The payment.")]
    ) -> SettlementResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Settlement:
            return await settlements.record_payment(
                session,
                scope,
                settlement_id=uuid_of(input.id, "Settlement", "id"),
                paid_on=input.paid_on,
                reference=input.reference,
            )

        return await attempt(info.context, run, _settlement)

    @strawberry.mutation(
        extensions=needs(Permission.recovery_manage),
        description="Publish a recovery statement per supplier of its agreed recovery claims (HQ).",
    )
    async def run_recovery_statements(
        self, info: Info, input: Annotated[PeriodInput, strawberry.argument(description="The period.")]
    ) -> RecoveryStatementRunResult:
        async def run(session: AsyncSession, scope: Scope) -> list[models.RecoveryStatement]:
            return await settlements.run_recovery_statements(
                session, scope, period_start=input.period_start, period_end=input.period_end
            )

        return await attempt(
            info.context,
            run,
            lambda rows: RecoveryStatementRunSuccess(recovery_statements=[RecoveryStatement.from_row(r) for r in rows]),
        )

    @strawberry.mutation(
        extensions=needs(Permission.recovery_respond), description="Acknowledge your recovery statement (supplier)."
    )
    async def acknowledge_recovery_statement(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The statement (global id).")]
    ) -> RecoveryStatementResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RecoveryStatement:
            return await settlements.acknowledge_recovery_statement(
                session, scope, statement_id=uuid_of(id, "RecoveryStatement", "id")
            )

        return await attempt(info.context, run, _statement)

    @strawberry.mutation(
        extensions=needs(Permission.recovery_manage), description="Record a supplier's payment of its statement (HQ)."
    )
    async def record_recovery_payment(
        self, info: Info, input: Annotated[PaymentInput, strawberry.argument(description="The payment.")]
    ) -> RecoveryStatementResult:
        async def run(session: AsyncSession, scope: Scope) -> models.RecoveryStatement:
            return await settlements.record_recovery_payment(
                session,
                scope,
                statement_id=uuid_of(input.id, "RecoveryStatement", "id"),
                paid_on=input.paid_on,
                reference=input.reference,
            )

        return await attempt(info.context, run, _statement)
