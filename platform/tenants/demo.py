"""The demo network (development and test only): Demo Motors with stations SH01 and BJ02.

Idempotent: rows are matched on their natural keys (network code, station code, e-mail), so seeding
twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.access import CLIENT_SCOPES, Role
from dealernet.core.db import new_id
from dealernet.tenants.models import ApiClient, Membership, Network, PartnerKind, Station, User
from dealernet.tenants.service.partners import link_partner
from dealernet.tenants.service.passwords import hash_password

DEMO_PASSWORD = "demo-password"  # noqa: S105 - published in README for the demo only
DEMO_CLIENT_ID = "demo-supplier"
DEMO_CLIENT_SECRET = "demo-secret"  # noqa: S105 - published in README for the demo only


@dataclass(frozen=True)
class DemoLogin:
    email: str
    who: str
    role: Role
    station_code: str | None


DEMO_NETWORK = ("DEMO", "Demo Motors")
DEMO_STATIONS = (
    ("SH01", "Demo Motors Shanghai Service Centre", "Shanghai"),
    ("BJ02", "Demo Motors Beijing Service Centre", "Beijing"),
)
DEMO_LOGINS = (
    DemoLogin("hq@demo-motors.test", "HQ administrator of Demo Motors", Role.HQ_ADMIN, None),
    DemoLogin(
        "warranty@demo-motors.test", "HQ warranty auditor (the claim review queue)", Role.HQ_WARRANTY_AUDITOR, None
    ),
    DemoLogin("manager@sh01.demo-motors.test", "manager of station SH01", Role.STATION_MANAGER, "SH01"),
    DemoLogin("manager@bj02.demo-motors.test", "manager of station BJ02", Role.STATION_MANAGER, "BJ02"),
)


async def seed_demo(session: AsyncSession) -> UUID:
    """Create what is missing of the demo network; return its id. The session must use the seed scope."""
    code, name = DEMO_NETWORK
    await session.execute(
        insert(Network)
        .values(id=new_id(), code=code, name=name, time_zone="Asia/Shanghai")
        .on_conflict_do_nothing(index_elements=["code"])
    )
    network_id = await session.scalar(select(Network.id).where(Network.code == code))
    assert network_id is not None
    await session.execute(
        insert(Station)
        .values(
            [
                {
                    "id": new_id(),
                    "network_id": network_id,
                    "code": c,
                    "name": n,
                    "city": city,
                    "status": "active",
                }
                for c, n, city in DEMO_STATIONS
            ]
        )
        .on_conflict_do_nothing(index_elements=["network_id", "code"])
    )
    stations_found = await session.execute(select(Station.code, Station.id).where(Station.network_id == network_id))
    stations: dict[str, UUID] = {code: station_id for code, station_id in stations_found}
    password_hash = hash_password(DEMO_PASSWORD)
    await session.execute(
        insert(User)
        .values(
            [
                {
                    "id": new_id(),
                    "email": login.email,
                    "display_name": login.who,
                    "password_hash": password_hash,
                    "is_active": True,
                }
                for login in DEMO_LOGINS
            ]
        )
        .on_conflict_do_nothing(index_elements=["email"])
    )
    users_found = await session.execute(
        select(User.email, User.id).where(User.email.in_([x.email for x in DEMO_LOGINS]))
    )
    users: dict[str, UUID] = {email: user_id for email, user_id in users_found}
    await session.execute(
        insert(Membership)
        .values(
            [
                {
                    "id": new_id(),
                    "user_id": users[login.email],
                    "network_id": network_id,
                    "station_id": stations[login.station_code] if login.station_code else None,
                    "role": login.role.value,
                }
                for login in DEMO_LOGINS
            ]
        )
        .on_conflict_do_nothing(constraint="uq_memberships_user_id_network_id_station_id")
    )
    await _seed_demo_partner(session, network_id)
    return network_id


async def _seed_demo_partner(session: AsyncSession, network_id: UUID) -> None:
    """A parts supplier serving the demo network, with the API client `demo-supplier` / `demo-secret`."""
    partner = await link_partner(
        session, network_id=network_id, code="DEMO-SUPPLIER", name="Demo Parts Supplier Co.", kind=PartnerKind.SUPPLIER
    )
    await session.execute(
        insert(ApiClient)
        .values(
            id=new_id(),
            client_id=DEMO_CLIENT_ID,
            network_id=network_id,
            partner_id=partner.id,
            name="Demo supplier integration",
            secret_hash=hash_password(DEMO_CLIENT_SECRET),
            scopes=sorted(p.value for p in CLIENT_SCOPES),
            allow_list_only=False,
            is_active=True,
        )
        .on_conflict_do_nothing(index_elements=["client_id"])
    )
