"""In-app notifications to stations and HQ, and their e-mail.

Contexts write notifications set-based in their own transaction (publishing writes one per delivered
station in the statement that delivers) and queue one `notifications.mail` job per network; the job
e-mails every notification still unmailed to the station's managers (HQ's to its admins) and stamps it.
The reminder cron asks the database to remind every station whose acknowledgement is due, across
networks, in one call (migration 0009's remind_unacknowledged).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

import structlog
from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core import outbox
from dealernet.core.access import Permission, require
from dealernet.core.db import new_id
from dealernet.core.errors import NotFound
from dealernet.core.paging import check_page_size, cursor_time
from dealernet.core.scope import Scope
from dealernet.tenants.models import Notification

log = structlog.get_logger(__name__)

MAIL = "notifications.mail"
MAIL_BATCH = 1000
REMIND_DUE_WITHIN = timedelta(days=2)  # remind from two days before the deadline
REMIND_EVERY = timedelta(days=1)  # and then once a day until acknowledged


def _addressed_to(scope: Scope) -> ColumnElement[bool]:
    """A station's own notifications, a partner's own; HQ's own (HQ does not read its stations' inboxes)."""
    if scope.is_station:
        return Notification.station_id == scope.station_id
    if scope.partner_id is not None:
        return Notification.partner_id == scope.partner_id
    return Notification.station_id.is_(None) & Notification.partner_id.is_(None)


async def notify(
    session: AsyncSession,
    scope: Scope,
    *,
    kind: str,
    subject: str,
    body: str,
    entity: str,
    entity_id: UUID,
    station_id: UUID | None = None,
    partner_id: UUID | None = None,
) -> Notification:
    """One in-app notification to a station, a partner or (neither) HQ, e-mailed by the network's mail job."""
    assert scope.network_id is not None  # HQ or a station of a network writes it
    row = Notification(
        id=new_id(),
        network_id=scope.network_id,
        station_id=station_id,
        partner_id=partner_id,
        kind=kind,
        subject=subject[:300],
        body=body,
        entity=entity,
        entity_id=entity_id,
    )
    session.add(row)
    await session.flush()
    await outbox.add(session, scope, MAIL, {})
    return row


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
        where.append(tuple_(Notification.created_at, Notification.id) < tuple_(cursor_time(after[0]), after[1]))
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
    if notification is None or (notification.station_id, notification.partner_id) != (
        scope.station_id,
        scope.partner_id,
    ):  # HQ: only HQ's own
        raise NotFound("no such notification", fields={"notification_id": "not found"})
    if notification.read_at is None:
        notification.read_at, notification.read_by = datetime.now(UTC), scope.actor_id
        await session.flush()
    return notification
