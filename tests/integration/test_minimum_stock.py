"""Minimum stock per station and part: published rules, the region's fleet, the service BOM, the stations
sharing the region, HQ's overrides — as a station and HQ see it on a date."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.policy.models import Part, ServiceBomLine
from dealernet.policy.service import publications, stock
from dealernet.tenants.models import Region, Station
from tests.conftest import Scoped, Tenants
from tests.factories import network_today, next_month


async def east_fleet(seed: AsyncSession, scoped: Scoped, t: Tenants) -> tuple[UUID, UUID]:
    """Stations A and B in East with 3,000 J6P and 1,000 J7; brake pad BP-1: 4 per J6P, 6 per J7."""
    east = Region(id=new_id(), network_id=t.network_x, code="EAST", name="East")
    pad = Part(
        id=new_id(), network_id=t.network_x, part_number="BP-1", name_zh="", name_en="pad", component_group="BRAKES"
    )
    seed.add_all([east, pad])
    await seed.flush()
    seed.add_all(
        [
            ServiceBomLine(id=new_id(), network_id=t.network_x, vehicle_model=m, part_id=pad.id, quantity=Decimal(q))
            for m, q in (("J6P", 4), ("J7", 6))
        ]
    )
    await seed.execute(update(Station).where(Station.id.in_([t.station_a, t.station_b])).values(region_id=east.id))
    await seed.flush()
    async with scoped(t.hq_x.scope) as session:
        for model, vehicles in (("j6p", 3_000), ("J7", 1_000)):
            await stock.set_vehicle_population(
                session, t.hq_x.scope, region_id=east.id, vehicle_model=model, vehicles=vehicles
            )
        await session.commit()
    return east.id, pad.id


async def publish_rules(scoped: Scoped, hq: Scope, on: object, rate: str, target: publications.Target) -> UUID:
    async with scoped(hq) as session:
        rules = await stock.draft_stock_rules(session, hq, title=f"Stock rules {on}", effective_on=on, target=target)  # type: ignore[arg-type]
        await stock.set_stock_rule(
            session, hq, publication_id=rules.id, component_group="brakes", per_thousand_vehicles=Decimal(rate), floor=1
        )
        await publications.publish(session, hq, publication_id=rules.id)
        await session.commit()
        return rules.id


async def figures(scoped: Scoped, scope: Scope, station: UUID, on: object) -> list[stock.StockFigure]:
    async with scoped(scope) as session:
        return await stock.minimum_stock(session, scope, station_id=station, on=on, first=10)  # type: ignore[arg-type]


async def test_the_figure_a_station_must_hold(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    t = tenants
    _, pad = await east_fleet(seed, scoped, t)
    await publish_rules(scoped, t.hq_x.scope, network_today(), "2", publications.Target())
    await publish_rules(scoped, t.hq_x.scope, next_month(), "4", publications.Target())

    # (3,000 x 4 + 1,000 x 6) / 1,000 x 2 per thousand / 2 stations = 18
    [today] = await figures(scoped, t.manager_a.scope, t.station_a, network_today())
    assert (today.part_id, today.derived, today.override, today.minimum) == (pad, 18, None, 18)
    assert today.rule_id is not None
    [hq_view] = await figures(scoped, t.hq_x.scope, t.station_a, network_today())
    assert hq_view == today  # the station counts its region's stations as HQ does
    [later] = await figures(scoped, t.manager_a.scope, t.station_a, next_month())
    assert later.derived == 36

    async with scoped(t.hq_x.scope) as session:
        await stock.set_override(
            session, t.hq_x.scope, station_id=t.station_a, part_id=pad, minimum=25, reason="fleet customer nearby"
        )
        await session.commit()
    [overridden] = await figures(scoped, t.manager_a.scope, t.station_a, network_today())
    assert (overridden.derived, overridden.override, overridden.minimum) == (18, 25, 25)
    [b] = await figures(scoped, t.manager_b.scope, t.station_b, network_today())
    assert (b.derived, b.minimum) == (18, 18)  # the override is A's alone

    with pytest.raises(NotFound):
        await figures(scoped, t.manager_b.scope, t.station_a, network_today())


async def test_rules_not_delivered_to_a_station_do_not_apply_to_it(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    t = tenants
    await east_fleet(seed, scoped, t)
    await publish_rules(scoped, t.hq_x.scope, network_today(), "2", publications.Target(station_ids=[t.station_a]))
    [b] = await figures(scoped, t.manager_b.scope, t.station_b, network_today())
    assert (b.derived, b.rule_id) == (0, None)


@pytest.mark.parametrize(
    ("rate", "floor", "ceiling", "field"),
    [("-1", 0, None, "ceiling"), ("1", 5, 2, "ceiling"), ("0.0001", 0, None, "perThousandVehicles")],
)
async def test_bad_rules_are_refused(
    scoped: Scoped, tenants: Tenants, rate: str, floor: int, ceiling: int | None, field: str
) -> None:
    hq = tenants.hq_x.scope
    async with scoped(hq) as session:
        rules = await stock.draft_stock_rules(session, hq, title="r", effective_on=network_today())
        with pytest.raises(ValidationFailed) as refused:
            await stock.set_stock_rule(
                session,
                hq,
                publication_id=rules.id,
                component_group="G",
                per_thousand_vehicles=Decimal(rate),
                floor=floor,
                ceiling=ceiling,
            )
    assert field in refused.value.api_fields()
