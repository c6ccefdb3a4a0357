"""The demo network's warranty claims (development and test only): at the station under contract, claims of
its completed repair orders' warranty lines at every stage — drafts, submitted ones waiting in HQ's review
queue with their flags, approved, partly approved (the labour at its flat rate), rejected, one returned with
a question, one appealed and one appeal upheld. All through the services, as the station's manager and HQ's
warranty auditor (the admin decides the appeals: another reviewer). Seeding again adds nothing once the demo
has claims."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.scope import DbRole, Scope
from dealernet.policy.models import Part
from dealernet.tenants.models import Membership, Station
from dealernet.warranty.models import Claim, ClaimLine
from dealernet.warranty.rules import ClaimDecision, ClaimType, ReasonCode
from dealernet.warranty.service import appeals, claims
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
    for manager, station_id in found:
        station = _scope(network_id, manager, Role.STATION_MANAGER, station_id)
        orders = await _orders_with_warranty_work(session, station_id)
        for stage, order_id in zip(STAGES, orders, strict=False):
            claim = await claims.raise_claim(
                session, station, repair_order_id=order_id, claim_type=ClaimType.NORMAL, causal_part_id=part
            )
            await _take(session, stage, claim, station, auditor, admin)


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
