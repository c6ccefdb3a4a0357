"""Training and certification: the dispatch check other contexts call, and the cron that reminds of
rectification deadlines and expiring certificates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import new_id
from dealernet.core.errors import ValidationFailed
from dealernet.network import jobs as network_jobs
from dealernet.network.models import Application, Contract
from dealernet.network.service import training
from dealernet.tenants.models import Notification, Station
from tests.conftest import MakeApplicant, Scoped, Tenants
from tests.factories import network_today


async def certify(scoped: Scoped, t: Tenants, number: str, passed: date, expires: date, types: list[str]) -> None:
    async with scoped(t.hq_x.scope) as session:
        await training.record_certificate(
            session,
            t.hq_x.scope,
            station_id=t.station_a,
            person_name="Zhang Wei",
            role="technician",
            service_types=types,
            course="J6P chassis and brakes",
            certificate_number=number,
            passed_on=passed,
            expires_on=expires,
        )
        await session.commit()


async def dispatch(
    scoped: Scoped, t: Tenants, service_type: str, on: date, repair_level: str | None = None
) -> training.Dispatchable:
    async with scoped(t.manager_a.scope) as session:
        return await training.can_dispatch(
            session,
            t.manager_a.scope,
            station_id=t.station_a,
            service_type=service_type,
            on=on,
            repair_level=repair_level,
        )


async def sign(seed: AsyncSession, t: Tenants, service_types: list[str], start: date, end: date) -> None:
    """Station A's contract (signed at the end of onboarding, here written directly)."""
    application = Application(
        id=new_id(), network_id=t.network_x, station_id=t.station_a, company_name="A", stage="active"
    )
    seed.add(application)
    await seed.flush()
    seed.add(
        Contract(
            id=new_id(),
            network_id=t.network_x,
            station_id=t.station_a,
            application_id=application.id,
            authorisation_number="X-A-0001",
            term_start=start,
            term_end=end,
            service_types=service_types,
            certificate_key=f"contracts/{application.id}.pdf",
            certificate_sha256="0" * 64,
        )
    )
    await seed.flush()


