"""From the letter of intent to a live station: start-up orders to delivery, acceptance with rectification
items and their deadline, the contract refused while they are open, re-inspection, the authorisation number
and certificate — and the branch where a second failed inspection cancels the intent."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import storage
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, ValidationFailed
from dealernet.core.settings import Settings
from dealernet.network import rules
from dealernet.network.models import LetterOfIntent, RectificationItem
from dealernet.network.service import acceptance, applications, pipeline
from dealernet.network.service import rubrics as rubric_service
from dealernet.policy.models import Part
from dealernet.tenants.models import Station
from tests.conftest import MakeApplicant, Principal, Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_committee import rubrics, shortlisted, visited, vote

CHECKLIST = [
    rubric_service.CriterionInput("SIGNAGE", "VI 标识", "Signage to the VI manual", Decimal(1), 1),
    rubric_service.CriterionInput("LIFTS", "举升机", "Lifts installed", Decimal(1), 1),
    rubric_service.CriterionInput("TOOLS", "专用工具", "Special tools in place", Decimal(1), 1),
    rubric_service.CriterionInput("PARTS", "启动库存", "Start-up parts stock on the shelves", Decimal(1), 1),
    rubric_service.CriterionInput("PAINT", "喷漆房", "Paint booth", Decimal(1), 1),
]
ALL_MET = {"SIGNAGE": 1, "LIFTS": 1, "TOOLS": 1, "PARTS": 1, "PAINT": None}  # no paint booth: not applicable


async def approved(scoped: Scoped, seed: AsyncSession, settings: Settings, t: Tenants, w: dict, who: str) -> UUID:
    application = await shortlisted(scoped, seed, t, w[who], w["east"])
    await visited(scoped, t, application)
    await vote(scoped, w["members"], application, [rules.Vote.APPROVE] * 3)
    async with scoped(t.hq_x.scope) as session:
        await pipeline.decide(session, t.hq_x.scope, storage.open_store(settings), application_id=application)
        await session.commit()
    return application


async def orders_delivered(
    scoped: Scoped, t: Tenants, applicant: Principal, part: UUID, kinds: tuple[str, ...]
) -> None:
    due = network_today() + timedelta(days=20)
    async with scoped(applicant.scope) as session:
        placed = [
            await acceptance.place_order(
                session,
                applicant.scope,
                kind=kind,
                reference=f"PO-{kind}",
                due_on=due,
                parts={part: 4} if kind == "parts" else None,
            )
            for kind in kinds
        ]
        await session.commit()
    async with scoped(t.hq_x.scope) as session:
        for order in placed:
            await acceptance.confirm_delivery(session, t.hq_x.scope, order_id=order.id, note="arrived")
        await session.commit()


async def inspect(scoped: Scoped, t: Tenants, application: UUID, marks: dict[str, int | None]) -> acceptance.Inspected:
    async with scoped(t.hq_x.scope) as session:
        done = await acceptance.inspect(session, t.hq_x.scope, application_id=application, marks=marks)
        await session.commit()
        return done


async def sign(scoped: Scoped, settings: Settings, t: Tenants, application: UUID) -> acceptance.Contract:
    async with scoped(t.hq_x.scope) as session:
        contract = await acceptance.sign_contract(
            session,
            t.hq_x.scope,
            storage.open_store(settings),
            application_id=application,
            term_start=datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=31),
            term_end=datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1125),
            service_types=["warranty", "paid"],
        )
        await session.commit()
        return contract


@pytest.fixture
async def part(seed: AsyncSession, tenants: Tenants) -> UUID:
    row = Part(
        id=new_id(),
        network_id=tenants.network_x,
        part_number="BP-1",
        name_zh="刹车片",
        name_en="pad",
        component_group="BRAKES",
    )
    seed.add(row)
    await seed.flush()
    return row.id


async def test_the_seed_path_to_a_live_station(
    scoped: Scoped,
    seed: AsyncSession,
    settings: Settings,
    tenants: Tenants,
    onboarding_world: dict,
    part: UUID,
) -> None:
    t = tenants
    await rubrics(scoped, t)
    async with scoped(t.hq_x.scope) as session:
        await rubric_service.create_rubric(
            session, t.hq_x.scope, kind="acceptance", title="验收标准", criteria=CHECKLIST
        )
        await session.commit()
    application = await approved(scoped, seed, settings, t, onboarding_world, "first")
    applicant = onboarding_world["first"]

    await orders_delivered(scoped, t, applicant, part, ("tools", "parts"))
    with pytest.raises(Conflict, match="2 of the 3 start-up orders delivered"):
        await inspect(scoped, t, application, ALL_MET)
    await orders_delivered(scoped, t, applicant, part, ("vi",))

    failed = await inspect(scoped, t, application, {**ALL_MET, "LIFTS": 0, "TOOLS": 0})
    assert (failed.inspection.passed, failed.application.stage) == (False, "rectification")
    assert sorted(i.code for i in failed.rectification) == ["LIFTS", "TOOLS"]
    network_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()  # the deadline runs in the network's days
    assert {i.due_on for i in failed.rectification} == {network_today + timedelta(days=30)}

    with pytest.raises(Conflict, match=r"2 rectification item\(s\) open \(LIFTS, TOOLS\); re-inspect first"):
        await sign(scoped, settings, t, application)

    passed = await inspect(scoped, t, application, ALL_MET)
    assert (passed.inspection.round, passed.application.stage) == (2, "accepted")
    assert all(i.closed_at is not None for i in await seed.scalars(select(RectificationItem)))

    contract = await sign(scoped, settings, t, application)
    assert contract.authorisation_number.endswith("-EAST-0001")
    pdf = await storage.get(storage.open_store(settings), contract.certificate_key)
    assert pdf.startswith(b"%PDF")
    station = await seed.get(Station, applicant.station_id, populate_existing=True)
    assert station is not None
    assert (station.status, station.region_id) == ("active", onboarding_world["east"])
    async with scoped(applicant.scope) as session:
        mine = await applications.my_application(session, applicant.scope)
        assert mine.stage == "active"


async def test_a_second_failed_inspection_cancels_the_intent(
    scoped: Scoped,
    seed: AsyncSession,
    settings: Settings,
    tenants: Tenants,
    onboarding_world: dict,
    part: UUID,
) -> None:
    t = tenants
    await rubrics(scoped, t)
    async with scoped(t.hq_x.scope) as session:
        await rubric_service.create_rubric(
            session, t.hq_x.scope, kind="acceptance", title="验收标准", criteria=CHECKLIST
        )
        await session.commit()
    application = await approved(scoped, seed, settings, t, onboarding_world, "second")
    await orders_delivered(scoped, t, onboarding_world["second"], part, ("tools", "parts", "vi"))
    await inspect(scoped, t, application, {**ALL_MET, "SIGNAGE": 0})
    again = await inspect(scoped, t, application, {**ALL_MET, "SIGNAGE": 0})
    assert again.application.stage == "cancelled"
    letter = (await seed.scalars(select(LetterOfIntent).where(LetterOfIntent.application_id == application))).one()
    assert letter.cancelled_at is not None
    with pytest.raises(Conflict, match="cannot sign_contract an applicant in stage cancelled; allowed: nothing"):
        await sign(scoped, settings, t, application)


async def test_a_re_inspection_finding_another_item_short_extends_the_rectification(
    scoped: Scoped,
    seed: AsyncSession,
    settings: Settings,
    tenants: Tenants,
    onboarding_world: dict,
    part: UUID,
) -> None:
    """Issue 14 item 15: a re-inspection that found a different item short cancelled the application. The
    rule: only an item that was on rectification and is still short cancels; an item newly short gets its
    own rectification and another re-inspection."""
    t = tenants
    await rubrics(scoped, t)
    async with scoped(t.hq_x.scope) as session:
        await rubric_service.create_rubric(
            session, t.hq_x.scope, kind="acceptance", title="验收标准", criteria=CHECKLIST
        )
        await session.commit()
    application = await approved(scoped, seed, settings, t, onboarding_world, "second")
    await orders_delivered(scoped, t, onboarding_world["second"], part, ("tools", "parts", "vi"))
    first = await inspect(scoped, t, application, {**ALL_MET, "SIGNAGE": 0})
    assert [i.code for i in first.rectification] == ["SIGNAGE"]

    second = await inspect(scoped, t, application, {**ALL_MET, "LIFTS": 0})  # signage put right; lifts now short
    assert (second.inspection.round, second.application.stage) == (2, "rectification")
    assert [i.code for i in second.rectification] == ["LIFTS"]
    items = {i.code: i.closed_at for i in await seed.scalars(select(RectificationItem))}
    assert items["SIGNAGE"] is not None
    assert items["LIFTS"] is None
    letter = (await seed.scalars(select(LetterOfIntent).where(LetterOfIntent.application_id == application))).one()
    assert letter.cancelled_at is None

    third = await inspect(scoped, t, application, ALL_MET)
    assert (third.inspection.round, third.application.stage) == (3, "accepted")


async def test_suspension_reactivation_and_termination(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    applicant = await make_applicant(tenants.network_x, "Live Motors")
    await seed.execute(
        text("UPDATE applications SET stage = 'active' WHERE station_id = :s"), {"s": applicant.station_id}
    )
    await seed.execute(update(Station).where(Station.id == applicant.station_id).values(status="active"))
    hq = tenants.hq_x.scope

    async def change(action: rules.Action, reason: str = "audit finding") -> str:
        async with scoped(hq) as session:
            moved = await applications.change_station_standing(
                session, hq, station_id=applicant.station_id, action=action, reason=reason
            )
            await session.commit()
            return moved.stage

    assert await change(rules.Action.SUSPEND) == "suspended"
    station = await seed.get(Station, applicant.station_id, populate_existing=True)
    assert station is not None
    assert station.status == "suspended"
    assert await change(rules.Action.REACTIVATE, "rectified") == "active"
    assert await change(rules.Action.TERMINATE, "contract ended") == "terminated"
    with pytest.raises(Conflict, match="cannot reactivate an applicant in stage terminated; allowed: nothing"):
        await change(rules.Action.REACTIVATE)
    with pytest.raises(ValidationFailed):
        await change(rules.Action.APPROVE)
    trail = (
        await seed.execute(
            text("SELECT action, after->>'reason' FROM journal WHERE entity = 'application' ORDER BY seq")
        )
    ).all()
    assert [tuple(row) for row in trail] == [
        ("suspend", "audit finding"),
        ("reactivate", "rectified"),
        ("terminate", "contract ended"),
    ]
