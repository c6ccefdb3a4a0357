"""Publishing policy to stations: a draft becomes a published version, delivered to the stations it targets.

A publication is one versioned policy document — a price list, the labour rates, a warranty policy, a
technical bulletin, the service commitments — drafted by HQ for every station or for some regions, tiers,
brands or a list of stations. Publishing, in one transaction and set-based whatever the number of
stations: its effective-dated rows come into force from its date (versions.py; PostgreSQL refuses an
overlap), each targeted active station gets a delivery row to acknowledge and an in-app notification, and
one e-mail job is queued. A station sees a publication, and the policy rows in it, only through its
delivery (row-level security).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Uuid, any_, func, literal, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, outbox
from dealernet.core.access import Permission, require
from dealernet.core.db import group_by, new_id
from dealernet.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from dealernet.core.paging import check_page_size, cursor_date
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import Publication, PublicationDelivery
from dealernet.policy.rules import PublicationKind, PublicationStatus
from dealernet.policy.service.versions import Kind, bring_into_force, has_rows, take_out_of_force
from dealernet.tenants.models import Region, Station
from dealernet.tenants.service.directory import network_today

PRICE_LIST = Kind(PublicationKind.PRICE_LIST, "part_prices", "price", key="price_key")
LABOUR_RATES = Kind(PublicationKind.LABOUR_RATES, "labour_rates", "labour rate", key="rate_key")
WARRANTY_POLICY = Kind(PublicationKind.WARRANTY_POLICY, "warranty_coverages", "coverage", key="coverage_key")
SERVICE_COMMITMENTS = Kind(PublicationKind.SERVICE_COMMITMENTS, "service_commitments", "commitment")
BULLETIN = Kind(PublicationKind.BULLETIN, "technical_bulletins", "bulletin")
STOCK_RULES = Kind(PublicationKind.STOCK_RULES, "stock_rules", "stock rule", key="rule_key")
PRICE_COEFFICIENTS = Kind(
    PublicationKind.PRICE_COEFFICIENTS, "price_coefficients", "price coefficient", key="coefficient_key"
)
KINDS = {
    kind.name: kind
    for kind in (
        PRICE_LIST,
        LABOUR_RATES,
        WARRANTY_POLICY,
        SERVICE_COMMITMENTS,
        BULLETIN,
        STOCK_RULES,
        PRICE_COEFFICIENTS,
    )
}


@dataclass(frozen=True)
class Target:
    """Whom a publication reaches: every active station when nothing is named, else the stations of any
    named region, tier or brand, and the named stations."""

    region_ids: Sequence[UUID] = ()
    tiers: Sequence[str] = ()
    brands: Sequence[str] = ()
    station_ids: Sequence[UUID] = ()

    @property
    def everyone(self) -> bool:
        return not (self.region_ids or self.tiers or self.brands or self.station_ids)


async def check_target(session: AsyncSession, target: Target) -> Target:
    """Names trimmed and de-duplicated; every region and station must exist in the network."""
    tiers = sorted({t.strip().upper() for t in target.tiers if t.strip()})
    brands = sorted({b.strip() for b in target.brands if b.strip()})
    problems: dict[str, str] = {}
    if any(len(t) > 8 for t in tiers):
        problems["target.tiers"] = "at most 8 characters each"
    if any(len(b) > 40 for b in brands):
        problems["target.brands"] = "at most 40 characters each"
    if len(target.station_ids) > 10_000 or len(target.region_ids) > 1_000:
        problems["target"] = "at most 1,000 regions and 10,000 stations"
    if problems:
        raise ValidationFailed("the target is not valid", fields=problems)
    regions, stations = set(target.region_ids), set(target.station_ids)
    if regions and await session.scalar(select(func.count()).where(Region.id.in_(regions))) != len(regions):
        raise NotFound("no such region", fields={"target.region_ids": "not found"})
    if stations and await session.scalar(select(func.count()).where(Station.id.in_(stations))) != len(stations):
        raise NotFound("no such station", fields={"target.station_ids": "not found"})
    return Target(region_ids=sorted(regions), tiers=tiers, brands=brands, station_ids=sorted(stations))


async def draft_publication(
    session: AsyncSession,
    scope: Scope,
    *,
    kind: Kind,
    title: str,
    effective_on: date,
    target: Target = Target(),
    acknowledge_within_days: int = 14,
) -> Publication:
    """A draft of any kind, to be filled by its kind's service and published."""
    require(scope, Permission.policy_publish)
    problems: dict[str, str] = {}
    if not title.strip() or len(title.strip()) > 200:
        problems["title"] = "1 to 200 characters"
    if not 1 <= acknowledge_within_days <= 365:
        problems["acknowledge_within_days"] = "1 to 365"
    if problems:
        raise ValidationFailed(f"the {kind.name.replace('_', ' ')} draft is not valid", fields=problems)
    target = await check_target(session, target)
    publication = Publication(
        id=new_id(),
        network_id=scope.network_id,
        kind=kind.name,
        title=title.strip(),
        status=PublicationStatus.DRAFT,
        effective_on=effective_on,
        target_all=target.everyone,
        target_region_ids=list(target.region_ids),
        target_tiers=list(target.tiers),
        target_brands=list(target.brands),
        target_station_ids=list(target.station_ids),
        acknowledge_within_days=acknowledge_within_days,
        created_by=scope.actor_id,
    )
    session.add(publication)
    await session.flush()
    after = {"kind": kind.name, "title": publication.title, "effective_on": effective_on.isoformat()}
    await journal.record(session, scope, entity="publication", entity_id=publication.id, action="drafted", after=after)
    return publication


