"""Appeals (复判 / 申诉): a station appeals a rejected or partly approved claim once, within the period its
warranty policy version sets, with its reason and evidence; a reviewer other than the one who decided the
claim grants it (the claim approved in full) or upholds the decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.tenants.models import Station
from dealernet.tenants.service.directory import network_today
from dealernet.warranty import rules
from dealernet.warranty.models import Claim, ClaimAppeal
from dealernet.warranty.rules import AppealStatus, ClaimStatus
from dealernet.warranty.service.claims import MAX_NOTE, approve_in_full, claim_for_update, claim_rules_for, zone_of


async def appeal_claim(session: AsyncSession, scope: Scope, *, claim_id: UUID, reason: str, evidence: str) -> Claim:
    """The station appeals HQ's decision on its claim: once, in time, saying why and with what evidence."""
    require(scope, Permission.warranty_claims_raise)
    station_id = require_station(scope, "a claim is appealed by its station")
    problems = {name: f"1 to {MAX_NOTE:,} characters" for name, value in (("reason", reason), ("evidence", evidence))
                if not value.strip() or len(value) > MAX_NOTE}  # fmt: skip
    if problems:
        raise ValidationFailed("an appeal says why, and with what evidence", fields=problems)
    claim = await claim_for_update(session, station_id, claim_id)
    if claim.status not in rules.APPEALABLE or claim.decided_by is None or claim.decided_at is None:
        raise Conflict(f"claim {claim.number} is {claim.status}: only a rejection or a partial approval is appealed")
    if await _appeal(session, claim) is not None:
        raise Conflict(f"claim {claim.number} was appealed once already")
    station = await session.get(Station, claim.station_id)
    assert station is not None  # the claim's foreign key
    claim_rules = await claim_rules_for(session, station, claim.repair_date)
    decided_on = claim.decided_at.astimezone(await zone_of(session, claim.network_id)).date()
    closes = rules.appeal_closes_on(decided_on, claim_rules)
    if await network_today(session, claim.network_id) > closes:
        raise Conflict(f"the appeal period of claim {claim.number} ended on {closes}")
    appeal = ClaimAppeal(
        station_id=claim.station_id,
        id=new_id(),
        network_id=claim.network_id,
        claim_id=claim.id,
        appealed_status=claim.status,
        reason=reason.strip(),
        evidence=evidence.strip(),
        status=AppealStatus.OPEN,
        filed_by=scope.actor_id,
        first_reviewer=claim.decided_by,
    )
    session.add(appeal)
    claim.status, claim.version = ClaimStatus.APPEALED, claim.version + 1
    await session.flush()
    after = {"appealed": appeal.appealed_status, "reason": appeal.reason}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="appealed", after=after)
    return claim


async def decide_appeal(session: AsyncSession, scope: Scope, *, claim_id: UUID, grant: bool, note: str) -> Claim:
    """Another reviewer decides the appeal: granted, the claim is approved in full; upheld, the decision
    stands. Either way the appeal is closed with the reviewer's note."""
    require(scope, Permission.warranty_claims_decide)
    if not note.strip() or len(note) > MAX_NOTE:
        raise ValidationFailed("say why the appeal is granted or upheld", fields={"note": f"1 to {MAX_NOTE:,}"})
    claim = await claim_for_update(session, None, claim_id)
    appeal = await _appeal(session, claim)
    if appeal is None or claim.status != ClaimStatus.APPEALED or appeal.status != AppealStatus.OPEN:
        raise Conflict(f"claim {claim.number} has no open appeal")
    if scope.actor_id == appeal.first_reviewer:
        raise Conflict("you decided this claim: another reviewer decides its appeal")
    now = datetime.now(UTC)
    if grant:
        await approve_in_full(session, claim, now, reason="")
        claim.decided_by = scope.actor_id
    else:
        claim.status = appeal.appealed_status
    appeal.status = AppealStatus.GRANTED if grant else AppealStatus.UPHELD
    appeal.decided_by, appeal.decided_at, appeal.decision_note = scope.actor_id, now, note.strip()
    claim.version += 1
    await session.flush()
    after = {"appeal": appeal.status, "status": claim.status, "note": appeal.decision_note}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="appeal_decided", after=after)
    return claim


async def _appeal(session: AsyncSession, claim: Claim) -> ClaimAppeal | None:
    """The claim's appeal (the claim's row lock, taken first, keeps two hands off it)."""
    return await session.scalar(
        select(ClaimAppeal).where(ClaimAppeal.station_id == claim.station_id, ClaimAppeal.claim_id == claim.id)
    )


async def appeals_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, ClaimAppeal]:
    """Each claim's appeal, if it has one (for a DataLoader)."""
    require(scope, Permission.warranty_claims_read)
    return {
        row.claim_id: row for row in await session.scalars(select(ClaimAppeal).where(ClaimAppeal.claim_id.in_(ids)))
    }
