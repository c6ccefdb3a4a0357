""" "What was true on date D at station S": the policy a warranty claim is judged by — a part's price, the
labour rate and an operation's flat-rate hours, the coverage of the component group and the warranty terms
— each from the versions in force on D that were delivered to S, and naming the versions used.

Every lookup is one or two backward steps in an index (the newest version starting on or before D, for the
station's region and then nationally), then "does it still run on D, and was it delivered to S". See
bench/asof_plan.py for the plan over 1,000 versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from uuid import UUID

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Permission, require
from dealernet.core.errors import NotFound
from dealernet.core.scope import Scope
from dealernet.policy.models import LabourOperation, Part
from dealernet.policy.service.prices import NATIONAL, PriceAsOf, price_as_of
from dealernet.tenants.models import Station

_RATE_AS_OF = text(
    """
    WITH candidate AS (
      (SELECT r.id, r.publication_id, r.hourly_rate, r.valid_from, r.valid_to, true AS regional FROM labour_rates r
       WHERE r.network_id = :network AND r.region_key = :region AND r.currency = :currency AND r.in_force
         AND r.valid_from <= CAST(:on AS date)
       ORDER BY r.valid_from DESC LIMIT 1)
      UNION ALL
      (SELECT r.id, r.publication_id, r.hourly_rate, r.valid_from, r.valid_to, false FROM labour_rates r
       WHERE r.network_id = :network AND r.region_key = :national AND r.currency = :currency AND r.in_force
         AND r.valid_from <= CAST(:on AS date)
       ORDER BY r.valid_from DESC LIMIT 1)
    )
    SELECT c.id, c.publication_id, c.hourly_rate, c.valid_from, c.regional FROM candidate c
    WHERE (c.valid_to IS NULL OR c.valid_to > CAST(:on AS date)) AND EXISTS (SELECT 1 FROM publication_deliveries d
                  WHERE d.publication_id = c.publication_id AND d.station_id = :station)
    ORDER BY c.regional DESC LIMIT 1
    """
)
_COVERAGE_AS_OF = text(
    """
    SELECT c.id, c.publication_id, c.months, c.km, c.valid_from, t.id AS terms_id FROM (
      SELECT w.id, w.publication_id, w.months, w.km, w.valid_from, w.valid_to FROM warranty_coverages w
      WHERE w.network_id = :network AND w.component_group = :group AND w.in_force
        AND w.valid_from <= CAST(:on AS date)
      ORDER BY w.valid_from DESC LIMIT 1
    ) c LEFT JOIN warranty_terms t ON t.publication_id = c.publication_id
    WHERE (c.valid_to IS NULL OR c.valid_to > CAST(:on AS date)) AND EXISTS (SELECT 1 FROM publication_deliveries d
                  WHERE d.publication_id = c.publication_id AND d.station_id = :station)
    """
)


@dataclass(frozen=True)
class RateAsOf:
    hourly_rate: Decimal
    currency: str
    rate_id: UUID
    publication_id: UUID
    valid_from: date
    regional: bool


@dataclass(frozen=True)
class CoverageAsOf:
    component_group: str
    months: int
    km: int
    coverage_id: UUID
    publication_id: UUID  # the warranty policy version
    terms_id: UUID | None
    valid_from: date


@dataclass(frozen=True)
class OperationAsOf:
    operation_id: UUID
    code: str
    flat_rate_hours: Decimal
    component_group: str


@dataclass(frozen=True)
class PolicyAsOf:
    station_id: UUID
    on: date
    price: PriceAsOf | None
    labour_rate: RateAsOf | None
    operation: OperationAsOf | None
    coverage: CoverageAsOf | None  # of the part's component group (else the operation's)

    @property
    def labour_amount(self) -> Decimal | None:
        """Flat-rate hours times the rate: what the operation is worth at the station on the date."""
        if self.operation is None or self.labour_rate is None:
            return None
        return (self.operation.flat_rate_hours * self.labour_rate.hourly_rate).quantize(Decimal("0.01"))


async def labour_rate_as_of(
    session: AsyncSession, station: Station, *, on: date, currency: str = "CNY"
) -> RateAsOf | None:
    row = (
        await session.execute(
            _RATE_AS_OF,
            {
                "network": station.network_id,
                "region": station.region_id or NATIONAL,
                "national": NATIONAL,
                "currency": currency,
                "on": on,
                "station": station.id,
            },
        )
    ).first()
    if row is None:
        return None
    return RateAsOf(row.hourly_rate, currency, row.id, row.publication_id, row.valid_from, row.regional)


async def coverage_as_of(session: AsyncSession, station: Station, *, group: str, on: date) -> CoverageAsOf | None:
    params = {"network": station.network_id, "group": group, "on": on, "station": station.id}
    row = (await session.execute(_COVERAGE_AS_OF, params)).first()
    if row is None:
        return None
    return CoverageAsOf(group, row.months, row.km, row.id, row.publication_id, row.terms_id, row.valid_from)


async def policy_as_of(
    session: AsyncSession,
    scope: Scope,
    *,
    station_id: UUID,
    on: date,
    part_id: UUID | None = None,
    operation_id: UUID | None = None,
    currency: str = "CNY",
) -> PolicyAsOf:
    """Everything a claim line for part P and operation O at station S on date D is priced and judged by."""
    require(scope, Permission.policy_read)
    station = await session.get(Station, station_id)
    if station is None:
        raise NotFound("no such station", fields={"station_id": "not found"})
    currency = currency.strip().upper()
    part = await session.get(Part, part_id) if part_id else None
    if part_id and part is None:
        raise NotFound("no such part", fields={"part_id": "not found"})
    operation = await session.get(LabourOperation, operation_id) if operation_id else None
    if operation_id and operation is None:
        raise NotFound("no such labour operation", fields={"operation_id": "not found"})
    price = (
        await price_as_of(session, scope, part_id=part.id, station_id=station.id, on=on, currency=currency)
        if part
        else None
    )
    group = part.component_group if part else operation.component_group if operation else None
    return PolicyAsOf(
        station_id=station.id,
        on=on,
        price=price,
        labour_rate=await labour_rate_as_of(session, station, on=on, currency=currency) if operation else None,
        operation=OperationAsOf(operation.id, operation.code, operation.flat_rate_hours, operation.component_group)
        if operation
        else None,
        coverage=await coverage_as_of(session, station, group=group, on=on) if group else None,
    )
