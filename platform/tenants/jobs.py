"""The tenants context's background work: invitation and notification e-mails (outbox jobs) and the hourly
acknowledgement reminders (a cron). `worker.py` registers what this module exports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from arq import ArqRedis
from arq.cron import CronJob, cron
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet.core import outbox
from dealernet.core.access import Role
from dealernet.core.mail import Message
from dealernet.core.scope import AUTH_SCOPE, Scope
from dealernet.core.unit_of_work import after_commit, new_unit_of_work
from dealernet.tenants.models import Invitation, Membership, Notification, User
from dealernet.tenants.service.mails import SEND_INVITATION, invitation_mail
from dealernet.tenants.service.notifications import MAIL, MAIL_BATCH, REMIND_DUE_WITHIN, REMIND_EVERY

log = structlog.get_logger(__name__)


async def send_invitation_mail(
    session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv
) -> None:
    invitation = (await session.scalars(select(Invitation).where(Invitation.id == UUID(payload["invitation"])))).first()
    if invitation is None or invitation.accepted_at is not None:  # not this tenant's, or no longer needed
        return
    token = outbox.unseal(env.settings, payload["token"])
    await env.mailer.send(invitation_mail(env.settings.base_url, invitation, token))


# Who is e-mailed: HQ's admins for HQ; a station's managers — and for what a service adviser does (telling a
# customer the car is ready or late), its service advisers too.
_HQ_RECIPIENTS = (Role.HQ_ADMIN,)
_STATION_RECIPIENTS = (Role.STATION_MANAGER,)
_STATION_RECIPIENTS_OF = {"customer_notice": (Role.STATION_MANAGER, Role.STATION_SERVICE_ADVISOR)}
_PARTNER_RECIPIENTS = (Role.PARTNER_USER,)  # a supplier's people (its API clients read the API)
_MAILED_ROLES = {
    Role.HQ_ADMIN.value,
    Role.STATION_MANAGER.value,
    Role.STATION_SERVICE_ADVISOR.value,
    Role.PARTNER_USER.value,
}


def _recipients(notification: Notification) -> tuple[Role, ...]:
    if notification.partner_id is not None:
        return _PARTNER_RECIPIENTS
    if notification.station_id is None:
        return _HQ_RECIPIENTS
    return _STATION_RECIPIENTS_OF.get(notification.kind, _STATION_RECIPIENTS)


async def mail_notifications(
    session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv
) -> int:
    """E-mail this network's unmailed notifications (a batch; the next job takes the rest). Each is marked
    mailed in the job's transaction and sent only once that has committed: a worker killed mid-batch never
    sends a mail twice (at most once per notification and recipient)."""
    pending = list(
        await session.scalars(
            select(Notification)
            .where(Notification.mailed_at.is_(None))
            .order_by(Notification.created_at)
            .limit(MAIL_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    if not pending:
        return 0
    stations = {n.station_id for n in pending if n.station_id is not None}
    members = await session.execute(
        select(Membership.station_id, Membership.partner_id, Membership.role, User.email)
        .join(User, User.id == Membership.user_id)
        .where(
            User.is_active,
            Membership.role.in_(sorted(_MAILED_ROLES)),
            (Membership.station_id.in_(stations)) | Membership.station_id.is_(None),
        )
    )
    to: dict[tuple[UUID | None, UUID | None, str], list[str]] = {}
    for station_id, partner_id, role, email in members:
        to.setdefault((station_id, partner_id, role), []).append(email)
    now = datetime.now(UTC)
    messages = []
    for notification in pending:
        addresses = dict.fromkeys(  # once each, a person holding two of the roles included
            address
            for role in _recipients(notification)
            for address in to.get((notification.station_id, notification.partner_id, role), [])
        )
        messages += [Message(to=a, subject=notification.subject, body=notification.body) for a in addresses]
        notification.mailed_at = now

    async def send() -> None:
        for message in messages:
            try:
                await env.mailer.send(message)
            except Exception:
                log.exception("a notification mail was not sent", to_domain=message.to.rsplit("@", 1)[-1])

    after_commit(session, send)
    if len(pending) == MAIL_BATCH:
        await outbox.add(session, scope, MAIL, {})
    await session.flush()
    return len(pending)


async def remind_unacknowledged(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    queue: ArqRedis | None = None,
    due_within: timedelta = REMIND_DUE_WITHIN,
    every: timedelta = REMIND_EVERY,
) -> int:
    """Remind every station, in every network, of the publications it has still to acknowledge. Returns
    how many reminders went out; their e-mail jobs are in the outbox for the relay."""
    async with new_unit_of_work(sessionmaker, AUTH_SCOPE, queue=queue) as session:
        reminded = await session.scalar(
            text("SELECT remind_unacknowledged(:due_within, :every)"), {"due_within": due_within, "every": every}
        )
    if reminded:
        log.info("acknowledgement reminders", reminded=reminded)
    return int(reminded or 0)


async def remind_job(ctx: dict[str, Any]) -> int:
    return await remind_unacknowledged(ctx["sessionmaker"], queue=ctx.get("redis"))


OUTBOX_JOBS: dict[str, outbox.Handler] = {
    SEND_INVITATION: send_invitation_mail,
    MAIL: mail_notifications,
}
CRONS: list[CronJob] = [
    # Acknowledgement reminders: hourly is plenty, each station hears at most once a day.
    cron(remind_job, name="cron:tenants.remind_unacknowledged", minute=7, second=30),
]
