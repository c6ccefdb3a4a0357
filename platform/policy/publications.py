"""Publishing policy to stations, and the first policy published this way: part price lists.

A price list is drafted (national, or for one region), filled with prices, then published: in one
transaction the previous versions of its prices are closed where the new ones start, the new prices
come into force (the exclusion constraint of migration 0007 refuses any overlap), and every targeted
station gets a delivery row to acknowledge — all set-based, whatever the number of stations.

`price_as_of` answers "the price of part P at station S on date D" from the prices in force that were
delivered to S, preferring S's region's price to the national one, and names the version it used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.audit import service as journal
from dealernet.db import new_id
from dealernet.errors import Conflict, NotFound, ValidationFailed
from dealernet.paging import check_page_size
from dealernet.policy.models import Part, PartPrice, Publication, PublicationDelivery
from dealernet.scope import Scope
from dealernet.tenants.models import Region, Station
from dealernet.tenants.permissions import Permission
from dealernet.tenants.service import require

PRICE_LIST = "price_list"
NATIONAL = UUID(int=0)  # part_prices.region_key of a national price
MONEY_LIMIT = Decimal("1e12")  # numeric(14, 2)


def check_money(value: Decimal, field: str) -> Decimal:
    """Exactly two decimals, not negative, within numeric(14, 2)."""
    if not value.is_finite() or value < 0 or value >= MONEY_LIMIT or value != value.quantize(Decimal("0.01")):
        raise ValidationFailed("an amount has two decimals and is not negative", fields={field: "invalid amount"})
    return value.quantize(Decimal("0.01"))


async def draft_price_list(
    session: AsyncSession,
    scope: Scope,
    *,
    title: str,
    effective_on: date,
    region_id: UUID | None = None,
    acknowledge_within_days: int = 14,
) -> Publication:
    """A draft price list, national (no region) or for one region's stations."""
    require(scope, Permission.policy_publish)
    if not title.strip() or len(title.strip()) > 200:
        raise ValidationFailed("a price list needs a title", fields={"title": "1 to 200 characters"})
    if not 1 <= acknowledge_within_days <= 365:
        raise ValidationFailed("1 to 365 days", fields={"acknowledgeWithinDays": "1 to 365"})
    if region_id is not None and await session.get(Region, region_id) is None:
        raise NotFound("no such region", fields={"regionId": "not found"})
    publication = Publication(
        id=new_id(),
        network_id=scope.network_id,
        kind=PRICE_LIST,
        title=title.strip(),
        status="draft",
        effective_on=effective_on,
        target_all=region_id is None,
        target_region_ids=[region_id] if region_id else [],
        target_station_ids=[],
        acknowledge_within_days=acknowledge_within_days,
        created_by=scope.actor_id,
    )
    session.add(publication)
    await session.flush()
    after = {"kind": PRICE_LIST, "title": publication.title, "effective_on": effective_on.isoformat()}
    await journal.record(session, scope, entity="publication", entity_id=publication.id, action="drafted", after=after)
    return publication


async def _draft(session: AsyncSession, publication_id: UUID) -> Publication:
    publication = await session.get(Publication, publication_id, with_for_update=True)
    if publication is None:
        raise NotFound("no such publication", fields={"publicationId": "not found"})
    if publication.status != "draft":
        raise Conflict(f"the publication is {publication.status}; only a draft can change")
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
    publication = await _draft(session, publication_id)
    currency = currency.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("an ISO 4217 currency code", fields={"currency": "e.g. CNY"})
    if await session.get(Part, part_id) is None:
        raise NotFound("no such part", fields={"partId": "not found"})
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
            region_id=publication.target_region_ids[0] if publication.target_region_ids else None,
            currency=currency,
            valid_from=publication.effective_on,
            valid_to=None,
        )
        session.add(price)
    price.list_price, price.dealer_price = list_price, dealer_price
    await session.flush()
    return price


