"""A later decision changes what a settled claim is worth (issue 16): the next period's settlement pays the
difference as an adjustment, once; a period overlapping a settled one is refused for that station (its
statement would pay nothing twice, and no station has two statements for a day)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.warranty.models import ClaimLine, SettlementLine
from dealernet.warranty.rules import ClaimDecision, ReasonCode
from dealernet.warranty.service import appeals, claims, settlements
from tests.conftest import Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_claim_money import _claim_with


def _hq(tenants: Tenants) -> Scope:
    role = Role.HQ_WARRANTY_AUDITOR
    return Scope(db_role=DbRole.oem, network_id=tenants.network_x, actor_id=new_id(), role=role,
                 permissions=permissions_of(role))  # fmt: skip


async def test_an_appeal_granted_after_settlement_is_paid_as_an_adjustment(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    claim = await _claim_with(seed, tenants, [Decimal("300.00"), Decimal("200.00")], None)
    first, second = _hq(tenants), _hq(tenants)
    station = Scope(db_role=DbRole.station, network_id=tenants.network_x, station_id=tenants.station_a,
                    actor_id=tenants.manager_a.user_id, role=Role.STATION_MANAGER.value,
                    permissions=permissions_of(Role.STATION_MANAGER))  # fmt: skip
    today = network_today()
    earlier = (today - timedelta(days=20), today - timedelta(days=10))
    async with scoped(first) as session:
        line = await session.scalar(select(ClaimLine).where(ClaimLine.claim_id == claim.id, ClaimLine.position == 1))
        assert line is not None
        cut = [claims.Adjustment(line.id, Decimal("100.00"), ReasonCode.LABOUR_ABOVE_FLAT_RATE)]
        await claims.decide_claim(session, first, claim_id=claim.id, version=1, decision=ClaimDecision.PARTLY_APPROVE,
                                  adjustments=cut)  # fmt: skip
        # Decided within the earlier period (as if two weeks ago), settled in it.
        await session.execute(text("UPDATE claims SET decided_at = :at WHERE id = :c"),
                              {"at": datetime.now(UTC) - timedelta(days=15), "c": claim.id})  # fmt: skip
        [paid] = await settlements.run_settlement(session, first, period_start=earlier[0], period_end=earlier[1])
        assert (paid.claims_amount, paid.adjustments_amount, paid.total) == (Decimal("300.00"), 0, Decimal("300.00"))
        await session.commit()
    async with scoped(station) as session:
        await appeals.appeal_claim(session, station, claim_id=claim.id, reason="the rate was right",
                                   evidence="the labour standard's sheet")  # fmt: skip
        await session.commit()
    async with scoped(second) as session:
        await appeals.decide_appeal(session, second, claim_id=claim.id, grant=True, note="approved in full")
        overlapping = await settlements.run_settlement(session, second, period_start=earlier[1], period_end=today)
        assert overlapping == []  # station A is settled for a day of it
        [later] = await settlements.run_settlement(session, second, period_start=earlier[1] + timedelta(days=1),
                                                   period_end=today)  # fmt: skip
        assert (later.claims_amount, later.adjustments_amount, later.total) == (0, Decimal("200.00"), Decimal("200.00"))
        lines = (await session.scalars(select(SettlementLine).where(SettlementLine.settlement_id == later.id))).all()
        assert [(x.kind, x.amount) for x in lines] == [("adjustment", Decimal("200.00"))]
        paid_per_line = await session.execute(
            text("SELECT claim_line_id, sum(amount) FROM settlement_lines GROUP BY 1 ORDER BY 2")
        )
        approved = await session.execute(
            text("SELECT id, approved_amount FROM claim_lines WHERE claim_id = :c ORDER BY 2"), {"c": claim.id}
        )
        assert [tuple(r) for r in paid_per_line] == [tuple(r) for r in approved]  # each line paid what was approved
        await session.rollback()
