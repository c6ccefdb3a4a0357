"""The demo network's warranty claims (development and test only): at the station under contract, claims of
its completed repair orders' warranty lines at every stage — drafts, submitted ones waiting in HQ's review
queue with their flags, approved, partly approved (the labour at its flat rate), rejected, one returned with
a question, one appealed and one appeal upheld. The decided claims' pads go back to HQ: two are found the
supplier's defect (its recovery claims, one accepted by the supplier, one disputed), one the station's
liability (a chargeback), one still waits for inspection; this month is settled (acknowledged and paid) and the
supplier's agreed claim is on its recovery statement. All through the services, as the station's manager,
HQ's warranty auditor (the admin decides the appeals: another reviewer) and the supplier's API client.
Seeding again adds nothing once the demo has claims."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import Part
from dealernet.tenants.models import ApiClient, Membership, Partner, Station
from dealernet.tenants.service.directory import network_today
from dealernet.warranty.models import Claim, ClaimLine, RecoveryClaim
from dealernet.warranty.rules import ClaimDecision, ClaimType, ReasonCode, RecoveryResponse, Verdict
from dealernet.warranty.service import appeals, claims, part_returns, recovery, settlements
from dealernet.workshop.models import RepairOrder, RepairOrderLine
from dealernet.workshop.rules import RepairOrderStatus

# What becomes of each demo claim, in order of the repair orders.
STAGES = (
    "draft",
    "submitted",
    "approved",
    "partly_approved",
    "submitted",
    "rejected",
    "returned",
    "appealed",
    "submitted",
    "upheld",
    "approved",
    "draft",
    "submitted",
    "partly_approved",
)


def _scope(network_id: UUID, user_id: UUID | None, role: Role, station_id: UUID | None = None) -> Scope:
    return Scope(
        db_role=DbRole.station if station_id else DbRole.oem,
        network_id=network_id,
        station_id=station_id,
        actor_id=user_id,
        role=role.value,
        permissions=permissions_of(role),
        second_factor=True,
    )


async def seed_demo_warranty(session: AsyncSession, network_id: UUID) -> None:
    """Raise and decide the demo claims once. The session is the seed session; the services run as people."""
    if await session.scalar(select(Claim.id).where(Claim.network_id == network_id).limit(1)) is not None:
        return
    people = {
        role: await session.scalar(
            select(Membership.user_id).where(Membership.network_id == network_id, Membership.role == role.value)
        )
        for role in (Role.HQ_WARRANTY_AUDITOR, Role.HQ_ADMIN)
    }
    part = await session.scalar(select(Part.id).where(Part.network_id == network_id, Part.part_number == "BP-3501"))
    found = (
        await session.execute(
            select(Membership.user_id, Membership.station_id)
            .join(Station, Station.id == Membership.station_id)
            .where(Membership.network_id == network_id, Membership.role == Role.STATION_MANAGER.value)
            .where(Station.status == "active")
        )
    ).all()
    if part is None or people[Role.HQ_WARRANTY_AUDITOR] is None or people[Role.HQ_ADMIN] is None:
        return  # a database without the policy or tenants demo
    auditor = _scope(network_id, people[Role.HQ_WARRANTY_AUDITOR], Role.HQ_WARRANTY_AUDITOR)
    admin = _scope(network_id, people[Role.HQ_ADMIN], Role.HQ_ADMIN)
    await seed_demo_agreement(session, network_id, auditor)
    for manager, station_id in found:
        station = _scope(network_id, manager, Role.STATION_MANAGER, station_id)
        orders = await _orders_with_warranty_work(session, station_id)
        for stage, order_id in zip(STAGES, orders, strict=False):
            claim = await claims.raise_claim(
                session, station, repair_order_id=order_id, claim_type=ClaimType.NORMAL, causal_part_id=part
            )
            await _take(session, stage, claim, station, auditor, admin)
        await _return_pads(session, station, auditor, part)
    await _recover_and_settle(session, network_id, auditor, admin)


async def _orders_with_warranty_work(session: AsyncSession, station_id: UUID) -> list[UUID]:
    """The station's completed repair orders with a consented warranty line, oldest first."""
    warranty = select(RepairOrderLine.repair_order_id).where(
        RepairOrderLine.station_id == station_id,
        RepairOrderLine.service_type == "warranty",
        RepairOrderLine.consent == "consented",
    )
    done = (RepairOrderStatus.COMPLETED, RepairOrderStatus.SETTLED, RepairOrderStatus.HANDED_OVER)
    rows = await session.scalars(
        select(RepairOrder.id)
        .where(RepairOrder.station_id == station_id, RepairOrder.status.in_(done), RepairOrder.id.in_(warranty))
        .order_by(RepairOrder.received_at, RepairOrder.id)
    )
    return list(rows)


