"""Relay plumbing shared by every context: global ids, the `node` field, keyset cursors and connections."""

from __future__ import annotations

import base64
import binascii
import inspect
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypeVar, overload
from uuid import UUID

import strawberry
from strawberry import relay

from dealernet.core import ids
from dealernet.core.errors import ValidationFailed
from dealernet.core.ids import global_id, parse_uuid
from dealernet.graphql.context import Info

# The arguments of every paged list, described once (core.paging holds the rule).
First = Annotated[int, strawberry.argument(description="How many to return: 1 to 100.")]
After = Annotated[
    str | None, strawberry.argument(description="The endCursor of the previous page; empty for the first page.")
]

N = TypeVar("N", bound=relay.Node)
R = TypeVar("R")


def gid(type_name: str, value: UUID | str) -> strawberry.ID:
    """The global id of a row, as GraphQL's ID: the one builder every schema uses (core.ids writes it)."""
    return strawberry.ID(global_id(type_name, value))


@overload
def maybe_gid(type_name: str, value: None) -> None: ...
@overload
def maybe_gid(type_name: str, value: UUID | str) -> strawberry.ID: ...


def maybe_gid(type_name: str, value: UUID | str | None) -> strawberry.ID | None:
    return None if value is None else gid(type_name, value)


@overload
def uuid_of(value: str, type_name: str, field: str) -> UUID: ...
@overload
def uuid_of(value: None, type_name: str, field: str) -> None: ...
@overload
def uuid_of(value: str | None, type_name: str, field: str) -> UUID | None: ...


def uuid_of(value: str | None, type_name: str, field: str) -> UUID | None:
    """The uuid of an id argument of `type_name` (a global id, or a bare uuid); VALIDATION otherwise. The one
    parser every schema uses."""
    return None if value is None else ids.uuid_of(value, type_name, field)


async def load_nodes(info: Info, loader: str, factory: Callable[[Any], Any], node_ids: Iterable[str]) -> list[Any]:
    """Rows for Relay node ids through the request's DataLoader; None where an id is malformed or unseen."""
    ids = [parse_uuid(node_id) for node_id in node_ids]
    valid = [i for i in ids if i is not None]
    rows = dict(zip(valid, await info.context.loader(loader, factory).load_many(valid), strict=True))
    return [rows.get(i) if i is not None else None for i in ids]


async def resolve_node(info: Info, global_id: str) -> relay.Node | None:
    """Any entity by global id; a malformed id, an unknown type, a missing row and another tenant's row
    all answer None alike, so the answer tells nothing about other tenants (docs/security.md ISO-8)."""
    try:
        gid = relay.GlobalID.from_id(global_id)
    except Exception:  # strawberry raises several types for garbage input
        return None
    type_def = info.schema.get_type_by_name(gid.type_name)
    origin = getattr(type_def, "origin", None)
    if not isinstance(origin, type) or not issubclass(origin, relay.Node):
        return None
    found = origin.resolve_nodes(info=info, node_ids=[gid.node_id], required=False)
    if inspect.isawaitable(found):
        found = await found
    return next(iter(found), None)


def encode_cursor(key: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps([str(part) for part in key]).encode()).decode()


def decode_cursor(cursor: str | None, *, arity: int) -> list[str] | None:
    """The keyset a cursor encodes, or a VALIDATION error for one this server did not make."""
    if cursor is None:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != arity or not all(isinstance(part, str) for part in key):
        raise ValidationFailed("after is not a valid cursor", fields={"after": "invalid cursor"})
    return key


def keyset_after(cursor: str | None) -> tuple[str, UUID] | None:
    """The (sort value, id) a list cursor encodes; an id that is not a UUID sorts first."""
    key = decode_cursor(cursor, arity=2)
    return (key[0], parse_uuid(key[1]) or UUID(int=0)) if key else None


def connection(
    rows: Sequence[R], *, first: int, node: Callable[[R], N], key: Callable[[R], Iterable[Any]]
) -> relay.Connection[N]:
    """A Relay connection from up to first + 1 keyset-ordered rows (the extra row only says more follow)."""
    page = rows[:first]
    edges = [relay.Edge(node=node(row), cursor=encode_cursor(list(key(row)))) for row in page]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=len(rows) > first,
            has_previous_page=False,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
