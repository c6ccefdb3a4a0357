"""The API's ids: one builder and one parser for every layer (GraphQL fields, plain-HTTP paths, the journal).

A global id is Relay's: base64 of `TypeName:uuid`, exactly what strawberry's `relay.GlobalID` writes, so the
ids GraphQL hands out and the ids the plain-HTTP endpoints take are the same strings.
"""

from __future__ import annotations

import base64
import binascii
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
