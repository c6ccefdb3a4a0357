"""Pre-authorisation (索赔预申请): before expensive warranty work the station asks HQ, for a repair order, with
the amount it expects and why; HQ approves with a number, an amount and a validity, or declines with the
reason. The claim of that repair order is then judged with it (a claim needing one and lacking it is flagged,
never refused)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.policy.service.prices import check_money
from dealernet.tenants.service.directory import network_today
from dealernet.warranty import rules
from dealernet.warranty.models import ClaimPreauthorisation
from dealernet.warranty.rules import PreauthorisationStatus
from dealernet.workshop.models import RepairOrder
from dealernet.workshop.rules import EDITABLE
from dealernet.workshop.service.repair_orders import next_in_station_series

MAX_REASON = 2_000


def _money(value: Decimal, field: str) -> dict[str, str]:
    """What is wrong with an amount that must be money above zero (collected with the request's other fields)."""
    try:
        check_money(value, field)
    except ValidationFailed as exc:
        return dict(exc.fields)
    return {} if value > 0 else {field: "above 0.00"}


async def request_preauthorisation(
    session: AsyncSession, scope: Scope, *, repair_order_id: UUID, amount: Decimal, reason: str
) -> ClaimPreauthorisation:
    """Ask HQ before the work: the repair order is still open (received or in work)."""
    require(scope, Permission.warranty_claims_raise)
    station_id = require_station(scope, "a pre-authorisation is asked by the station doing the repair")
    problems = _money(amount, "amount")
    if not reason.strip() or len(reason) > MAX_REASON:
        problems["reason"] = f"why the work is needed, 1 to {MAX_REASON:,} characters"
    if problems:
        raise ValidationFailed("the request is not complete", fields=problems)
    order = await session.get(RepairOrder, (station_id, repair_order_id))
    if order is None:
        raise NotFound("no such repair order of your station", fields={"repair_order_id": "not found"})
    if order.status not in EDITABLE:
        raise Conflict(f"repair order {order.number} is {order.status}: pre-authorisation comes before the work")
    today = await network_today(session, scope.network_id)
    seq = await next_in_station_series(session, scope, f"preauthorisation:{today.year}")
    row = ClaimPreauthorisation(
        station_id=station_id,
        id=new_id(),
        network_id=order.network_id,
        number=rules.preauthorisation_number(today.year, seq),
        repair_order_id=order.id,
        requested_amount=amount,
        reason=reason.strip(),
        status=PreauthorisationStatus.REQUESTED,
        requested_by=scope.actor_id,
    )
    session.add(row)
    await session.flush()
    after = {"number": row.number, "repair_order": order.number, "amount": str(amount)}
    await journal.record(session, scope, entity="preauthorisation", entity_id=row.id, action="requested", after=after)
    return row


async def decide_preauthorisation(
    session: AsyncSession,
    scope: Scope,
    *,
    preauthorisation_id: UUID,
    approve: bool,
    approved_amount: Decimal | None = None,
    valid_until: date | None = None,
    reason: str = "",
) -> ClaimPreauthorisation:
    """HQ approves (an amount up to what was asked, valid until a day from today on) or declines (why)."""
    require(scope, Permission.warranty_claims_decide)
    row = await session.scalar(
        select(ClaimPreauthorisation).where(ClaimPreauthorisation.id == preauthorisation_id).with_for_update()
    )
    if row is None:
        raise NotFound("no such pre-authorisation", fields={"preauthorisation_id": "not found"})
    if row.status != PreauthorisationStatus.REQUESTED:
        raise Conflict(f"pre-authorisation {row.number} is {row.status} already")
    today = await network_today(session, scope.network_id)
    problems: dict[str, str] = {}
    if approve:
        if approved_amount is None:
            problems["approved_amount"] = "required"
        else:
            problems |= _money(approved_amount, "approved_amount")
        if valid_until is None or valid_until < today:
            problems["valid_until"] = f"today ({today}) or later"
    elif not reason.strip() or len(reason) > MAX_REASON:
        problems["reason"] = f"why it is declined, 1 to {MAX_REASON:,} characters"
    if problems:
        raise ValidationFailed("the decision is not complete", fields=problems)
    row.decided_by, row.decided_at = scope.actor_id, datetime.now(UTC)
    if approve:
        row.status, row.approved_amount, row.valid_until = PreauthorisationStatus.APPROVED, approved_amount, valid_until
        row.approval_number = rules.approval_number(row.number)
    else:
        row.status, row.decline_reason = PreauthorisationStatus.DECLINED, reason.strip()
    await session.flush()
    after = {"status": row.status, "approval_number": row.approval_number, "reason": row.decline_reason,
             "approved": str(row.approved_amount) if row.approved_amount else None,
             "valid_until": row.valid_until.isoformat() if row.valid_until else None}  # fmt: skip
    await journal.record(session, scope, entity="preauthorisation", entity_id=row.id, action="decided", after=after)
    return row


async def preauthorisations_by_id(
    session: AsyncSession, scope: Scope, ids: Sequence[UUID]
) -> dict[UUID, ClaimPreauthorisation]:
    require(scope, Permission.warranty_claims_read)
    query = select(ClaimPreauthorisation).where(ClaimPreauthorisation.id.in_(ids))
    return {row.id: row for row in await session.scalars(query)}


async def list_preauthorisations(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[PreauthorisationStatus] = (),
) -> list[ClaimPreauthorisation]:
    """Pre-authorisations, newest first (a station its own, HQ its network's); first + 1 rows."""
    require(scope, Permission.warranty_claims_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(ClaimPreauthorisation.status.in_([str(s) for s in status]))
    if after is not None:
        key = (cursor_time(after[0]), after[1])
        where.append(tuple_(ClaimPreauthorisation.requested_at, ClaimPreauthorisation.id) < tuple_(*key))
    query = (
        select(ClaimPreauthorisation)
        .where(*where)
        .order_by(ClaimPreauthorisation.requested_at.desc(), ClaimPreauthorisation.id.desc())
        .limit(first + 1)
    )
    return list(await session.scalars(query))
