"""Warranty claims (索赔): raised by the station from a completed repair order's warranty lines (never typed
free), judged as of the repair date when submitted — every check's flag with its reason code and the policy
versions used, kept in an adjudication that a later publication never changes — then decided by HQ
(approve, partly approve with a reason per adjusted line, reject, return for information) or, for a clean
claim under the network's limit, by the rules. A decision names the claim's version: of two at once, one
wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require, require_station
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.policy.models import LabourOperation, Part, Publication
from dealernet.policy.rules import ServiceType
from dealernet.policy.service.as_of import coverage_as_of, labour_rate_as_of
from dealernet.policy.service.prices import price_as_of
from dealernet.tenants.models import Network, Station
from dealernet.tenants.service.directory import network_today
from dealernet.warranty import rules
from dealernet.warranty.models import Claim, ClaimAdjudication, ClaimLine
from dealernet.warranty.rules import ClaimDecision, ClaimStatus, ClaimType, ReasonCode
from dealernet.warranty.service import part_returns
from dealernet.workshop.models import RepairOrder, RepairOrderLine, Vehicle
from dealernet.workshop.rules import Consent, RepairOrderStatus, add_months
from dealernet.workshop.service.repair_orders import next_in_station_series
from dealernet.workshop.service.vehicles import field_actions

_CROSS_STATION_FACTS = text(
    """
    SELECT f.duplicates, f.odometer_before, f.first_maintenances, f.fitted_at, f.fitted_km,
           r.rate, r.network_rate, r.claims, r.spiking, r.computed_at,
           a.approval_number, a.approved_amount AS preauthorised_amount, a.valid_until AS preauthorised_until
    FROM claim_cross_station_facts(:v, :p, :since, :until, :claim, :at, :order) f
    LEFT JOIN station_claim_rates r ON r.station_id = :station AND r.month = :month
    LEFT JOIN LATERAL (  -- the order's latest approved pre-authorisation (the station's own)
      SELECT approval_number, approved_amount, valid_until FROM claim_preauthorisations
      WHERE station_id = :station AND repair_order_id = :order AND status = 'approved'
      ORDER BY decided_at DESC LIMIT 1
    ) a ON true
    """
)
CLAIMABLE = frozenset({RepairOrderStatus.COMPLETED, RepairOrderStatus.SETTLED, RepairOrderStatus.HANDED_OVER})
MAX_NOTE = 4_000


def _station_of(scope: Scope) -> UUID:
    return require_station(scope, "a claim is raised by the station that did the repair")


async def zone_of(session: AsyncSession, network_id: UUID) -> ZoneInfo:
    name = await session.scalar(select(Network.time_zone).where(Network.id == network_id))
    return ZoneInfo(name or "UTC")


# --- Raising a claim ---------------------------------------------------------------------------------------


async def raise_claim(
    session: AsyncSession,
    scope: Scope,
    *,
    repair_order_id: UUID,
    claim_type: ClaimType,
    causal_part_id: UUID | None = None,
    goodwill_percent: Decimal | None = None,
) -> Claim:
    """A draft claim of a completed repair order's consented warranty lines not claimed yet, priced as the
    order priced them (the checks compare them with the policy in force on the repair date)."""
    require(scope, Permission.warranty_claims_raise)
    station_id = _station_of(scope)
    _check_goodwill(claim_type, goodwill_percent)
    order = await session.get(RepairOrder, (station_id, repair_order_id))
    if order is None:
        raise NotFound("no such repair order of your station", fields={"repair_order_id": "not found"})
    if order.status not in CLAIMABLE:
        raise Conflict(f"repair order {order.number} is {order.status}: a claim is raised once the work is inspected")
    lines = await _claimable_lines(session, order)
    if not lines:
        raise Conflict(f"repair order {order.number} has no consented warranty line that is not claimed already")
    causal_part_id = causal_part_id or next((line.part_id for line in lines if line.part_id), None)
    if causal_part_id is None and claim_type in (ClaimType.NORMAL, ClaimType.PARTS_WARRANTY):
        raise ValidationFailed("name the causal part (主损件)", fields={"causal_part_id": "required"})
    if causal_part_id is not None and await session.get(Part, causal_part_id) is None:
        raise NotFound("no such part in the catalogue", fields={"causal_part_id": "not found"})
    zone, today = (
        await zone_of(session, scope.network_id or order.network_id),
        await network_today(session, scope.network_id),
    )
    claim = Claim(
        station_id=station_id,
        id=new_id(),
        network_id=order.network_id,
        number=rules.claim_number(today.year, await next_in_station_series(session, scope, f"claim:{today.year}")),
        repair_order_id=order.id,
        vehicle_id=order.vehicle_id,
        claim_type=claim_type,
        status=ClaimStatus.DRAFT,
        repair_date=order.received_at.astimezone(zone).date(),
        odometer_km=order.odometer_km,
        causal_part_id=causal_part_id,
        concern=order.concern,
        cause="\n".join(line.cause for line in lines if line.cause),
        correction="\n".join(line.correction for line in lines if line.correction),
        goodwill_percent=goodwill_percent,
        claimed_amount=Decimal("0.00"),
        version=1,
        created_by=scope.actor_id,
    )
    session.add(claim)
    await session.flush()
    claimed = [_claim_line(claim, n, line) for n, line in enumerate(lines, start=1)]
    session.add_all(claimed)
    claim.claimed_amount = sum((line.amount for line in claimed), Decimal("0.00"))
    await session.flush()
    after = {
        "number": claim.number,
        "type": claim_type,
        "repair_order": order.number,
        "lines": len(claimed),
        "claimed": str(claim.claimed_amount),
    }
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="raised", after=after)
    return claim


def _check_goodwill(claim_type: ClaimType, percent: Decimal | None) -> None:
    if claim_type == ClaimType.GOODWILL and (
        percent is None or not (0 < percent <= 100) or percent != round(percent, 2)
    ):
        raise ValidationFailed("a goodwill claim names the OEM's share", fields={"goodwill_percent": "above 0, to 100"})
    if claim_type != ClaimType.GOODWILL and percent is not None:
        raise ValidationFailed("only a goodwill claim has a share", fields={"goodwill_percent": "not allowed"})


async def _claimable_lines(session: AsyncSession, order: RepairOrder) -> list[RepairOrderLine]:
    """The order's consented warranty lines that are neither reversed nor claimed."""
    all_lines = list(
        await session.scalars(
            select(RepairOrderLine)
            .where(RepairOrderLine.station_id == order.station_id, RepairOrderLine.repair_order_id == order.id)
            .order_by(RepairOrderLine.position)
        )
    )
    reversed_ = {line.corrects for line in all_lines if line.corrects is not None}
    claimed = set(
        await session.scalars(
            select(ClaimLine.repair_order_line_id).where(
                ClaimLine.station_id == order.station_id,
                ClaimLine.repair_order_line_id.in_([line.id for line in all_lines]),
            )
        )
    )
    return [
        line
        for line in all_lines
        if line.service_type == ServiceType.WARRANTY
        and line.consent == Consent.CONSENTED
        and line.corrects is None
        and line.id not in reversed_
        and line.id not in claimed
    ]


