"""Onboarding through the services against real PostgreSQL: versioned rubrics, the applicant's draft and
submission, scoring to the shortlist or the reserve, reopening, and transitions that cannot both win."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import UUID

import pytest
from obstore.store import MemoryStore
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import new_id, scoped_session
from dealernet.core.errors import Conflict, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.network import rules
from dealernet.network.models import Application, Assessment
from dealernet.network.service import applications, documents, rubrics
from tests.conftest import MakeApplicant, Principal, Scoped, Tenants

PDF = b"%PDF-1.4 a scanned licence"
CRITERIA = [
    rubrics.CriterionInput("SITE", "场地位置", "Site and location", Decimal(30), 10),
    rubrics.CriterionInput("WORKSHOP", "车间面积与工位", "Workshop area and bays", Decimal(40), 10),
    rubrics.CriterionInput("STAFF", "人员与资质", "Staff and certified technicians", Decimal(20), 5),
    rubrics.CriterionInput("BRANDS", "经营品牌", "Brands served", Decimal(10), 1),
]
COMPLETE = applications.ApplicationForm(
    company_name="Shanghai East Motors Service Co.",
    legal_representative="Wang Wei",
    contact_name="Li Na",
    contact_phone="+86 21 5555 0100",
    registered_address="1 Pudong Ave, Shanghai",
    site_address="88 Service Rd, Pudong, Shanghai",
    workshop_area_m2=1200,
    bays=8,
    staff=25,
    certified_technicians=6,
    equipment=["lift", "wheel aligner"],
    brands=["Demo"],
)


async def rubric(scoped: Scoped, hq: Scope, criteria: list[rubrics.CriterionInput] = CRITERIA) -> UUID:
    async with scoped(hq) as session:
        made = await rubrics.create_rubric(
            session, hq, kind="application", title="Application scoring", criteria=criteria
        )
        await session.commit()
        return made.id


async def hand_in_papers(session: AsyncSession, applicant: Scope) -> None:
    """The two documents a submission needs (into a store of their own: nothing reads them back here)."""
    store = MemoryStore()
    for kind in rules.REQUIRED_DOCUMENTS:
        await documents.hand_in(session, applicant, store, kind=kind, filename=f"{kind}.pdf", content=PDF)


async def submitted(scoped: Scoped, seed: AsyncSession, applicant: Principal, network: UUID) -> UUID:
    region = new_id()
    await seed.execute(
        text("INSERT INTO regions (id, network_id, code, name) VALUES (:id, :n, :c, 'East')"),
        {"id": region, "n": network, "c": f"R{region.hex[-6:]}"},
    )
    async with scoped(applicant.scope) as session:
        await applications.update_application(
            session, applicant.scope, applications.ApplicationForm(**{**COMPLETE.__dict__, "region_id": region})
        )
        await hand_in_papers(session, applicant.scope)
        application = await applications.submit_application(session, applicant.scope)
        await session.commit()
        return application.id


async def score(scoped: Scoped, hq: Scope, application: UUID, marks: dict[str, int | None]) -> applications.Scoring:
    async with scoped(hq) as session:
        scored = await applications.score_application(
            session, hq, application_id=application, marks=marks, note="desk review"
        )
        await session.commit()
        return scored


async def test_an_application_scoring_72_is_shortlisted_and_explained(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    hq = tenants.hq_x.scope
    applicant = await make_applicant(tenants.network_x)  # seed rows before any scoped session
    await rubric(scoped, hq)
    application = await submitted(scoped, seed, applicant, tenants.network_x)
    # 30 x 8/10 + 40 x 8/10 + 20 x 4/5 + 10 x 0/1 = 24 + 32 + 16 + 0 = 72
    scored = await score(scoped, hq, application, {"SITE": 8, "WORKSHOP": 8, "STAFF": 4, "BRANDS": 0})
    assert (scored.assessment.total, scored.assessment.passed) == (Decimal("72.00"), True)
    assert scored.application.stage == rules.Stage.SHORTLISTED
    assert [(i["code"], i["earned"], i["label_zh"]) for i in scored.assessment.items][:2] == [
        ("SITE", "24.00", "场地位置"),
        ("WORKSHOP", "32.00", "车间面积与工位"),
    ]
    trail = (
        await seed.execute(
            text("SELECT action, before, after FROM journal WHERE entity = 'application' ORDER BY seq"),
        )
    ).all()
    assert [(t.action, t.before["stage"], t.after["stage"]) for t in trail] == [
        ("submit", "draft", "submitted"),
        ("pass_scoring", "submitted", "shortlisted"),
    ]
    assert trail[-1].after["score"] == "72.00"


async def test_55_goes_to_the_reserve_and_can_be_reopened(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    hq = tenants.hq_x.scope
    applicant = await make_applicant(tenants.network_x)
    await rubric(scoped, hq)
    application = await submitted(scoped, seed, applicant, tenants.network_x)
    # 30 x 5/10 + 40 x 7/10 + 20 x 3/5 + 10 x 0/1 = 15 + 28 + 12 + 0 = 55
    scored = await score(scoped, hq, application, {"SITE": 5, "WORKSHOP": 7, "STAFF": 3, "BRANDS": 0})
    assert (scored.assessment.total, scored.application.stage) == (Decimal("55.00"), "reserve")
    with pytest.raises(Conflict, match="cannot score an applicant in stage reserve; allowed: reopen"):
        await score(scoped, hq, application, {"SITE": 10, "WORKSHOP": 10, "STAFF": 5, "BRANDS": 1})
    async with scoped(hq) as session:
        reopened = await applications.reopen_application(session, hq, application_id=application, reason="new site")
        await session.commit()
    assert reopened.stage == "submitted"


async def test_a_new_rubric_version_never_changes_scores_given(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    hq = tenants.hq_x.scope
    applicant = await make_applicant(tenants.network_x)
    first = await rubric(scoped, hq)
    application = await submitted(scoped, seed, applicant, tenants.network_x)
    await score(scoped, hq, application, {"SITE": 8, "WORKSHOP": 8, "STAFF": 4, "BRANDS": 0})
    second = await rubric(scoped, hq, [rubrics.CriterionInput("ALL", "综合", "Overall", Decimal(1), 100)])
    assessment = (await seed.scalars(select(Assessment))).one()
    assert (assessment.rubric_id, assessment.total) == (first, Decimal("72.00"))
    async with scoped(hq) as session:
        latest = await rubrics.current_rubric(session, hq, kind="application")
        assert latest is not None
        assert (latest.id, latest.version) == (second, 2)


async def test_the_draft_validates_and_submission_needs_a_complete_form(
    scoped: Scoped, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    applicant = await make_applicant(tenants.network_x)
    async with scoped(applicant.scope) as session:
        with pytest.raises(ValidationFailed) as bad:
            await applications.update_application(
                session, applicant.scope, applications.ApplicationForm(bays=-1, company_name=" ")
            )
        assert bad.value.api_fields() == {"bays": "0 to 1,000,000", "companyName": "at most 200 characters, not empty"}
        await applications.update_application(session, applicant.scope, applications.ApplicationForm(bays=6))
        with pytest.raises(ValidationFailed) as incomplete:
            await applications.submit_application(session, applicant.scope)
        assert "siteAddress" in incomplete.value.api_fields()
        assert "bays" not in incomplete.value.api_fields()
        assert incomplete.value.api_fields()["documents"] == "hand in BUSINESS_LICENCE, TAX_REGISTRATION"


async def test_two_concurrent_moves_cannot_both_win(
    sessionmaker: async_sessionmaker[AsyncSession], seed: AsyncSession, tenants: Tenants, make_applicant: MakeApplicant
) -> None:
    """Both read version 1; the second writer finds the version moved and gets CONFLICT."""
    applicant = await make_applicant(tenants.network_x)
    application = (await seed.scalars(select(Application).where(Application.station_id == applicant.station_id))).one()
    hq = tenants.hq_x.scope
    async with scoped_session(sessionmaker, hq) as first, scoped_session(sessionmaker, hq) as second:
        a = await first.get(Application, application.id)
        b = await second.get(Application, application.id)
        assert a is not None
        assert b is not None
        await applications.move(first, hq, a, rules.Action.SUBMIT, reason="first")
        with pytest.raises(Conflict, match="changed meanwhile"):
            await asyncio.wait_for(applications.move(second, hq, b, rules.Action.SUBMIT, reason="second"), timeout=5)