async def open_draft(session: AsyncSession, publication_id: UUID, kind: Kind | None = None) -> Publication:
    """The draft, locked for change; NotFound for another kind's (or another tenant's)."""
    publication = await session.get(Publication, publication_id, with_for_update=True)
    if publication is None or (kind is not None and publication.kind != kind.name):
        raise NotFound("no such draft", fields={"publication_id": "not found"})
    if publication.status != PublicationStatus.DRAFT:
        raise Conflict(f"the publication is {publication.status}; only a draft can change")
    return publication


# Deliver to every targeted active station, in one statement.
_DELIVER = text(
    """
    INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by)
    SELECT uuid_generate_v7(), s.network_id, :publication, s.id, now() + make_interval(days => :days)
    FROM stations s
    WHERE s.network_id = :network AND s.status = 'active'
      AND (:target_all OR s.region_id = ANY(:regions) OR s.id = ANY(:stations) OR s.tier = ANY(:tiers)
           OR s.brands && CAST(:brands AS varchar[]))
    """
)
# The fan-out job: one in-app notification per delivery not yet told (so a second run adds none).
NOTIFY_STATIONS = text(
    """
    INSERT INTO notifications (id, network_id, station_id, kind, subject, body, entity, entity_id)
    SELECT uuid_generate_v7(), d.network_id, d.station_id, 'publication_delivered', left('New: ' || p.title, 300),
           'Effective ' || to_char(p.effective_on, 'YYYY-MM-DD') || '. Please acknowledge by '
             || to_char(d.acknowledge_by AT TIME ZONE 'UTC', 'YYYY-MM-DD') || '.',
           'publication', p.id
    FROM publication_deliveries d JOIN publications p ON p.id = d.publication_id
    WHERE d.publication_id = :publication
      AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.entity_id = d.publication_id
                      AND n.station_id = d.station_id AND n.kind = 'publication_delivered')
    """
)
NOTIFY_DELIVERED = "policy.notify_delivered"


def _holds_on_today(kind: Kind) -> str:
    """SQL: publication `p` of `kind` still holds something on :today (a document always does). Table names
    come from the Kind constants in code."""
    if kind.key is None:
        return "true"
    return (
        f"EXISTS (SELECT 1 FROM {kind.table} r WHERE r.publication_id = p.id AND r.in_force"  # noqa: S608
        " AND (r.valid_to IS NULL OR r.valid_to > :today))"
    )


# A station going live (or live again) receives every published policy that targets it and still holds:
# in force today or announced for later. One statement; deliveries it has already are kept.
_DELIVER_IN_FORCE = text(
    """
    INSERT INTO publication_deliveries (id, network_id, publication_id, station_id, acknowledge_by)
    SELECT uuid_generate_v7(), p.network_id, p.id, s.id, now() + make_interval(days => p.acknowledge_within_days)
    FROM publications p JOIN stations s ON s.network_id = p.network_id
    WHERE s.id = :station AND s.status = 'active' AND p.status = 'published'
      AND (p.target_all OR s.region_id = ANY(p.target_region_ids) OR s.id = ANY(p.target_station_ids)
           OR s.tier = ANY(p.target_tiers) OR s.brands && p.target_brands)
      AND CASE p.kind {holds} END
      AND NOT EXISTS (SELECT 1 FROM publication_deliveries d WHERE d.publication_id = p.id AND d.station_id = s.id)
    RETURNING publication_id
    """.format(holds=" ".join(f"WHEN '{k.name.value}' THEN {_holds_on_today(k)}" for k in KINDS.values()))  # noqa: S608
)


