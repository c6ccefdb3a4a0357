"""Two defective parts of one claim, two supplier-defect verdicts (issue 16): each part is recovered with its
handling, the claim's labour only once — by the first recovery claim — however the verdicts fall."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.db import new_id
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import Part
from dealernet.warranty.models import ClaimLine, PartReturn, RecoveryAgreement, RecoveryClaimLine
from dealernet.warranty.rules import Verdict
from dealernet.warranty.service import part_returns
from tests.conftest import PartnerWorld, Scoped, Tenants
from tests.factories import network_today
from tests.integration.test_claim_money import _claim_with


async def test_the_labour_of_a_claim_is_recovered_once(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> None:
    claim = await _claim_with(seed, tenants, [Decimal("120.00"), Decimal("400.00"), Decimal("300.00")], None)
    part = Part(id=new_id(), network_id=tenants.network_x, part_number="RC-PAD", name_zh="片", name_en="pad",
                component_group="BRAKES", supplier_id=partner_world.partner_p)  # fmt: skip
    seed.add(part)
    seed.add(RecoveryAgreement(id=new_id(), network_id=tenants.network_x, partner_id=partner_world.partner_p,
                               component_group="BRAKES", part_share=100, labour_share=50, handling_share=10,
                               effective_from=network_today() - timedelta(days=30)))  # fmt: skip
    await seed.flush()
    pads = "SET kind = 'part', labour_operation_id = NULL, part_id = :p WHERE position IN (2, 3)"  # lines 2, 3
    await seed.execute(text(f"UPDATE repair_order_lines {pads} AND repair_order_id = :o"),
                       {"p": part.id, "o": claim.repair_order_id})  # fmt: skip
    await seed.execute(text(f"UPDATE claim_lines {pads} AND claim_id = :c"), {"p": part.id, "c": claim.id})
    lines = await seed.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim.id).order_by(ClaimLine.position))
    returns = [
        PartReturn(
            station_id=claim.station_id,
            id=new_id(),
            network_id=claim.network_id,
            claim_id=claim.id,
            claim_line_id=line.id,
            part_id=part.id,
            tag_number=f"TAG-RC-{line.position}",
            due_on=network_today(),
            send_to="HQ",
            status="received",
            carrier="SF",
            shipped_at=claim.submitted_at,
        )
        for line in lines.all()[1:]
    ]
    seed.add_all(returns)
    await seed.flush()
    role = Role.HQ_WARRANTY_AUDITOR
    hq = Scope(db_role=DbRole.oem, network_id=tenants.network_x, actor_id=new_id(), role=role,
               permissions=permissions_of(role))  # fmt: skip
    async with scoped(hq) as session:
        for row in returns:
            await part_returns.inspect_return(session, hq, return_id=row.id, verdict=Verdict.SUPPLIER_DEFECT,
                                              note="delaminated")  # fmt: skip
        recovered = await session.execute(
            select(RecoveryClaimLine.kind, RecoveryClaimLine.base_amount, RecoveryClaimLine.amount).order_by(
                RecoveryClaimLine.recovery_claim_id, RecoveryClaimLine.position
            )
        )
        assert [tuple(r) for r in recovered] == [
            ("labour", Decimal("120.00"), Decimal("60.00")),
            ("part", Decimal("400.00"), Decimal("400.00")),
            ("handling", Decimal("400.00"), Decimal("40.00")),
            ("part", Decimal("300.00"), Decimal("300.00")),  # the second: no labour again
            ("handling", Decimal("300.00"), Decimal("30.00")),
        ]
        await session.rollback()
