"""The demo network's onboarding pipeline (development and test only): the three rubrics, regional quotas and
applicants at different stages — one filling in its draft (it can log in), one submitted, one shortlisted
with 72 points, one in reserve with 55 — moved there through the services as the demo HQ admin, so their
timelines are in the journal. Seeding again adds nothing once the demo has rubrics."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet import storage
from dealernet.db import new_id
from dealernet.network import documents, papers, pipeline, service
from dealernet.network.models import Application, Rubric
from dealernet.scope import DbRole, Scope
from dealernet.tenants.models import Membership, Region, Station, User
from dealernet.tenants.passwords import hash_password
from dealernet.tenants.permissions import Role, permissions_of

APPLICATION_RUBRIC = [
    service.CriterionInput("SITE", "场地位置与面积", "Site, location and area", Decimal(30), 10),
    service.CriterionInput("WORKSHOP", "车间与工位", "Workshop and bays", Decimal(40), 10),
    service.CriterionInput("STAFF", "人员与资质", "Staff and certified technicians", Decimal(20), 5),
    service.CriterionInput("BRANDS", "经营品牌", "Brands served", Decimal(10), 1),
]
INTERVIEW_RUBRIC = [
    service.CriterionInput("OUTLOOK", "经营理念", "Business outlook", Decimal(50), 10),
    service.CriterionInput("TECHNICAL", "技术实力", "Technical strength", Decimal(50), 10),
]
ACCEPTANCE_CHECKLIST = [
    service.CriterionInput("SIGNAGE", "VI 标识", "Signage to the VI manual", Decimal(1), 1),
    service.CriterionInput("LIFTS", "举升机", "Lifts installed", Decimal(1), 1),
    service.CriterionInput("TOOLS", "专用工具", "Special tools in place", Decimal(1), 1),
    service.CriterionInput("PARTS", "启动库存", "Start-up parts stock on the shelves", Decimal(1), 1),
]
# company, station code, region, stage to reach, marks
APPLICANTS = (
    ("杭州新达汽车服务有限公司 Hangzhou Xinda Auto Service", "APP-HZ01", "EAST", "draft", None),
    ("苏州瑞丰汽车维修有限公司 Suzhou Ruifeng Motors", "APP-SZ01", "EAST", "submitted", None),
    ("南京东升汽车服务有限公司 Nanjing Dongsheng Auto", "APP-NJ01", "EAST", "shortlisted", (8, 8, 4, 0)),
    ("天津北方汽车服务有限公司 Tianjin Beifang Service", "APP-TJ01", "NORTH", "reserve", (5, 7, 3, 0)),
)
DEMO_APPLICANT_LOGIN = "applicant@hz01.demo-motors.test"


async def seed_demo_onboarding(session: AsyncSession, network_id: UUID, password: str, store: storage.Store) -> None:
    """Create the demo pipeline once (the session is the seed session; papers go to `store`)."""
    if await session.scalar(select(Rubric.id).where(Rubric.network_id == network_id).limit(1)) is not None:
        return
    admin = await session.scalar(
        select(Membership.user_id).where(Membership.network_id == network_id, Membership.role == Role.hq_admin.value)
    )
    hq = Scope(
        db_role=DbRole.oem,
        network_id=network_id,
        actor_id=admin,
        role=Role.hq_admin.value,
        permissions=permissions_of(Role.hq_admin),
        second_factor=True,
    )
    for kind, criteria in (
        ("application", APPLICATION_RUBRIC),
        ("interview", INTERVIEW_RUBRIC),
        ("acceptance", ACCEPTANCE_CHECKLIST),
    ):
        await service.create_rubric(session, hq, kind=kind, title=f"{kind} (demo)", criteria=criteria)
    regions = await _regions(session, network_id)
    for code, quota in (("EAST", 4), ("NORTH", 2)):
        await pipeline.set_quota(session, hq, region_id=regions[code], stations_needed=quota)
    for company, code, region, stage, marks in APPLICANTS:
        application = await _applicant(session, network_id, company, code, regions.get(region), password)
        if stage == "draft":
            continue
        applicant_scope = Scope(
            db_role=DbRole.station,
            network_id=network_id,
            station_id=application.station_id,
            actor_id=admin,
            role=Role.station_manager.value,
            permissions=permissions_of(Role.station_manager),
        )
        for kind, heading in (("business_licence", "营业执照 Business licence"), ("tax_registration", "税务登记证")):
            pdf = papers.specimen_pdf(heading, company)
            await documents.hand_in(session, applicant_scope, store, kind=kind, filename=f"{kind}.pdf", content=pdf)
        await service.submit_application(session, applicant_scope)
        if marks:
            site, workshop, staff, brands = marks
            await service.score_application(
                session,
                hq,
                application_id=application.id,
                marks={"SITE": site, "WORKSHOP": workshop, "STAFF": staff, "BRANDS": brands},
                note="demo desk review",
            )


async def _regions(session: AsyncSession, network_id: UUID) -> dict[str, UUID]:
    """East and North (the policy demo makes them too; whichever runs first)."""
    found = {
        code: region_id
        for code, region_id in await session.execute(
            select(Region.code, Region.id).where(Region.network_id == network_id)
        )
    }
    for code, name in (("EAST", "East China"), ("NORTH", "North China")):
        if code not in found:
            found[code] = new_id()
            session.add(Region(id=found[code], network_id=network_id, code=code, name=name))
    await session.flush()
    return found


async def _applicant(
    session: AsyncSession, network_id: UUID, company: str, code: str, region_id: UUID | None, password: str
) -> Application:
    station = Station(id=new_id(), network_id=network_id, code=code, name=company, city="", status="applicant")
    session.add(station)
    await session.flush()
    application = Application(
        id=new_id(),
        network_id=network_id,
        station_id=station.id,
        company_name=company,
        legal_representative="王伟 Wang Wei",
        contact_name="李娜 Li Na",
        contact_phone="+86 571 5555 0100",
        registered_address="1 Demo Road",
        site_address="" if code == "APP-HZ01" else "88 Service Road",  # the draft still misses its site
        region_id=region_id,
        workshop_area_m2=1200,
        bays=8,
        staff=25,
        certified_technicians=6,
        equipment=["lift", "wheel aligner", "diagnostic tester"],
        brands=["Demo"],
    )
    session.add(application)
    if code == "APP-HZ01":  # the one a newcomer can log in as
        user = User(id=new_id(), email=DEMO_APPLICANT_LOGIN, display_name="Demo applicant", is_active=True)
        user.password_hash = hash_password(password)
        session.add(user)
        await session.flush()
        membership = Membership(
            id=new_id(), user_id=user.id, network_id=network_id, station_id=station.id, role=Role.station_manager.value
        )
        session.add(membership)
    await session.flush()
    return application
