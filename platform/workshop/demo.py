"""The demo network's workshop (development and test only): a register of J6P and J7 vehicles, some sold a
year or two ago, some still at the factory, written through the service as the demo HQ admin. Seeding
again adds nothing once the demo has vehicles."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import Role, permissions_of
from dealernet.core.scope import DbRole, Scope
from dealernet.tenants.models import Membership
from dealernet.tenants.service.directory import network_today
from dealernet.workshop.models import Vehicle
from dealernet.workshop.rules import check_digit
from dealernet.workshop.service import vehicles

DEMO_WMI = "LDN"  # the demo maker's world manufacturer identifier
DEMO_VEHICLES = 24


def demo_vin(model: str, serial: int) -> str:
    """A valid VIN of the demo maker: WMI, model descriptor, check digit, model year S (2025), plant 1."""
    body = f"{DEMO_WMI}{model.ljust(5, '0')[:5]}0S1{serial:06d}"
    return body[:8] + check_digit(body) + body[9:]


async def seed_demo_workshop(session: AsyncSession, network_id: UUID) -> None:
    """Register the demo vehicles once. The session is the seed session; the service runs as the HQ admin."""
    if await session.scalar(select(Vehicle.id).where(Vehicle.network_id == network_id).limit(1)) is not None:
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
    today = await network_today(session, network_id)
    for serial in range(1, DEMO_VEHICLES + 1):
        model = "J6P" if serial % 3 else "J7"
        built = today - timedelta(days=30 + serial * 29)
        sold = built + timedelta(days=21) if serial % 6 else None  # every sixth still at the dealer's yard
        await vehicles.register_vehicle(
            session,
            hq,
            vehicles.VehicleInput(
                vin=demo_vin(model, serial),
                model=model,
                production_date=built,
                sale_date=sold,
                selling_dealer="Demo Motors Shanghai" if serial % 2 else "Demo Motors Beijing",
                first_registration=sold + timedelta(days=3) if sold else None,
            ),
        )