# Close, at this list's start, each price in force of the same part, currency and region that is still open
# then; and end each of this list's prices where an already later version begins.
_CLOSE_PREVIOUS = text(
    """
    UPDATE part_prices old SET valid_to = :effective_on
    FROM part_prices new
    WHERE new.publication_id = :publication AND old.in_force
      AND old.part_id = new.part_id AND old.currency = new.currency
      AND old.region_id IS NOT DISTINCT FROM new.region_id
      AND old.valid_from < :effective_on AND (old.valid_to IS NULL OR old.valid_to > :effective_on)
    """
)
_END_BEFORE_LATER = text(
    """
    UPDATE part_prices new SET valid_to = later.starts
    FROM (SELECT n.id, min(o.valid_from) AS starts FROM part_prices n JOIN part_prices o
            ON o.in_force AND o.part_id = n.part_id AND o.currency = n.currency
           AND o.region_id IS NOT DISTINCT FROM n.region_id AND o.valid_from > :effective_on
          WHERE n.publication_id = :publication GROUP BY n.id) later
    WHERE new.id = later.id
    """
)
_IN_FORCE = text("UPDATE part_prices SET in_force = true WHERE publication_id = :publication")
_DELIVER = text(
    """
    INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by)
    SELECT uuid_generate_v7(), s.network_id, :publication, s.id, now() + make_interval(days => :days)
    FROM stations s
    WHERE s.network_id = :network AND s.status = 'active'
      AND (:target_all OR s.region_id = ANY(:regions) OR s.id = ANY(:stations))
    """
)


@dataclass(frozen=True)
class Published:
    publication: Publication
    deliveries: int


async def publish(session: AsyncSession, scope: Scope, *, publication_id: UUID) -> Published:
    """Bring a draft into force and deliver it to its stations, in one transaction."""
    require(scope, Permission.policy_publish)
    publication = await _draft(session, publication_id)
    prices = await session.scalar(select(PartPrice.id).where(PartPrice.publication_id == publication.id).limit(1))
    if prices is None:
        raise ValidationFailed("a price list needs at least one price", fields={"publicationId": "empty"})
    params = {"publication": publication.id, "effective_on": publication.effective_on}
    title = publication.title
    try:
        async with session.begin_nested():
            await session.execute(_CLOSE_PREVIOUS, params)
            await session.execute(_END_BEFORE_LATER, params)
            await session.execute(_IN_FORCE, params)
    except IntegrityError as exc:
        raise Conflict(
            f"{title}: a price in force already starts on {publication.effective_on}; withdraw it or pick another date"
        ) from exc
    delivered = await session.execute(
        _DELIVER,
        {
            "publication": publication.id,
            "network": publication.network_id,
            "days": publication.acknowledge_within_days,
            "target_all": publication.target_all,
            "regions": list(publication.target_region_ids),
            "stations": list(publication.target_station_ids),
        },
    )
    publication.status, publication.published_at = "published", datetime.now(UTC)
    await session.flush()
    count = delivered.rowcount  # type: ignore[attr-defined]
    after = {"status": "published", "deliveries": count}
    await journal.record(
        session, scope, entity="publication", entity_id=publication.id, action="published", after=after
    )
    return Published(publication, count)


# Withdrawing takes the list's prices out of force and hands their dates back to the versions they had
# closed (those that end exactly where a withdrawn price began).
_REOPEN_PREVIOUS = text(
    """
    UPDATE part_prices old SET valid_to = gone.valid_to
    FROM part_prices gone
    WHERE gone.publication_id = :publication AND old.in_force AND old.publication_id <> gone.publication_id
      AND old.part_id = gone.part_id AND old.currency = gone.currency AND old.region_key = gone.region_key
      AND old.valid_to = gone.valid_from
    """
)
_OUT_OF_FORCE = text("UPDATE part_prices SET in_force = false WHERE publication_id = :publication")