def _claim_line(claim: Claim, position: int, line: RepairOrderLine) -> ClaimLine:
    amount = line.amount
    if claim.goodwill_percent is not None:
        amount = rules.goodwill_amount(line.amount, claim.goodwill_percent)
    return ClaimLine(
        station_id=claim.station_id,
        id=new_id(),
        network_id=claim.network_id,
        claim_id=claim.id,
        position=position,
        repair_order_line_id=line.id,
        kind=line.kind,
        labour_operation_id=line.labour_operation_id,
        part_id=line.part_id,
        quantity=line.quantity,
        unit_price=line.unit_price,
        amount=amount,
        description=", invoice ".join(x for x in (line.description, line.reference) if x)[:300],
    )


# --- Submitting: the adjudication as of the repair date ------------------------------------------------


async def submit_claim(session: AsyncSession, scope: Scope, *, claim_id: UUID, note: str = "") -> Claim:
    """Send a draft (or a returned claim, with the station's answer) to HQ: it is judged as of its repair date
    and, clean and under the limit, approved by the rules; otherwise it waits in HQ's review queue."""
    require(scope, Permission.warranty_claims_raise)
    claim = await claim_for_update(session, _station_of(scope), claim_id)
    if claim.status not in rules.EDITABLE:
        raise Conflict(f"claim {claim.number} is {claim.status}: it is submitted already")
    if len(note) > MAX_NOTE:
        raise ValidationFailed("the answer is too long", fields={"note": f"at most {MAX_NOTE:,} characters"})
    answering = claim.status == ClaimStatus.RETURNED
    if answering and not note.strip():
        raise ValidationFailed("answer HQ's question before submitting again", fields={"note": "required"})
    occasion = f"resubmitted: {note.strip()}" if answering else "submitted"
    adjudication, flags, facts = await adjudicate(session, scope, claim, occasion=occasion[:300])
    if facts.rules.return_component_groups:  # most versions want no parts back: nothing to read then
        await part_returns.authorise_on_submission(session, scope, claim, await _lines(session, claim), facts.rules)
    now = datetime.now(UTC)
    claim.status, claim.submitted_at, claim.submitted_by = ClaimStatus.SUBMITTED, now, scope.actor_id
    claim.decided_at = claim.decided_by = None
    claim.decision_reason, claim.decision_note, claim.version = "", "", claim.version + 1
    if rules.may_auto_approve(flags, claim.claimed_amount, facts.rules, standing_allows=facts.standing_allows):
        await approve_in_full(session, claim, now, reason="auto")
    await session.flush()
    after = {"status": claim.status, "adjudication": str(adjudication.id), "flags": [f.code for f in flags]}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="submitted", after=after)
    return claim


