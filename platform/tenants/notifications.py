"""In-app notifications to stations and HQ, and their e-mail.

Contexts write notifications set-based in their own transaction (publishing writes one per delivered
station in the statement that delivers) and queue one `notifications.mail` job per network; the job
e-mails every notification still unmailed to the station's managers (HQ's to its admins) and stamps it.
The reminder cron asks the database to remind every station whose acknowledgement is due, across
networks, in one call (migration 0009's remind_unacknowledged).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import ColumnElement, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dealernet import outbox
from dealernet.db import scoped_session
from dealernet.errors import NotFound
from dealernet.mail import Message
from dealernet.paging import check_page_size
from dealernet.scope import AUTH_SCOPE, Scope
from dealernet.tenants.models import Membership, Notification, User
from dealernet.tenants.permissions import Permission, Role
from dealernet.tenants.service import require

log = structlog.get_logger(__name__)

MAIL = "notifications.mail"
MAIL_BATCH = 1000
REMIND_DUE_WITHIN = timedelta(days=2)  # remind from two days before the deadline
REMIND_EVERY = timedelta(days=1)  # and then once a day until acknowledged


def _addressed_to(scope: Scope) -> ColumnElement[bool]:
    """A station's own notifications; HQ's own (HQ does not read its stations' inboxes)."""
    return Notification.station_id == scope.station_id if scope.is_station else Notification.station_id.is_(None)


async def notifications_by_id(session: AsyncSession, scope: Scope, ids: Sequence[UUID]) -> dict[UUID, Notification]:
    require(scope, Permission.notifications_read)
    rows = await session.scalars(select(Notification).where(Notification.id.in_(ids), _addressed_to(scope)))
    return {row.id: row for row in rows}


async def inbox(
    session: AsyncSession,
    scope: Scope,
    *,
    first: int,
    after: tuple[str, UUID] | None = None,
    unread_only: bool = False,
) -> list[Notification]:
    """The caller's notifications, newest first: a station's own, HQ's own (not its stations'); first + 1."""
    require(scope, Permission.notifications_read)
    check_page_size(first)
    where = [_addressed_to(scope)]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    if after is not None:
        where.append(
            tuple_(Notification.created_at, Notification.id) < tuple_(datetime.fromisoformat(after[0]), after[1])
        )
    stmt = (
        select(Notification)
        .where(*where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(first + 1)
    )
    return list(await session.scalars(stmt))


async def mark_read(session: AsyncSession, scope: Scope, *, notification_id: UUID) -> Notification:
    """Mark one of the caller's notifications read (again: no change)."""
    require(scope, Permission.notifications_read)
    notification = await session.get(Notification, notification_id, with_for_update=True)
    if notification is None or notification.station_id != scope.station_id:  # HQ: only HQ's own
        raise NotFound("no such notification", fields={"notificationId": "not found"})
    if notification.read_at is None:
        notification.read_at, notification.read_by = datetime.now(UTC), scope.actor_id
        await session.flush()
    return notification


# Who is e-mailed: a station's managers, HQ's admins.
_RECIPIENTS = {True: Role.station_manager, False: Role.hq_admin}


@outbox.job(MAIL)
async def mail_notifications(
    session: AsyncSession, scope: Scope, payload: Mapping[str, Any], env: outbox.JobEnv
) -> int:
    """E-mail this network's unmailed notifications (a batch; the next job takes the rest)."""
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
        select(Membership.station_id, Membership.role, User.email)
        .join(User, User.id == Membership.user_id)
        .where(
            User.is_active,
            Membership.role.in_([Role.station_manager.value, Role.hq_admin.value]),
            (Membership.station_id.in_(stations)) | Membership.station_id.is_(None),
        )
    )
    to: dict[UUID | None, list[str]] = {}
    for station_id, role, email in members:
        if role == _RECIPIENTS[station_id is not None].value:
            to.setdefault(station_id, []).append(email)
    now = datetime.now(UTC)
    for notification in pending:
        for address in to.get(notification.station_id, []):
            await env.mailer.send(Message(to=address, subject=notification.subject, body=notification.body))
        notification.mailed_at = now
    if len(pending) == MAIL_BATCH:
        await outbox.add(session, scope, MAIL, {})
    await session.flush()
    return len(pending)


async def remind_unacknowledged(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    due_within: timedelta = REMIND_DUE_WITHIN,
    every: timedelta = REMIND_EVERY,
) -> int:
    """Remind every station, in every network, of the publications it has still to acknowledge. Returns
    how many reminders went out; their e-mail jobs are in the outbox for the relay."""
    async with scoped_session(sessionmaker, AUTH_SCOPE) as session:
        reminded = await session.scalar(
            text("SELECT remind_unacknowledged(:due_within, :every)"), {"due_within": due_within, "every": every}
        )
        await session.commit()
    if reminded:
        log.info("acknowledgement reminders", reminded=reminded)
    return int(reminded or 0)


async def remind_job(ctx: dict[str, Any]) -> int:
    return await remind_unacknowledged(ctx["sessionmaker"])
