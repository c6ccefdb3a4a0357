"""Second factors: TOTP codes (RFC 6238, pyotp) for people who sign in with a password.

A person enrols from their own session: `startMfaEnrollment` gives the secret and an otpauth:// URI for
an authenticator app, `confirmMfaEnrollment` with a first code switches it on. From then on the password
grant asks for a code (`otp`). A code is good once (its time step is remembered), with one step of
clock drift either way. The secret is stored encrypted (`keys.secret_box`).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

import pyotp
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import journal
from dealernet.core.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from dealernet.core.scope import Scope
from dealernet.tenants.models import User, UserFactor

ISSUER_NAME = "Dealernet"
DRIFT_STEPS = 1
BOX_PURPOSE = "totp secrets"
BAD_CODE = "wrong or expired one-time code"


class SecondFactorRequired(Unauthenticated):
    """The password was right and the account has a second factor: ask for the code."""


@dataclass(frozen=True)
class Enrollment:
    secret: str
    provisioning_uri: str


def accepted_step(secret: str, code: str, last_used_step: int | None, at: datetime | None = None) -> int | None:
    """The time step `code` belongs to, if it is current (± drift) and newer than the last one used."""
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at or datetime.now(UTC))
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if last_used_step is not None and step <= last_used_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


def _own_user(scope: Scope) -> Scope:
    if not scope.is_person:
        raise Forbidden("only people enrol a second factor")
    return scope


async def start_enrollment(session: AsyncSession, scope: Scope, *, box: Fernet) -> Enrollment:
    """A new (unconfirmed) secret for the logged-in person; restarting replaces an unconfirmed one."""
    actor = _own_user(scope).actor_id
    factor = await session.get(UserFactor, actor)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("a second factor is already enrolled")
    secret = pyotp.random_base32()
    if factor is None:
        factor = UserFactor(user_id=actor, secret_encrypted="")
        session.add(factor)
    factor.secret_encrypted = box.encrypt(secret.encode()).decode()
    await session.flush()
    email = await session.scalar(select(User.email).where(User.id == actor))
    uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER_NAME)
    return Enrollment(secret=secret, provisioning_uri=uri)


async def confirm_enrollment(session: AsyncSession, scope: Scope, *, box: Fernet, code: str) -> datetime:
    """Switch the factor on with a first good code; from now on logins ask for one."""
    actor = _own_user(scope).actor_id
    assert actor is not None
    factor = await session.get(UserFactor, actor, with_for_update=True)
    if factor is None:
        raise NotFound("no enrolment started: call startMfaEnrollment first")
    if factor.confirmed_at is not None:
        raise Conflict("a second factor is already enrolled")
    step = accepted_step(box.decrypt(factor.secret_encrypted.encode()).decode(), code, None)
    if step is None:
        raise ValidationFailed(BAD_CODE, fields={"code": BAD_CODE})
    factor.confirmed_at, factor.last_used_step = datetime.now(UTC), step
    await journal.record(
        session, scope, entity="user_factor", entity_id=actor, action="enrolled", after={"kind": "totp"}
    )
    return factor.confirmed_at


async def passes_second_factor(session: AsyncSession, box: Fernet | None, user_id: object, code: str | None) -> bool:
    """For the password grant, after the password matched: False when the person has no factor, True when
    `code` is good (and it is used up); raises SecondFactorRequired without a code, Unauthenticated for a
    bad one."""
    factor = (
        await session.scalars(
            select(UserFactor)
            .where(UserFactor.user_id == user_id, UserFactor.confirmed_at.is_not(None))
            .with_for_update()
        )
    ).first()
    if factor is None:
        return False
    if not code:
        raise SecondFactorRequired("a one-time code is required (otp)")
    if box is None:
        raise RuntimeError("checking a one-time code needs the secret box")
    step = accepted_step(box.decrypt(factor.secret_encrypted.encode()).decode(), code, factor.last_used_step)
    if step is None:
        raise Unauthenticated(BAD_CODE)
    factor.last_used_step = step
    return True
