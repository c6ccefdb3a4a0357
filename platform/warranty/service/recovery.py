"""Supplier recovery (追溯索赔): HQ's recovery agreements with its suppliers, and the recovery claim a
supplier-defect verdict makes — in the verdict's transaction, priced by the agreement in force on the
repair date for the part's supplier and component group — with the failure data the supplier may read
(the VIN masked for it by the API). The supplier accepts or disputes each line with its reason; HQ resolves
each dispute (upheld, waived, or adjusted to a lower amount). An agreed claim goes on the supplier's next
recovery statement (service/settlements.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.network.service.numbering import next_in_series
from dealernet.policy.models import Part
from dealernet.policy.service.prices import check_money
from dealernet.tenants.models import PartnerNetwork
from dealernet.tenants.service.directory import network_today
from dealernet.tenants.service.notifications import notify
from dealernet.warranty import rules
from dealernet.warranty.models import (
    Claim,
    ClaimLine,
    PartReturn,
    RecoveryAgreement,
    RecoveryClaim,
    RecoveryClaimLine,
)
from dealernet.warranty.rules import RecoveryResponse, RecoveryStatus, Resolution
from dealernet.workshop.models import Vehicle

MAX_REASON = 2_000
HUNDRED = Decimal(100)


# --- Agreements --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgreementTerms:
    """A recovery agreement as HQ enters it: shares in percent of the part, the labour and the handling."""

    partner_id: UUID
    component_group: str
    part_share: Decimal
    labour_share: Decimal
    handling_share: Decimal
    effective_from: date
    note: str = ""


def _check_terms(terms: AgreementTerms) -> None:
    problems: dict[str, str] = {}
    if not terms.component_group.strip() or len(terms.component_group) > 40:
        problems["component_group"] = "1 to 40 characters"
    for name in ("part_share", "labour_share", "handling_share"):
        value = getattr(terms, name)
        if not Decimal(0) <= value <= HUNDRED or value != value.quantize(rules.CENT):
            problems[name] = "a percentage from 0 to 100, to two places"
    if terms.part_share + terms.labour_share + terms.handling_share == 0:
        problems["part_share"] = "an agreement recovers a share of something"
    if len(terms.note) > MAX_REASON:
        problems["note"] = f"at most {MAX_REASON:,} characters"
    if problems:
        raise ValidationFailed("the recovery agreement is not complete", fields=problems)


async def make_agreement(session: AsyncSession, scope: Scope, terms: AgreementTerms) -> RecoveryAgreement:
    """A supplier's shares for a component group from a day on (until the next agreement of that group).
    Recovery claims made before keep the agreement they were priced by."""
    require(scope, Permission.recovery_manage)
    _check_terms(terms)
    linked = await session.scalar(select(PartnerNetwork.id).where(PartnerNetwork.partner_id == terms.partner_id))
    if linked is None:
        raise NotFound("no such partner of your network", fields={"partner_id": "not found"})
    group = terms.component_group.strip().upper()
    taken = await session.scalar(
        select(RecoveryAgreement.id).where(
            RecoveryAgreement.partner_id == terms.partner_id,
            RecoveryAgreement.component_group == group,
            RecoveryAgreement.effective_from == terms.effective_from,
        )
    )
    if taken is not None:
        raise Conflict(f"an agreement for {group} takes effect on {terms.effective_from} already")
    assert scope.network_id is not None  # HQ of a network
    row = RecoveryAgreement(
        id=new_id(),
        network_id=scope.network_id,
        partner_id=terms.partner_id,
        component_group=group,
        part_share=terms.part_share,
        labour_share=terms.labour_share,
        handling_share=terms.handling_share,
        effective_from=terms.effective_from,
        note=terms.note.strip(),
        created_by=scope.actor_id,
    )
    session.add(row)
    await session.flush()
    after = {"partner": str(row.partner_id), "group": group, "from": row.effective_from.isoformat(),
             "shares": [str(row.part_share), str(row.labour_share), str(row.handling_share)]}  # fmt: skip
    await journal.record(session, scope, entity="recovery_agreement", entity_id=row.id, action="made", after=after)
    return row


async def agreement_in_force(
    session: AsyncSession, partner_id: UUID, component_group: str, on: date
) -> RecoveryAgreement | None:
    """The supplier's agreement for the group on a day: the latest to take effect by then."""
    query = (
        select(RecoveryAgreement)
        .where(
            RecoveryAgreement.partner_id == partner_id,
            RecoveryAgreement.component_group == component_group.upper(),
            RecoveryAgreement.effective_from <= on,
        )
        .order_by(RecoveryAgreement.effective_from.desc())
        .limit(1)
    )
    return await session.scalar(query)


