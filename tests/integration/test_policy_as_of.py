"""Labour rate cards, warranty policy versions, service commitments and bulletins through the services, and
the one as-of lookup a claim is judged by: rate, flat-rate hours, coverage and terms on a date, naming
the versions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.policy.models import LabourOperation, Part, Publication
from dealernet.policy.service import as_of, documents, labour, publications, warranty
from dealernet.tenants.models import Region, Station
from tests.conftest import Scoped, Tenants
from tests.factories import network_today, next_month


def last_month() -> date:
    return network_today() - timedelta(days=30)


TERMS = warranty.Terms(
    exclusions=["wear parts (brake pads, wiper blades)", "damage from accidents or misuse"],
    repair_guarantees=[
        warranty.RepairGuarantee("overhaul", 20_000, 100),
        warranty.RepairGuarantee("second-level maintenance", 5_000, 30),
    ],
    three_guarantees={"repair_period_months": 36, "repair_period_km": 100_000, "max_repairs_same_fault": 5},
)


async def world(seed: AsyncSession, t: Tenants) -> tuple[UUID, UUID, UUID]:
    """East (station A) and West (station B); part BP-1 and operation BR-01 (1.50 h), both BRAKES."""
    east, west = (Region(id=new_id(), network_id=t.network_x, code=c, name=c) for c in ("EAST", "WEST"))
    part = Part(
        id=new_id(), network_id=t.network_x, part_number="BP-1", name_zh="", name_en="pad", component_group="BRAKES"
    )
    operation = LabourOperation(
        id=new_id(),
        network_id=t.network_x,
        code="BR-01",
        description="replace pads",
        flat_rate_hours=Decimal("1.50"),
        component_group="BRAKES",
    )
    seed.add_all([east, west, part, operation])
    await seed.flush()
    await seed.execute(update(Station).where(Station.id == t.station_a).values(region_id=east.id))
    await seed.execute(update(Station).where(Station.id == t.station_b).values(region_id=west.id))
    return east.id, part.id, operation.id


def _history(on: object) -> str | None:
    """The tests build a past: a version effective before today is published as the correction it is."""
    return "the test network's history" if isinstance(on, date) and on < network_today() else None


async def rate_card(scoped: Scoped, hq: Scope, on: object, rates: dict[UUID | None, str]) -> Publication:
    async with scoped(hq) as session:
        card = await labour.draft_labour_rates(session, hq, title=f"Rates {on}", effective_on=on)  # type: ignore[arg-type]
        for region, rate in rates.items():
            await labour.set_labour_rate(
                session, hq, publication_id=card.id, region_id=region, hourly_rate=Decimal(rate)
            )
        await publications.publish(session, hq, publication_id=card.id, retroactive_reason=_history(on))
        await session.commit()
        return card


async def policy(scoped: Scoped, hq: Scope, on: object, months: int, km: int) -> Publication:
    async with scoped(hq) as session:
        version = await warranty.draft_warranty_policy(
            session, hq, title=f"Warranty {on}", effective_on=on, terms=TERMS
        )  # type: ignore[arg-type]
        await warranty.set_coverage(
            session, hq, publication_id=version.id, component_group="brakes", months=months, km=km
        )
        await publications.publish(session, hq, publication_id=version.id, retroactive_reason=_history(on))
        await session.commit()
        return version


async def test_the_rate_hours_and_coverage_a_claim_is_judged_by(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    t, hq = tenants, tenants.hq_x.scope
    east, part, operation = await world(seed, t)
    first_card = await rate_card(scoped, hq, last_month(), {None: "80.00", east: "100.00"})
    east_later = await rate_card(scoped, hq, next_month(), {east: "120.00"})
    v1 = await policy(scoped, hq, last_month(), 24, 50_000)
    v2 = await policy(scoped, hq, next_month(), 36, 100_000)

    async def lookup(principal_scope: Scope, station: UUID, on: object) -> as_of.PolicyAsOf:
        async with scoped(principal_scope) as session:
            return await as_of.policy_as_of(
                session,
                principal_scope,
                station_id=station,
                on=on,
                part_id=part,
                operation_id=operation,  # type: ignore[arg-type]
            )

    a_today = await lookup(t.manager_a.scope, t.station_a, network_today())
    assert a_today.labour_rate is not None
    assert a_today.coverage is not None
    assert a_today.operation is not None
    assert (a_today.labour_rate.hourly_rate, a_today.labour_rate.regional) == (Decimal("100.00"), True)
    assert a_today.labour_rate.publication_id == first_card.id
    assert (a_today.operation.flat_rate_hours, a_today.labour_amount) == (Decimal("1.50"), Decimal("150.00"))
    assert (a_today.coverage.months, a_today.coverage.km, a_today.coverage.publication_id) == (24, 50_000, v1.id)
    assert a_today.coverage.terms_id is not None

    a_later = await lookup(t.manager_a.scope, t.station_a, next_month())
    assert a_later.labour_rate is not None
    assert a_later.coverage is not None
    assert (a_later.labour_rate.hourly_rate, a_later.labour_rate.publication_id) == (Decimal("120.00"), east_later.id)
    assert (a_later.coverage.months, a_later.coverage.publication_id) == (36, v2.id)
    assert a_later.labour_amount == Decimal("180.00")

    b_later = await lookup(t.hq_x.scope, t.station_b, next_month())  # HQ asks for West's station
    assert b_later.labour_rate is not None
    assert (b_later.labour_rate.hourly_rate, b_later.labour_rate.regional) == (Decimal("80.00"), False)

    before_any = await lookup(t.manager_a.scope, t.station_a, last_month() - timedelta(days=1))
    assert (before_any.labour_rate, before_any.coverage, before_any.price) == (None, None, None)
    with pytest.raises(NotFound):
        await lookup(
            t.manager_a.scope, t.station_b, network_today()
        )  # another station's policy is not station A's business


async def test_versions_in_force_never_overlap(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    hq = tenants.hq_x.scope
    await world(seed, tenants)
    await rate_card(scoped, hq, network_today(), {None: "80.00"})
    with pytest.raises(Conflict, match="a labour rate in force already starts on"):
        await rate_card(scoped, hq, network_today(), {None: "90.00"})
    await policy(scoped, hq, network_today(), 24, 50_000)
    with pytest.raises(Conflict, match="a coverage in force already starts on"):
        await policy(scoped, hq, network_today(), 36, 60_000)
    rows = await seed.execute(text("SELECT count(*) FROM labour_rates WHERE in_force"))
    assert rows.scalar() == 1


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (warranty.Terms(three_guarantees={"refund_whenever": 7}), "terms.threeGuarantees"),
        (warranty.Terms(three_guarantees={"validity_km": 0}), "terms.threeGuarantees"),
        (warranty.Terms(service_types=["paid", "gratis"]), "terms.serviceTypes"),
        (warranty.Terms(service_types=[]), "terms.serviceTypes"),
        (warranty.Terms(repair_guarantees=[warranty.RepairGuarantee("overhaul", 0, 100)]), "terms.repairGuarantees"),
        (
            warranty.Terms(
                repair_guarantees=[
                    warranty.RepairGuarantee("overhaul", 1, 1),
                    warranty.RepairGuarantee("overhaul", 2, 2),
                ]
            ),
            "terms.repairGuarantees",
        ),
    ],
)
async def test_bad_warranty_terms_are_refused(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, terms: warranty.Terms, field: str
) -> None:
    async with scoped(tenants.hq_x.scope) as session:
        with pytest.raises(ValidationFailed) as refused:
            await warranty.draft_warranty_policy(
                session, tenants.hq_x.scope, title="w", effective_on=network_today(), terms=terms
            )
    assert field in refused.value.api_fields()
    assert await seed.scalar(select(Publication.id)) is None


async def test_commitments_and_bulletins_reach_their_stations(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    t, hq = tenants, tenants.hq_x.scope
    _, part, _ = await world(seed, t)
    await seed.execute(update(Station).where(Station.id == t.station_a).values(tier="A"))
    async with scoped(hq) as session:
        commitments = await documents.draft_service_commitments(
            session,
            hq,
            title="Commitments 2027",
            effective_on=network_today(),
            ordinary_response_hours=48,
            major_response_hours=4,
            reports=[documents.ReportDue("quality report", "QR-1", 24)],
        )
        bulletin = await documents.draft_bulletin(
            session,
            hq,
            title="Brake pad wear indicator",
            effective_on=network_today(),
            number="tsb-2027-001",
            body="# Check the wear indicator\n\nReplace pads below **3 mm**.",
            affected_models=["j6p", "J7"],
            vin_ranges=[documents.VinRange("LFWADRJF011002346", "LFWADRJF011009999")],
            part_ids=[part],
            target=publications.Target(tiers=["A"]),
        )
        for publication in (commitments, bulletin):
            await publications.publish(session, hq, publication_id=publication.id)
        with pytest.raises(Conflict, match="TSB-2027-001 already exists"):
            await documents.draft_bulletin(
                session, hq, title="again", effective_on=network_today(), number="TSB-2027-001", body="x"
            )
        await session.commit()
    for principal, sees_bulletin in ((t.manager_a, True), (t.manager_b, False)):
        async with scoped(principal.scope) as session:
            found = await documents.bulletins_of(session, principal.scope, [bulletin.id])
            assert (bulletin.id in found) is sees_bulletin
            promised = await documents.commitments_of(session, principal.scope, [commitments.id])
            assert promised[commitments.id].major_response_hours == 4
    async with scoped(t.manager_a.scope) as session:
        tsb = (await documents.bulletins_of(session, t.manager_a.scope, [bulletin.id]))[bulletin.id]
        assert (tsb.number, tsb.affected_models, tsb.part_ids) == ("TSB-2027-001", ["J6P", "J7"], [part])
    with pytest.raises(ValidationFailed):
        documents.check_vin_ranges([documents.VinRange("LFWADRJF011009999", "LFWADRJF011002346")])
