"""The parts-return loop (旧件回运): a return authorisation per failed part of a claim — made when the claim
is submitted, for the part lines whose component group its warranty policy version wants back, or when HQ
asks for one — with its tag number (换下件标签), due date and address. The station ships its parts (carrier
and tracking); HQ receives each (its condition) and inspects it: the identification sheet's (鉴定单) verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.policy.models import Part
from dealernet.tenants.service.directory import network_today
from dealernet.warranty import rules
from dealernet.warranty.models import Claim, ClaimChargeback, ClaimLine, PartReturn
from dealernet.warranty.rules import ReturnStatus, Verdict
from dealernet.warranty.service import recovery

MAX_NOTE = 4_000


async def authorise_on_submission(
    session: AsyncSession, scope: Scope, claim: Claim, lines: Sequence[ClaimLine], claim_rules: rules.ClaimRules
) -> list[PartReturn]:
    """The returns a submitted claim's policy version asks for: one per part line of a group it wants back
    (a line authorised before, on an earlier submission, keeps its return)."""
    parts = {p.id: p for p in await session.scalars(select(Part).where(Part.id.in_([x.part_id for x in lines])))}
    existing = set(
        await session.scalars(
            select(PartReturn.claim_line_id).where(
                PartReturn.station_id == claim.station_id, PartReturn.claim_id == claim.id
            )
        )
    )
    today = await network_today(session, claim.network_id)
    made = [
        _authorisation(claim, line, today + timedelta(days=claim_rules.return_within_days), claim_rules.return_to)
        for line in lines
        if line.part_id in parts
        and line.id not in existing
        and claim_rules.wants_back(parts[line.part_id].component_group)
    ]
    session.add_all(made)
    await session.flush()
    for row in made:
        after = {"tag": row.tag_number, "due_on": row.due_on.isoformat(), "send_to": row.send_to}
        await journal.record(
            session, scope, entity="claim", entity_id=claim.id, action="return_authorised", after=after
        )
    return made


def _authorisation(claim: Claim, line: ClaimLine, due_on: object, send_to: str) -> PartReturn:
    assert line.part_id is not None  # only part lines are returned
    return PartReturn(
        station_id=claim.station_id,
        id=new_id(),
        network_id=claim.network_id,
        claim_id=claim.id,
        claim_line_id=line.id,
        part_id=line.part_id,
        tag_number=rules.tag_number(claim.number, line.position),
        due_on=due_on,
        send_to=send_to,
        status=ReturnStatus.AUTHORISED,
    )


async def request_return(
    session: AsyncSession, scope: Scope, *, claim_line_id: UUID, within_days: int = 15, send_to: str = ""
) -> PartReturn:
    """HQ wants a claimed part back that the policy did not list."""
    require(scope, Permission.warranty_claims_decide)
    problems: dict[str, str] = {}
    if not 1 <= within_days <= 180:
        problems["within_days"] = "1 to 180 days"
    if len(send_to) > 300:
        problems["send_to"] = "at most 300 characters"
    if problems:
        raise ValidationFailed("the return is not complete", fields=problems)
    line = await session.scalar(select(ClaimLine).where(ClaimLine.id == claim_line_id))
    if line is None or line.part_id is None:
        raise NotFound("no such part line of a claim", fields={"claim_line_id": "not found"})
    claim = await session.get(Claim, (line.station_id, line.claim_id))
    assert claim is not None  # the line's foreign key
    taken = await session.scalar(
        select(PartReturn.tag_number).where(
            PartReturn.station_id == line.station_id, PartReturn.claim_line_id == line.id
        )
    )
    if taken is not None:
        raise Conflict(f"this part is asked back already ({taken})")
    today = await network_today(session, scope.network_id)
    row = _authorisation(
        claim, line, today + timedelta(days=within_days), send_to.strip() or rules.ClaimRules().return_to
    )
    session.add(row)
    await session.flush()
    after = {"tag": row.tag_number, "due_on": row.due_on.isoformat(), "send_to": row.send_to}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="return_authorised", after=after)
    return row


async def ship_returns(
    session: AsyncSession, scope: Scope, *, return_ids: Sequence[UUID], carrier: str, tracking_number: str
) -> list[PartReturn]:
    """The station sends tagged parts in one shipment."""
    require(scope, Permission.warranty_claims_raise)
    station_id = require_station(scope, "failed parts are shipped by the station that replaced them")
    problems: dict[str, str] = {}
    if not return_ids or len(set(return_ids)) != len(return_ids) or len(return_ids) > 200:
        problems["return_ids"] = "1 to 200 returns, each once"
    if not carrier.strip() or len(carrier) > 100:
        problems["carrier"] = "1 to 100 characters"
    if len(tracking_number) > 100:
        problems["tracking_number"] = "at most 100 characters"
    if problems:
        raise ValidationFailed("the shipment is not complete", fields=problems)
    rows = list(
        await session.scalars(
            select(PartReturn)
            .where(PartReturn.station_id == station_id, PartReturn.id.in_(return_ids))
            .with_for_update()
        )
    )
    missing = [str(i) for i in return_ids if i not in {row.id for row in rows}]
    if missing:
        raise NotFound("no such return of your station", fields={"return_ids": ", ".join(missing)})
    sent = [row.tag_number for row in rows if row.status != ReturnStatus.AUTHORISED]
    if sent:
        raise Conflict(f"shipped already: {', '.join(sent)}")
    now = datetime.now(UTC)
    for row in rows:
        row.status, row.carrier, row.tracking_number, row.shipped_at = (
            ReturnStatus.SHIPPED,
            carrier.strip(),
            tracking_number.strip(),
            now,
        )
    await session.flush()
    for row in rows:
        after = {"tag": row.tag_number, "carrier": row.carrier, "tracking_number": row.tracking_number}
        await journal.record(session, scope, entity="claim", entity_id=row.claim_id, action="part_shipped", after=after)
    return rows


async def _return(session: AsyncSession, return_id: UUID) -> PartReturn:
    row = await session.scalar(select(PartReturn).where(PartReturn.id == return_id).with_for_update())
    if row is None:
        raise NotFound("no such part return", fields={"return_id": "not found"})
    return row


async def receive_return(session: AsyncSession, scope: Scope, *, return_id: UUID, condition: str) -> PartReturn:
    """HQ's claim office books a shipped part in, with the condition it arrived in."""
    require(scope, Permission.warranty_claims_decide)
    if len(condition) > 500:
        raise ValidationFailed("the condition is too long", fields={"condition": "at most 500 characters"})
    row = await _return(session, return_id)
    if row.status != ReturnStatus.SHIPPED:
        raise Conflict(f"return {row.tag_number} is {row.status}: only a shipped part is received")
    row.status, row.received_at, row.condition = ReturnStatus.RECEIVED, datetime.now(UTC), condition.strip()
    await session.flush()
    after = {"tag": row.tag_number, "condition": row.condition}
    await journal.record(session, scope, entity="claim", entity_id=row.claim_id, action="part_received", after=after)
    return row