async def list_agreements(
    session: AsyncSession, scope: Scope, *, partner_id: UUID | None = None
) -> list[RecoveryAgreement]:
    """The network's agreements (a supplier its own), by supplier, group and day."""
    require(scope, Permission.recovery_read)
    where = [] if partner_id is None else [RecoveryAgreement.partner_id == partner_id]
    query = (
        select(RecoveryAgreement)
        .where(*where)
        .order_by(RecoveryAgreement.partner_id, RecoveryAgreement.component_group, RecoveryAgreement.effective_from)
    )
    return list(await session.scalars(query))


# --- The recovery claim a verdict makes --------------------------------------------------------------------


async def recover(session: AsyncSession, scope: Scope, part_return: PartReturn) -> RecoveryClaim | None:
    """The recovery claim of a supplier-defect verdict, in its transaction: the returned part's line at the
    part and handling shares, the claim's labour (not recovered already) at the labour share. None — and a
    journal line saying why — when the part has no supplier or no agreement is in force on the repair day."""
    claim = await session.get(Claim, (part_return.station_id, part_return.claim_id))
    part = await session.get(Part, part_return.part_id)
    assert claim is not None  # the return's foreign keys
    assert part is not None
    agreement = (
        None
        if part.supplier_id is None
        else await agreement_in_force(session, part.supplier_id, part.component_group, claim.repair_date)
    )
    if agreement is None:
        why = "the part has no supplier" if part.supplier_id is None else "no recovery agreement in force"
        after = {"tag": part_return.tag_number, "why": f"{why} for {part.component_group} on {claim.repair_date}"}
        await journal.record(session, scope, entity="claim", entity_id=claim.id, action="not_recovered", after=after)
        return None
    shares = rules.Shares(agreement.part_share, agreement.labour_share, agreement.handling_share)
    made = rules.recovery_lines(await _basis(session, claim, part_return), shares)
    if not made:
        return None
    row = await _recovery_claim(session, scope, claim, part_return, part, agreement, made)
    await notify(
        session,
        scope,
        partner_id=row.partner_id,
        kind="recovery_claim",
        subject=f"Recovery claim {row.number}: {row.amount} for a defective {part.part_number}",
        body=f"Part {part.part_number} ({part.component_group}) failed on {claim.repair_date}; the identification "
        "sheet found a supplier defect. Accept or dispute each line.",
        entity="recovery_claim",
        entity_id=row.id,
    )
    return row


async def _basis(session: AsyncSession, claim: Claim, part_return: PartReturn) -> list[rules.RecoveryBasis]:
    """The claim's lines a recovery may take a share of: the returned part's, and labour no other recovery
    of this claim took already."""
    recovered = select(RecoveryClaimLine.claim_line_id).where(
        RecoveryClaimLine.station_id == ClaimLine.station_id, RecoveryClaimLine.claim_line_id == ClaimLine.id
    )
    lines = await session.scalars(
        select(ClaimLine)
        .where(ClaimLine.station_id == claim.station_id, ClaimLine.claim_id == claim.id, ~recovered.exists())
        .where((ClaimLine.kind == "labour") | (ClaimLine.id == part_return.claim_line_id))
        .order_by(ClaimLine.position)
    )
    return [
        rules.RecoveryBasis(
            claim_line_id=line.id,
            kind=line.kind,
            amount=rules.chargeback_amount(line.amount, line.approved_amount),
            returned=line.id == part_return.claim_line_id,
        )
        for line in lines
    ]


