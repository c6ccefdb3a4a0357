"""Each station's claim rate this month beside its network's median, as the daily job computed it (jobs.py,
migration 0053): HQ reads its network's stations, spiking first; a station its own."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.scope import Scope
from dealernet.tenants.service.directory import network_today
from dealernet.warranty.models import StationClaimRate

MAX_ROWS = 1_000  # a network's stations


async def claim_rates(session: AsyncSession, scope: Scope, *, month: date | None = None) -> list[StationClaimRate]:
    """The month's rates (by default this month's), spiking stations first, then the highest rate."""
    require(scope, Permission.warranty_claims_read)
    assert scope.network_id is not None  # HQ or a station of a network
    first = (month or await network_today(session, scope.network_id)).replace(day=1)
    query = (
        select(StationClaimRate)
        .where(StationClaimRate.month == first)
        .order_by(StationClaimRate.spiking.desc(), StationClaimRate.rate.desc(), StationClaimRate.station_id)
        .limit(MAX_ROWS)
    )
    return list(await session.scalars(query))
