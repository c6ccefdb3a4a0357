"""The demo network's onboarding pipeline (development and test only): the three rubrics, regional quotas and
applicants at every stage — one filling in its draft (it can log in), one submitted, one shortlisted with 72
points, one in reserve with 55, one approved by the committee with its letter of intent, one in
rectification after failing two acceptance items, and one live station with its contract, certificate and a
certified technician — moved there through the services as the demo HQ admin and three committee members,
so their timelines are in the journal. Seeding again adds nothing once the demo has rubrics."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.network import rules
from dealernet.network.models import Application, CommitteeMember, Rubric
from dealernet.network.service import acceptance, applications, documents, papers, pipeline, rubrics, training
from dealernet.policy.models import Part
from dealernet.tenants.models import Membership, Region, Station, User
from dealernet.tenants.service.directory import network_today
from dealernet.tenants.service.passwords import hash_password

APPLICATION_RUBRIC = [
    rubrics.CriterionInput("SITE", "场地位置与面积", "Site, location and area", Decimal(30), 10),
    rubrics.CriterionInput("WORKSHOP", "车间与工位", "Workshop and bays", Decimal(40), 10),
    rubrics.CriterionInput("STAFF", "人员与资质", "Staff and certified technicians", Decimal(20), 5),
    rubrics.CriterionInput("BRANDS", "经营品牌", "Brands served", Decimal(10), 1),
]
INTERVIEW_RUBRIC = [
    rubrics.CriterionInput("OUTLOOK", "经营理念", "Business outlook", Decimal(50), 10),
    rubrics.CriterionInput("TECHNICAL", "技术实力", "Technical strength", Decimal(50), 10),
]
ACCEPTANCE_CHECKLIST = [
    rubrics.CriterionInput("SIGNAGE", "VI 标识", "Signage to the VI manual", Decimal(1), 1),
    rubrics.CriterionInput("LIFTS", "举升机", "Lifts installed", Decimal(1), 1),
    rubrics.CriterionInput("TOOLS", "专用工具", "Special tools in place", Decimal(1), 1),
    rubrics.CriterionInput("PARTS", "启动库存", "Start-up parts stock on the shelves", Decimal(1), 1),
]
# company, station code, region, stage to reach, marks
APPLICANTS = (
    ("杭州新达汽车服务有限公司 Hangzhou Xinda Auto Service", "APP-HZ01", "EAST", "draft", None),
    ("苏州瑞丰汽车维修有限公司 Suzhou Ruifeng Motors", "APP-SZ01", "EAST", "submitted", None),
    ("南京东升汽车服务有限公司 Nanjing Dongsheng Auto", "APP-NJ01", "EAST", "shortlisted", (8, 8, 4, 0)),
    ("天津北方汽车服务有限公司 Tianjin Beifang Service", "APP-TJ01", "NORTH", "reserve", (5, 7, 3, 0)),
    ("无锡华通汽车服务有限公司 Wuxi Huatong Auto", "APP-WX01", "EAST", "approved", (9, 8, 4, 1)),
    ("宁波海达汽车维修有限公司 Ningbo Haida Motors", "APP-NB01", "EAST", "rectification", (8, 9, 4, 1)),
    ("上海浦江汽车服务有限公司 Shanghai Pujiang Service", "APP-SH02", "EAST", "active", (9, 9, 5, 1)),
)
# How far past the shortlist each stage goes, in order.
LATER_STAGES = ("approved", "rectification", "active")
COMMITTEE = ("committee1@demo-motors.test", "committee2@demo-motors.test", "committee3@demo-motors.test")
DEMO_APPLICANT_LOGIN = "applicant@hz01.demo-motors.test"
# The people of the station that went live through onboarding: its manager, and the technician whose
# certificate lets it be dispatched paid and warranty work (the workshop demo completes its repair orders).
LIVE_STATION_LOGINS = (
    ("manager@east0001.demo-motors.test", "Manager of the new Shanghai station", Role.STATION_MANAGER),
    ("technician@east0001.demo-motors.test", "赵磊 Zhao Lei", Role.STATION_TECHNICIAN),
)


async def seed_demo_onboarding(session: AsyncSession, network_id: UUID, password: str, store: storage.Store) -> None:
    """Create the demo pipeline once (the session is the seed session; papers go to `store`)."""
    if await session.scalar(select(Rubric.id).where(Rubric.network_id == network_id).limit(1)) is not None:
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
    for kind, criteria in (
        ("application", APPLICATION_RUBRIC),
        ("interview", INTERVIEW_RUBRIC),
        ("acceptance", ACCEPTANCE_CHECKLIST),
    ):
        await rubrics.create_rubric(session, hq, kind=kind, title=f"{kind} (demo)", criteria=criteria)
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
            role=Role.STATION_MANAGER.value,
            permissions=permissions_of(Role.STATION_MANAGER),
        )
        for kind, heading in (("business_licence", "营业执照 Business licence"), ("tax_registration", "税务登记证")):
            pdf = papers.specimen_pdf(heading, company)
            await documents.hand_in(session, applicant_scope, store, kind=kind, filename=f"{kind}.pdf", content=pdf)
        await applications.submit_application(session, applicant_scope)
        if marks:
            site, workshop, staff, brands = marks
            await applications.score_application(
                session,
                hq,
                application_id=application.id,
                marks={"SITE": site, "WORKSHOP": workshop, "STAFF": staff, "BRANDS": brands},
                note="demo desk review",
            )
        if stage in LATER_STAGES:
            members = await _committee(session, hq, network_id, password)
            await _approve(session, hq, members, store, application.id)
        if stage in ("rectification", "active"):
            await _start_up(session, hq, applicant_scope, application.id)
            failed = {"SIGNAGE": 1, "LIFTS": 0, "TOOLS": 0, "PARTS": 1} if stage == "rectification" else {}
            await acceptance.inspect(
                session, hq, application_id=application.id, marks=failed or dict.fromkeys(_CHECKLIST, 1)
            )
        if stage == "active":
            await _go_live(session, hq, store, application)
            await _live_station_people(session, application, password)


_CHECKLIST = [c.code for c in ACCEPTANCE_CHECKLIST]


async def _committee(session: AsyncSession, hq: Scope, network_id: UUID, password: str) -> list[Scope]:
    """Three members of the development committee (they can log in, HQ appointed them), once."""
    rows = await session.execute(select(User.email, User.id).where(User.email.in_(COMMITTEE)))
    found = {email: user_id for email, user_id in rows}
    for email in COMMITTEE:
        if email not in found:
            user = User(id=new_id(), email=email, display_name="Committee member", is_active=True)
            user.password_hash = hash_password(password)
            session.add(user)
            await session.flush()
            session.add(
                Membership(
                    id=new_id(),
                    user_id=user.id,
                    network_id=network_id,
                    role=Role.HQ_NETWORK_DEVELOPMENT.value,
                )
            )
            found[email] = user.id
    await session.flush()
    seated = set(await session.scalars(select(CommitteeMember.user_id)))
    for user_id in found.values():
        if user_id not in seated:
            await pipeline.appoint_member(session, hq, user_id=user_id)
    return [
        Scope(
            db_role=DbRole.oem,
            network_id=network_id,
            actor_id=found[email],
            role=Role.HQ_NETWORK_DEVELOPMENT.value,
            permissions=permissions_of(Role.HQ_NETWORK_DEVELOPMENT),
        )
        for email in COMMITTEE
    ]


async def _approve(
    session: AsyncSession, hq: Scope, members: list[Scope], store: storage.Store, application_id: UUID
) -> None:
    """Visit (interview and survey scored), three approving votes, the committee's decision and letter."""
    assert hq.actor_id is not None
    today = await network_today(session, hq.network_id)
    await pipeline.plan_visit(
        session, hq, application_id=application_id, planned_on=today - timedelta(days=20), visitor_ids=[hq.actor_id]
    )
    await pipeline.record_visit(
        session,
        hq,
        application_id=application_id,
        interview={"OUTLOOK": 8, "TECHNICAL": 8},
        survey={"repair_area": "1,200 m², 8 bays", "strengths": "fleet customers nearby"},
        findings="a well-run workshop",
    )
    for member in members:
        await pipeline.cast_vote(session, member, application_id=application_id, vote=rules.Vote.APPROVE)
    await pipeline.decide(session, hq, store, application_id=application_id)


