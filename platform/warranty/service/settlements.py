"""Settlement (结算): HQ runs a period's settlement for its network — every station's approved claim lines
decided by the period's end and not paid yet (or paid at another amount before: the difference, an
adjustment), less its chargebacks, as one numbered statement per station and period, in one set-based
statement. A line whose failed part is still on its way waits for its verdict (or for the chargeback of a
part never returned). The run is idempotent: what a statement paid is recorded per claim line and each
chargeback is deducted once, so running it again settles nothing twice. The station acknowledges its
statement (PDF and XLSX); HQ records the payment.

Suppliers alike: a recovery statement per supplier and period of its agreed recovery claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from uuid import UUID

import structlog
from sqlalchemy import ColumnElement, Select, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import group_by
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_date
from dealernet.core.scope import Scope
from dealernet.tenants.service.directory import network_today
from dealernet.warranty import rules
from dealernet.warranty.models import RecoveryClaim, RecoveryStatement, Settlement, SettlementLine
from dealernet.warranty.rules import StatementStatus

MAX_PERIOD_DAYS = 92
MAX_REFERENCE = 100

# The lines a run settles, per station of the network, in one statement:
#  paid      what earlier statements paid per claim line;
#  due       approved lines decided before the cutoff whose approved amount differs from what was paid
#            (first payment, or an adjustment after a later decision), unless a returned part is still
#            waiting for its verdict (a chargeback of a part never returned releases it);
#  owed      chargebacks made before the cutoff and not deducted yet;
#  heads     one statement per station with something to settle and no statement of an overlapping period.
# The journal line of each statement is written in the same statement.
_RUN = text(
    """
    WITH paid AS (
      SELECT s.station_id, s.claim_line_id, sum(s.amount) AS amount
      FROM settlement_lines s WHERE s.kind <> 'chargeback' GROUP BY 1, 2
    ), due AS (
      SELECT l.station_id, l.claim_id, l.id AS claim_line_id,
             l.approved_amount - coalesce(p.amount, 0) AS amount,
             CASE WHEN p.amount IS NULL THEN 'claim_line' ELSE 'adjustment' END AS kind,
             left(c.number || ' line ' || l.position || ' (' || l.kind || ')', 300) AS description
      FROM claims c
      JOIN claim_lines l ON l.station_id = c.station_id AND l.claim_id = c.id
      LEFT JOIN paid p ON p.station_id = l.station_id AND p.claim_line_id = l.id
      WHERE c.status IN ('approved', 'partly_approved') AND c.decided_at < :cutoff
        AND l.approved_amount IS NOT NULL AND l.approved_amount <> coalesce(p.amount, 0)
        AND NOT EXISTS (
          SELECT 1 FROM part_returns r
          WHERE r.station_id = l.station_id AND r.claim_line_id = l.id AND r.status <> 'inspected'
            AND NOT EXISTS (SELECT 1 FROM claim_chargebacks b WHERE b.station_id = r.station_id
                            AND b.part_return_id = r.id))
    ), owed AS (
      SELECT b.station_id, b.claim_id, b.id AS chargeback_id, -b.amount AS amount,
             left(c.number || ' chargeback: ' || b.reason, 300) AS description
      FROM claim_chargebacks b JOIN claims c ON c.station_id = b.station_id AND c.id = b.claim_id
      WHERE b.created_at < :cutoff
        AND NOT EXISTS (SELECT 1 FROM settlement_lines s WHERE s.station_id = b.station_id
                        AND s.chargeback_id = b.id)
    ), body AS (
      SELECT station_id, claim_id, claim_line_id, NULL::uuid AS chargeback_id, kind, amount, description FROM due
      UNION ALL
      SELECT station_id, claim_id, NULL, chargeback_id, 'chargeback', amount, description FROM owed
    ), heads AS (
      SELECT b.station_id, uuid_generate_v7() AS id, st.network_id,
             left('ST' || to_char(CAST(:start AS date), 'YYYYMMDD') || '-' || st.code, 60) AS number,
             coalesce(sum(b.amount) FILTER (WHERE b.kind = 'claim_line'), 0) AS claims_amount,
             coalesce(sum(b.amount) FILTER (WHERE b.kind = 'adjustment'), 0) AS adjustments_amount,
             coalesce(-sum(b.amount) FILTER (WHERE b.kind = 'chargeback'), 0) AS chargebacks_amount,
             sum(b.amount) AS total, count(*) AS line_count
      FROM body b JOIN stations st ON st.id = b.station_id
      WHERE NOT EXISTS (SELECT 1 FROM settlements s WHERE s.station_id = b.station_id
                        AND s.period_start <= CAST(:end AS date) AND s.period_end >= CAST(:start AS date))
      GROUP BY b.station_id, st.network_id, st.code
    ), made AS (
      INSERT INTO settlements (station_id, id, network_id, number, claims_amount, adjustments_amount,
                               chargebacks_amount, total, line_count, period_start, period_end, status, created_by)
      SELECT station_id, id, network_id, number, claims_amount, adjustments_amount, chargebacks_amount, total,
             line_count, :start, :end, 'published', :actor
      FROM heads
      RETURNING station_id, id, network_id, number, total
    ), lines AS (
      INSERT INTO settlement_lines (station_id, id, network_id, settlement_id, kind, claim_id, claim_line_id,
                                    chargeback_id, amount, description)
      SELECT b.station_id, uuid_generate_v7(), h.network_id, h.id, b.kind, b.claim_id, b.claim_line_id,
             b.chargeback_id, b.amount, b.description
      FROM body b JOIN heads h ON h.station_id = b.station_id
      RETURNING 1
    ), journaled AS (
      INSERT INTO journal (id, network_id, station_id, actor_id, entity, entity_id, action, after, request_id)
      SELECT uuid_generate_v7(), network_id, station_id, :actor, 'settlement', id, 'published',
             jsonb_build_object('number', number, 'total', total::text), :request
      FROM made
    )
    SELECT station_id, id FROM made
    """
)

_RECOVERY_RUN = text(
    """
    WITH due AS (
      SELECT r.station_id, r.id, r.partner_id, r.amount FROM recovery_claims r
      WHERE r.status = 'agreed' AND r.statement_id IS NULL AND r.created_at < :cutoff
        AND NOT EXISTS (SELECT 1 FROM recovery_statements s WHERE s.partner_id = r.partner_id
                        AND s.period_start <= CAST(:end AS date) AND s.period_end >= CAST(:start AS date))
    ), heads AS (
      SELECT d.partner_id, uuid_generate_v7() AS id,
             left('RS' || to_char(CAST(:start AS date), 'YYYYMMDD') || '-' || p.code, 60) AS number,
             sum(d.amount) AS amount, count(*) AS claim_count
      FROM due d JOIN partners p ON p.id = d.partner_id GROUP BY d.partner_id, p.code
    ), made AS (
      INSERT INTO recovery_statements (id, network_id, partner_id, number, amount, claim_count, period_start,
                                       period_end, status, created_by)
      SELECT id, :network, partner_id, number, amount, claim_count, :start, :end, 'published', :actor FROM heads
      RETURNING id, partner_id, number, amount
    ), stated AS (
      UPDATE recovery_claims r SET statement_id = h.id FROM due d JOIN heads h ON h.partner_id = d.partner_id
      WHERE r.station_id = d.station_id AND r.id = d.id
      RETURNING 1
    ), journaled AS (
      INSERT INTO journal (id, network_id, actor_id, entity, entity_id, action, after, request_id)
      SELECT uuid_generate_v7(), :network, :actor, 'recovery_statement', id, 'published',
             jsonb_build_object('number', number, 'amount', amount::text, 'partner', partner_id::text), :request
      FROM made
    )
    SELECT id FROM made
    """
)


async def _check_period(
    session: AsyncSession, scope: Scope, start: date | None, end: date | None
) -> tuple[date, date, datetime]:
    """The period (by default last month) — one that ends by today and spans at most a quarter — and its
    cutoff: the next day's start in the network's time zone."""
    assert scope.network_id is not None  # HQ of a network
    today = await network_today(session, scope.network_id)
    if start is None and end is None:
        start, end = rules.previous_month(today)
    if start is None or end is None:
        problem = {"period_start": "both ends, or neither"}
        raise ValidationFailed("name both ends of the period, or neither (last month)", fields=problem)
    problems: dict[str, str] = {}
    if end > today:
        problems["period_end"] = f"a period that has ended (today is {today})"
    if start > end or (end - start).days >= MAX_PERIOD_DAYS:
        problems["period_start"] = f"on or before the period's end, at most {MAX_PERIOD_DAYS} days before it"
    if problems:
        raise ValidationFailed("the settlement period is not right", fields=problems)
    cutoff = await session.scalar(
        text("SELECT (CAST(:day AS date) + 1)::timestamp AT TIME ZONE n.time_zone FROM networks n WHERE n.id = :n"),
        {"day": end, "n": scope.network_id},
    )
    assert cutoff is not None
    return start, end, cutoff


async def _lock(session: AsyncSession, scope: Scope, what: str) -> None:
    # One run of a network at a time: a second waits, then finds the period settled.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"{what}:{scope.network_id}"}
    )


def _request_id() -> str:
    return str(structlog.contextvars.get_contextvars().get("request_id", ""))[:64]


async def run_settlement(
    session: AsyncSession, scope: Scope, *, period_start: date | None = None, period_end: date | None = None
) -> list[Settlement]:
    """Settle the period (by default last month) for every station of the network with something to settle;
    the statements made (none when everything is settled already)."""
    require(scope, Permission.settlements_run)
    period_start, period_end, cutoff = await _check_period(session, scope, period_start, period_end)
    await _lock(session, scope, "settlement")
    made = (
        await session.execute(
            _RUN,
            {
                "cutoff": cutoff,
                "start": period_start,
                "end": period_end,
                "actor": scope.actor_id,
                "request": _request_id(),
            },
        )
    ).all()
    if not made:
        return []
    keys = [tuple(row) for row in made]
    rows = await session.scalars(
        select(Settlement).where(tuple_(Settlement.station_id, Settlement.id).in_(keys)).order_by(Settlement.number)
    )
    return list(rows)


async def run_recovery_statements(
    session: AsyncSession, scope: Scope, *, period_start: date | None = None, period_end: date | None = None
) -> list[RecoveryStatement]:
    """A recovery statement per supplier of its agreed recovery claims not stated yet."""
    require(scope, Permission.recovery_manage)
    period_start, period_end, cutoff = await _check_period(session, scope, period_start, period_end)
    await _lock(session, scope, "recovery_statement")
    ids = list(
        await session.scalars(
            _RECOVERY_RUN,
            {
                "cutoff": cutoff,
                "start": period_start,
                "end": period_end,
                "actor": scope.actor_id,
                "network": scope.network_id,
                "request": _request_id(),
            },
        )
    )
    if not ids:
        return []
    query = select(RecoveryStatement).where(RecoveryStatement.id.in_(ids)).order_by(RecoveryStatement.number)
    return list(await session.scalars(query))


# --- Acknowledgement and payment --------------------------------------------------------------------------
# A station's settlement and a supplier's recovery statement live the same life: published, acknowledged by
# their addressee, paid. One pair of steps serves both; the public functions say who may take them.

StatementRow = TypeVar("StatementRow", Settlement, RecoveryStatement)
_ENTITY = {Settlement: ("settlement", "settlement"), RecoveryStatement: ("recovery_statement", "recovery statement")}


async def _for_update(session: AsyncSession, model: type[StatementRow], statement_id: UUID) -> StatementRow:
    row = await session.scalar(select(model).where(model.id == statement_id).with_for_update())
    if row is None:
        raise NotFound(f"no such {_ENTITY[model][1]}", fields={"id": "not found"})
    return row


async def _acknowledge(
    session: AsyncSession, scope: Scope, model: type[StatementRow], statement_id: UUID
) -> StatementRow:
    row = await _for_update(session, model, statement_id)
    entity, name = _ENTITY[model]
    if row.status != StatementStatus.PUBLISHED:
        raise Conflict(f"{name} {row.number} is {row.status} already")
    row.status, row.acknowledged_by, row.acknowledged_at = (
        StatementStatus.ACKNOWLEDGED,
        scope.actor_id,
        datetime.now(UTC),
    )
    await session.flush()
    await journal.record(session, scope, entity=entity, entity_id=row.id, action="acknowledged")
    return row


async def _pay(
    session: AsyncSession, scope: Scope, model: type[StatementRow], statement_id: UUID, paid_on: date, reference: str
) -> StatementRow:
    assert scope.network_id is not None  # HQ of a network
    today = await network_today(session, scope.network_id)
    problems: dict[str, str] = {}
    if paid_on > today or paid_on < today - timedelta(days=366):
        problems["paid_on"] = f"a day of the last year, not after today ({today})"
    if not reference.strip() or len(reference) > MAX_REFERENCE:
        problems["reference"] = f"the bank's reference, 1 to {MAX_REFERENCE} characters"
    if problems:
        raise ValidationFailed("the payment is not complete", fields=problems)
    row = await _for_update(session, model, statement_id)
    entity, name = _ENTITY[model]
    if row.status != StatementStatus.ACKNOWLEDGED:
        raise Conflict(f"{name} {row.number} is {row.status}: an acknowledged statement is paid")
    row.status, row.paid_on, row.payment_reference, row.paid_by = (
        StatementStatus.PAID,
        paid_on,
        reference.strip(),
        scope.actor_id,
    )
    await session.flush()
    after = {"paid_on": paid_on.isoformat(), "reference": row.payment_reference}
    await journal.record(session, scope, entity=entity, entity_id=row.id, action="paid", after=after)
    return row


async def acknowledge(session: AsyncSession, scope: Scope, *, settlement_id: UUID) -> Settlement:
    """The station confirms its statement (once)."""
    require(scope, Permission.settlements_acknowledge)
    require_station(scope, "a statement is acknowledged by its station")
    return await _acknowledge(session, scope, Settlement, settlement_id)


async def record_payment(
    session: AsyncSession, scope: Scope, *, settlement_id: UUID, paid_on: date, reference: str
) -> Settlement:
    """HQ paid an acknowledged statement: the day and the bank's reference."""
    require(scope, Permission.settlements_run)
    return await _pay(session, scope, Settlement, settlement_id, paid_on, reference)


