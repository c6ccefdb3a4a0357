"""The parts catalogue: parts and their suppliers, supersession chains, the service BOM per vehicle model.

HQ keeps it (`catalogue:manage`); stations read their network's; a supplier partner reads the parts it
supplies and nothing else (row-level security, migration 0006). `check_part` is the one validation of a
part row, for the API and the bulk import alike.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, or_, select, text, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.policy.models import Part, PartSupersession, ServiceBomLine
from dealernet.tenants.models import PartnerNetwork

PART_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9.-]*$")
MAX_CHAIN = 50
MAX_QUANTITY = Decimal(
    100_000_000
)  # numeric(10, 2)  # supersession chains longer than this are data errors, not history


@dataclass(frozen=True)
class PartInput:
    part_number: str
    name_zh: str
    name_en: str
    component_group: str
    unit: str = "EA"
    supplier_id: UUID | None = None


def check_part(data: PartInput) -> PartInput:
    """The part as stored (trimmed, part number upper-case), or VALIDATION naming every bad field."""
    cleaned = replace(
        data,
        part_number=data.part_number.strip().upper(),
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        component_group=data.component_group.strip().upper(),
        unit=data.unit.strip().upper() or "EA",
    )
    problems: dict[str, str] = {}
    if not PART_NUMBER.match(cleaned.part_number) or len(cleaned.part_number) > 40:
        problems["part_number"] = "letters, digits, dots and dashes, at most 40"
    if not cleaned.name_zh and not cleaned.name_en:
        problems["name_zh"] = "a part needs a name (Chinese or English)"
    for field, value, limit in (("nameZh", cleaned.name_zh, 200), ("nameEn", cleaned.name_en, 200)):
        if len(value) > limit:
            problems[field] = f"at most {limit} characters"
    if not cleaned.component_group or len(cleaned.component_group) > 40:
        problems["component_group"] = "required, at most 40 characters"
    if len(cleaned.unit) > 16:
        problems["unit"] = "at most 16 characters"
    if problems:
        raise ValidationFailed("the part is not valid", fields=problems)
    return cleaned


async def _check_supplier(session: AsyncSession, supplier_id: UUID | None) -> None:
    if supplier_id is None:
        return
    linked = select(PartnerNetwork.partner_id).where(PartnerNetwork.partner_id == supplier_id)
    if await session.scalar(linked) is None:  # RLS: partners of the scope's network only
        raise NotFound("no such supplier")


async def create_part(session: AsyncSession, scope: Scope, data: PartInput) -> Part:
    require(scope, Permission.catalogue_manage)
    data = check_part(data)
    await _check_supplier(session, data.supplier_id)
    part = Part(id=new_id(), network_id=scope.network_id, **data.__dict__)
    session.add(part)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"part number {data.part_number} is already in the catalogue") from exc
    after = journal.snapshot(part, "part_number", "name_zh", "name_en", "component_group", "unit", "supplier_id")
    await journal.record(session, scope, entity="part", entity_id=part.id, action="created", after=after)
    return part


async def _part(session: AsyncSession, part_id: UUID, field: str) -> Part:
    part = await session.get(Part, part_id)
    if part is None:
        raise NotFound("no such part", fields={field: "not found"})
    return part


async def replacement_chain(session: AsyncSession, scope: Scope, part_id: UUID) -> list[Part]:
    """The parts that replace `part_id`, in order, ending with the one to order today."""
    require(scope, Permission.parts_read)
    rows = await session.execute(
        text(
            """
            WITH RECURSIVE chain(part_id, depth) AS (
              SELECT new_part_id, 1 FROM part_supersessions WHERE old_part_id = :part
              UNION ALL
              SELECT s.new_part_id, c.depth + 1 FROM part_supersessions s JOIN chain c ON s.old_part_id = c.part_id
              WHERE c.depth < :max_chain
            )
            SELECT part_id FROM chain ORDER BY depth
            """
        ),
        {"part": part_id, "max_chain": MAX_CHAIN},
    )
    ids = list(rows.scalars())
    found = await parts_by_id(session, scope, ids)
    return [found[i] for i in ids if i in found]


async def supersede_part(
    session: AsyncSession,
    scope: Scope,
    *,
    old_part_id: UUID,
    new_part_id: UUID,
    effective_on: date,
    interchangeable: bool,
) -> PartSupersession:
    """Record that `new_part_id` replaces `old_part_id` from `effective_on`. A part is superseded once, and
    never by a part its own replacements lead back to."""
    require(scope, Permission.catalogue_manage)
    if old_part_id == new_part_id:
        raise ValidationFailed("a part cannot replace itself", fields={"new_part_id": "same as the old part"})
    old, new = await _part(session, old_part_id, "oldPartId"), await _part(session, new_part_id, "newPartId")
    if old.id in {p.id for p in await replacement_chain(session, scope, new.id)}:
        raise Conflict(f"{new.part_number} is already replaced, through its chain, by {old.part_number}")
    supersession = PartSupersession(
        id=new_id(),
        network_id=scope.network_id,
        old_part_id=old.id,
        new_part_id=new.id,
        effective_on=effective_on,
        interchangeable=interchangeable,
    )
    old_number = old.part_number  # a failed flush expires the loaded rows
    session.add(supersession)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{old_number} is already superseded") from exc
    await journal.record(
        session,
        scope,
        entity="part",
        entity_id=old.id,
        action="superseded",
        after={
            "new_part": new.part_number,
            "effective_on": effective_on.isoformat(),
            "interchangeable": interchangeable,
        },
    )
    return supersession


async def parts_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Part]:
    require(scope, Permission.parts_read)
    return {part.id: part for part in await session.scalars(select(Part).where(Part.id.in_(ids)))}


async def supersessions_of(
    session: AsyncSession, scope: Scope, part_ids: Sequence[UUID]
) -> dict[UUID, PartSupersession]:
    """Each part's supersession (keyed by the old part), for those that have one."""
    require(scope, Permission.parts_read)
    rows = await session.scalars(select(PartSupersession).where(PartSupersession.old_part_id.in_(part_ids)))
    return {row.old_part_id: row for row in rows}


