"""Domain enums as GraphQL enums. The domain keeps one enum per choice (core/access.py, a context's rules.py);
`expose` marks that very class as a GraphQL enum (its member names, upper case, are the API's values; its
values are what the database stores), so a bad value fails in validation before any resolver runs.

The API documents every value: `values` describes each member, and a member left out fails at import, so a
new member cannot reach the schema undescribed. Each enum is exposed once, by the schema module of the use
case it belongs to; strawberry reads the marks when api.py builds the schema."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import TypeVar

import strawberry

E = TypeVar("E", bound=enum.Enum)


def expose(cls: type[E], *, description: str, values: Mapping[E, str]) -> type[E]:
    """Mark `cls` as a GraphQL enum described by `description`, each value by `values`. Strawberry may have
    marked it already (an annotation resolved before this module ran), so the descriptions are (re)set."""
    if not all(member.name.isupper() for member in cls):
        raise ValueError(f"{cls.__name__}: GraphQL enum values are upper case")
    undescribed = [member.name for member in cls if not values.get(member)]
    if undescribed:
        raise ValueError(f"{cls.__name__}: describe {', '.join(undescribed)}")
    if not hasattr(cls, "__strawberry_definition__"):
        strawberry.enum(cls)
    definition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    definition.description = description
    for value in definition.values:
        value.description = values[cls[value.name]]
    return cls
