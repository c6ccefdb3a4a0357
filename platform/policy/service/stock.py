"""Minimum stock (备件储备定额) per station and part: HQ publishes rules per component group (effective-dated),
keeps the vehicle population per region and model, and may override a station's figure. A figure is
computed when asked, by rules.fleet_minimum, from the rules in force on the date that were delivered to
the station, its region's fleet, the parts' service BOM quantities and the number of active stations
sharing the region.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import func, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.policy.models import Part, Publication, ServiceBomLine, StockOverride, StockRuleRow, VehiclePopulation
from dealernet.policy.rules import StockRule, effective_minimum, fleet_minimum
from dealernet.policy.service.publications import STOCK_RULES, Target, draft_publication, open_draft, rows_of
from dealernet.tenants.models import Region, Station


async def draft_stock_rules(
    session: AsyncSession, scope: Scope, *, title: str, effective_on: date, target: Target = Target()
) -> Publication:
    return await draft_publication(
        session, scope, kind=STOCK_RULES, title=title, effective_on=effective_on, target=target
    )


async def set_stock_rule(
    session: AsyncSession,
    scope: Scope,
    *,
    publication_id: UUID,
    component_group: str,
    per_thousand_vehicles: Decimal,
    floor: int = 0,
    ceiling: int | None = None,
) -> StockRuleRow:
    """A component group's rule in a draft set of stock rules, set or changed."""
    require(scope, Permission.policy_publish)
    rules = await open_draft(session, publication_id, STOCK_RULES)
    group = component_group.strip().upper()
    if not group or len(group) > 40:
        raise ValidationFailed("the stock rule is not valid", fields={"component_group": "1 to 40 characters"})
    if not per_thousand_vehicles.is_finite() or per_thousand_vehicles != round(per_thousand_vehicles, 3):
        raise ValidationFailed("the stock rule is not valid", fields={"per_thousand_vehicles": "at most 3 decimals"})
    try:
        StockRule(per_thousand_vehicles, floor, ceiling)
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"ceiling": "at least the floor; nothing negative"}) from None
    if per_thousand_vehicles >= 10_000_000 or floor > 1_000_000 or (ceiling or 0) > 1_000_000:
        raise ValidationFailed("the stock rule is not valid", fields={"per_thousand_vehicles": "too large"})
    found = await session.scalars(
        select(StockRuleRow).where(StockRuleRow.publication_id == rules.id, StockRuleRow.component_group == group)
    )
    row = found.first()
    if row is None:
        row = StockRuleRow(
            id=new_id(),
            network_id=rules.network_id,
            publication_id=rules.id,
            component_group=group,
            valid_from=rules.effective_on,
        )
        session.add(row)
    row.per_thousand_vehicles, row.floor, row.ceiling = per_thousand_vehicles, floor, ceiling
    await session.flush()
    return row


async def set_vehicle_population(
    session: AsyncSession, scope: Scope, *, region_id: UUID, vehicle_model: str, vehicles: int
) -> VehiclePopulation:
    """How many vehicles of a model are in service in a region (replaces the last figure)."""
    require(scope, Permission.policy_publish)
    model = vehicle_model.strip().upper()
    if not model or len(model) > 40 or not 0 <= vehicles <= 100_000_000:
        raise ValidationFailed(
            "a model and a vehicle count", fields={"vehicle_model": "1 to 40 characters", "vehicles": "0 or more"}
        )
    if await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    statement = (
        insert(VehiclePopulation)
        .values(id=new_id(), network_id=scope.network_id, region_id=region_id, vehicle_model=model, vehicles=vehicles)
        .on_conflict_do_update(
            index_elements=["region_id", "vehicle_model"],
            set_={"vehicles": vehicles, "updated_at": func.now()},
        )
        .returning(VehiclePopulation)
    )
    row = (await session.scalars(statement, execution_options={"populate_existing": True})).one()
    after = {"region_id": str(region_id), "vehicle_model": model, "vehicles": vehicles}
    await journal.record(session, scope, entity="vehicle_population", entity_id=row.id, action="set", after=after)
    return row


async def set_override(
    session: AsyncSession, scope: Scope, *, station_id: UUID, part_id: UUID, minimum: int | None, reason: str = ""
) -> StockOverride | None:
    """HQ's figure for a station and part (None: back to the derived figure)."""
    require(scope, Permission.policy_publish)
    if await session.get(Station, station_id) is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    if await session.get(Part, part_id) is None:
        raise NotFound("no such part", fields={"part_id": "not found"})
    existing = (
        await session.scalars(
            select(StockOverride).where(StockOverride.station_id == station_id, StockOverride.part_id == part_id)
        )
    ).first()
    before = {"minimum": existing.minimum} if existing else None
    if minimum is None:
        if existing is not None:
            await session.delete(existing)
            await session.flush()
            await journal.record(
                session, scope, entity="stock_override", entity_id=existing.id, action="cleared", before=before
            )
        return None
    if not 0 <= minimum <= 1_000_000 or not reason.strip() or len(reason.strip()) > 300:
        raise ValidationFailed("a figure and why", fields={"minimum": "0 or more", "reason": "1 to 300 characters"})
    row = existing or StockOverride(id=new_id(), network_id=scope.network_id, station_id=station_id, part_id=part_id)
    row.minimum, row.reason, row.set_by, row.set_at = minimum, reason.strip(), scope.actor_id, datetime.now(UTC)
    session.add(row)
    await session.flush()
    after = {"station_id": str(station_id), "part_id": str(part_id), "minimum": minimum, "reason": row.reason}
    await journal.record(
        session, scope, entity="stock_override", entity_id=row.id, action="set", before=before, after=after
    )
    return row


