"""The vehicle register of a network (车辆档案): HQ registers and corrects vehicles (from the sales system,
one by one or in bulk); a station looks a VIN up at reception and sees what warranty the vehicle has left.

`check_vehicle` is the one validation of a vehicle, for the API and the bulk import alike: a VIN whose
check digit is wrong is a typing error, refused with the digit it should have had.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.tenants.service.directory import network_today
from dealernet.workshop.models import Vehicle
from dealernet.workshop.rules import CoverageLeft, coverage_left, normal_vin, vin_problem

_FIELDS = ("vin", "model", "production_date", "sale_date", "selling_dealer", "first_registration")
MAX_ODOMETER_KM = 10_000_000
MAX_MODEL, MAX_DEALER = 40, 200  # the columns' lengths; the bulk import's quick path checks the same


@dataclass(frozen=True)
class VehicleInput:
    vin: str
    model: str
    production_date: date
    sale_date: date | None = None
    selling_dealer: str = ""
    first_registration: date | None = None


def check_vehicle(data: VehicleInput) -> VehicleInput:
    """The vehicle as stored (VIN upper-case, text trimmed), or VALIDATION naming every bad field."""
    cleaned = VehicleInput(
        vin=normal_vin(data.vin),
        model=data.model.strip(),
        production_date=data.production_date,
        sale_date=data.sale_date,
        selling_dealer=data.selling_dealer.strip(),
        first_registration=data.first_registration,
    )
    problems: dict[str, str] = {}
    if (problem := vin_problem(cleaned.vin)) is not None:
        problems["vin"] = problem
    if not cleaned.model or len(cleaned.model) > MAX_MODEL:
        problems["model"] = f"required, at most {MAX_MODEL} characters"
    if len(cleaned.selling_dealer) > MAX_DEALER:
        problems["selling_dealer"] = f"at most {MAX_DEALER} characters"
    if cleaned.sale_date is not None and cleaned.sale_date < cleaned.production_date:
        problems["sale_date"] = f"before the production date {cleaned.production_date}"
    if cleaned.first_registration is not None and cleaned.first_registration < cleaned.production_date:
        problems["first_registration"] = f"before the production date {cleaned.production_date}"
    if problems:
        raise ValidationFailed("the vehicle is not valid", fields=problems)
    return cleaned


async def register_vehicle(session: AsyncSession, scope: Scope, data: VehicleInput) -> Vehicle:
    """Add a vehicle to the network's register."""
    require(scope, Permission.vehicles_manage)
    data = check_vehicle(data)
    vehicle = Vehicle(id=new_id(), network_id=scope.network_id, **data.__dict__)
    try:
        async with session.begin_nested():  # the row inside: begin_nested flushes what is pending first
            session.add(vehicle)
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"VIN {data.vin} is already in the register", fields={"vin": "already registered"}) from exc
    after = journal.snapshot(vehicle, *_FIELDS)
    await journal.record(session, scope, entity="vehicle", entity_id=vehicle.id, action="registered", after=after)
    return vehicle


async def correct_vehicle(session: AsyncSession, scope: Scope, vehicle_id: UUID, data: VehicleInput) -> Vehicle:
    """Correct a registered vehicle (its VIN included: a VIN typed wrong at the factory's end), journaled with
    what it was."""
    require(scope, Permission.vehicles_manage)
    data = check_vehicle(data)
    vehicle = await session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("no such vehicle", fields={"vehicle_id": "not found"})
    before = journal.snapshot(vehicle, *_FIELDS)
    for name, value in data.__dict__.items():
        setattr(vehicle, name, value)
    after = journal.snapshot(vehicle, *_FIELDS)
    if after == before:
        return vehicle
    vehicle.updated_at = datetime.now(UTC)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"VIN {data.vin} is already in the register", fields={"vin": "already registered"}) from exc
    await journal.record(
        session, scope, entity="vehicle", entity_id=vehicle.id, action="corrected", before=before, after=after
    )
    return vehicle


async def vehicle_by_vin(session: AsyncSession, scope: Scope, vin: str) -> Vehicle | None:
    """The network's vehicle with this VIN; None when it is not registered (or the VIN is malformed)."""
    require(scope, Permission.vehicles_read)
    return (await session.scalars(select(Vehicle).where(Vehicle.vin == normal_vin(vin)))).first()


async def vehicles_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Vehicle]:
    require(scope, Permission.vehicles_read)
    rows = await session.scalars(select(Vehicle).where(Vehicle.id.in_(ids)))
    return {row.id: row for row in rows}


async def list_vehicles(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    model: str | None = None,
) -> list[Vehicle]:
    """The register by VIN, optionally of one model; first + 1 rows."""
    require(scope, Permission.vehicles_browse)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if model:
        where.append(Vehicle.model == model.strip())
    if after is not None:
        where.append(tuple_(Vehicle.vin, Vehicle.id) > tuple_(*after))
    stmt = select(Vehicle).where(*where).order_by(Vehicle.vin, Vehicle.id).limit(first + 1)
    return list(await session.scalars(stmt))