async def test_a_station_is_dispatched_work_only_with_a_certified_technician(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    t = tenants
    await sign(
        seed,
        t,
        ["warranty", "paid", "internal"],
        network_today() - timedelta(days=30),
        network_today() + timedelta(days=700),
    )
    assert await dispatch(scoped, t, "warranty", network_today()) == training.Dispatchable(
        False, f"no technician certified for warranty work on {network_today().isoformat()}"
    )
    await certify(
        scoped,
        t,
        "SG-001",
        network_today() - timedelta(days=10),
        network_today() + timedelta(days=365),
        ["warranty", "paid"],
    )
    assert (await dispatch(scoped, t, "warranty", network_today())).allowed
    assert not (await dispatch(scoped, t, "internal", network_today())).allowed
    assert not (await dispatch(scoped, t, "warranty", network_today() + timedelta(days=366))).allowed  # expired by then
    await seed.execute(update(Station).where(Station.id == t.station_a).values(status="suspended"))
    assert await dispatch(scoped, t, "warranty", network_today()) == training.Dispatchable(
        False, "the station is suspended"
    )
    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(ValidationFailed):
            await training.record_certificate(
                session,
                t.hq_x.scope,
                station_id=t.station_a,
                person_name="x",
                role="janitor",
                service_types=["x"],
                course="c",
                certificate_number="N",
                passed_on=network_today(),
                expires_on=network_today(),
            )


async def test_the_dispatch_check_honours_the_contract_and_the_tiers_repair_levels(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    t = tenants
    await certify(
        scoped,
        t,
        "SG-003",
        network_today() - timedelta(days=10),
        network_today() + timedelta(days=365),
        ["warranty", "contract"],
    )
    assert await dispatch(scoped, t, "warranty", network_today()) == training.Dispatchable(
        False, "the station has no contract"
    )

    start, end = network_today() - timedelta(days=30), network_today() + timedelta(days=90)
    await sign(seed, t, ["warranty", "paid"], start, end)
    assert (await dispatch(scoped, t, "warranty", network_today())).allowed
    outside = network_today() + timedelta(days=91)
    assert await dispatch(scoped, t, "warranty", outside) == training.Dispatchable(
        False, f"no contract in force on {outside.isoformat()} (the term is {start} to {end})"
    )
    # Every reason at once: the contract does not cover contract work, and no technician is certified for paid.
    assert await dispatch(scoped, t, "contract", network_today()) == training.Dispatchable(
        False, "the contract does not cover contract work"
    )

    await seed.execute(update(Station).where(Station.id == t.station_a).values(tier="C"))
    assert (await dispatch(scoped, t, "warranty", network_today(), "overhaul")).allowed  # tier C is not restricted yet
    async with scoped(t.hq_x.scope) as session:
        await training.set_tier_repair_levels(
            session, t.hq_x.scope, tier="C", repair_levels=["minor_repair", "first_level_maintenance"]
        )
        await session.commit()
    assert await dispatch(scoped, t, "warranty", network_today(), "overhaul") == training.Dispatchable(
        False, "a tier C station may not do overhaul"
    )
    assert (await dispatch(scoped, t, "warranty", network_today(), "minor_repair")).allowed
    assert (await dispatch(scoped, t, "warranty", network_today())).allowed  # no repair level named: not checked
    refused = await dispatch(scoped, t, "paid", outside, "overhaul")
    assert refused.reason.split("; ") == [
        f"no contract in force on {outside.isoformat()} (the term is {start} to {end})",
        "a tier C station may not do overhaul",
        f"no technician certified for paid work on {outside.isoformat()}",
    ]
    async with scoped(t.hq_x.scope) as session:
        with pytest.raises(ValidationFailed) as bad:
            await training.set_tier_repair_levels(session, t.hq_x.scope, tier="", repair_levels=["welding", "welding"])
    assert set(bad.value.api_fields()) == {"tier", "repairLevels"}
    with pytest.raises(ValidationFailed):
        await dispatch(scoped, t, "warranty", network_today(), "welding")


async def test_the_cron_reminds_of_rectification_deadlines_and_expiring_certificates(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    tenants: Tenants,
    make_applicant: MakeApplicant,
) -> None:
    t = tenants
    applicant = await make_applicant(t.network_x, "Late Motors")
    params = {
        "n": t.network_x,
        "s": applicant.station_id,
        "a": await seed.scalar(text("SELECT id FROM applications WHERE station_id = :s"), {"s": applicant.station_id}),
        "r": new_id(),
        "x": new_id(),
        "i": new_id(),
    }
    for statement in (
        "INSERT INTO rubrics (id, network_id, kind, version, title) VALUES (:r, :n, 'acceptance', 1, 'r')",
        "INSERT INTO assessments (id, network_id, application_id, rubric_id, kind, total, pass_mark, passed, items) "
        "VALUES (:x, :n, :a, :r, 'acceptance', 50, 100, false, '[]')",
        "INSERT INTO acceptance_inspections (id, network_id, station_id, application_id, round, assessment_id, passed) "
        "VALUES (:i, :n, :s, :a, 1, :x, false)",
        "INSERT INTO rectification_items (id, network_id, station_id, application_id, inspection_id, code, label_zh, "
        "label_en, due_on) VALUES (gen_random_uuid(), :n, :s, :a, :i, 'LIFTS', '举升机', 'Lifts', current_date - 1), "
        "(gen_random_uuid(), :n, :s, :a, :i, 'TOOLS', '工具', 'Tools', current_date + 2), "
        "(gen_random_uuid(), :n, :s, :a, :i, 'PAINT', '喷漆', 'Paint', current_date + 20)",
    ):
        await seed.execute(text(statement), params)
    await certify(
        scoped, t, "SG-002", network_today() - timedelta(days=700), network_today() + timedelta(days=10), ["paid"]
    )

    assert await network_jobs.remind_deadlines(sessionmaker) == 3
    assert await network_jobs.remind_deadlines(sessionmaker) == 0  # once a day
    told = {(n.station_id, n.kind, n.subject) for n in await seed.scalars(select(Notification))}
    assert told == {
        (applicant.station_id, "rectification_overdue", "Rectification LIFTS: Lifts"),
        (applicant.station_id, "rectification_due", "Rectification TOOLS: Tools"),
        (
            t.station_a,
            "certificate_expiring",
            f"Certificate SG-002 expires {(network_today() + timedelta(days=10)).isoformat()}",
        ),
    }