async def rules_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, list[StockRuleRow]]:
    require(scope, Permission.policy_read)
    return await rows_of(session, StockRuleRow, publication_ids, StockRuleRow.component_group)


@dataclass(frozen=True)
class StockFigure:
    part_id: UUID
    part_number: str
    component_group: str
    derived: int
    override: int | None
    minimum: int
    rule_id: UUID | None  # the rule version used; None: no rule in force for the group


_RULES_AS_OF = text(
    """
    SELECT DISTINCT ON (r.component_group) r.id, r.component_group, r.per_thousand_vehicles, r.floor, r.ceiling
    FROM stock_rules r
    WHERE r.network_id = :network AND r.component_group = ANY(:groups) AND r.in_force
      AND r.valid_from <= :on AND (r.valid_to IS NULL OR r.valid_to > :on)
      AND EXISTS (SELECT 1 FROM publication_deliveries d WHERE d.publication_id = r.publication_id
                  AND d.station_id = :station)
    ORDER BY r.component_group, r.valid_from DESC
    """
)


async def minimum_stock(
    session: AsyncSession,
    scope: Scope,
    *,
    station_id: UUID,
    on: date,
    first: int,
    after: tuple[str, UUID] | None = None,
) -> list[StockFigure]:
    """The station's minimum stock on a date, part by part number (the parts its region's fleet uses, and
    those HQ set a figure for); first + 1 rows."""
    require(scope, Permission.policy_read)
    check_page_size(first)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    fleet: dict[str, int] = {}
    sharing = 1
    if station.region_id is not None:
        population = await session.execute(
            select(VehiclePopulation.vehicle_model, VehiclePopulation.vehicles).where(
                VehiclePopulation.region_id == station.region_id
            )
        )
        fleet = {model: vehicles for model, vehicles in population}
        # A station sees only itself: the count comes from a function that counts its region's (migration 0012).
        counted = await session.scalar(text("SELECT active_stations_in_region(:r)"), {"r": station.region_id})
        sharing = max(int(counted or 0), 1)
    used = select(ServiceBomLine.part_id).where(ServiceBomLine.vehicle_model.in_(list(fleet)))
    overridden = select(StockOverride.part_id).where(StockOverride.station_id == station.id)
    stmt = (
        select(Part)
        .where(or_(Part.id.in_(used), Part.id.in_(overridden)))
        .order_by(Part.part_number, Part.id)
        .limit(first + 1)
    )
    if after is not None:
        stmt = stmt.where(tuple_(Part.part_number, Part.id) > tuple_(*after))
    parts = list(await session.scalars(stmt))
    if not parts:
        return []
    ids = [p.id for p in parts]
    bom: dict[UUID, dict[str, Decimal]] = defaultdict(dict)
    lines = await session.execute(
        select(ServiceBomLine.part_id, ServiceBomLine.vehicle_model, ServiceBomLine.quantity).where(
            ServiceBomLine.part_id.in_(ids), ServiceBomLine.vehicle_model.in_(list(fleet))
        )
    )
    for part_id, model, quantity in lines:
        bom[part_id][model] = quantity
    overridden_rows = await session.execute(
        select(StockOverride.part_id, StockOverride.minimum).where(
            StockOverride.station_id == station.id, StockOverride.part_id.in_(ids)
        )
    )
    overrides = {part_id: minimum for part_id, minimum in overridden_rows}
    groups = sorted({p.component_group for p in parts})
    params = {"network": station.network_id, "groups": groups, "on": on, "station": station.id}
    rules = {row.component_group: row for row in await session.execute(_RULES_AS_OF, params)}
    figures = []
    for part in parts:
        rule = rules.get(part.component_group)
        derived = (
            fleet_minimum(
                StockRule(rule.per_thousand_vehicles, rule.floor, rule.ceiling),
                fleet=fleet,
                bom=bom.get(part.id, {}),
                stations_in_region=sharing,
            )
            if rule
            else 0
        )
        override = overrides.get(part.id)
        figures.append(
            StockFigure(
                part_id=part.id,
                part_number=part.part_number,
                component_group=part.component_group,
                derived=derived,
                override=override,
                minimum=effective_minimum(derived, override),
                rule_id=rule.id if rule else None,
            )
        )
    return figures