def standing_allows(station: Station | None) -> bool:
    """May the rules approve this station's clean claims? A live station may; the audit issue's scorecard
    bands will narrow it (a low band withdraws auto-approval)."""
    return station is not None and station.status == "active"


async def approve_in_full(session: AsyncSession, claim: Claim, now: datetime, *, reason: str) -> None:
    for line in await _lines(session, claim):
        line.approved_amount, line.adjustment_reason = line.amount, ""
    claim.status, claim.approved_amount = ClaimStatus.APPROVED, claim.claimed_amount
    claim.decided_at, claim.decision_reason = now, reason


_TERMS_IN_FORCE = text(
    """
    SELECT t.id AS terms_id, p.id AS publication_id, p.title, p.effective_on, t.exclusions, t.claim_rules,
           EXISTS (SELECT 1 FROM publication_deliveries d WHERE d.publication_id = p.id AND d.station_id = :station)
             AS delivered
    FROM warranty_terms t JOIN publications p ON p.id = t.publication_id
    WHERE p.status = 'published' AND p.effective_on <= :on
    ORDER BY p.effective_on DESC LIMIT 1
    """
)


@dataclass(frozen=True)
class _Terms:
    versions: dict[str, Any]
    label: str
    exclusions: tuple[str, ...]
    rules: rules.ClaimRules
    delivered: bool


async def _terms(session: AsyncSession, station: Station, on: date) -> _Terms:
    row = (await session.execute(_TERMS_IN_FORCE, {"station": station.id, "on": on})).first()
    if row is None:
        return _Terms({}, "no warranty policy in force", (), rules.ClaimRules(), delivered=False)
    label = f"warranty policy “{row.title}” of {row.effective_on}"
    versions = {"terms_id": str(row.terms_id), "publication_id": str(row.publication_id), "title": row.title}
    return _Terms(versions, label, tuple(row.exclusions), rules.ClaimRules.of(row.claim_rules), bool(row.delivered))


async def claim_rules_for(session: AsyncSession, station: Station, on: date) -> rules.ClaimRules:
    """The claim rules of the warranty policy version in force at the station on a date."""
    return (await _terms(session, station, on)).rules


async def _titles(session: AsyncSession, ids: Sequence[UUID]) -> dict[UUID, str]:
    if not ids:
        return {}
    rows = await session.execute(
        select(Publication.id, Publication.title, Publication.effective_on).where(Publication.id.in_(ids))
    )
    return {pid: f"“{title}” of {effective_on}" for pid, title, effective_on in rows}


