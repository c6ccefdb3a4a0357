"""Part price lists: list and dealer prices per part and currency, national or for one region (地区差价),
effective-dated and published like every policy (publications.py).

`price_as_of` answers "the price of part P at station S on date D" from the prices in force that were
delivered to S, preferring S's region's price to the national one, and names the version it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.policy.models import Part, PartPrice, PriceCoefficient, Publication
from dealernet.policy.service.publications import (
    PRICE_COEFFICIENTS,
    PRICE_LIST,
    Target,
    draft_publication,
    open_draft,
    rows_of,
)
from dealernet.tenants.models import Region, Station

NATIONAL = UUID(int=0)  # part_prices.region_key of a national price
MONEY_LIMIT = Decimal("1e12")  # numeric(14, 2)


def check_money(value: Decimal, field: str) -> Decimal:
    """Exactly two decimals, not negative, within numeric(14, 2); else VALIDATION saying which."""
    problem = ""
    if not value.is_finite():
        problem = "not an amount"
    elif value < 0:
        problem = f"{value}: negative amounts are not allowed"
    elif value >= MONEY_LIMIT:
        problem = f"{value}: at most 999999999999.99"
    elif value != value.quantize(Decimal("0.01")):
        problem = f"{value}: at most two decimals"
    if problem:
        raise ValidationFailed(f"an invalid amount ({problem})", fields={field: problem})
    return value.quantize(Decimal("0.01"))


async def draft_price_list(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    region_id: UUID | None = None,
    target: Target | None = None,
    acknowledge_within_days: int = 14,
) -> Publication:
    """A draft price list: national prices (no region) or one region's, delivered to the region's stations
    unless another target is named."""
    if region_id is not None and await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    if target is None:
        target = Target(region_ids=[region_id] if region_id else [])
    publication = await draft_publication(
        session,
        scope,
        kind=PRICE_LIST,
        title=title,
        effective_on=effective_on,
        target=target,
        acknowledge_within_days=acknowledge_within_days,
    )
    publication.region_id = region_id
    await session.flush()
    return publication


async def set_price(
    session: AsyncSession,
    scope: Scope,
    *,
    publication_id: UUID,
    part_id: UUID,
    currency: str,
    list_price: Decimal,
    dealer_price: Decimal,
) -> PartPrice:
    """Put a part's price in a draft price list (or change it there)."""
    require(scope, Permission.policy_publish)
    publication = await open_draft(session, publication_id, PRICE_LIST)
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("an ISO 4217 currency code", fields={"currency": "e.g. CNY"})
    if await session.get(Part, part_id) is None:
        raise NotFound("no such part", fields={"part_id": "not found"})
    list_price, dealer_price = check_money(list_price, "listPrice"), check_money(dealer_price, "dealerPrice")
    price = (
        await session.scalars(
            select(PartPrice).where(
                PartPrice.publication_id == publication.id, PartPrice.part_id == part_id, PartPrice.currency == currency
            )
        )
    ).first()
    if price is None:
        price = PartPrice(
            id=new_id(),
            network_id=publication.network_id,
            publication_id=publication.id,
            part_id=part_id,
            region_id=publication.region_id,
            currency=currency,
            valid_from=publication.effective_on,
            valid_to=None,
        )
        session.add(price)
    price.list_price, price.dealer_price = list_price, dealer_price
    await session.flush()
    return price


@dataclass(frozen=True)
class PriceAsOf:
    part_id: UUID
    on: date
    currency: str
    list_price: Decimal
    dealer_price: Decimal
    price_id: UUID
    publication_id: UUID
    valid_from: date
    regional: bool
    # The national price times the region's coefficient (地区差价), when the region has no price of its own.
    coefficient: Decimal | None = None
    coefficient_id: UUID | None = None


# In-force versions of one part, currency and region never overlap, so the only one that can hold the date is
# the newest starting on or before it: one backward step in ix_part_prices_as_of per level (the station's
# region, then national). Then: does it still run on that date, and was it delivered to the station?
_PRICE_AS_OF = text(
    """
    WITH candidate AS (
      (SELECT p.id, p.publication_id, p.list_price, p.dealer_price, p.valid_from, p.valid_to, true AS regional
       FROM part_prices p
       WHERE p.part_id = :part AND p.currency = :currency AND p.in_force AND p.region_key = :region
         AND p.valid_from <= CAST(:on AS date)
       ORDER BY p.valid_from DESC LIMIT 1)
      UNION ALL
      (SELECT p.id, p.publication_id, p.list_price, p.dealer_price, p.valid_from, p.valid_to, false AS regional
       FROM part_prices p
       WHERE p.part_id = :part AND p.currency = :currency AND p.in_force AND p.region_key = :national
         AND p.valid_from <= CAST(:on AS date)
       ORDER BY p.valid_from DESC LIMIT 1)
    )
    SELECT c.id, c.publication_id, c.list_price, c.dealer_price, c.valid_from, c.regional
    FROM candidate c
    WHERE (c.valid_to IS NULL OR c.valid_to > CAST(:on AS date))
      AND EXISTS (SELECT 1 FROM publication_deliveries d
                  WHERE d.publication_id = c.publication_id AND d.station_id = :station)
    ORDER BY c.regional DESC
    LIMIT 1
    """
)