async def deliver_in_force(session: AsyncSession, scope: Scope, *, station_id: UUID, today: date) -> int:
    """Deliver to a station that has just gone live, or live again, every published policy targeting it that
    is in force on `today` or announced; each delivery is told to the station like a new publication. It is
    part of HQ's act of bringing the station live, not a publishing act."""
    require(scope, Permission.policy_read)
    if scope.db_role not in (DbRole.oem, DbRole.seed):
        raise Forbidden("only HQ brings a station live")
    delivered = list((await session.execute(_DELIVER_IN_FORCE, {"station": station_id, "today": today})).scalars())
    for publication_id in delivered:
        await outbox.add(session, scope, NOTIFY_DELIVERED, {"publication": str(publication_id)})
    if delivered:
        await journal.record(
            session,
            scope,
            entity="station",
            entity_id=station_id,
            action="policy_delivered",
            after={"publications": [str(i) for i in delivered]},
            station_id=station_id,
        )
    return len(delivered)


@dataclass(frozen=True)
class Published:
    publication: Publication
    deliveries: int


async def publish(
    session: AsyncSession, scope: Scope, *, publication_id: UUID, retroactive_reason: str | None = None
) -> Published:
    """Bring a draft into force and deliver it to its stations, in one transaction. A draft effective before
    the network's today would rewrite what held on those days: it is published only as a retroactive
    correction, with the reason (kept, journaled, listed); a reason for a draft not in the past is refused."""
    require(scope, Permission.policy_publish)
    publication = await open_draft(session, publication_id)
    reason = (retroactive_reason or "").strip()
    backdated = publication.effective_on < await network_today(session, publication.network_id)
    if backdated and not reason:
        raise ValidationFailed(
            f"{publication.title} is effective {publication.effective_on}, before today: publish it as a "
            "retroactive correction, saying why",
            fields={"retroactive_reason": "required for a date in the past"},
        )
    if reason and not backdated:
        raise ValidationFailed(
            "only a publication effective before today is a retroactive correction",
            fields={"retroactive_reason": "not a correction: the date is not in the past"},
        )
    if len(reason) > 500:
        raise ValidationFailed("the reason is too long", fields={"retroactive_reason": "at most 500 characters"})
    publication.retroactive_reason = reason or None
    kind = KINDS[publication.kind]
    if not await has_rows(session, kind, publication.id):
        raise ValidationFailed(
            f"a {kind.name.replace('_', ' ')} needs at least one {kind.noun}", fields={"publication_id": "empty"}
        )
    await bring_into_force(session, kind, publication)
    delivered = await session.execute(
        _DELIVER,
        {
            "publication": publication.id,
            "network": publication.network_id,
            "days": publication.acknowledge_within_days,
            "target_all": publication.target_all,
            "regions": list(publication.target_region_ids),
            "stations": list(publication.target_station_ids),
            "tiers": list(publication.target_tiers),
            "brands": list(publication.target_brands),
        },
    )
    publication.status, publication.published_at = PublicationStatus.PUBLISHED, datetime.now(UTC)
    await session.flush()
    count = delivered.rowcount  # type: ignore[attr-defined]
    if count:  # one fan-out job, whatever the number of stations
        await outbox.add(session, scope, NOTIFY_DELIVERED, {"publication": str(publication.id)})
    after: dict[str, object] = {"status": PublicationStatus.PUBLISHED, "deliveries": count}
    if publication.retroactive_reason:
        after |= {"retroactive_reason": publication.retroactive_reason, "effective_on": str(publication.effective_on)}
    action = "published_retroactively" if publication.retroactive_reason else "published"
    await journal.record(session, scope, entity="publication", entity_id=publication.id, action=action, after=after)
    return Published(publication, count)