async def adjudicate(
    session: AsyncSession, scope: Scope, claim: Claim, *, occasion: str
) -> tuple[ClaimAdjudication, list[rules.Flag], rules.ClaimFacts]:
    """Judge the claim as of its repair date at its station: gather the facts (the versions in force that day
    and delivered to the station, the cross-station facts through their reviewed functions), run the checks,
    and keep the judgement with the versions it used."""
    # The station, the order, the vehicle and the network's zone in one statement (they are the claim's keys).
    found = (
        await session.execute(
            select(Station, RepairOrder, Vehicle, Network.time_zone)
            .join(Network, Network.id == Station.network_id)
            .join(RepairOrder, (RepairOrder.station_id == Station.id) & (RepairOrder.id == claim.repair_order_id))
            .join(Vehicle, Vehicle.id == claim.vehicle_id)
            .where(Station.id == claim.station_id)
        )
    ).first()
    if found is None:  # the foreign keys hold them: never
        raise NotFound("the claim's station, repair order or vehicle is gone")
    station, order, vehicle, zone_name = found
    on, zone = claim.repair_date, ZoneInfo(zone_name or "UTC")
    lines = await _lines(session, claim)
    wanted = {claim.causal_part_id, *(line.part_id for line in lines)} - {None}
    parts = {p.id: p for p in await session.scalars(select(Part).where(Part.id.in_(wanted)))} if wanted else {}
    part = parts.get(claim.causal_part_id) if claim.causal_part_id else None
    operations = {
        o.id: o
        for o in await session.scalars(
            select(LabourOperation).where(
                LabourOperation.id.in_([line.labour_operation_id for line in lines if line.labour_operation_id])
            )
        )
    }
    group = part.component_group if part else next((o.component_group for o in operations.values()), "")
    terms = await _terms(session, station, on)
    coverage = await coverage_as_of(session, station, group=group, on=on) if group else None
    rate = await labour_rate_as_of(session, station, on=on)
    prices = {
        line.id: await price_as_of(session, scope, part_id=line.part_id, station_id=station.id, on=on)
        for line in lines
        if line.kind == "part" and line.part_id is not None
    }
    part_numbers: dict[UUID | None, str] = {pid: p.part_number for pid, p in parts.items()}
    versions_used = [v.publication_id for v in (rate, coverage, *prices.values()) if v is not None]
    titles = await _titles(session, versions_used)  # every version's name, in one statement
    priced: list[rules.LineFacts] = []
    versions_of_lines: list[dict[str, Any]] = []
    for line in lines:
        if line.kind == "labour":
            operation = operations.get(line.labour_operation_id) if line.labour_operation_id else None
            priced.append(
                rules.LineFacts(
                    line.position,
                    "labour",
                    operation.code if operation else "?",
                    line.quantity,
                    line.unit_price,
                    operation.flat_rate_hours if operation else None,
                    rate.hourly_rate if rate else None,
                    f"rate card {titles.get(rate.publication_id, '')}" if rate else "no rate card",
                    tuple(operation.includes) if operation else (),
                )
            )
            versions_of_lines.append({"line": line.position, "labour_rate_id": str(rate.rate_id) if rate else None})
        elif line.kind != "part":  # sublet work or another cost, at its invoice
            priced.append(rules.LineFacts(line.position, line.kind, line.description, line.quantity, line.unit_price))
            versions_of_lines.append({"line": line.position, "invoice": line.description})
        else:
            price = prices.get(line.id)
            priced.append(
                rules.LineFacts(
                    line.position,
                    "part",
                    part_numbers.get(line.part_id, "?"),
                    line.quantity,
                    line.unit_price,
                    None,
                    price.list_price if price else None,
                    f"price list {titles.get(price.publication_id, '')}" if price else "no price list",
                )
            )
            versions_of_lines.append({"line": line.position, "price_id": str(price.price_id) if price else None})
    window = timedelta(days=terms.rules.duplicate_within_days)
    # Across stations, one reviewed function answers counts and a number, never another station's rows.
    # With them, the station's own claim rate this month (the daily job's), in the same statement.
    submitted_on = datetime.now(zone).date()
    cross = (
        await session.execute(
            _CROSS_STATION_FACTS,
            {
                "v": claim.vehicle_id,
                "p": claim.causal_part_id,
                "since": on - window,
                "until": on + window,
                "claim": claim.id,
                "at": order.received_at,
                "order": order.id,
                "station": claim.station_id,
                "month": submitted_on.replace(day=1),
            },
        )
    ).one()
    claim_rate = (
        None
        if cross.rate is None
        else rules.ClaimRate(
            cross.rate, cross.network_rate, cross.claims, cross.spiking, cross.computed_at.astimezone(zone).date()
        )
    )
    coverage_facts = None
    if coverage is not None and vehicle.sale_date is not None:
        coverage_facts = rules.Coverage(
            group,
            coverage.months,
            coverage.km,
            add_months(vehicle.sale_date, coverage.months),
            f"warranty policy {titles.get(coverage.publication_id, '')}",
        )
    facts = rules.ClaimFacts(
        claim_type=ClaimType(claim.claim_type),
        repair_date=on,
        completed_on=order.completed_at.astimezone(zone).date() if order.completed_at else None,
        submitted_on=submitted_on,
        odometer_km=claim.odometer_km,
        production_date=vehicle.production_date,
        sale_date=vehicle.sale_date,
        causal_part=f"{part.part_number} ({part.name_en or part.name_zh})" if part else "none",
        causal_part_words=tuple(w for w in (part.name_en, part.name_zh, part.part_number) if w) if part else (),
        coverage=coverage_facts,
        group=group or "no component group",
        exclusions=terms.exclusions,
        terms_version=terms.label,
        delivered=terms.delivered,
        lines=tuple(priced),
        rules=terms.rules,
        duplicates=cross.duplicates,
        odometer_before=cross.odometer_before,
        first_maintenances=cross.first_maintenances,
        claim_rate=claim_rate,
        fitted=None
        if cross.fitted_at is None
        else rules.Fitting(cross.fitted_at.astimezone(zone).date(), cross.fitted_km),
        comeback=order.comeback_of is not None,
        preauthorisation=_preauthorised(cross.approval_number, cross.preauthorised_amount, cross.preauthorised_until),
        vehicle=f"{vehicle.model}, VIN {vehicle.vin}",
        field_actions=await _field_actions(session, scope, claim, vehicle),
    )
    flags = rules.judge(facts)
    versions = {
        "terms": terms.versions,
        "coverage": {
            "coverage_id": str(coverage.coverage_id),
            "publication_id": str(coverage.publication_id),
            "months": coverage.months,
            "km": coverage.km,
        }
        if coverage
        else None,
        "labour_rate": {
            "rate_id": str(rate.rate_id),
            "publication_id": str(rate.publication_id),
            "hourly_rate": str(rate.hourly_rate),
        }
        if rate
        else None,
        "lines": versions_of_lines,
    }
    adjudication = ClaimAdjudication(
        station_id=claim.station_id,
        id=new_id(),
        network_id=claim.network_id,
        claim_id=claim.id,
        as_of=on,
        by=scope.actor_id,
        occasion=occasion,
        versions=versions,
        flags=[flag.as_dict() for flag in flags],
    )
    session.add(adjudication)
    await session.flush()
    claim.adjudication_id = adjudication.id
    return adjudication, flags, facts


