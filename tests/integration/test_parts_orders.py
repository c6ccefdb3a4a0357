"""Parts orders against real PostgreSQL: the stock order the minimum stock suggests, placed as it is."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.errors import Forbidden
from dealernet.policy.service import publications
from dealernet.workshop.rules import PartsOrderKind, PartsOrderStatus
from dealernet.workshop.service import parts_orders
from tests.conftest import Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_minimum_stock import east_fleet, publish_rules


async def test_the_minimum_stock_suggests_the_stock_order(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    _, pad = await east_fleet(seed, scoped, tenants)
    await publish_rules(scoped, tenants.hq_x.scope, network_today(), "2", publications.Target())
    station = tenants.manager_a.scope
    async with scoped(station) as session:
        [suggestion] = await parts_orders.suggested_stock_order(session, station)
        assert (suggestion.part_id, suggestion.minimum) == (pad, 18)  # (3,000 x 4 + 1,000 x 6) / 1,000 x 2 / 2
        order = await parts_orders.place_order(
            session, station, kind=PartsOrderKind.STOCK, lines=[(suggestion.part_id, suggestion.minimum)]
        )
        assert order.status == PartsOrderStatus.SUBMITTED
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(Forbidden):
            await parts_orders.suggested_stock_order(session, tenants.hq_x.scope)