def like_escaped(text: str) -> str:
    """Text matched literally by LIKE (its wildcards and escape character escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_parts(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    component_group: str | None = None,
    search: str | None = None,
) -> list[Part]:
    """Parts by part number; up to first + 1 rows so the caller knows whether more follow. `search` matches
    the start of the part number or any part of a name."""
    require(scope, Permission.parts_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if component_group:
        where.append(Part.component_group == component_group.strip().upper())
    if search and search.strip():
        term = like_escaped(search.strip())
        where.append(
            or_(
                Part.part_number.startswith(term.upper(), autoescape=False),
                Part.name_zh.ilike(f"%{term}%"),
                Part.name_en.ilike(f"%{term}%"),
            )
        )
    if after is not None:
        where.append(tuple_(Part.part_number, Part.id) > tuple_(*after))
    stmt = select(Part).where(*where).order_by(Part.part_number, Part.id).limit(first + 1)
    return list(await session.scalars(stmt))


@dataclass(frozen=True)
class BomLine:
    part: Part
    quantity: Decimal


async def service_bom(session: AsyncSession, scope: Scope, vehicle_model: str) -> list[BomLine]:
    require(scope, Permission.parts_read)
    rows = await session.execute(
        select(Part, ServiceBomLine.quantity)
        .join(ServiceBomLine, ServiceBomLine.part_id == Part.id)
        .where(ServiceBomLine.vehicle_model == vehicle_model.strip().upper())
        .order_by(Part.part_number)
    )
    return [BomLine(part, quantity) for part, quantity in rows.all()]


async def set_bom_line(
    session: AsyncSession, scope: Scope, *, vehicle_model: str, part_id: UUID, quantity: Decimal
) -> BomLine:
    """Put a part in a model's service BOM with its quantity, or change the quantity."""
    require(scope, Permission.catalogue_manage)
    model = vehicle_model.strip().upper()
    if not model or len(model) > 40:
        raise ValidationFailed("the vehicle model is required", fields={"vehicle_model": "1 to 40 characters"})
    if not quantity.is_finite() or not 0 < quantity < MAX_QUANTITY or quantity.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValidationFailed(
            "the quantity is positive, below 100,000,000, two decimals at most", fields={"quantity": "invalid"}
        )
    part = await _part(session, part_id, "partId")
    stmt = insert(ServiceBomLine).values(
        id=new_id(), network_id=scope.network_id, vehicle_model=model, part_id=part.id, quantity=quantity
    )
    await session.execute(
        stmt.on_conflict_do_update(constraint="uq_service_bom_lines_model_part", set_={"quantity": quantity})
    )
    await journal.record(
        session,
        scope,
        entity="part",
        entity_id=part.id,
        action="service bom",
        after={"vehicle_model": model, "quantity": str(quantity)},
    )
    return BomLine(part, quantity)