async def _field_actions(session: AsyncSession, scope: Scope, claim: Claim, vehicle: Vehicle) -> tuple[str, ...]:
    """The bulletins naming the vehicle, in force on the repair date at the claim's station (a field action's
    basis); read for field-action claims only."""
    if claim.claim_type != ClaimType.FIELD_ACTION:
        return ()
    found = await field_actions(session, scope, vehicle, on=claim.repair_date, station_id=claim.station_id)
    return tuple(action.number for action in found)


def _preauthorised(number: str | None, amount: Decimal | None, until: date | None) -> rules.Preauthorised | None:
    if number is None or amount is None or until is None:
        return None
    return rules.Preauthorised(number, amount, until)


# --- HQ's decisions ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    """A line approved for less than claimed, and why (a reason code)."""

    line_id: UUID
    approved_amount: Decimal
    reason: ReasonCode


async def decide_claim(
    session: AsyncSession,
    scope: Scope,
    *,
    claim_id: UUID,
    version: int,
    decision: ClaimDecision,
    reason: ReasonCode | None = None,
    note: str = "",
    adjustments: Sequence[Adjustment] = (),
) -> Claim:
    """HQ's decision on a submitted claim, naming the version it read: approve, partly approve (each adjusted
    line with its amount and reason code), reject (a reason code), or return with a question."""
    require(scope, Permission.warranty_claims_decide)
    claim = await claim_for_update(session, None, claim_id)
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(f"claim {claim.number} is {claim.status}: only a submitted claim is decided")
    if claim.version != version:
        raise Conflict(
            f"claim {claim.number} changed since you read it (version {version}, now {claim.version}): read it again",
            fields={"version": f"now {claim.version}"},
        )
    problems = _decision_problems(decision, reason, note, adjustments)
    if problems:
        raise ValidationFailed("the decision is not complete", fields=problems)
    now, lines = datetime.now(UTC), await _lines(session, claim)
    if decision == ClaimDecision.APPROVE:
        await approve_in_full(session, claim, now, reason="")
    elif decision == ClaimDecision.PARTLY_APPROVE:
        _partly(claim, lines, adjustments)
    elif decision == ClaimDecision.REJECT:
        for line in lines:
            line.approved_amount, line.adjustment_reason = Decimal("0.00"), str(reason)
        claim.status, claim.approved_amount = ClaimStatus.REJECTED, Decimal("0.00")
    else:
        claim.status = ClaimStatus.RETURNED
    claim.decided_at, claim.decided_by = now, scope.actor_id
    claim.decision_reason, claim.decision_note = str(reason or ""), note.strip()
    claim.version += 1
    await session.flush()
    after = {
        "decision": decision,
        "status": claim.status,
        "reason": claim.decision_reason,
        "approved": str(claim.approved_amount) if claim.approved_amount is not None else None,
        "adjusted": [
            {"line": str(a.line_id), "approved": str(a.approved_amount), "reason": a.reason} for a in adjustments
        ],
    }
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="decided", after=after)
    return claim


