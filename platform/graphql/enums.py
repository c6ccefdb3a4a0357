"""Domain enums as GraphQL enums. The domain keeps one enum per choice (core/access.py, a context's rules.py);
`expose` marks that very class as a GraphQL enum (its member names, upper case, are the API's values; its
values are what the database stores), so a bad value fails in validation before any resolver runs.

Each enum is exposed once, by the schema module of the use case it belongs to; strawberry reads the marks when
api.py builds the schema, after every schema module has been imported."""

from __future__ import annotations

import enum
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=enum.Enum)


def expose(cls: type[E], *, description: str) -> type[E]:
    """Mark `cls` as a GraphQL enum (once; exposing it again changes nothing)."""
    if not all(member.name.isupper() for member in cls):
        raise ValueError(f"{cls.__name__}: GraphQL enum values are upper case")
    if not hasattr(cls, "__strawberry_definition__"):
        strawberry.enum(cls, description=description)
    return cls