async def _take(session: AsyncSession, stage: str, claim: Claim, station: Scope, auditor: Scope, admin: Scope) -> None:
    """Take a draft claim as far as `stage`."""
    if stage == "draft":
        return
    claim = await claims.submit_claim(session, station, claim_id=claim.id)
    if stage == "submitted" or claim.status != "submitted":  # a clean small claim the rules approved
        return
    if stage == "approved":
        await claims.decide_claim(
            session, auditor, claim_id=claim.id, version=claim.version, decision=ClaimDecision.APPROVE
        )
    elif stage == "partly_approved":
        labour = await session.scalar(
            select(ClaimLine).where(ClaimLine.claim_id == claim.id, ClaimLine.kind == "labour")
        )
        assert labour is not None  # the demo's warranty lines are labour
        half = (labour.amount / 2).quantize(Decimal("0.01"))
        adjustment = claims.Adjustment(labour.id, half, ReasonCode.LABOUR_ABOVE_FLAT_RATE)
        await claims.decide_claim(
            session,
            auditor,
            claim_id=claim.id,
            version=claim.version,
            decision=ClaimDecision.PARTLY_APPROVE,
            adjustments=[adjustment],
        )
    elif stage == "returned":
        await claims.decide_claim(
            session,
            auditor,
            claim_id=claim.id,
            version=claim.version,
            decision=ClaimDecision.RETURN,
            note="请补充旧件照片 / please add photos of the removed pads",
        )
    else:  # rejected, then appealed (and upheld)
        claim = await claims.decide_claim(
            session,
            auditor,
            claim_id=claim.id,
            version=claim.version,
            decision=ClaimDecision.REJECT,
            reason=ReasonCode.EXCLUDED_BY_TERMS,
        )
        if stage in ("appealed", "upheld"):
            await appeals.appeal_claim(
                session,
                station,
                claim_id=claim.id,
                reason="the pad cracked: a defect",
                evidence="photos of the cracked pad, attached to the repair order",
            )
        if stage == "upheld":
            await appeals.decide_appeal(session, admin, claim_id=claim.id, grant=False, note="worn, not cracked")


# What the identification sheet finds of each decided claim's returned pads, oldest claim first; the rest wait.
VERDICTS = (Verdict.SUPPLIER_DEFECT, Verdict.SUPPLIER_DEFECT, Verdict.NO_FAULT_FOUND)


async def _return_pads(session: AsyncSession, station: Scope, auditor: Scope, part: UUID) -> None:
    """HQ asks the decided claims' pads back; the station ships them; HQ books them in and inspects three."""
    decided = await session.scalars(
        select(ClaimLine)
        .join(Claim, (Claim.station_id == ClaimLine.station_id) & (Claim.id == ClaimLine.claim_id))
        .where(Claim.station_id == station.station_id, Claim.status.in_(("approved", "partly_approved")))
        .where(ClaimLine.part_id == part)
        .order_by(Claim.number)
    )
    returns = [await part_returns.request_return(session, auditor, claim_line_id=line.id) for line in decided]
    if not returns:
        return
    await part_returns.ship_returns(session, station, return_ids=[r.id for r in returns], carrier="顺丰 SF Express",
                                    tracking_number="SF-DEMO-PADS")  # fmt: skip
    for row, verdict in zip(returns, (*VERDICTS, None), strict=False):
        await part_returns.receive_return(session, auditor, return_id=row.id, condition="tag intact, oily")
        if verdict is not None:
            note = "摩擦层脱落 friction layer delaminated" if verdict is Verdict.SUPPLIER_DEFECT else "pad within spec"
            await part_returns.inspect_return(session, auditor, return_id=row.id, verdict=verdict, note=note)


async def _supplier_scope(session: AsyncSession, network_id: UUID) -> Scope | None:
    client = await session.scalar(select(ApiClient).where(ApiClient.network_id == network_id).limit(1))
    if client is None:
        return None
    return Scope(db_role=DbRole.partner, network_id=network_id, partner_id=client.partner_id, actor_id=client.id,
                 client_id=client.id, permissions=frozenset(client.scopes))  # fmt: skip


async def _recover_and_settle(session: AsyncSession, network_id: UUID, auditor: Scope, admin: Scope) -> None:
    """The supplier's agreement (made before the verdicts in the demo's story, priced by the repair date),
    its answers, HQ's resolution; this month's settlement, acknowledged and paid; the recovery statement."""
    supplier = await _supplier_scope(session, network_id)
    made = list(
        await session.scalars(
            select(RecoveryClaim).where(RecoveryClaim.network_id == network_id).order_by(RecoveryClaim.number)
        )
    )
    if supplier is not None and made:
        for n, row in enumerate(made):
            lines = (await recovery.lines_of(session, supplier, [row.id]))[row.id]
            answers = [
                recovery.LineResponse(line.id, RecoveryResponse.DISPUTED, "labour above the flat rate is not ours")
                if n % 2 and line.kind == "labour"
                else recovery.LineResponse(line.id, RecoveryResponse.ACCEPTED)
                for line in lines
            ]
            await recovery.respond(session, supplier, recovery_claim_id=row.id, responses=answers)
    today = await network_today(session, network_id)
    for statement in await settlements.run_settlement(
        session, auditor, period_start=today.replace(day=1), period_end=today
    ):
        manager = await session.scalar(
            select(Membership.user_id).where(Membership.station_id == statement.station_id,
                                             Membership.role == Role.STATION_MANAGER.value)
        )  # fmt: skip
        station = _scope(network_id, manager, Role.STATION_MANAGER, statement.station_id)
        await settlements.acknowledge(session, station, settlement_id=statement.id)
        await settlements.record_payment(session, admin, settlement_id=statement.id, paid_on=today,
                                         reference=f"BOC-{statement.number}")  # fmt: skip
    await settlements.run_recovery_statements(session, auditor, period_start=today.replace(day=1), period_end=today)


async def seed_demo_agreement(session: AsyncSession, network_id: UUID, auditor: Scope) -> None:
    """The demo supplier bears all of a brake part, half the labour and 5 % handling, for a year back."""
    supplier = await session.scalar(select(Partner.id).where(Partner.code == "DEMO-SUPPLIER"))
    if supplier is None:
        return
    today = await network_today(session, network_id)
    terms = recovery.AgreementTerms(partner_id=supplier, component_group="BRAKES", part_share=Decimal(100),
                                    labour_share=Decimal(50), handling_share=Decimal(5),
                                    effective_from=today - timedelta(days=365), note="DEMO-SQA-001")  # fmt: skip
    await recovery.make_agreement(session, auditor, terms)
