"""Training and certification (培训与考核): staff certificates (上岗证) with their service types and expiry,
the dispatch check other contexts call — a station is dispatched work of a service type only while active
and with a certified technician for it — and the cron that reminds of onboarding deadlines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import structlog
from sqlalchemy import String, any_, func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import Contract, StaffCertificate, TierRepairLevels
from dealernet.policy.rules import SERVICE_TYPES, RepairLevel
from dealernet.tenants.models import Station

log = structlog.get_logger(__name__)


async def record_certificate(
    session: AsyncSession,
    scope: Scope,
    *,
    station_id: UUID,
    person_name: str,
    role: str,
    service_types: Sequence[str],
    course: str,
    certificate_number: str,
    passed_on: date,
    expires_on: date,
) -> StaffCertificate:
    """HQ records a passed exam: the person, what they may do, until when."""
    require(scope, Permission.onboarding_manage)
    problems: dict[str, str] = {}
    if not person_name.strip() or len(person_name.strip()) > 100:
        problems["person_name"] = "1 to 100 characters"
    if role not in ("technician", "adviser"):
        problems["role"] = "technician or adviser"
    if not service_types or set(service_types) - set(SERVICE_TYPES):
        problems["service_types"] = f"one or more of {', '.join(SERVICE_TYPES)}"
    if not course.strip() or len(course) > 200 or not certificate_number.strip() or len(certificate_number) > 40:
        problems["certificate_number"] = "a course and a certificate number (at most 40)"
    if expires_on <= passed_on:
        problems["expires_on"] = "after the exam"
    if problems:
        raise ValidationFailed("the certificate is not valid", fields=problems)
    if await session.get(Station, station_id) is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    certificate = StaffCertificate(
        id=new_id(),
        network_id=scope.network_id,
        station_id=station_id,
        person_name=person_name.strip(),
        role=role,
        service_types=[t for t in SERVICE_TYPES if t in service_types],
        course=course.strip(),
        certificate_number=certificate_number.strip().upper(),
        passed_on=passed_on,
        expires_on=expires_on,
        recorded_by=scope.actor_id,
    )
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(certificate)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"certificate {certificate.certificate_number} is recorded already") from exc
    after = {"role": role, "service_types": certificate.service_types, "expires_on": expires_on.isoformat()}
    await journal.record(
        session,
        scope,
        entity="staff_certificate",
        entity_id=certificate.id,
        action="recorded",
        after=after,
        station_id=station_id,
    )
    return certificate


@dataclass(frozen=True)
class Dispatchable:
    allowed: bool
    reason: str


async def can_dispatch(
    session: AsyncSession,
    scope: Scope,
    *,
    station_id: UUID,
    service_type: str,
    on: date,
    repair_level: str | None = None,
) -> Dispatchable:
    """May the station be dispatched work of `service_type` (and `repair_level`) on `on`? Active, under a
    contract in force that covers the service type, of a tier allowed the repair level, with a technician
    certified for it whose certificate holds that day. The answer gives every reason at once."""
    require(scope, Permission.network_read)
    problems = {}
    if service_type not in SERVICE_TYPES:
        problems["service_type"] = ", ".join(SERVICE_TYPES)
    if repair_level is not None and repair_level not in tuple(RepairLevel):
        problems["repair_level"] = ", ".join(RepairLevel)
    if problems:
        raise ValidationFailed("an unknown service type or repair level", fields=problems)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    facts = await _dispatch_facts(session, station, service_type=service_type, on=on)
    refusals = rules.dispatch_refusals(facts, service_type=service_type, repair_level=repair_level, on=on)
    if refusals:
        return Dispatchable(False, "; ".join(refusals))
    return Dispatchable(True, f"{facts.certified_technicians} certified technician(s)")


async def _dispatch_facts(
    session: AsyncSession, station: Station, *, service_type: str, on: date
) -> rules.DispatchFacts:
    contracts = list(
        await session.scalars(
            select(Contract).where(Contract.station_id == station.id).order_by(Contract.term_end.desc())
        )
    )
    in_force = next((c for c in contracts if c.term_start <= on <= c.term_end), None)
    levels = None
    if station.tier is not None:
        levels = await session.scalar(
            select(TierRepairLevels.repair_levels).where(
                TierRepairLevels.network_id == station.network_id, TierRepairLevels.tier == station.tier
            )
        )
    certified = await session.scalar(
        select(func.count()).where(
            StaffCertificate.station_id == station.id,
            StaffCertificate.role == "technician",
            literal(service_type, String) == any_(StaffCertificate.service_types),
            StaffCertificate.passed_on <= on,
            StaffCertificate.expires_on >= on,
        )
    )
    return rules.DispatchFacts(
        status=station.status,
        contract_service_types=frozenset(in_force.service_types) if in_force else None,
        contract_term=(contracts[0].term_start, contracts[0].term_end) if contracts else None,
        tier=station.tier,
        tier_levels=frozenset(levels) if levels is not None else None,
        certified_technicians=certified or 0,
    )


async def tier_repair_levels(session: AsyncSession, scope: Scope) -> list[TierRepairLevels]:
    require(scope, Permission.network_read)
    return list(await session.scalars(select(TierRepairLevels).order_by(TierRepairLevels.tier)))


async def set_tier_repair_levels(
    session: AsyncSession, scope: Scope, *, tier: str, repair_levels: Sequence[str]
) -> TierRepairLevels:
    """HQ sets the repair levels the agreement allows a tier; every level named once, from RepairLevel."""
    require(scope, Permission.onboarding_manage)
    problems = {}
    if not tier.strip() or len(tier.strip()) > 8:
        problems["tier"] = "1 to 8 characters, e.g. A"
    if set(repair_levels) - set(RepairLevel) or len(set(repair_levels)) != len(repair_levels):
        problems["repair_levels"] = "each of " + ", ".join(RepairLevel) + " at most once"
    if problems:
        raise ValidationFailed("the tier's repair levels are not valid", fields=problems)
    row = await session.get(TierRepairLevels, (scope.network_id, tier.strip()))
    before = {"repair_levels": list(row.repair_levels)} if row else None
    if row is None:
        row = TierRepairLevels(network_id=scope.network_id, tier=tier.strip(), repair_levels=list(repair_levels))
        session.add(row)
    else:
        row.repair_levels = list(repair_levels)
        row.updated_at = func.now()
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="network",
        entity_id=scope.network_id,
        action="tier_repair_levels_set",
        before=before,
        after={"tier": row.tier, "repair_levels": list(repair_levels)},
    )
    return row