async def inspect_return(
    session: AsyncSession, scope: Scope, *, return_id: UUID, verdict: Verdict, note: str
) -> PartReturn:
    """The identification sheet (鉴定单): the verdict on a received part, with the inspector's findings."""
    require(scope, Permission.warranty_claims_decide)
    if not note.strip() or len(note) > MAX_NOTE:
        raise ValidationFailed("the identification sheet states its findings", fields={"note": f"1 to {MAX_NOTE:,}"})
    row = await _return(session, return_id)
    if row.status != ReturnStatus.RECEIVED:
        raise Conflict(f"return {row.tag_number} is {row.status}: a part is inspected once it is received")
    row.status, row.verdict, row.verdict_note = ReturnStatus.INSPECTED, verdict, note.strip()
    row.inspected_at, row.inspected_by = datetime.now(UTC), scope.actor_id
    await session.flush()
    after = {"tag": row.tag_number, "verdict": verdict, "note": row.verdict_note}
    await journal.record(session, scope, entity="claim", entity_id=row.claim_id, action="part_inspected", after=after)
    # In the same transaction: the verdict and whose liability it makes the repair.
    if verdict in rules.STATION_LIABLE:
        await charge_back(session, scope, row, reason=str(verdict), note=row.verdict_note)
    elif verdict is Verdict.SUPPLIER_DEFECT:
        await recovery.recover(session, scope, row)
    return row


async def charge_back(
    session: AsyncSession, scope: Scope, row: PartReturn, *, reason: str, note: str
) -> ClaimChargeback:
    """The station's liability for a returned (or unreturned) part: its claim line's amount, once per return,
    for the station's next settlement."""
    line = await session.get(ClaimLine, (row.station_id, row.claim_line_id))
    assert line is not None  # the return's foreign key
    chargeback = ClaimChargeback(
        station_id=row.station_id,
        id=new_id(),
        network_id=row.network_id,
        claim_id=row.claim_id,
        part_return_id=row.id,
        amount=rules.chargeback_amount(line.amount, line.approved_amount),
        reason=reason,
        note=note,
        created_by=scope.actor_id,
    )
    session.add(chargeback)
    await session.flush()
    after = {"tag": row.tag_number, "amount": str(chargeback.amount), "reason": reason}
    await journal.record(session, scope, entity="claim", entity_id=row.claim_id, action="charged_back", after=after)
    return chargeback


async def chargebacks_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[ClaimChargeback]]:
    """Each claim's chargebacks, oldest first (for a DataLoader)."""
    require(scope, Permission.warranty_claims_read)
    query = select(ClaimChargeback).where(ClaimChargeback.claim_id.in_(ids)).order_by(ClaimChargeback.created_at)
    return group_by(await session.scalars(query), ids, lambda row: row.claim_id)


async def returns_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, PartReturn]:
    require(scope, Permission.warranty_claims_read)
    return {row.id: row for row in await session.scalars(select(PartReturn).where(PartReturn.id.in_(ids)))}


async def returns_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[PartReturn]]:
    """Each claim's part returns, by tag (for a DataLoader)."""
    require(scope, Permission.warranty_claims_read)
    query = select(PartReturn).where(PartReturn.claim_id.in_(ids)).order_by(PartReturn.tag_number)
    return group_by(await session.scalars(query), ids, lambda row: row.claim_id)


async def list_returns(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[ReturnStatus] = (),
) -> list[PartReturn]:
    """Part returns, soonest due first (a station its own, HQ its network's); first + 1 rows."""
    require(scope, Permission.warranty_claims_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(PartReturn.status.in_([str(s) for s in status]))
    if after is not None:
        key = (cursor_time(after[0]).date(), after[1])
        where.append(tuple_(PartReturn.due_on, PartReturn.id) > tuple_(*key))
    query = select(PartReturn).where(*where).order_by(PartReturn.due_on, PartReturn.id).limit(first + 1)
    return list(await session.scalars(query))