async def withdraw(session: AsyncSession, scope: Scope, *, publication_id: UUID, reason: str) -> Publication:
    """Take a published list back: its prices leave force, the versions before them run on again, and the
    stations that had it see it as withdrawn (their deliveries stay, as a record)."""
    require(scope, Permission.policy_publish)
    if not reason.strip():
        raise ValidationFailed("say why it is withdrawn", fields={"reason": "required"})
    publication = await session.get(Publication, publication_id, with_for_update=True)
    if publication is None:
        raise NotFound("no such publication", fields={"id": "not found"})
    if publication.status != "published":
        raise Conflict(f"the publication is {publication.status}; only a published one can be withdrawn")
    params = {"publication": publication.id}
    await session.execute(_OUT_OF_FORCE, params)
    await session.execute(_REOPEN_PREVIOUS, params)
    publication.status, publication.withdrawn_at = "withdrawn", datetime.now(UTC)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="publication",
        entity_id=publication.id,
        action="withdrawn",
        before={"status": "published"},
        after={"status": "withdrawn", "reason": reason.strip()[:500]},
    )
    return publication


async def acknowledge(session: AsyncSession, scope: Scope, *, publication_id: UUID) -> PublicationDelivery:
    """The station confirms it has received the publication (who, when). Acknowledging twice keeps the first."""
    require(scope, Permission.policy_acknowledge)
    delivery = (
        await session.scalars(
            select(PublicationDelivery)
            .where(
                PublicationDelivery.publication_id == publication_id, PublicationDelivery.station_id == scope.station_id
            )
            .with_for_update()
        )
    ).first()
    if delivery is None:
        raise NotFound("no such publication for this station", fields={"publicationId": "not found"})
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at, delivery.acknowledged_by = datetime.now(UTC), scope.actor_id
        await session.flush()
        await journal.record(session, scope, entity="publication", entity_id=publication_id, action="acknowledged")
    return delivery


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
        raise NotFound("no such station", fields={"stationId": "not found"})
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
    return PriceAsOf(
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


async def publications_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Publication]:
    require(scope, Permission.policy_read)
    return {row.id: row for row in await session.scalars(select(Publication).where(Publication.id.in_(ids)))}


async def list_publications(
    session: AsyncSession, scope: Scope, *, first: int, after: tuple[str, UUID] | None = None
) -> list[Publication]:
    """Publications by effective date (a station sees those delivered to it); first + 1 rows."""
    require(scope, Permission.policy_read)
    check_page_size(first)
    stmt = select(Publication).order_by(Publication.effective_on, Publication.id).limit(first + 1)
    if after is not None:
        stmt = stmt.where(
            tuple_(Publication.effective_on, Publication.id) > tuple_(date.fromisoformat(after[0]), after[1])
        )
    return list(await session.scalars(stmt))


def phase(status: str, effective_on: date, today: date) -> str:
    """draft, announced (published, not yet effective), in force, or withdrawn."""
    if status != "published":
        return status
    return "announced" if effective_on > today else "in force"


@dataclass(frozen=True)
class DeliveryCounts:
    delivered: int
    acknowledged: int
    overdue: int
    unacknowledged_station_ids: Sequence[UUID]


_DELIVERY_COUNTS = text(
    """
    SELECT count(*) AS delivered,
           count(acknowledged_at) AS acknowledged,
           count(*) FILTER (WHERE acknowledged_at IS NULL AND acknowledge_by < now()) AS overdue,
           coalesce(array_agg(station_id ORDER BY station_id) FILTER (WHERE acknowledged_at IS NULL), '{}') AS open
    FROM publication_deliveries WHERE publication_id = :publication
    """
)


async def delivery_counts(session: AsyncSession, scope: Scope, *, publication_id: UUID) -> DeliveryCounts:
    """HQ's view of one publication: delivered / acknowledged / overdue, and who has not acknowledged,
    counted in the database."""
    require(scope, Permission.policy_publish)
    row = (await session.execute(_DELIVERY_COUNTS, {"publication": publication_id})).one()
    return DeliveryCounts(
        delivered=row.delivered,
        acknowledged=row.acknowledged,
        overdue=row.overdue,
        unacknowledged_station_ids=list(row.open),
    )
