"""Price lists through the services against real PostgreSQL: drafting, publishing to all stations or one
region, versions closing where the next begins, overlaps refused by the exclusion constraint, the as-of
lookup naming its version, acknowledgement counts, and what stations and suppliers may read."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, ValidationFailed
from dealernet.core.outbox import OutboxRow
from dealernet.core.scope import DbRole, Scope
from dealernet.network.models import Application
from dealernet.network.rules import Action
from dealernet.network.service import applications
from dealernet.policy.models import Part, PartPrice, PublicationDelivery
from dealernet.policy.service import prices, publications
from dealernet.policy.service.publications import NOTIFY_DELIVERED
from dealernet.tenants.models import Region, Station
from tests.conftest import PartnerWorld, Scoped, Tenants
from tests.factories import network_today, next_month


async def world(seed: AsyncSession, t: Tenants, pw: PartnerWorld) -> tuple[UUID, UUID, UUID, UUID]:
    """Regions East (station A) and West (station B) of network X; part P1 (supplied by P) and P2."""
    east, west = (Region(id=new_id(), network_id=t.network_x, code=c, name=c) for c in ("EAST", "WEST"))
    p1 = Part(
        id=new_id(),
        network_id=t.network_x,
        part_number="P1",
        name_zh="",
        name_en="p1",
        component_group="G",
        unit="EA",
        supplier_id=pw.partner_p,
    )
    p2 = Part(
        id=new_id(), network_id=t.network_x, part_number="P2", name_zh="", name_en="p2", component_group="G", unit="EA"
    )
    seed.add_all([east, west, p1, p2])
    await seed.flush()
    await seed.execute(update(Station).where(Station.id == t.station_a).values(region_id=east.id))
    await seed.execute(update(Station).where(Station.id == t.station_b).values(region_id=west.id))
    return east.id, west.id, p1.id, p2.id


async def price_list(
    scoped: Scoped, hq: Scope, effective_on: date, amounts: dict[UUID, tuple[str, str]], region: UUID | None = None
) -> UUID:
    async with scoped(hq) as session:
        draft = await prices.draft_price_list(
            session, hq, title=f"Prices from {effective_on}", effective_on=effective_on, region_id=region
        )
        for part, (list_price, dealer_price) in amounts.items():
            await prices.set_price(
                session,
                hq,
                publication_id=draft.id,
                part_id=part,
                currency="CNY",
                list_price=Decimal(list_price),
                dealer_price=Decimal(dealer_price),
            )
        await session.commit()
        return draft.id


async def publish(scoped: Scoped, hq: Scope, publication_id: UUID) -> int:
    """Publish; the tests build a past, so a list effective before today goes out as the correction it is."""
    async with scoped(hq) as session:
        draft = (await publications.publications_by_id(session, hq, [publication_id]))[publication_id]
        history = "the test network's history" if draft.effective_on < network_today() else None
        published = await publications.publish(session, hq, publication_id=publication_id, retroactive_reason=history)
        await session.commit()
        return published.deliveries


async def as_of(scoped: Scoped, scope: Scope, part: UUID, station: UUID, on: date) -> prices.PriceAsOf | None:
    async with scoped(scope) as session:
        return await prices.price_as_of(session, scope, part_id=part, station_id=station, on=on)


async def test_the_price_list_scenario(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    t = tenants
    east, _, p1, p2 = await world(seed, t, partner_world)
    hq = t.hq_x.scope
    national = await price_list(
        scoped, hq, network_today() - timedelta(days=30), {p1: ("100.00", "80.00"), p2: ("5.00", "4.00")}
    )
    regional = await price_list(scoped, hq, next_month(), {p1: ("120.00", "95.00")}, region=east)

    async with scoped(t.manager_a.scope) as session:  # a draft is nobody's business but HQ's
        assert (await session.execute(text("SELECT count(*) FROM part_prices"))).scalar() == 0

    assert await publish(scoped, hq, national) == 2  # stations A and B
    assert await publish(scoped, hq, regional) == 1  # East: station A only

    # East's station sees the regional list announced; West's does not see it at all.
    for principal, expected in ((t.manager_a, {national, regional}), (t.manager_b, {national})):
        async with scoped(principal.scope) as session:
            seen = set((await session.execute(text("SELECT id FROM publications"))).scalars())
        assert seen == expected

    today_a = await as_of(scoped, t.manager_a.scope, p1, t.station_a, network_today())
    next_a = await as_of(scoped, t.manager_a.scope, p1, t.station_a, next_month())
    next_b = await as_of(scoped, hq, p1, t.station_b, next_month())  # HQ asking about station B
    assert today_a is not None
    assert (today_a.list_price, today_a.publication_id) == (Decimal("100.00"), national)
    assert next_a is not None
    assert (next_a.list_price, next_a.publication_id, next_a.regional) == (
        Decimal("120.00"),
        regional,
        True,
    )
    assert next_b is not None
    assert (next_b.list_price, next_b.publication_id) == (Decimal("100.00"), national)
    assert await as_of(scoped, hq, p1, t.station_a, network_today() - timedelta(days=31)) is None  # before any price

    # A later national list closes the first one where it starts.
    later = await price_list(scoped, hq, next_month() + timedelta(days=30), {p1: ("110.00", "85.00")})
    await publish(scoped, hq, later)
    before = await as_of(scoped, hq, p1, t.station_b, next_month() + timedelta(days=29))
    after = await as_of(scoped, hq, p1, t.station_b, next_month() + timedelta(days=30))
    assert before is not None
    assert before.publication_id == national
    assert after is not None
    assert (after.list_price, after.valid_from) == (
        Decimal("110.00"),
        next_month() + timedelta(days=30),
    )

    # Acknowledgement: station A confirms the regional list; HQ sees the counts and who is missing.
    async with scoped(t.manager_a.scope) as session:
        await publications.acknowledge(session, t.manager_a.scope, publication_id=regional)
        await session.commit()
    async with scoped(hq) as session:
        regional_counts = await publications.delivery_counts(session, hq, publication_id=regional)
        national_counts = await publications.delivery_counts(session, hq, publication_id=national)
    assert (regional_counts.delivered, regional_counts.acknowledged, regional_counts.overdue) == (1, 1, 0)
    assert (national_counts.delivered, national_counts.acknowledged) == (2, 0)
    assert set(national_counts.unacknowledged_station_ids) == {t.station_a, t.station_b}

    # Past the deadline, the open deliveries count as overdue; the acknowledged one does not.
    await seed.execute(text("UPDATE publication_deliveries SET acknowledge_by = now() - interval '1 day'"))
    async with scoped(hq) as session:
        late_national = await publications.delivery_counts(session, hq, publication_id=national)
        late_regional = await publications.delivery_counts(session, hq, publication_id=regional)
    assert (late_national.overdue, late_regional.overdue) == (2, 0)


async def test_overlapping_validity_is_refused_and_nothing_is_written(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    _, _, p1, _ = await world(seed, tenants, partner_world)
    hq = tenants.hq_x.scope
    await publish(scoped, hq, await price_list(scoped, hq, network_today(), {p1: ("100.00", "80.00")}))
    clash = await price_list(scoped, hq, network_today(), {p1: ("99.00", "79.00")})
    with pytest.raises(Conflict, match="already starts"):
        await publish(scoped, hq, clash)
    state = (await seed.execute(text("SELECT status FROM publications WHERE id = :id"), {"id": clash})).scalar()
    deliveries = (
        await seed.execute(
            text("SELECT count(*) FROM publication_deliveries WHERE publication_id = :id"), {"id": clash}
        )
    ).scalar()
    assert (state, deliveries) == ("draft", 0)
    with pytest.raises(DBAPIError, match="ex_part_prices_no_overlap"):  # the database itself refuses it too
        async with seed.begin_nested():
            await seed.execute(update(PartPrice).where(PartPrice.publication_id == clash).values(in_force=True))


async def test_bad_prices_are_refused(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    _, _, p1, _ = await world(seed, tenants, partner_world)
    hq = tenants.hq_x.scope
    draft = await price_list(scoped, hq, network_today(), {})
    for list_price, currency in (("1.005", "CNY"), ("-1.00", "CNY"), ("1.00", "yuan"), ("NaN", "CNY")):
        async with scoped(hq) as session:
            with pytest.raises(ValidationFailed):
                await prices.set_price(
                    session,
                    hq,
                    publication_id=draft,
                    part_id=p1,
                    currency=currency,
                    list_price=Decimal(list_price),
                    dealer_price=Decimal("1.00"),
                )
    async with scoped(hq) as session:
        with pytest.raises(ValidationFailed, match="at least one price"):
            await publications.publish(session, hq, publication_id=draft)


async def test_a_supplier_reads_list_prices_of_its_own_parts_only(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    _, _, p1, p2 = await world(seed, tenants, partner_world)
    hq = tenants.hq_x.scope
    await publish(
        scoped, hq, await price_list(scoped, hq, network_today(), {p1: ("100.00", "80.00"), p2: ("5.00", "4.00")})
    )
    supplier = Scope(
        db_role=DbRole.partner,
        network_id=tenants.network_x,
        partner_id=partner_world.partner_p,
        actor_id=partner_world.client_p,
        role="partner_client",
        client_id=partner_world.client_p,
    )
    async with scoped(supplier) as session:
        rows = (await session.execute(select(PartPrice.part_id, PartPrice.list_price))).all()
        assert rows == [(p1, Decimal("100.00"))]
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("SELECT dealer_price FROM part_prices"))


async def test_withdrawing_a_list_lets_the_previous_version_run_on(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    _, _, p1, _ = await world(seed, tenants, partner_world)
    hq, later_day = tenants.hq_x.scope, next_month() + timedelta(days=1)
    first = await price_list(scoped, hq, network_today() - timedelta(days=30), {p1: ("100.00", "80.00")})
    await publish(scoped, hq, first)
    second = await price_list(scoped, hq, next_month(), {p1: ("110.00", "85.00")})
    await publish(scoped, hq, second)
    before = await as_of(scoped, hq, p1, tenants.station_b, later_day)
    assert before is not None
    assert before.list_price == Decimal("110.00")

    async with scoped(hq) as session:
        with pytest.raises(ValidationFailed):
            await publications.withdraw(session, hq, publication_id=second, reason=" ")
        withdrawn = await publications.withdraw(session, hq, publication_id=second, reason="wrong prices")
        await session.commit()
    assert withdrawn.status == "withdrawn"
    after = await as_of(scoped, hq, p1, tenants.station_b, later_day)
    assert after is not None
    assert (after.list_price, after.publication_id) == (Decimal("100.00"), first)

    async with scoped(hq) as session:
        with pytest.raises(Conflict):
            await publications.withdraw(session, hq, publication_id=second, reason="again")
    corrected = await price_list(scoped, hq, next_month(), {p1: ("105.00", "84.00")})
    await publish(scoped, hq, corrected)  # the withdrawn list no longer blocks its dates
    fixed = await as_of(scoped, hq, p1, tenants.station_b, later_day)
    assert fixed is not None
    assert fixed.list_price == Decimal("105.00")


async def test_a_regional_coefficient_prices_the_national_list_for_its_region(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    """地区差价: East pays the national price times 1.05 from next month, unless East has a price of its own;
    the version used is named; West keeps the national price."""
    t, hq = tenants, tenants.hq_x.scope
    east, _, p1, p2 = await world(seed, t, partner_world)
    await publish(
        scoped, hq, await price_list(scoped, hq, network_today(), {p1: ("100.00", "80.00"), p2: ("9.99", "7.77")})
    )
    await publish(scoped, hq, await price_list(scoped, hq, network_today(), {p2: ("12.00", "10.00")}, region=east))
    async with scoped(hq) as session:
        coefficients = await prices.draft_price_coefficients(
            session, hq, title="Regional 2026", effective_on=next_month()
        )
        row = await prices.set_price_coefficient(
            session, hq, publication_id=coefficients.id, region_id=east, coefficient=Decimal("1.05")
        )
        with pytest.raises(ValidationFailed):
            await prices.set_price_coefficient(
                session, hq, publication_id=coefficients.id, region_id=east, coefficient=Decimal("0")
            )
        await publications.publish(session, hq, publication_id=coefficients.id)
        await session.commit()

    today = await as_of(scoped, t.manager_a.scope, p1, t.station_a, network_today())
    assert today is not None
    assert (today.list_price, today.coefficient) == (Decimal("100.00"), None)
    later = await as_of(scoped, t.manager_a.scope, p1, t.station_a, next_month())
    assert later is not None
    assert (later.list_price, later.dealer_price, later.coefficient) == (
        Decimal("105.00"),
        Decimal("84.00"),
        Decimal("1.0500"),
    )
    assert later.coefficient_id == row.id
    own_price = await as_of(scoped, t.manager_a.scope, p2, t.station_a, next_month())  # East's own price wins
    assert own_price is not None
    assert (own_price.list_price, own_price.coefficient) == (Decimal("12.00"), None)
    west = await as_of(scoped, t.manager_b.scope, p1, t.station_b, next_month())
    assert west is not None
    assert (west.list_price, west.coefficient) == (Decimal("100.00"), None)


async def test_a_station_back_in_service_receives_the_policy_that_still_holds(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    """Issue 14 item 9: a station that went live (or live again) after a publication got none of it, so it
    could not price a repair."""
    t = tenants
    _, _, p1, p2 = await world(seed, t, partner_world)
    hq = t.hq_x.scope
    await seed.execute(update(Station).where(Station.id == t.station_b).values(status="suspended"))
    seed.add(
        Application(id=new_id(), network_id=t.network_x, station_id=t.station_b, company_name="B", stage="suspended")
    )
    await seed.flush()
    superseded = await price_list(scoped, hq, network_today() - timedelta(days=60), {p1: ("100.00", "80.00")})
    current = await price_list(scoped, hq, network_today() - timedelta(days=10), {p1: ("110.00", "88.00")})
    announced = await price_list(scoped, hq, next_month(), {p2: ("5.00", "4.00")})
    withdrawn = await price_list(scoped, hq, network_today() - timedelta(days=5), {p2: ("6.00", "5.00")})
    for publication in (superseded, current, announced, withdrawn):
        assert await publish(scoped, hq, publication) == 1  # station A only: B is suspended
    async with scoped(hq) as session:
        await publications.withdraw(session, hq, publication_id=withdrawn, reason="wrong prices")
        await session.commit()
    assert await as_of(scoped, t.manager_b.scope, p1, t.station_b, network_today()) is None

    async with scoped(hq) as session:
        await applications.change_station_standing(
            session, hq, station_id=t.station_b, action=Action.REACTIVATE, reason="back in service"
        )
        await session.commit()

    delivered = await seed.scalars(
        select(PublicationDelivery.publication_id).where(PublicationDelivery.station_id == t.station_b)
    )
    assert set(delivered) == {current, announced}  # not the superseded list, not the withdrawn one
    price = await as_of(scoped, t.manager_b.scope, p1, t.station_b, network_today())
    assert price is not None
    assert price.list_price == Decimal("110.00")
    told = await seed.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.job == NOTIFY_DELIVERED))
    assert told == 4 + 2  # one fan-out per publishing, one per publication the station received
    async with scoped(hq) as session:  # a second delivery finds nothing new
        assert await publications.deliver_in_force(session, hq, station_id=t.station_b, today=network_today()) == 0
