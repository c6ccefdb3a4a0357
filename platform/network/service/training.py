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
from dealernet.network.models import StaffCertificate
from dealernet.policy.rules import SERVICE_TYPES
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
        problems["personName"] = "1 to 100 characters"
    if role not in ("technician", "adviser"):
        problems["role"] = "technician or adviser"
    if not service_types or set(service_types) - set(SERVICE_TYPES):
        problems["serviceTypes"] = f"one or more of {', '.join(SERVICE_TYPES)}"
    if not course.strip() or len(course) > 200 or not certificate_number.strip() or len(certificate_number) > 40:
        problems["certificateNumber"] = "a course and a certificate number (at most 40)"
    if expires_on <= passed_on:
        problems["expiresOn"] = "after the exam"
    if problems:
        raise ValidationFailed("the certificate is not valid", fields=problems)
    if await session.get(Station, station_id) is None:
        raise NotFound("no such station", fields={"stationId": "not found"})
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
    session: AsyncSession, scope: Scope, *, station_id: UUID, service_type: str, on: date
) -> Dispatchable:
    """May the station be dispatched work of `service_type` on `on`? Active, and a technician certified for
    it whose certificate has not expired."""
    require(scope, Permission.network_read)
    if service_type not in SERVICE_TYPES:
        raise ValidationFailed("an unknown service type", fields={"serviceType": ", ".join(SERVICE_TYPES)})
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("no such station", fields={"stationId": "not found"})
    if station.status != "active":
        return Dispatchable(False, f"the station is {station.status}")
    certified = await session.scalar(
        select(func.count()).where(
            StaffCertificate.station_id == station.id,
            StaffCertificate.role == "technician",
            literal(service_type, String) == any_(StaffCertificate.service_types),
            StaffCertificate.passed_on <= on,
            StaffCertificate.expires_on >= on,
        )
    )
    if not certified:
        return Dispatchable(False, f"no technician certified for {service_type} work on {on.isoformat()}")
    return Dispatchable(True, f"{certified} certified technician(s)")
