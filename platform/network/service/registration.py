"""Public registration of a prospective dealer (申请单位): register with an e-mail address, verify it with
the mailed link, and the applicant's own station tenant opens — status `applicant`, a draft application,
the registrant as its station manager. Nothing exists for an address that never verified but the
registration row, which expires.

Both steps run in the login scope (no tenant yet); the database lets that scope create a station only as
an applicant and an application only as a draft (migration 0019). Registering answers the same whether or
not the address already has an account, so it reveals nothing about who is a user.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal, outbox
from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound, Unauthenticated, ValidationFailed
from dealernet.core.mail import Message
from dealernet.core.scope import DbRole, Scope
from dealernet.core.settings import Settings
from dealernet.network.models import Application, Registration
from dealernet.tenants.models import Membership, Network, Station, StationStatus, User
from dealernet.tenants.service.directory import check_email, check_password
from dealernet.tenants.service.passwords import hash_password_async, verify_password
from dealernet.tenants.service.sign_in import digest

VERIFY_HOURS = 48
SEND_MAIL = "network.send_registration_mail"


log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class NewRegistration:
    registration: Registration
    token: str


def _mail_scope(network_id: UUID) -> Scope:
    """The registration mail is sent on the network's behalf (HQ network development), by the worker."""
    return Scope(db_role=DbRole.auth, network_id=network_id, role=Role.HQ_NETWORK_DEVELOPMENT.value)


def check_registration(company_name: str, email: str) -> tuple[str, str]:
    """The company's name and the cleaned address, or every problem at once."""
    problems: dict[str, str] = {}
    company = company_name.strip()
    if not company or len(company) > 200:
        problems["company_name"] = "1 to 200 characters"
    try:
        address = check_email(email)
    except ValidationFailed as exc:
        problems.update(exc.fields)
    if problems:
        raise ValidationFailed("the registration is incomplete", fields=problems)
    return company, address


def email_key(email: str) -> str:
    """What the rate limit counts an address by: hashed, so Redis holds no list of addresses."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def register(
    session: AsyncSession, settings: Settings, *, network_code: str, email: str, company_name: str
) -> NewRegistration | None:
    """Record a registration and queue the verification mail; the link is valid for VERIFY_HOURS. An unknown
    network code records nothing and returns None: the caller answers exactly as for a known one, so the
    public form cannot be used to find which codes exist (the person gets no mail and asks the OEM)."""
    company, address = check_registration(company_name, email)
    code = network_code.strip().upper()
    network_id = await session.scalar(select(Network.id).where(func.upper(Network.code) == code))
    if network_id is None:
        log.info("registration for an unknown network code", code=code[:40])
        return None
    token = secrets.token_urlsafe(32)
    registration = Registration(
        id=new_id(),
        network_id=network_id,
        email=address,
        company_name=company,
        token_hash=digest(token),
        expires_at=datetime.now(UTC) + timedelta(hours=VERIFY_HOURS),
    )
    session.add(registration)
    await session.flush()
    sealed = {"registration": str(registration.id), "token": outbox.seal(settings, token)}
    await outbox.add(session, _mail_scope(network_id), SEND_MAIL, sealed)
    return NewRegistration(registration, token)


def registration_mail(base_url: str, registration: Registration, token: str) -> Message:
    link = f"{base_url}/verify-registration?token={token}"
    return Message(
        to=registration.email,
        subject="Confirm your application to join the service network",
        body=(
            f"Someone (we hope you) registered {registration.company_name} to apply as an authorised service "
            f"station. Confirm this address within {VERIFY_HOURS} hours and choose your password: {link}\n"
            "If it was not you, ignore this mail; nothing is created until the address is confirmed."
        ),
    )


async def verify(session: AsyncSession, *, token: str, password: str, display_name: str = "") -> Registration:
    """Confirm the address and open the applicant's tenant (the registration then names its station).
    Someone who already has an account (a dealer group applying for another site) proves it with their
    password instead of choosing one."""
    now = datetime.now(UTC)
    query = select(Registration).where(Registration.token_hash == digest(token)).with_for_update()
    registration = (await session.scalars(query)).first()
    if registration is None or registration.verified_at is not None or registration.expires_at <= now:
        raise NotFound("this link is unknown, used or expired: register again")
    user_id = await _user_for(session, registration.email, password, display_name)
    station_id, application_id = new_id(), new_id()
    await session.execute(
        insert(Station).values(
            id=station_id,
            network_id=registration.network_id,
            code=f"APP-{station_id.hex[-10:].upper()}",
            name=registration.company_name,
            status=StationStatus.APPLICANT.value,
        )
    )
    await session.execute(
        insert(Application).values(
            id=application_id,
            network_id=registration.network_id,
            station_id=station_id,
            company_name=registration.company_name,
        )
    )
    membership_id = new_id()
    await session.execute(
        insert(Membership).values(
            id=membership_id,
            user_id=user_id,
            network_id=registration.network_id,
            station_id=station_id,
            role=Role.STATION_MANAGER.value,
            region_ids=[],
        )
    )
    registration.verified_at, registration.station_id = now, station_id
    await session.flush()
    actor = Scope(db_role=DbRole.auth, network_id=registration.network_id, actor_id=user_id)
    await journal.record(
        session,
        actor,
        entity="application",
        entity_id=application_id,
        action="registered",
        after={"company_name": registration.company_name, "email": registration.email, "stage": "draft"},
        station_id=station_id,
    )
    return registration


async def _user_for(session: AsyncSession, email: str, password: str, display_name: str) -> UUID:
    user = (await session.execute(select(User.id, User.password_hash).where(User.email == email))).one_or_none()
    if user is not None:
        if await verify_password(user.password_hash, password):
            return user.id
        raise Unauthenticated("you already have an account: give its password to confirm")
    check_password(password, email)
    user_id = new_id()
    await session.execute(
        insert(User).values(
            id=user_id,
            email=email,
            display_name=display_name.strip()[:200],
            password_hash=await hash_password_async(password),
            is_active=True,
        )
    )
    return user_id
