"""factory-boy factories for every model. Build, then `persist` (factory-boy has no async session support)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.tenants.models import Membership, Network, RefreshToken, Role, Station, User
from dealernet.tenants.service.passwords import hash_password

NETWORK_TIME_ZONE = "Asia/Shanghai"  # every test network's


def network_today() -> date:
    """Today where the test networks work: the day rules that refuse past dates compare with (in UTC it is
    still yesterday for eight hours of the Shanghai day)."""
    return datetime.now(ZoneInfo(NETWORK_TIME_ZONE)).date()


PASSWORD = "correct horse battery staple"
# One argon2 hash for every factory user: hashing per user would dominate the suite's time.
PASSWORD_HASH = hash_password(PASSWORD)


class NetworkFactory(factory.Factory):
    class Meta:
        model = Network

    id = factory.LazyFunction(new_id)
    code = factory.Sequence(lambda n: f"NET{n:04d}")
    name = factory.Sequence(lambda n: f"Network {n}")
    time_zone = NETWORK_TIME_ZONE


class StationFactory(factory.Factory):
    class Meta:
        model = Station

    id = factory.LazyFunction(new_id)
    network_id = factory.LazyFunction(new_id)
    code = factory.Sequence(lambda n: f"ST{n:04d}")
    name = factory.Sequence(lambda n: f"Service station {n}")
    city = "Shanghai"
    status = "active"


class UserFactory(factory.Factory):
    class Meta:
        model = User

    id = factory.LazyFunction(new_id)
    email = factory.Sequence(lambda n: f"user{n}@example.test")
    display_name = factory.Sequence(lambda n: f"User {n}")
    password_hash = PASSWORD_HASH
    is_active = True


class MembershipFactory(factory.Factory):
    class Meta:
        model = Membership

    id = factory.LazyFunction(new_id)
    user_id = factory.LazyFunction(new_id)
    network_id = factory.LazyFunction(new_id)
    station_id = None
    partner_id = None
    role = Role.HQ_ADMIN.value
    region_ids = factory.LazyFunction(list)
    is_active = True


class RefreshTokenFactory(factory.Factory):
    class Meta:
        model = RefreshToken

    id = factory.LazyFunction(new_id)
    token_hash = factory.LazyFunction(lambda: hashlib.sha256(secrets.token_bytes(32)).digest())
    family_id = factory.LazyFunction(new_id)
    user_id = factory.LazyFunction(new_id)
    membership_id = factory.LazyFunction(new_id)
    network_id = factory.LazyFunction(new_id)
    station_id = None
    expires_at = factory.LazyFunction(lambda: datetime.now(UTC) + timedelta(days=30))


async def persist(session: AsyncSession, *objects: object) -> None:
    session.add_all(objects)
    await session.flush()


def next_month() -> date:
    """Thirty days after the network's today."""
    return network_today() + timedelta(days=30)
