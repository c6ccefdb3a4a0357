"""GraphQL of the audit context: the change journal (for now)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from dealernet.core import journal
from dealernet.core.access import Permission
from dealernet.core.ids import any_uuid, type_of
from dealernet.graphql.context import Info, by_id_loader
from dealernet.graphql.permissions import needs
from dealernet.graphql.relay import After, First, connection, decode_cursor, gid, load_nodes, parse_uuid

_entry_loader = by_id_loader(journal.entries_by_id)


@strawberry.type(description="One recorded change: who changed what, when, from what to what.")
class JournalEntry(relay.Node):
    id: relay.NodeID[UUID]
    seq: int = strawberry.field(description="Position in the network's hash chain.")
    entity: str = strawberry.field(description="What kind of thing changed, e.g. membership.")
    entity_id: strawberry.ID = strawberry.field(description="Which one: its global id, as the API names it.")
    action: str = strawberry.field(description="What happened, e.g. deactivated.")
    actor_id: strawberry.ID | None = strawberry.field(description="Who did it (a user or API client id).")
    before: JSON | None = strawberry.field(description="The changed fields before.")
    after: JSON | None = strawberry.field(description="The changed fields after.")
    request_id: str = strawberry.field(description="The request that made the change, for support.")
    at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_row(cls, row: journal.JournalEntry) -> JournalEntry:
        return cls(
            id=row.id,
            seq=row.seq,
            entity=row.entity,
            entity_id=gid(type_of(row.entity), row.entity_id),
            action=row.action,
            actor_id=strawberry.ID(str(row.actor_id)) if row.actor_id else None,
            before=row.before,
            after=row.after,
            request_id=row.request_id,
            at=row.at,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False) -> list[Any]:
        scope = info.context.scope
        if scope is None or not scope.may(Permission.journal_read.value):
            return [None for _ in node_ids]
        rows = await load_nodes(info, "journal_entry", _entry_loader, node_ids)
        return [cls.from_row(row) if row else None for row in rows]


def _after(cursor: str | None) -> tuple[datetime, UUID] | None:
    key: Any = decode_cursor(cursor, arity=2)
    if not key:
        return None
    try:
        return datetime.fromisoformat(key[0]), parse_uuid(key[1]) or UUID(int=0)
    except ValueError:
        return None


@strawberry.type
class AuditQuery:
    @strawberry.field(
        extensions=needs(Permission.journal_read),
        description="The change journal, newest first: HQ sees its network's, a station its own.",
    )
    async def journal(
        self,
        info: Info,
        first: First,
        after: After = None,
        entity_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only the entries about this object (its global id).")
        ] = None,
    ) -> relay.Connection[JournalEntry]:
        entity = any_uuid(str(entity_id), "entityId") if entity_id else None
        rows = await info.context.run(journal.list_entries, first=first, after=_after(after), entity_id=entity)
        return connection(rows, first=first, node=JournalEntry.from_row, key=lambda r: (r.at.isoformat(), r.id))