async def price_as_of(
    session: AsyncSession, scope: Scope, *, part_id: UUID, station_id: UUID, on: date, currency: str = "CNY"
) -> PriceAsOf | None:
    """The price of a part at a station on a date (the station's region's price before the national one),
    from the price lists delivered to that station; None when it had none."""
    require(scope, Permission.parts_read)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    row = (
        await session.execute(
            _PRICE_AS_OF,
            {
                "part": part_id,
                "currency": currency.upper(),
                "on": on,
                "region": station.region_id,  # None matches no regional price
                "national": NATIONAL,
                "station": station.id,
            },
        )
    ).first()
    if row is None:
        return None
    found = PriceAsOf(
        part_id=part_id,
        on=on,
        currency=currency.upper(),
        list_price=row.list_price,
        dealer_price=row.dealer_price,
        price_id=row.id,
        publication_id=row.publication_id,
        valid_from=row.valid_from,
        regional=row.regional,
    )
    if row.regional or station.region_id is None:
        return found
    coefficient = (
        await session.execute(_COEFFICIENT_AS_OF, {"region": station.region_id, "on": on, "station": station.id})
    ).first()
    if coefficient is None:
        return found
    factor = coefficient.coefficient
    return replace(
        found,
        list_price=(found.list_price * factor).quantize(CENT, ROUND_HALF_UP),
        dealer_price=(found.dealer_price * factor).quantize(CENT, ROUND_HALF_UP),
        coefficient=factor,
        coefficient_id=coefficient.id,
    )


# The region's coefficient on the date, from the coefficients delivered to the station: one backward step.
_COEFFICIENT_AS_OF = text(
    """
    SELECT c.id, c.coefficient FROM (
      SELECT k.id, k.publication_id, k.coefficient, k.valid_to FROM price_coefficients k
      WHERE k.region_id = :region AND k.in_force AND k.valid_from <= CAST(:on AS date)
      ORDER BY k.valid_from DESC LIMIT 1
    ) c
    WHERE (c.valid_to IS NULL OR c.valid_to > CAST(:on AS date))
      AND EXISTS (SELECT 1 FROM publication_deliveries d
                  WHERE d.publication_id = c.publication_id AND d.station_id = :station)
    """
)
CENT = Decimal("0.01")


async def draft_price_coefficients(
    session: AsyncSession, scope: Scope, *, title: str, effective_on: date, target: Target = Target()
) -> Publication:
    """A draft set of regional price coefficients; set one per region with `set_price_coefficient`."""
    return await draft_publication(
        session, scope, kind=PRICE_COEFFICIENTS, title=title, effective_on=effective_on, target=target
    )


async def set_price_coefficient(
    session: AsyncSession, scope: Scope, *, publication_id: UUID, region_id: UUID, coefficient: Decimal
) -> PriceCoefficient:
    """A region's coefficient in a draft set (1.05: the region pays 5 % above the national price)."""
    require(scope, Permission.policy_publish)
    draft = await open_draft(session, publication_id, PRICE_COEFFICIENTS)
    if not coefficient.is_finite() or not 0 < coefficient < 10 or coefficient != round(coefficient, 4):
        raise ValidationFailed("above 0 and below 10, four decimals at most", fields={"coefficient": "invalid"})
    if await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"region_id": "not found"})
    found = await session.scalars(
        select(PriceCoefficient).where(
            PriceCoefficient.publication_id == draft.id, PriceCoefficient.region_id == region_id
        )
    )
    row = found.first()
    if row is None:
        row = PriceCoefficient(
            id=new_id(),
            network_id=draft.network_id,
            publication_id=draft.id,
            region_id=region_id,
            valid_from=draft.effective_on,
        )
        session.add(row)
    row.coefficient = coefficient
    await session.flush()
    return row


async def coefficients_of(
    session: AsyncSession, scope: Scope, publication_ids: Sequence[UUID]
) -> dict[UUID, list[PriceCoefficient]]:
    require(scope, Permission.policy_read)
    return await rows_of(session, PriceCoefficient, publication_ids, PriceCoefficient.region_id)


@dataclass(frozen=True)
class ListPrice:
    part_id: UUID
    currency: str
    region_id: UUID | None
    list_price: Decimal
    valid_from: date


async def list_prices_in_force(
    session: AsyncSession, scope: Scope, part_ids: Sequence[UUID], *, on: date
) -> dict[UUID, list[ListPrice]]:
    """Each part's list prices holding on a date, national and regional — only the columns a supplier may
    read (row-level security decides whose: HQ all, a station what was delivered to it, a supplier its parts')."""
    require(scope, Permission.parts_read)
    rows = await session.execute(
        select(PartPrice.part_id, PartPrice.currency, PartPrice.region_id, PartPrice.list_price, PartPrice.valid_from)
        .where(
            PartPrice.part_id.in_(part_ids),
            PartPrice.in_force,
            PartPrice.valid_from <= on,
            (PartPrice.valid_to.is_(None)) | (PartPrice.valid_to > on),
        )
        .order_by(PartPrice.part_id, PartPrice.currency, PartPrice.region_id.nulls_first())
    )
    found: dict[UUID, list[ListPrice]] = {part_id: [] for part_id in part_ids}
    for row in rows:
        found[row.part_id].append(ListPrice(row.part_id, row.currency, row.region_id, row.list_price, row.valid_from))
    return found
