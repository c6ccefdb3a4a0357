"""The committed schema.graphql is the schema the code serves (docs/security.md GQL-12), and it documents
itself: the schema is the partners' documentation."""

from __future__ import annotations

from pathlib import Path

import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
)
from graphql.type import specified_scalar_types

from dealernet.api import build_schema

SDL = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    printed = build_schema(production=False).as_str() + "\n"
    assert SDL.read_text() == printed, "schema changed: run `dealernet graphql-schema > schema.graphql` and review"


def test_production_schema_is_the_same_schema() -> None:
    assert build_schema(production=True).as_str() == build_schema(production=False).as_str()


def undocumented(schema: GraphQLSchema) -> list[str]:
    """Every type, field, argument, input field and enum value without a description, and every enum value
    that is not upper case."""
    gaps: list[str] = []
    for name, kind in schema.type_map.items():
        if name.startswith("__") or name in specified_scalar_types:
            continue
        gaps += [] if kind.description else [name]
        gaps += _member_gaps(name, kind)
    return gaps


def _member_gaps(name: str, kind: GraphQLNamedType) -> list[str]:
    gaps: list[str] = []
    if isinstance(kind, GraphQLObjectType | GraphQLInterfaceType):
        for field_name, field in kind.fields.items():
            gaps += [] if field.description else [f"{name}.{field_name}"]
            gaps += [f"{name}.{field_name}({a})" for a, arg in field.args.items() if not arg.description]
    elif isinstance(kind, GraphQLInputObjectType):
        gaps += [f"{name}.{f}" for f, field in kind.fields.items() if not field.description]
    elif isinstance(kind, GraphQLEnumType):
        gaps += [f"{name}.{v}" for v, value in kind.values.items() if not value.description]
        gaps += [f"{name}.{v} (lower case)" for v in kind.values if v != v.upper()]
    return gaps


def test_every_part_of_the_schema_is_described() -> None:
    assert undocumented(build_schema(production=False)._schema) == []


def test_the_check_finds_a_missing_description() -> None:
    @strawberry.type
    class Query:
        plain: int = 1

    found = undocumented(strawberry.Schema(query=Query)._schema)
    assert found == ["Query", "Query.plain"]