async def withdraw(session: AsyncSession, scope: Scope, *, publication_id: UUID, reason: str) -> Publication:
    """Take a publication back: its rows leave force, the versions before them run on again, and the
    stations that had it see it as withdrawn (their deliveries stay, as a record)."""
    require(scope, Permission.policy_publish)
    if not reason.strip():
        raise ValidationFailed("say why it is withdrawn", fields={"reason": "required"})
    publication = await session.get(Publication, publication_id, with_for_update=True)
    if publication is None:
        raise NotFound("no such publication", fields={"id": "not found"})
    if publication.status != PublicationStatus.PUBLISHED:
        raise Conflict(f"the publication is {publication.status}; only a published one can be withdrawn")
    await take_out_of_force(session, KINDS[publication.kind], publication.id)
    publication.status, publication.withdrawn_at = PublicationStatus.WITHDRAWN, datetime.now(UTC)
    await session.flush()
    await journal.record(
        session,
        scope,
        entity="publication",
        entity_id=publication.id,
        action="withdrawn",
        before={"status": PublicationStatus.PUBLISHED},
        after={"status": PublicationStatus.WITHDRAWN, "reason": reason.strip()[:500]},
    )
    return publication


async def acknowledge(session: AsyncSession, scope: Scope, *, publication_id: UUID) -> PublicationDelivery:
    """The station confirms it has received the publication (who, when). Acknowledging twice keeps the first."""
    require(scope, Permission.policy_acknowledge)
    found = (
        await session.execute(
            select(PublicationDelivery, Publication.status)
            .join(Publication, Publication.id == PublicationDelivery.publication_id)
            .where(
                PublicationDelivery.publication_id == publication_id, PublicationDelivery.station_id == scope.station_id
            )
            .with_for_update(of=PublicationDelivery)
        )
    ).first()
    if found is None:
        raise NotFound("no such publication for this station", fields={"publication_id": "not found"})
    delivery, status = found
    if status == PublicationStatus.WITHDRAWN:
        raise Conflict("the publication was withdrawn: there is nothing to acknowledge")
    if delivery.acknowledged_at is None:
        delivery.acknowledged_at, delivery.acknowledged_by = datetime.now(UTC), scope.actor_id
        await session.flush()
        await journal.record(session, scope, entity="publication", entity_id=publication_id, action="acknowledged")
    return delivery


async def rows_of(
    session: AsyncSession, model: Any, publication_ids: Sequence[UUID], *order_by: Any
) -> dict[UUID, list[Any]]:
    """The rows of `model` each publication holds (rates, coverages, rules…), for the per-publication loaders."""
    rows = await session.scalars(select(model).where(model.publication_id.in_(publication_ids)).order_by(*order_by))
    return group_by(rows, publication_ids, lambda row: row.publication_id)


async def publications_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Publication]:
    require(scope, Permission.policy_read)
    return {row.id: row for row in await session.scalars(select(Publication).where(Publication.id.in_(ids)))}


@dataclass(frozen=True)
class PublicationFilter:
    kind: PublicationKind | None = None
    effective_from: date | None = None  # effective on or after
    effective_to: date | None = None  # effective on or before
    region_id: UUID | None = None  # a regional document of the region, or one targeting it
    status: PublicationStatus | None = None
    retroactive: bool | None = None  # only retroactive corrections (True) or only the others (False)


async def list_publications(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    where: PublicationFilter = PublicationFilter(),
) -> list[Publication]:
    """Publications by effective date; first + 1 rows. A station sees those delivered to it (row-level
    security) that are published — announced or in force, not withdrawn."""
    require(scope, Permission.policy_read)
    check_page_size(first)
    conditions = []
    if scope.is_station:
        conditions.append(Publication.status == PublicationStatus.PUBLISHED)
    if where.retroactive is not None:
        corrected = Publication.retroactive_reason.is_not(None)
        conditions.append(corrected if where.retroactive else ~corrected)
    if where.kind:
        conditions.append(Publication.kind == where.kind)
    if where.status:
        conditions.append(Publication.status == where.status)
    if where.effective_from:
        conditions.append(Publication.effective_on >= where.effective_from)
    if where.effective_to:
        conditions.append(Publication.effective_on <= where.effective_to)
    if where.region_id:
        conditions.append(
            (Publication.region_id == where.region_id)
            | (literal(where.region_id, Uuid) == any_(Publication.target_region_ids))
        )
    if after is not None:
        conditions.append(tuple_(Publication.effective_on, Publication.id) > tuple_(cursor_date(after[0]), after[1]))
    stmt = select(Publication).where(*conditions).order_by(Publication.effective_on, Publication.id).limit(first + 1)
    return list(await session.scalars(stmt))


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