async def _recovery_claim(
    session: AsyncSession,
    scope: Scope,
    claim: Claim,
    part_return: PartReturn,
    part: Part,
    agreement: RecoveryAgreement,
    made: Sequence[rules.RecoveryShare],
) -> RecoveryClaim:
    year = (await network_today(session, claim.network_id)).year
    seq = await next_in_series(session, claim.network_id, f"recovery_claim:{year}")
    vin = await session.scalar(select(Vehicle.vin).where(Vehicle.id == claim.vehicle_id))
    row = RecoveryClaim(
        station_id=claim.station_id,
        id=new_id(),
        network_id=claim.network_id,
        partner_id=agreement.partner_id,
        number=rules.recovery_number(year, seq),
        claim_id=claim.id,
        part_return_id=part_return.id,
        agreement_id=agreement.id,
        part_id=part.id,
        part_number=part.part_number,
        component_group=agreement.component_group,
        vin=vin or "",
        repair_date=claim.repair_date,
        odometer_km=claim.odometer_km,
        concern=claim.concern,
        cause=claim.cause,
        correction=claim.correction,
        verdict_note=part_return.verdict_note,
        status=RecoveryStatus.OPEN,
        amount=sum((share.amount for share in made), Decimal("0.00")),
        created_by=scope.actor_id,
    )
    session.add(row)
    await session.flush()
    session.add_all(
        RecoveryClaimLine(
            station_id=row.station_id,
            id=new_id(),
            network_id=row.network_id,
            partner_id=row.partner_id,
            recovery_claim_id=row.id,
            position=position,
            kind=share.kind,
            claim_line_id=share.claim_line_id,
            base_amount=share.base,
            share=share.share,
            amount=share.amount,
        )
        for position, share in enumerate(made, start=1)
    )
    await session.flush()
    after = {"number": row.number, "amount": str(row.amount), "agreement": str(agreement.id)}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="recovery_claimed", after=after)
    await journal.record(session, scope, entity="recovery_claim", entity_id=row.id, action="made", after=after)
    return row


# --- The supplier answers, HQ resolves --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineResponse:
    """The supplier's answer to one line: accepted, or disputed with its reason."""

    line_id: UUID
    response: RecoveryResponse
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LineResolution:
    """HQ's resolution of one disputed line; `amount` for an adjustment."""

    line_id: UUID
    resolution: Resolution
    note: str
    amount: Decimal | None = None


async def _claim_for_update(session: AsyncSession, recovery_claim_id: UUID) -> RecoveryClaim:
    row = await session.scalar(select(RecoveryClaim).where(RecoveryClaim.id == recovery_claim_id).with_for_update())
    if row is None:
        raise NotFound("no such recovery claim", fields={"recovery_claim_id": "not found"})
    return row


async def _lines_named(session: AsyncSession, row: RecoveryClaim, ids: Sequence[UUID]) -> dict[UUID, RecoveryClaimLine]:
    if not ids or len(set(ids)) != len(ids):
        raise ValidationFailed("name each line once", fields={"lines": "one entry per line, at least one"})
    lines = await session.scalars(
        select(RecoveryClaimLine).where(
            RecoveryClaimLine.station_id == row.station_id, RecoveryClaimLine.recovery_claim_id == row.id
        )
    )
    named = {line.id: line for line in lines}
    missing = [str(i) for i in ids if i not in named]
    if missing:
        raise NotFound(f"no such line of {row.number}", fields={"lines": ", ".join(missing)})
    return named


async def _settle_status(session: AsyncSession, row: RecoveryClaim, lines: Sequence[RecoveryClaimLine]) -> None:
    row.status = rules.recovery_status([(line.response, line.resolution) for line in lines])
    row.amount = sum((rules.recovered_amount(line.amount, line.resolved_amount) for line in lines), Decimal("0.00"))
    await session.flush()


async def respond(
    session: AsyncSession, scope: Scope, *, recovery_claim_id: UUID, responses: Sequence[LineResponse]
) -> RecoveryClaim:
    """The supplier accepts or disputes lines of its recovery claim (each once; a dispute says why)."""
    require(scope, Permission.recovery_respond)
    problems = {
        f"lines.{i}.reason": f"a dispute says why (1 to {MAX_REASON:,} characters)"
        for i, r in enumerate(responses)
        if (r.response is RecoveryResponse.DISPUTED and not r.reason.strip()) or len(r.reason) > MAX_REASON
    }
    if problems:
        raise ValidationFailed("the answer is not complete", fields=problems)
    row = await _claim_for_update(session, recovery_claim_id)
    lines = await _lines_named(session, row, [r.line_id for r in responses])
    answered = [str(lines[r.line_id].position) for r in responses if lines[r.line_id].response is not None]
    if answered:
        raise Conflict(f"lines answered already: {', '.join(answered)}")
    now = datetime.now(UTC)
    for r in responses:
        line = lines[r.line_id]
        line.response, line.response_reason = r.response, r.reason.strip()
        line.responded_by, line.responded_at = scope.actor_id, now
    await _settle_status(session, row, list(lines.values()))
    after = {"lines": {str(lines[r.line_id].position): str(r.response) for r in responses}, "status": row.status}
    # HQ finds a dispute in its queue (recoveryClaims(status: DISPUTED)): a partner writes no HQ notification.
    await journal.record(session, scope, entity="recovery_claim", entity_id=row.id, action="answered", after=after)
    return row