# Each component group's coverage in force on :on — the newest version starting by then — and, for a
# station, only a version delivered to it (as `policyAsOf` judges a claim line).
_COVERAGES_AS_OF = text(
    """
    SELECT c.component_group, c.months, c.km FROM (
      SELECT DISTINCT ON (w.component_group) w.component_group, w.months, w.km, w.valid_to, w.publication_id
      FROM warranty_coverages w
      WHERE w.network_id = :network AND w.in_force AND w.valid_from <= CAST(:on AS date)
      ORDER BY w.component_group, w.valid_from DESC
    ) c
    WHERE (c.valid_to IS NULL OR c.valid_to > CAST(:on AS date))
      AND (CAST(:station AS uuid) IS NULL OR EXISTS (SELECT 1 FROM publication_deliveries d
           WHERE d.publication_id = c.publication_id AND d.station_id = CAST(:station AS uuid)))
    ORDER BY c.component_group
    """
)


async def warranty_left(
    session: AsyncSession, scope: Scope, vehicle: Vehicle, *, on: date | None = None, odometer_km: int | None = None
) -> list[CoverageLeft]:
    """Each component group's coverage left for `vehicle` on `on` (default: the network's today): for a
    station, by the warranty policy delivered to it; for HQ, by the network's in force. Empty for a vehicle
    not yet sold."""
    require(scope, Permission.vehicles_read)
    on = on or await network_today(session, scope.network_id)
    if odometer_km is not None and not 0 <= odometer_km <= MAX_ODOMETER_KM:
        raise ValidationFailed("an odometer reading in km", fields={"odometer_km": "0 to 10,000,000"})
    params = {"network": scope.network_id, "on": on, "station": scope.station_id}
    rows = (await session.execute(_COVERAGES_AS_OF, params)).all()
    left = (
        coverage_left(
            row.component_group,
            months=row.months,
            km=row.km,
            sale_date=vehicle.sale_date,
            on=on,
            odometer_km=odometer_km,
        )
        for row in rows
    )
    return [coverage for coverage in left if coverage is not None]


@dataclass(frozen=True)
class ServiceVisit:
    """One repair order of the vehicle at any station of the network, as another station may see it: no
    station, no customer, no amount (migration 0035)."""

    received_at: datetime
    odometer_km: int
    repair_level: str | None
    service_types: list[str]
    operation_codes: list[str]
    part_numbers: list[str]


async def service_history(session: AsyncSession, scope: Scope, vehicle: Vehicle) -> list[ServiceVisit]:
    """The vehicle's visits across the network, newest first (the last 200)."""
    require(scope, Permission.vehicles_read)
    rows = await session.execute(text("SELECT * FROM vehicle_service_history(:v)"), {"v": vehicle.id})
    return [ServiceVisit(**row._mapping) for row in rows]


@dataclass(frozen=True)
class FieldAction:
    """A technical bulletin in force that names the vehicle's model or a VIN range holding its VIN."""

    publication_id: UUID
    number: str
    title: str
    effective_on: date


_FIELD_ACTIONS = text(
    """
    SELECT b.publication_id, b.number, p.title, p.effective_on
    FROM technical_bulletins b JOIN publications p ON p.id = b.publication_id
    WHERE p.status = 'published' AND p.effective_on <= CAST(:on AS date)
      AND (upper(CAST(:model AS text)) = ANY(b.affected_models) OR EXISTS (  -- bulletins keep models upper-case
           SELECT 1 FROM jsonb_array_elements(b.vin_ranges) r WHERE CAST(:vin AS text) BETWEEN r->>'from' AND r->>'to'))
      AND (CAST(:station AS uuid) IS NULL OR EXISTS (SELECT 1 FROM publication_deliveries d
           WHERE d.publication_id = p.id AND d.station_id = CAST(:station AS uuid)))
    ORDER BY p.effective_on DESC, b.number
    """
)


async def field_actions(
    session: AsyncSession, scope: Scope, vehicle: Vehicle, *, on: date | None = None, station_id: UUID | None = None
) -> list[FieldAction]:
    """The bulletins in force (today, or on `on`) that name the vehicle's model or VIN, delivered to the asking
    station (or to `station_id`: a claim's station, when HQ judges it)."""
    require(scope, Permission.vehicles_read)
    params = {
        "on": on or await network_today(session, scope.network_id),
        "model": vehicle.model,
        "vin": vehicle.vin,
        "station": station_id or scope.station_id,
    }
    return [FieldAction(**row._mapping) for row in await session.execute(_FIELD_ACTIONS, params)]