async def acknowledge_recovery_statement(
    session: AsyncSession, scope: Scope, *, statement_id: UUID
) -> RecoveryStatement:
    """The supplier confirms its recovery statement (once)."""
    require(scope, Permission.recovery_respond)
    return await _acknowledge(session, scope, RecoveryStatement, statement_id)


async def record_recovery_payment(
    session: AsyncSession, scope: Scope, *, statement_id: UUID, paid_on: date, reference: str
) -> RecoveryStatement:
    """The supplier paid its acknowledged statement (HQ records it)."""
    require(scope, Permission.recovery_manage)
    return await _pay(session, scope, RecoveryStatement, statement_id, paid_on, reference)


# --- Reads -------------------------------------------------------------------------------------------------


async def settlements_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Settlement]:
    require(scope, Permission.settlements_read)
    return {row.id: row for row in await session.scalars(select(Settlement).where(Settlement.id.in_(ids)))}


async def lines_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[SettlementLine]]:
    """Each settlement's lines: claim lines and adjustments by claim, then chargebacks (for a DataLoader)."""
    require(scope, Permission.settlements_read)
    query = (
        select(SettlementLine)
        .where(SettlementLine.settlement_id.in_(ids))
        .order_by(SettlementLine.settlement_id, SettlementLine.kind == "chargeback", SettlementLine.description)
    )
    return group_by(await session.scalars(query), ids, lambda row: row.settlement_id)


