"""The API's ids: one builder and one parser for every layer (GraphQL fields, plain-HTTP paths, the journal).

A global id is Relay's: base64 of `TypeName:uuid`, exactly what strawberry's `relay.GlobalID` writes, so the
ids GraphQL hands out and the ids the plain-HTTP endpoints take are the same strings.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from types import TracebackType
from uuid import UUID

from dealernet.core.errors import ValidationFailed


def global_id(type_name: str, value: UUID | str) -> str:
    """The global id of `type_name`'s row `value`."""
    return base64.b64encode(f"{type_name}:{value}".encode()).decode()


def type_of(entity: str) -> str:
    """The API type name of a journal or notification entity (`labour_operation` -> `LabourOperation`)."""
    return "".join(part.capitalize() for part in entity.split("_"))


def any_uuid(value: str, field: str) -> UUID:
    """The uuid in a global id of any type (or a bare uuid); VALIDATION naming `field` otherwise."""
    parts = split_global_id(value)
    parsed = parse_uuid(parts[1] if parts is not None else value)
    if parsed is None:
        raise ValidationFailed("not an id", fields={field: "not an id"})
    return parsed


def split_global_id(value: str) -> tuple[str, str] | None:
    """(type name, node id) of a global id; None for anything else."""
    try:
        decoded = base64.b64decode(value.encode(), validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    type_name, colon, node_id = decoded.partition(":")
    return (type_name, node_id) if colon else None


def parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


def uuid_of(value: str, type_name: str, field: str) -> UUID:
    """The uuid in a global id of `type_name` (or a bare uuid); a clear VALIDATION error naming `field`
    otherwise."""
    parts = split_global_id(value)
    raw = parts[1] if parts is not None and parts[0] == type_name else value
    parsed = parse_uuid(raw)
    if parsed is None:
        raise ValidationFailed(f"not a {type_name} id", fields={field: f"not a {type_name} id"})
    return parsed


_UNREAD = UUID(int=0)  # what a bad id reads as until the reader raises


class IdReader:
    """Reads every id of an input and then names all the bad ones in one VALIDATION error, so a client hears
    of each bad id at once: `with IdReader() as read: a = read.one(...); b = read.many(...)`. Use the
    values after the block: inside it a bad id reads as a placeholder."""

    def __init__(self) -> None:
        self.bad: dict[str, str] = {}

    def one(self, value: str, type_name: str, field: str) -> UUID:
        try:
            return uuid_of(value, type_name, field)
        except ValidationFailed as exc:
            self.bad.update(exc.fields)
            return _UNREAD

    def many(self, values: Sequence[str], type_name: str, field: str) -> list[UUID]:
        """Each id of a list; a bad one is named by its place (`partIds.2`)."""
        return [self.one(value, type_name, f"{field}.{n}") for n, value in enumerate(values)]

    def __enter__(self) -> IdReader:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None and self.bad:
            raise ValidationFailed(f"{len(self.bad)} of the ids given are not ids of their kind", fields=self.bad)