def _decision_problems(
    decision: ClaimDecision, reason: ReasonCode | None, note: str, adjustments: Sequence[Adjustment]
) -> dict[str, str]:
    problems: dict[str, str] = {}
    if decision == ClaimDecision.REJECT and reason is None:
        problems["reason"] = "a rejection names its reason code"
    if decision == ClaimDecision.RETURN and not note.strip():
        problems["note"] = "the question the station is to answer"
    if decision == ClaimDecision.PARTLY_APPROVE and not adjustments:
        problems["adjustments"] = "the lines approved for less, each with its reason"
    if decision != ClaimDecision.PARTLY_APPROVE and adjustments:
        problems["adjustments"] = "only a partial approval adjusts lines"
    if len(note) > MAX_NOTE:
        problems["note"] = f"at most {MAX_NOTE:,} characters"
    return problems


def _partly(claim: Claim, lines: Sequence[ClaimLine], adjustments: Sequence[Adjustment]) -> None:
    by_id = {line.id: line for line in lines}
    problems: dict[str, str] = {}
    for n, adjustment in enumerate(adjustments):
        line = by_id.get(adjustment.line_id)
        if line is None:
            problems[f"adjustments.{n}.line_id"] = "not a line of this claim"
        elif not (0 <= adjustment.approved_amount < line.amount) or adjustment.approved_amount != round(
            adjustment.approved_amount, 2
        ):
            problems[f"adjustments.{n}.approved_amount"] = f"0.00 to less than the {line.amount} claimed"
    if len({a.line_id for a in adjustments}) != len(adjustments):
        problems["adjustments"] = "each line once"
    if problems:
        raise ValidationFailed("the adjustments do not fit the claim", fields=problems)
    adjusted = {a.line_id: a for a in adjustments}
    for line in lines:
        change = adjusted.get(line.id)
        line.approved_amount = change.approved_amount if change else line.amount
        line.adjustment_reason = str(change.reason) if change else ""
    claim.status = ClaimStatus.PARTLY_APPROVED
    claim.approved_amount = sum((line.approved_amount or Decimal("0.00") for line in lines), Decimal("0.00"))


