"""Labour time standards: operation codes with flat-rate hours, kept by HQ, read by stations."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.audit import service as journal
from dealernet.db import new_id
from dealernet.errors import Conflict, ValidationFailed
from dealernet.paging import check_page_size
from dealernet.policy.catalogue import PART_NUMBER
from dealernet.policy.models import LabourOperation
from dealernet.scope import Scope
from dealernet.tenants.permissions import Permission
from dealernet.tenants.service import require

MAX_HOURS = Decimal("9999.99")  # numeric(6, 2)


async def create_operation(
    session: AsyncSession,
    scope: Scope,
    *,
    code: str,
    description: str,
    flat_rate_hours: Decimal,
    component_group: str,
) -> LabourOperation:
    require(scope, Permission.catalogue_manage)
    code, group, description = code.strip().upper(), component_group.strip().upper(), description.strip()
    problems: dict[str, str] = {}
    if not PART_NUMBER.match(code) or len(code) > 20:
        problems["code"] = "letters, digits, dots and dashes, at most 20"
    if not description or len(description) > 300:
        problems["description"] = "1 to 300 characters"
    if (
        not flat_rate_hours.is_finite()
        or not 0 < flat_rate_hours <= MAX_HOURS
        or flat_rate_hours != round(flat_rate_hours, 2)
    ):
        problems["flatRateHours"] = "more than 0, at most 9999.99, two decimals"
    if not group or len(group) > 40:
        problems["componentGroup"] = "1 to 40 characters"
    if problems:
        raise ValidationFailed("the labour operation is not valid", fields=problems)
    operation = LabourOperation(
        id=new_id(),
        network_id=scope.network_id,
        code=code,
        description=description,
        flat_rate_hours=flat_rate_hours,
        component_group=group,
    )
    session.add(operation)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"labour operation {code} already exists") from exc
    after = {"code": code, "flat_rate_hours": str(flat_rate_hours), "component_group": group}
    await journal.record(
        session, scope, entity="labour_operation", entity_id=operation.id, action="created", after=after
    )
    return operation


async def operations_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, LabourOperation]:
    require(scope, Permission.policy_read)
    rows = await session.scalars(select(LabourOperation).where(LabourOperation.id.in_(ids)))
    return {row.id: row for row in rows}


async def list_operations(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    component_group: str | None = None,
) -> list[LabourOperation]:
    """Labour operations by code; first + 1 rows."""
    require(scope, Permission.policy_read)
    check_page_size(first)
    where: list[ColumnElement[bool]] = []
    if component_group:
        where.append(LabourOperation.component_group == component_group.strip().upper())
    if after is not None:
        where.append(tuple_(LabourOperation.code, LabourOperation.id) > tuple_(*after))
    stmt = select(LabourOperation).where(*where).order_by(LabourOperation.code, LabourOperation.id).limit(first + 1)
    return list(await session.scalars(stmt))