async def _start_up(session: AsyncSession, hq: Scope, applicant: Scope, application_id: UUID) -> None:
    """Tools, the start-up parts stock and the VI kit, ordered and delivered."""
    due = await network_today(session, hq.network_id) + timedelta(days=10)
    part = await _startup_part(session, hq)
    for kind in acceptance.ORDER_KINDS:
        order = await acceptance.place_order(
            session,
            applicant,
            kind=kind,
            reference=f"PO-{kind.upper()}-{application_id.hex[-4:]}",
            due_on=due,
            parts={part: 20} if kind == "parts" else None,
        )
        await acceptance.confirm_delivery(session, hq, order_id=order.id, note="delivered (demo)")


async def _startup_part(session: AsyncSession, hq: Scope) -> UUID:
    found = await session.scalar(select(Part.id).where(Part.network_id == hq.network_id).order_by(Part.part_number))
    if found is not None:
        return found
    part = Part(
        id=new_id(),
        network_id=hq.network_id,
        part_number="SU-KIT-01",
        name_zh="启动备件包",
        name_en="Start-up parts kit",
        component_group="STARTUP",
    )
    session.add(part)
    await session.flush()
    return part.id


async def _go_live(session: AsyncSession, hq: Scope, store: storage.Store, application: Application) -> None:
    today = await network_today(session, hq.network_id)
    await acceptance.sign_contract(
        session,
        hq,
        store,
        application_id=application.id,
        term_start=today,
        term_end=today.replace(year=today.year + 3),
        service_types=["paid", "warranty"],
    )
    await training.record_certificate(
        session,
        hq,
        station_id=application.station_id,
        person_name="赵磊 Zhao Lei",
        role="technician",
        service_types=["paid", "warranty"],
        course="保修维修基础 Warranty repair basics",
        certificate_number=f"SG-{application.station_id.hex[-6:].upper()}",
        passed_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=700),
    )


async def _live_station_people(session: AsyncSession, application: Application, password: str) -> None:
    for email, name, role in LIVE_STATION_LOGINS:
        user = User(id=new_id(), email=email, display_name=name, is_active=True)
        user.password_hash = hash_password(password)
        session.add(user)
        await session.flush()
        session.add(
            Membership(
                id=new_id(), user_id=user.id, network_id=application.network_id, station_id=application.station_id,
                role=role.value,
            )
        )  # fmt: skip
    await session.flush()


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
            id=new_id(), user_id=user.id, network_id=network_id, station_id=station.id, role=Role.STATION_MANAGER.value
        )
        session.add(membership)
    await session.flush()
    return application
