"""GraphQL for the stations' claim rates this month (the CLAIM_RATE_SPIKE check's facts): HQ sees which of its
stations claim far above the network, a station where it stands."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from dealernet.core.access import Permission
from dealernet.graphql.context import Info
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import gid
from dealernet.warranty import models
from dealernet.warranty.service import claim_rates


@strawberry.type(description="A station's claims per 100 repair orders in a month beside its network's median.")
class StationClaimRate:
    station_id: strawberry.ID = strawberry.field(description="The station (global id).")
    month: date = strawberry.field(description="The month's first day (the network's calendar).")
    claims: int = strawberry.field(description="Claims submitted for repairs of the month.")
    repair_orders: int = strawberry.field(description="Repair orders received in the month.")
    rate: Decimal = strawberry.field(description="Claims per 100 repair orders.")
    network_rate: Decimal = strawberry.field(description="The median of the network's stations.")
    spiking: bool = strawberry.field(description="Far above the median: its claims are flagged CLAIM_RATE_SPIKE.")
    computed_at: datetime = strawberry.field(description="When the daily job computed it.")

    @classmethod
    def from_row(cls, row: models.StationClaimRate) -> StationClaimRate:
        return cls(
            station_id=gid("Station", row.station_id),
            month=row.month,
            claims=row.claims,
            repair_orders=row.repair_orders,
            rate=row.rate,
            network_rate=row.network_rate,
            spiking=row.spiking,
            computed_at=row.computed_at,
        )


@strawberry.type
class ClaimRatesQuery:
    @strawberry.field(
        extensions=needs(Permission.warranty_claims_read),
        description="The stations' claim rates of a month (this month by default), spiking first: HQ its "
        "network's stations, a station its own.",
    )
    async def station_claim_rates(
        self,
        info: Info,
        month: Annotated[date | None, strawberry.argument(description="Any day of the month.")] = None,
    ) -> list[StationClaimRate]:
        rows = await info.context.run(claim_rates.claim_rates, month=month)
        return [StationClaimRate.from_row(row) for row in rows]
