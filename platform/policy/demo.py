"""The demo network's policy (development and test only): regions East (SH01) and North (BJ02), a small
brake-and-filter catalogue with its service BOM, the national price list in force and East's announced for
next month, a labour rate card, a warranty policy version, the service commitments, a bulletin and the
minimum-stock rules — written through the services as the demo HQ admin, so they are journaled and
delivered like real ones. Seeding again adds nothing once the demo has parts."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import Part
from dealernet.policy.service import catalogue, documents, labour, prices, publications, stock, warranty
from dealernet.tenants.models import Membership, Partner, Region, Station
from dealernet.tenants.service.directory import network_today

CATALOGUE = (
    # part number, 中文, English, component group, unit, (model, quantity)…, list price, dealer price
    ("BP-3501", "前制动片", "Front brake pad set", "BRAKES", "SET", (("J6P", 1), ("J7", 1)), "420.00", "336.00"),
    ("BD-3502", "制动盘", "Brake disc", "BRAKES", "EA", (("J6P", 2), ("J7", 2)), "880.00", "704.00"),
    ("OF-1012", "机油滤清器", "Oil filter", "ENGINE", "EA", (("J6P", 1), ("J7", 1)), "68.00", "54.40"),
    ("AF-1109", "空气滤清器", "Air filter", "ENGINE", "EA", (("J6P", 1),), "156.00", "124.80"),
    ("WB-5205", "雨刮片", "Wiper blade", "BODY", "EA", (("J7", 2),), "45.00", "36.00"),
)


async def seed_demo_policy(session: AsyncSession, network_id: UUID) -> None:
    """Create the demo policy once. The session is the seed session; services run as the demo HQ admin."""
    if await session.scalar(select(Part.id).where(Part.network_id == network_id).limit(1)) is not None:
        return
    admin = await session.scalar(
        select(Membership.user_id).where(Membership.network_id == network_id, Membership.role == Role.HQ_ADMIN.value)
    )
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network_id,
        actor_id=admin,
        role=Role.HQ_ADMIN.value,
        permissions=permissions_of(Role.HQ_ADMIN),
        second_factor=True,
    )
    east, north = await _regions(session, network_id)
    supplier = await session.scalar(select(Partner.id).where(Partner.code == "DEMO-SUPPLIER"))
    parts = await _catalogue(session, hq, supplier)
    today = await network_today(session, network_id)
    national = await prices.draft_price_list(session, hq, title="National price list 2026", effective_on=today)
    east_list = await prices.draft_price_list(
        session, hq, title="East prices from next month", effective_on=today + timedelta(days=30), region_id=east
    )
    for number, *_, list_price, dealer_price in CATALOGUE:
        await prices.set_price(
            session,
            hq,
            publication_id=national.id,
            part_id=parts[number],
            currency="CNY",
            list_price=Decimal(list_price),
            dealer_price=Decimal(dealer_price),
        )
    await prices.set_price(
        session,
        hq,
        publication_id=east_list.id,
        part_id=parts["BP-3501"],
        currency="CNY",
        list_price=Decimal("440.00"),
        dealer_price=Decimal("352.00"),
    )
    rates = await labour.draft_labour_rates(session, hq, title="Labour rates 2026", effective_on=today)
    for region, rate in ((None, "90.00"), (east, "110.00"), (north, "95.00")):
        await labour.set_labour_rate(session, hq, publication_id=rates.id, region_id=region, hourly_rate=Decimal(rate))
    policy = await warranty.draft_warranty_policy(
        session,
        hq,
        title="Warranty policy 2026",
        effective_on=today,
        terms=warranty.Terms(
            exclusions=["wear parts (brake pads, wiper blades, filters)", "damage from accidents, misuse or tuning"],
            repair_guarantees=[
                warranty.RepairGuarantee("overhaul", 20_000, 100),
                warranty.RepairGuarantee("second-level maintenance", 5_000, 30),
            ],
            three_guarantees={"repair_period_months": 36, "repair_period_km": 100_000, "max_repairs_same_fault": 5},
        ),
    )
    for group, months, km in (("ENGINE", 36, 100_000), ("BRAKES", 12, 30_000), ("BODY", 24, 60_000)):
        await warranty.set_coverage(session, hq, publication_id=policy.id, component_group=group, months=months, km=km)
    commitments = await documents.draft_service_commitments(
        session,
        hq,
        title="Service commitments 2026",
        effective_on=today,
        ordinary_response_hours=48,
        major_response_hours=4,
        reports=[documents.ReportDue("quality report", "QR-1", 24), documents.ReportDue("callback", "CB-1", 72)],
    )
    bulletin = await documents.draft_bulletin(
        session,
        hq,
        title="J6P front brake pad wear indicator",
        effective_on=today,
        number="TSB-2026-001",
        body="# Check the wear indicator\n\nReplace the pads when the lining is below **3 mm**; fit BP-3501 only.",
        affected_models=["J6P"],
        part_ids=[parts["BP-3501"]],
    )
    rules = await stock.draft_stock_rules(session, hq, title="Minimum stock rules 2026", effective_on=today)
    for group, rate in (("BRAKES", "2"), ("ENGINE", "5"), ("BODY", "1")):
        await stock.set_stock_rule(
            session, hq, publication_id=rules.id, component_group=group, per_thousand_vehicles=Decimal(rate), floor=1
        )
    for region, fleet in ((east, {"J6P": 4_000, "J7": 1_500}), (north, {"J6P": 2_500})):
        for model, vehicles in fleet.items():
            await stock.set_vehicle_population(session, hq, region_id=region, vehicle_model=model, vehicles=vehicles)
    for draft in (national, east_list, rates, policy, commitments, bulletin, rules):
        await publications.publish(session, hq, publication_id=draft.id)


async def _regions(session: AsyncSession, network_id: UUID) -> tuple[UUID, UUID]:
    """East holds SH01, North BJ02 (tiers A and B, both serving the Demo brand)."""
    ids = []
    for code, name, station, tier in (("EAST", "East China", "SH01", "A"), ("NORTH", "North China", "BJ02", "B")):
        region = await session.scalar(select(Region.id).where(Region.network_id == network_id, Region.code == code))
        if region is None:
            region = new_id()
            session.add(Region(id=region, network_id=network_id, code=code, name=name))
            await session.flush()
        await session.execute(
            update(Station)
            .where(Station.network_id == network_id, Station.code == station)
            .values(region_id=region, tier=tier, brands=["Demo"])
        )
        ids.append(region)
    return ids[0], ids[1]


async def _catalogue(session: AsyncSession, hq: Scope, supplier: UUID | None) -> dict[str, UUID]:
    parts: dict[str, UUID] = {}
    for number, zh, en, group, unit, bom, *_ in CATALOGUE:
        part = await catalogue.create_part(
            session,
            hq,
            catalogue.PartInput(number, zh, en, group, unit, supplier if group == "BRAKES" else None),
        )
        parts[number] = part.id
        for model, quantity in bom:
            await catalogue.set_bom_line(session, hq, vehicle_model=model, part_id=part.id, quantity=Decimal(quantity))
    for code, description, hours, group in (
        ("BR-0101", "Replace front brake pads", "1.20", "BRAKES"),
        ("BR-0102", "Replace brake discs (pair)", "2.50", "BRAKES"),
        ("EN-0201", "Change engine oil and filter", "0.80", "ENGINE"),
    ):
        await labour.create_operation(
            session, hq, code=code, description=description, flat_rate_hours=Decimal(hours), component_group=group
        )
    return parts