def _page(model: type[StatementRow], first: int, after: tuple[str, UUID] | None) -> Select[tuple[StatementRow]]:
    """A page of statements, latest period first (RLS: the caller's own, or HQ its network's); first + 1 rows."""
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if after is not None:
        where.append(tuple_(model.period_start, model.id) < tuple_(cursor_date(after[0]), after[1]))
    return select(model).where(*where).order_by(model.period_start.desc(), model.id.desc()).limit(first + 1)


async def list_settlements(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[Settlement]:
    """Settlements, latest period first: a station its own, HQ its network's."""
    require(scope, Permission.settlements_read)
    return list(await session.scalars(_page(Settlement, first, after)))


async def recovery_statements_by_id(
    session: AsyncSession, scope: Scope, ids: Sequence[UUID]
) -> dict[UUID, RecoveryStatement]:
    require(scope, Permission.recovery_read)
    rows = await session.scalars(select(RecoveryStatement).where(RecoveryStatement.id.in_(ids)))
    return {row.id: row for row in rows}


async def list_recovery_statements(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[RecoveryStatement]:
    """Recovery statements, latest period first: HQ its network's, a supplier its own."""
    require(scope, Permission.recovery_read)
    return list(await session.scalars(_page(RecoveryStatement, first, after)))


async def claims_on(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[RecoveryClaim]]:
    """Each recovery statement's recovery claims, by number (for a DataLoader)."""
    require(scope, Permission.recovery_read)
    query = select(RecoveryClaim).where(RecoveryClaim.statement_id.in_(ids)).order_by(RecoveryClaim.number)
    return group_by(await session.scalars(query), ids, lambda row: row.statement_id)
