"""Labour time standards (工时定额): operation codes with flat-rate hours, kept by HQ and read by stations;
and the labour rate per region (地区差价), published as effective-dated rate cards."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size
from dealernet.core.scope import Scope
from dealernet.policy.models import LabourOperation, LabourRate, Publication
from dealernet.policy.service.catalogue import PART_NUMBER
from dealernet.policy.service.publications import LABOUR_RATES, Target, draft_publication, open_draft, rows_of
from dealernet.tenants.models import Region

MAX_HOURS = Decimal("9999.99")  # numeric(6, 2)


async def create_operation(
    session: AsyncSession,
    scope: Scope,
    *,
    code: str,
    description: str,
    flat_rate_hours: Decimal,
    component_group: str,
    includes: Sequence[str] = (),
) -> LabourOperation:
    """An operation of the labour standard; `includes` names the operations its time already covers."""
    require(scope, Permission.catalogue_manage)
    code, group, description = code.strip().upper(), component_group.strip().upper(), description.strip()
    included = list(dict.fromkeys(c.strip().upper() for c in includes))
    problems: dict[str, str] = {}
    if len(included) > 20 or code in included:
        problems["includes"] = "at most 20 other operations' codes"
    if not PART_NUMBER.match(code) or len(code) > 20:
        problems["code"] = "letters, digits, dots and dashes, at most 20"
    if not description or len(description) > 300:
        problems["description"] = "1 to 300 characters"
    if (
        not flat_rate_hours.is_finite()
        or not 0 < flat_rate_hours <= MAX_HOURS
        or flat_rate_hours != round(flat_rate_hours, 2)
    ):
        problems["flat_rate_hours"] = "more than 0, at most 9999.99, two decimals"
    if not group or len(group) > 40:
        problems["component_group"] = "1 to 40 characters"
    if problems:
        raise ValidationFailed("the labour operation is not valid", fields=problems)
    known = set(await session.scalars(select(LabourOperation.code).where(LabourOperation.code.in_(included))))
    if unknown := [c for c in included if c not in known]:
        problem = {"includes": f"no such operation: {', '.join(unknown)}"}
        raise ValidationFailed("the labour operation includes operations the standard does not have", fields=problem)
    operation = LabourOperation(
        id=new_id(),
        network_id=scope.network_id,
        code=code,
        description=description,
        flat_rate_hours=flat_rate_hours,
        component_group=group,
        includes=included,
    )
    session.add(operation)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"labour operation {code} already exists") from exc
    after = {"code": code, "flat_rate_hours": str(flat_rate_hours), "component_group": group, "includes": included}
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


# --- Labour rates: a rate card per region (and a national rate), effective-dated and published -------------

RATE_LIMIT = Decimal("100000000")  # numeric(10, 2)


async def draft_labour_rates(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    target: Target = Target(),
    acknowledge_within_days: int = 14,
) -> Publication:
    """A draft rate card; its rates are set one per region (and currency) with `set_labour_rate`."""
    return await draft_publication(
        session,
        scope,
        kind=LABOUR_RATES,
        title=title,
        effective_on=effective_on,
        target=target,
        acknowledge_within_days=acknowledge_within_days,
    )


async def set_labour_rate(
    session: AsyncSession,
    scope: Scope,
    *,
    publication_id: UUID,
    region_id: UUID | None,
    hourly_rate: Decimal,
    currency: str = "CNY",
) -> LabourRate:
    """A region's rate per hour in a draft rate card (no region: the national rate), set or changed."""
    require(scope, Permission.policy_publish)
    card = await open_draft(session, publication_id, LABOUR_RATES)
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha() or not currency.isascii():
        raise ValidationFailed("an ISO 4217 currency code", fields={"currency": "e.g. CNY"})
    if not hourly_rate.is_finite() or not 0 < hourly_rate < RATE_LIMIT or hourly_rate != round(hourly_rate, 2):
        raise ValidationFailed("a rate above 0 with two decimals", fields={"hourly_rate": "invalid amount"})
    if region_id is not None and await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    found = await session.scalars(
        select(LabourRate).where(
            LabourRate.publication_id == card.id,
            LabourRate.currency == currency,
            LabourRate.region_id.is_(None) if region_id is None else LabourRate.region_id == region_id,
        )
    )
    rate = found.first()
    if rate is None:
        rate = LabourRate(
            id=new_id(),
            network_id=card.network_id,
            publication_id=card.id,
            region_id=region_id,
            currency=currency,
            valid_from=card.effective_on,
        )
        session.add(rate)
    rate.hourly_rate = hourly_rate.quantize(Decimal("0.01"))
    await session.flush()
    return rate


async def rates_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, list[LabourRate]]:
    """Each rate card's rates, national first."""
    require(scope, Permission.policy_read)
    return await rows_of(session, LabourRate, publication_ids, LabourRate.region_id.nulls_first(), LabourRate.currency)
