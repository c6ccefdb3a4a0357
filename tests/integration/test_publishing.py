"""Publishing to a target set, the in-app notifications it writes, the reminder cron and the e-mail job,
against real PostgreSQL and Redis."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from arq import ArqRedis
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.db import new_id
from dealernet.core.errors import Conflict, NotFound, ValidationFailed
from dealernet.core.journal import JournalEntry
from dealernet.core.mail import MemoryMailer
from dealernet.core.scope import Scope
from dealernet.core.settings import Settings
from dealernet.policy import jobs as policy_jobs
from dealernet.policy.models import Part, Publication
from dealernet.policy.service import prices, publications
from dealernet.tenants import jobs as tenants_jobs
from dealernet.tenants.models import Notification, Station
from dealernet.tenants.service import notifications
from tests.conftest import Deliver, Scoped, Tenants
from tests.factories import network_today


async def _part(seed: AsyncSession, t: Tenants) -> UUID:
    part = Part(id=new_id(), network_id=t.network_x, part_number="P1", name_zh="", name_en="p", component_group="G")
    seed.add(part)
    await seed.flush()
    return part.id


async def _grade(seed: AsyncSession, t: Tenants) -> None:
    """Station A: tier A, serves Jiefang; station B: tier B, serves Hongqi."""
    await seed.execute(update(Station).where(Station.id == t.station_a).values(tier="A", brands=["Jiefang"]))
    await seed.execute(update(Station).where(Station.id == t.station_b).values(tier="B", brands=["Hongqi"]))


async def _publish_to(scoped: Scoped, t: Tenants, part: UUID, target: publications.Target) -> UUID:
    async with scoped(t.hq_x.scope) as session:
        draft = await prices.draft_price_list(
            session,
            t.hq_x.scope,
            title="Prices",
            effective_on=network_today(),
            target=target,
            acknowledge_within_days=7,
        )
        await prices.set_price(
            session,
            t.hq_x.scope,
            publication_id=draft.id,
            part_id=part,
            currency="CNY",
            list_price=Decimal("10.00"),
            dealer_price=Decimal("8.00"),
        )
        published = await publications.publish(session, t.hq_x.scope, publication_id=draft.id)
        await session.commit()
        return published.publication.id


async def _delivered_to(seed: AsyncSession, publication: UUID) -> set[UUID]:
    rows = await seed.execute(
        text("SELECT station_id FROM publication_deliveries WHERE publication_id = :p"), {"p": publication}
    )
    return set(rows.scalars())


@pytest.mark.parametrize(
    ("target", "reached"),
    [
        (publications.Target(tiers=[" a "]), {"a"}),
        (publications.Target(brands=["Hongqi"]), {"b"}),
        (publications.Target(tiers=["A"], brands=["Hongqi"]), {"a", "b"}),
        (publications.Target(tiers=["C"]), set()),
        (publications.Target(), {"a", "b"}),
    ],
)
async def test_a_publication_reaches_its_tiers_and_brands(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, target: publications.Target, reached: set[str]
) -> None:
    await _grade(seed, tenants)
    stations = {"a": tenants.station_a, "b": tenants.station_b}
    publication = await _publish_to(scoped, tenants, await _part(seed, tenants), target)
    assert await _delivered_to(seed, publication) == {stations[s] for s in reached}


async def test_a_station_list_and_a_foreign_station(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    part = await _part(seed, tenants)
    publication = await _publish_to(scoped, tenants, part, publications.Target(station_ids=[tenants.station_b]))
    assert await _delivered_to(seed, publication) == {tenants.station_b}
    with pytest.raises(NotFound):
        await _publish_to(scoped, tenants, part, publications.Target(station_ids=[tenants.station_c]))
    with pytest.raises(ValidationFailed) as refused:
        await _publish_to(scoped, tenants, part, publications.Target(tiers=["TOO-LONG-A-TIER"]))
    assert refused.value.api_fields() == {"target.tiers": "at most 8 characters each"}


async def fan_out(sessionmaker: async_sessionmaker[AsyncSession], redis: ArqRedis, deliver: Deliver) -> int:
    await outbox.relay(sessionmaker, redis, older_than=timedelta(0))
    return await deliver()


async def test_publishing_queues_one_fan_out_job_that_notifies_and_mails_each_station_once(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    deliver: Deliver,
    mailer: MemoryMailer,
    settings: Settings,
    tenants: Tenants,
) -> None:
    publication = await _publish_to(scoped, tenants, await _part(seed, tenants), publications.Target())
    jobs = (await seed.execute(text("SELECT job FROM outbox WHERE network_id = :x"), {"x": tenants.network_x})).all()
    assert [j.job for j in jobs] == [publications.NOTIFY_DELIVERED]
    assert await seed.scalar(select(func.count()).select_from(Notification)) == 0  # not in the publishing transaction
    assert await fan_out(sessionmaker, redis, deliver) == 1
    rows = (await seed.scalars(select(Notification).where(Notification.entity_id == publication))).all()
    assert sorted(str(n.station_id) for n in rows) == sorted(str(s) for s in (tenants.station_a, tenants.station_b))
    assert {n.kind for n in rows} == {"publication_delivered"}
    assert rows[0].subject == "New: Prices"
    assert "Please acknowledge by" in rows[0].body
    assert sorted(m.to for m in mailer.sent) == sorted([tenants.manager_a.email, tenants.manager_b.email])
    async with scoped(tenants.hq_x.scope) as session:  # the job delivered twice: nobody is told twice
        env = outbox.JobEnv(settings=settings, mailer=mailer)
        await policy_jobs.notify_delivered(session, tenants.hq_x.scope, {"publication": str(publication)}, env)
        assert await seed.scalar(select(func.count()).select_from(Notification)) == 2


async def test_the_inbox_and_marking_read(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    deliver: Deliver,
    tenants: Tenants,
) -> None:
    publication = await _publish_to(scoped, tenants, await _part(seed, tenants), publications.Target())
    await fan_out(sessionmaker, redis, deliver)
    async with scoped(tenants.manager_a.scope) as session:
        inbox = await notifications.inbox(session, tenants.manager_a.scope, first=10)
        assert [(n.station_id, n.entity_id) for n in inbox] == [(tenants.station_a, publication)]
        await notifications.mark_read(session, tenants.manager_a.scope, notification_id=inbox[0].id)
        assert await notifications.inbox(session, tenants.manager_a.scope, first=10, unread_only=True) == []
        await session.commit()
    async with scoped(tenants.hq_x.scope) as session:
        assert await notifications.inbox(session, tenants.hq_x.scope, first=10) == []  # not HQ's own
        with pytest.raises(NotFound):
            await notifications.mark_read(session, tenants.hq_x.scope, notification_id=inbox[0].id)


async def test_the_cron_reminds_the_stations_that_have_not_acknowledged_once_a_day(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    redis: ArqRedis,
    deliver: Deliver,
    mailer: MemoryMailer,
    tenants: Tenants,
) -> None:
    publication = await _publish_to(scoped, tenants, await _part(seed, tenants), publications.Target())
    await fan_out(sessionmaker, redis, deliver)
    async with scoped(tenants.manager_b.scope) as session:
        await publications.acknowledge(session, tenants.manager_b.scope, publication_id=publication)
        await session.commit()
    assert await tenants_jobs.remind_unacknowledged(sessionmaker) == 0  # due in 7 days: not yet
    await seed.execute(
        text("UPDATE publication_deliveries SET acknowledge_by = now() - interval '1 hour' WHERE publication_id = :p"),
        {"p": publication},
    )

    assert await tenants_jobs.remind_unacknowledged(sessionmaker) == 1
    assert await tenants_jobs.remind_unacknowledged(sessionmaker) == 0  # not again within the day
    reminders = (await seed.scalars(select(Notification).where(Notification.kind == "acknowledgement_reminder"))).all()
    assert [(r.station_id, r.entity_id) for r in reminders] == [(tenants.station_a, publication)]
    assert reminders[0].body.startswith("Overdue since ")

    await outbox.relay(sessionmaker, redis, older_than=timedelta(0))
    assert await deliver() >= 1
    sent = {(m.to, m.subject) for m in mailer.sent}
    assert (tenants.manager_a.email, "Please acknowledge: Prices") in sent
    assert (tenants.manager_b.email, "New: Prices") in sent
    assert all(m.to != tenants.hq_x.email for m in mailer.sent)  # station notifications go to stations
    unmailed = await seed.scalar(text("SELECT count(*) FROM notifications WHERE mailed_at IS NULL"))
    assert unmailed == 0


async def test_listing_filters_and_a_station_does_not_see_withdrawn_versions(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    part = await _part(seed, tenants)
    kept = await _publish_to(scoped, tenants, part, publications.Target())
    async with scoped(tenants.hq_x.scope) as session:
        later = await prices.draft_price_list(
            session, tenants.hq_x.scope, title="Later", effective_on=network_today() + timedelta(days=60)
        )
        await prices.set_price(
            session,
            tenants.hq_x.scope,
            publication_id=later.id,
            part_id=part,
            currency="CNY",
            list_price=Decimal("11.00"),
            dealer_price=Decimal("9.00"),
        )
        await publications.publish(session, tenants.hq_x.scope, publication_id=later.id)
        await publications.withdraw(session, tenants.hq_x.scope, publication_id=later.id, reason="wrong prices")
        await session.commit()

    async def listed(scope: Scope, **where: object) -> list[UUID]:
        async with scoped(scope) as session:
            found = await publications.list_publications(
                session,
                scope,
                first=10,
                where=publications.PublicationFilter(**where),  # type: ignore[arg-type]
            )
            return [p.id for p in found]

    assert await listed(tenants.hq_x.scope) == [kept, later.id]
    assert await listed(tenants.hq_x.scope, status="withdrawn") == [later.id]
    assert await listed(tenants.hq_x.scope, effective_from=network_today() + timedelta(days=1)) == [later.id]
    assert await listed(tenants.hq_x.scope, effective_to=network_today()) == [kept]
    assert await listed(tenants.hq_x.scope, kind="bulletin") == []
    assert await listed(tenants.manager_a.scope) == [kept]


async def test_a_withdrawn_publication_cannot_be_acknowledged(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    """Issue 14 item 15: a station acknowledged a publication HQ had withdrawn."""
    publication = await _publish_to(scoped, tenants, await _part(seed, tenants), publications.Target())
    async with scoped(tenants.hq_x.scope) as session:
        await publications.withdraw(session, tenants.hq_x.scope, publication_id=publication, reason="wrong prices")
        await session.commit()
    async with scoped(tenants.manager_a.scope) as session:
        with pytest.raises(Conflict, match="withdrawn"):
            await publications.acknowledge(session, tenants.manager_a.scope, publication_id=publication)
    acknowledged = await seed.scalar(
        text("SELECT count(*) FROM publication_deliveries WHERE publication_id = :p AND acknowledged_at IS NOT NULL"),
        {"p": publication},
    )
    assert acknowledged == 0


async def _draft(scoped: Scoped, t: Tenants, part: UUID, effective_on: date) -> UUID:
    async with scoped(t.hq_x.scope) as session:
        draft = await prices.draft_price_list(session, t.hq_x.scope, title="Correction", effective_on=effective_on)
        await prices.set_price(
            session,
            t.hq_x.scope,
            publication_id=draft.id,
            part_id=part,
            currency="CNY",
            list_price=Decimal("10.00"),
            dealer_price=Decimal("8.00"),
        )
        await session.commit()
        return draft.id


async def test_backdating_is_a_retroactive_correction_with_a_reason(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    """Issue 14 item 11: a price list published effective 30 days ago silently rewrote the as-of answers."""
    t = tenants
    hq = t.hq_x.scope
    part = await _part(seed, t)
    backdated = await _draft(scoped, t, part, network_today() - timedelta(days=30))
    async with scoped(hq) as session:
        with pytest.raises(ValidationFailed) as refused:
            await publications.publish(session, hq, publication_id=backdated)
    assert set(refused.value.api_fields()) == {"retroactiveReason"}
    assert await seed.scalar(select(Publication.status).where(Publication.id == backdated)) == "draft"
    assert await _delivered_to(seed, backdated) == set()

    async with scoped(hq) as session:
        done = await publications.publish(
            session, hq, publication_id=backdated, retroactive_reason="  the supplier's price rise applied late  "
        )
        reason = done.publication.retroactive_reason
        await session.commit()
    assert done.deliveries == 2
    assert reason == "the supplier's price rise applied late"
    entry = (await seed.scalars(select(JournalEntry).where(JournalEntry.entity_id == backdated))).all()[-1]
    assert (entry.action, entry.after["retroactive_reason"]) == (
        "published_retroactively",
        "the supplier's price rise applied late",
    )
    async with scoped(hq) as session:
        listed = await publications.list_publications(
            session, hq, first=10, where=publications.PublicationFilter(retroactive=True)
        )
        others = await publications.list_publications(
            session, hq, first=10, where=publications.PublicationFilter(retroactive=False)
        )
        listed_ids, other_ids = [p.id for p in listed], {p.id for p in others}
    assert listed_ids == [backdated]
    assert backdated not in other_ids

    on_time = await _draft(scoped, t, part, network_today())
    async with scoped(hq) as session:
        with pytest.raises(ValidationFailed) as not_a_correction:
            await publications.publish(session, hq, publication_id=on_time, retroactive_reason="just because")
    assert set(not_a_correction.value.api_fields()) == {"retroactiveReason"}


async def test_a_job_that_dies_after_mailing_never_mails_twice(
    scoped: Scoped,
    seed: AsyncSession,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    tenants: Tenants,
) -> None:
    """Issue 14 item 17: e-mails were sent inside the job's transaction, before its outbox row was marked
    done; a worker killed between the two sent them again on the retry. Now a mail goes out only once the
    transaction that marks it mailed has committed: a job that dies before that sends nothing, and its
    retry sends each mail once."""
    await _publish_to(scoped, tenants, await _part(seed, tenants), publications.Target())
    row_id = await seed.scalar(select(outbox.OutboxRow.id).where(outbox.OutboxRow.job == publications.NOTIFY_DELIVERED))
    assert row_id is not None

    mailer = MemoryMailer()
    original = tenants_jobs.mail_notifications

    async def killed_after_mailing(*args: Any) -> int:
        await original(*args)  # the mails of the batch are in hand...
        raise SystemExit("kill -9")  # ...and the worker dies before its transaction commits

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(policy_jobs, "mail_notifications", killed_after_mailing)
        with pytest.raises(SystemExit):
            await outbox.run(sessionmaker, row_id, outbox.JobEnv(settings=settings, mailer=mailer))
    assert mailer.sent == []  # nothing left the building: the transaction never committed

    assert await outbox.run(sessionmaker, row_id, outbox.JobEnv(settings=settings, mailer=mailer)) == "done"
    assert sorted(m.to for m in mailer.sent) == sorted([tenants.manager_a.email, tenants.manager_b.email])
    assert await outbox.run(sessionmaker, row_id, outbox.JobEnv(settings=settings, mailer=mailer)) == "done already"
    assert len(mailer.sent) == 2