async def resolve(
    session: AsyncSession, scope: Scope, *, recovery_claim_id: UUID, resolutions: Sequence[LineResolution]
) -> RecoveryClaim:
    """HQ resolves disputed lines: upheld (as claimed), waived (nothing), or adjusted to a lower amount."""
    require(scope, Permission.recovery_manage)
    problems: dict[str, str] = {}
    for i, r in enumerate(resolutions):
        if not r.note.strip() or len(r.note) > MAX_REASON:
            problems[f"lines.{i}.note"] = f"the resolution says why (1 to {MAX_REASON:,} characters)"
        if (r.resolution is Resolution.ADJUSTED) != (r.amount is not None):
            problems[f"lines.{i}.amount"] = "an adjustment, and only an adjustment, names its amount"
        elif r.amount is not None:
            check_money(r.amount, f"lines.{i}.amount")
    if problems:
        raise ValidationFailed("the resolution is not complete", fields=problems)
    row = await _claim_for_update(session, recovery_claim_id)
    lines = await _lines_named(session, row, [r.line_id for r in resolutions])
    not_open = [str(lines[r.line_id].position) for r in resolutions if not _in_dispute(lines[r.line_id])]
    if not_open:
        raise Conflict(f"only an open dispute is resolved: line {', '.join(not_open)}")
    too_much = {
        f"lines.{i}.amount": f"below the {lines[r.line_id].amount} claimed"
        for i, r in enumerate(resolutions)
        if r.amount is not None and r.amount >= lines[r.line_id].amount
    }
    if too_much:
        raise ValidationFailed("an adjustment lowers the line", fields=too_much)
    now = datetime.now(UTC)
    for r in resolutions:
        line = lines[r.line_id]
        line.resolution, line.resolution_note = r.resolution, r.note.strip()
        line.resolved_by, line.resolved_at = scope.actor_id, now
        line.resolved_amount = {Resolution.UPHELD: line.amount, Resolution.WAIVED: Decimal("0.00")}.get(
            r.resolution, r.amount
        )
    await _settle_status(session, row, list(lines.values()))
    after = {
        "lines": {str(lines[r.line_id].position): str(r.resolution) for r in resolutions},
        "amount": str(row.amount),
    }
    await journal.record(session, scope, entity="recovery_claim", entity_id=row.id, action="resolved", after=after)
    return row


def _in_dispute(line: RecoveryClaimLine) -> bool:
    return line.response == RecoveryResponse.DISPUTED and line.resolution is None


# --- Reads -------------------------------------------------------------------------------------------------


async def recovery_claims_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, RecoveryClaim]:
    require(scope, Permission.recovery_read)
    return {row.id: row for row in await session.scalars(select(RecoveryClaim).where(RecoveryClaim.id.in_(ids)))}


async def lines_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[RecoveryClaimLine]]:
    """Each recovery claim's lines, in order (for a DataLoader)."""
    require(scope, Permission.recovery_read)
    query = (
        select(RecoveryClaimLine)
        .where(RecoveryClaimLine.recovery_claim_id.in_(ids))
        .order_by(RecoveryClaimLine.recovery_claim_id, RecoveryClaimLine.position)
    )
    return group_by(await session.scalars(query), ids, lambda row: row.recovery_claim_id)


async def recovery_claims_of(
    session: AsyncSession, scope: Scope, ids: Sequence[UUID]
) -> dict[UUID, list[RecoveryClaim]]:
    """Each warranty claim's recovery claims (for a DataLoader; HQ's view of a claim)."""
    require(scope, Permission.recovery_read)
    query = select(RecoveryClaim).where(RecoveryClaim.claim_id.in_(ids)).order_by(RecoveryClaim.number)
    return group_by(await session.scalars(query), ids, lambda row: row.claim_id)


async def list_recovery_claims(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[RecoveryStatus] = (),
) -> list[RecoveryClaim]:
    """Recovery claims, oldest first (HQ its network's, a supplier its own); first + 1 rows."""
    require(scope, Permission.recovery_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if scope.partner_id is not None:
        where.append(RecoveryClaim.partner_id == scope.partner_id)  # with RLS: defence in depth
    if status:
        where.append(RecoveryClaim.status.in_([str(s) for s in status]))
    if after is not None:
        where.append(tuple_(RecoveryClaim.created_at, RecoveryClaim.id) > tuple_(cursor_time(after[0]), after[1]))
    query = select(RecoveryClaim).where(*where).order_by(RecoveryClaim.created_at, RecoveryClaim.id).limit(first + 1)
    return list(await session.scalars(query))
