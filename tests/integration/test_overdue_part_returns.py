"""A failed part not back by its due date (issue 16): the station is reminded once; a grace period later the
claim line is charged back, once — every network by its own today, through the cron's reviewed function."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core.db import new_id
from dealernet.policy.models import Part
from dealernet.tenants.models import Notification
from dealernet.warranty import jobs
from dealernet.warranty.models import ClaimChargeback, ClaimLine, PartReturn
from tests.conftest import Tenants
from tests.factories import network_today
from tests.integration.test_claim_money import _claim_with


async def test_an_overdue_part_is_reminded_then_charged_back(
    seed: AsyncSession, tenants: Tenants, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    claim = await _claim_with(seed, tenants, [Decimal("420.00")], None)
    part = Part(id=new_id(), network_id=tenants.network_x, part_number="BP-9", name_zh="片", name_en="pad",
                component_group="BRAKES")  # fmt: skip
    seed.add(part)
    await seed.flush()
    line = await seed.scalar(select(ClaimLine).where(ClaimLine.claim_id == claim.id))
    assert line is not None
    due = PartReturn(station_id=claim.station_id, id=new_id(), network_id=claim.network_id, claim_id=claim.id,
                     claim_line_id=line.id, part_id=part.id, tag_number="TAG-X-1", due_on=network_today(),
                     send_to="HQ", status="authorised")  # fmt: skip
    seed.add(due)
    await seed.flush()

    assert await jobs.remind_overdue_returns(sessionmaker) == 0  # due today: not overdue yet
    await seed.execute(text("UPDATE part_returns SET due_on = :d WHERE id = :i"),
                       {"d": network_today() - timedelta(days=3), "i": due.id})  # fmt: skip
    assert await jobs.remind_overdue_returns(sessionmaker) == 1  # the reminder
    assert await jobs.remind_overdue_returns(sessionmaker, grace_days=7) == 0  # within the grace period
    assert await jobs.remind_overdue_returns(sessionmaker, grace_days=2) == 1  # past it: charged back
    assert await jobs.remind_overdue_returns(sessionmaker, grace_days=2) == 0  # once
    reminders = select(func.count()).select_from(Notification).where(Notification.kind == "part_return_overdue")
    assert await seed.scalar(reminders) == 1
    chargeback = await seed.scalar(select(ClaimChargeback).where(ClaimChargeback.part_return_id == due.id))
    assert chargeback is not None
    assert (chargeback.amount, chargeback.reason) == (Decimal("420.00"), "part_not_returned")
    journaled = await seed.scalar(
        text("SELECT count(*) FROM journal WHERE entity_id = :c AND action = 'charged_back'"), {"c": claim.id}
    )
    assert journaled == 1
