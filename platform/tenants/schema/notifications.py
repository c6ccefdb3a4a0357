"""GraphQL for the in-app notifications: your inbox (a station's or HQ's) and marking one read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core.access import Permission
from dealernet.core.ids import type_of
from dealernet.core.scope import Scope
from dealernet.graphql import compiled
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.payloads import NotFoundError, ValidationError, attempt
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, gid, keyset_after, load_nodes, uuid_of
from dealernet.tenants import models
from dealernet.tenants.service import notifications

# The GraphQL type of the entity a notification is about, for its global id.
_notification_loader = by_id_loader(notifications.notifications_by_id)


@strawberry.type(description="A message to your station (or to HQ) about something that needs you.")
class Notification(relay.Node):
    id: relay.NodeID[UUID]
    kind: str = strawberry.field(description="publication_delivered, acknowledgement_reminder, …")
    subject: str = strawberry.field(description="Its subject line.")
    body: str = strawberry.field(description="Its text.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    read_at: datetime | None = strawberry.field(description="When it was marked read; empty while unread.")
    about_id: strawberry.ID = strawberry.field(description="The global id of what it is about.")

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        rows = await load_nodes(info, "notification", _notification_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]

    @classmethod
    def from_row(cls, row: models.Notification) -> Notification:
        about = gid(type_of(row.entity), row.entity_id)
        return cls(
            id=row.id,
            kind=row.kind,
            subject=row.subject,
            body=row.body,
            created_at=row.created_at,
            read_at=row.read_at,
            about_id=about,
        )


@strawberry.type(description="What `markNotificationRead` answers when it worked.")
class NotificationSuccess:
    notification: Notification = strawberry.field(description="The notification, now read.")


NotificationResult = Annotated[
    NotificationSuccess | ValidationError | NotFoundError,
    strawberry.union(
        "NotificationResult",
        description=(
            "NotificationSuccess when it worked; otherwise ValidationError, NotFoundError saying why nothing changed."
        ),
    ),
]


# The inbox compiled to one statement (graphql/compiled.py). The global id of what a notification is about is
# core.ids.type_of(entity) in SQL: labour_operation -> LabourOperation.
_ABOUT_TYPE = "replace(initcap(replace({r}.entity, '_', ' ')), ' ', '')"
NOTIFICATION_ROWS = compiled.Rows(
    "Notification",
    {
        "id": compiled.NODE_ID,
        "kind": compiled.column("kind"),
        "subject": compiled.column("subject"),
        "body": compiled.column("body"),
        "created_at": compiled.column("created_at"),
        "read_at": compiled.column("read_at"),
        "about_id": compiled.expression(compiled.base64_text(f"{_ABOUT_TYPE} || ':' || {{r}}.entity_id::text")),
    },
)


def _inbox_terms(args: Mapping[str, Any], bind: compiled.Binder, scope: Scope) -> list[str]:
    """notifications.inbox's filters, as SQL: whose inbox (a station's, a partner's, HQ's own), then the arguments."""
    if scope.is_station:
        terms = [f"{{r}}.station_id = {bind(scope.station_id)}::uuid"]
    elif scope.partner_id is not None:
        terms = [f"{{r}}.partner_id = {bind(scope.partner_id)}::uuid"]
    else:
        terms = ["{r}.station_id IS NULL AND {r}.partner_id IS NULL"]
    if args.get("unreadOnly"):
        terms.append("{r}.read_at IS NULL")
    return terms


NOTIFICATIONS_PAGE = compiled.Page(
    "notifications", NOTIFICATION_ROWS, table="notifications", key="created_at", key_type=compiled.KeyType.TIME,
    newest_first=True, where=_inbox_terms,
)  # fmt: skip


@strawberry.type
class NotificationsQuery:
    @strawberry.field(
        extensions=needs(Permission.notifications_read),
        description="Your notifications, newest first: your station's, or HQ's own.",
    )
    async def notifications(
        self,
        info: Info,
        first: First,
        after: After = None,
        unread_only: Annotated[bool, strawberry.argument(description="Only those not yet read.")] = False,
    ) -> relay.Connection[Notification]:
        rows = await info.context.run(
            notifications.inbox, first=first, after=keyset_after(after), unread_only=unread_only
        )
        return connection(rows, first=first, node=Notification.from_row, key=lambda r: (r.created_at.isoformat(), r.id))


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(extensions=needs(Permission.notifications_read), description="Mark a notification read.")
    async def mark_notification_read(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="The notification (global id).")]
    ) -> NotificationResult:
        async def run(session: AsyncSession, scope: Scope) -> models.Notification:
            notification_id = uuid_of(id, "Notification", "id")
            return await notifications.mark_read(session, scope, notification_id=notification_id)

        return await attempt(
            info.context, run, lambda row: NotificationSuccess(notification=Notification.from_row(row))
        )