async def readjudicate(session: AsyncSession, scope: Scope, *, claim_id: UUID, reason: str) -> Claim:
    """HQ judges a submitted claim again on purpose (a policy corrected since, say): a second adjudication
    beside the first, both kept; the claim shows the newer."""
    require(scope, Permission.warranty_claims_decide)
    if not reason.strip() or len(reason) > 250:
        raise ValidationFailed("say why the claim is judged again", fields={"reason": "1 to 250 characters"})
    claim = await claim_for_update(session, None, claim_id)
    if claim.status != ClaimStatus.SUBMITTED:
        raise Conflict(f"claim {claim.number} is {claim.status}: only a submitted claim is judged again")
    earlier = claim.adjudication_id
    adjudication, flags, _ = await adjudicate(session, scope, claim, occasion=f"HQ re-adjudication: {reason.strip()}")
    claim.version += 1
    await session.flush()
    after = {"earlier": str(earlier), "adjudication": str(adjudication.id), "flags": [f.code for f in flags]}
    await journal.record(session, scope, entity="claim", entity_id=claim.id, action="readjudicated", after=after)
    return claim


# --- Reading -----------------------------------------------------------------------------------------------


async def claim_for_update(session: AsyncSession, station_id: UUID | None, claim_id: UUID) -> Claim:
    """The claim, locked (a station's own when `station_id` is given); NOT_FOUND otherwise."""
    query = select(Claim).where(Claim.id == claim_id).with_for_update()
    if station_id is not None:
        query = query.where(Claim.station_id == station_id)
    claim = await session.scalar(query)
    if claim is None:
        raise NotFound("no such claim", fields={"claim_id": "not found"})
    return claim


async def _lines(session: AsyncSession, claim: Claim) -> list[ClaimLine]:
    query = (
        select(ClaimLine)
        .where(ClaimLine.station_id == claim.station_id, ClaimLine.claim_id == claim.id)
        .order_by(ClaimLine.position)
    )
    return list(await session.scalars(query))


async def claims_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Claim]:
    require(scope, Permission.warranty_claims_read)
    return {row.id: row for row in await session.scalars(select(Claim).where(Claim.id.in_(ids)))}


async def lines_of(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, list[ClaimLine]]:
    require(scope, Permission.warranty_claims_read)
    query = select(ClaimLine).where(ClaimLine.claim_id.in_(ids)).order_by(ClaimLine.position)
    return group_by(await session.scalars(query), ids, lambda line: line.claim_id)


async def adjudications_of(
    session: AsyncSession, scope: Scope, ids: Sequence[UUID]
) -> dict[UUID, list[ClaimAdjudication]]:
    """Each claim's judgements, oldest first (for a DataLoader)."""
    require(scope, Permission.warranty_claims_read)
    query = (
        select(ClaimAdjudication)
        .where(ClaimAdjudication.claim_id.in_(ids))
        .order_by(ClaimAdjudication.at, ClaimAdjudication.id)
    )
    return group_by(await session.scalars(query), ids, lambda row: row.claim_id)


async def list_claims(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    status: Sequence[ClaimStatus] = (),
) -> list[Claim]:
    """Claims, newest first (a station its own, HQ its network's), by status; first + 1 rows."""
    require(scope, Permission.warranty_claims_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if status:
        where.append(Claim.status.in_([str(s) for s in status]))
    if after is not None:
        where.append(tuple_(Claim.created_at, Claim.id) < tuple_(cursor_time(after[0]), after[1]))
    query = select(Claim).where(*where).order_by(Claim.created_at.desc(), Claim.id.desc()).limit(first + 1)
    return list(await session.scalars(query))


async def review_queue(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[Claim]:
    """HQ's review queue: the network's submitted claims, oldest first; first + 1 rows."""
    require(scope, Permission.warranty_claims_decide)
    check_page_size(first)
    query = select(Claim).where(Claim.status == ClaimStatus.SUBMITTED)
    if after is not None:
        query = query.where(tuple_(Claim.submitted_at, Claim.id) > tuple_(cursor_time(after[0]), after[1]))
    query = query.order_by(Claim.submitted_at, Claim.id).limit(first + 1)
    return list(await session.scalars(query))
