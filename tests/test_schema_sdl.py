"""The committed schema.graphql is the schema the code serves (SECURITY.md GQL-12)."""

from __future__ import annotations

from pathlib import Path

from dealernet.api import build_schema

SDL = Path(__file__).resolve().parents[1] / "schema.graphql"


def test_committed_sdl_matches_the_code() -> None:
    printed = build_schema(production=False).as_str() + "\n"
    assert SDL.read_text() == printed, "schema changed: run `dealernet graphql-schema > schema.graphql` and review"


def test_production_schema_is_the_same_schema() -> None:
    assert build_schema(production=True).as_str() == build_schema(production=False).as_str()
