"""The house's rules that a linter cannot see: one unit of work commits, code cites only the repository's own
documents, and core's global ids are exactly the ones strawberry writes."""

from __future__ import annotations

import ast
import re
import uuid
from pathlib import Path

import pytest
from strawberry import relay

from dealernet.core import ids
from dealernet.core.errors import ValidationFailed

PLATFORM = Path(__file__).resolve().parents[2] / "platform"
UNIT_OF_WORK = PLATFORM / "core" / "unit_of_work.py"


def commits_in(source: str) -> list[int]:
    """Lines that call `.commit()` on anything."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit"
    ]


def test_commits_in_finds_a_commit() -> None:
    assert commits_in("async def f(s):\n    await s.commit()\n") == [2]
    assert commits_in("async def f(s):\n    await s.flush()\n") == []


def test_nothing_but_the_unit_of_work_commits() -> None:
    found = {
        str(path.relative_to(PLATFORM)): lines
        for path in PLATFORM.rglob("*.py")
        if path != UNIT_OF_WORK and (lines := commits_in(path.read_text()))
    }
    assert found == {}, f"commit() outside core/unit_of_work.py: {found}"
    assert commits_in(UNIT_OF_WORK.read_text()), "the unit of work itself commits"


@pytest.mark.parametrize("outside", ["SECURITY.md", "DOMAIN.md", "DESIGN.md", "BENCH.md", "tenants.auth"])
def test_code_cites_only_the_repository_s_own_documents(outside: str) -> None:
    citing = [str(p.relative_to(PLATFORM)) for p in PLATFORM.rglob("*.py") if outside in p.read_text()]
    assert citing == []


def test_global_ids_are_strawberry_s() -> None:
    row = uuid.uuid4()
    written = ids.global_id("Station", row)
    assert written == str(relay.GlobalID("Station", str(row)))
    assert ids.uuid_of(written, "Station", "stationId") == row
    assert ids.uuid_of(str(row), "Station", "stationId") == row  # a bare uuid is taken too


@pytest.mark.parametrize("bad", ["", "nonsense", ids.global_id("Region", uuid.uuid4()), ids.global_id("Station", "x")])
def test_a_bad_id_names_its_field(bad: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        ids.uuid_of(bad, "Station", "stationId")
    assert raised.value.fields == {"stationId": "not a Station id"}


@pytest.mark.parametrize(
    ("domain", "api"),
    [
        ("station_id", "stationId"),
        ("values.contact_phone", "values.contactPhone"),
        ("criteria.0.max_points", "criteria.0.maxPoints"),
        ("workshop_area_m2", "workshopAreaM2"),
        ("regionId", "regionId"),
        ("file.header.part_number", "file.header.part_number"),  # a file's columns keep their names
    ],
)
def test_services_name_fields_in_snake_case_and_the_api_in_camel_case(domain: str, api: str) -> None:
    assert ValidationFailed("bad", fields={domain: "why"}).api_fields() == {api: "why"}


def test_no_service_names_a_field_in_the_apis_camel_case() -> None:
    # The API layer turns the domain's snake_case paths into the API's names; a camelCase key in a service
    # would be the API's name leaking down.
    camel_key = re.compile(r'(fields=\{|problems\[)\s*f?"[^"]*[a-z][A-Z]')
    layers = ("service", "rules.py", "jobs.py", "models.py")
    offenders = [
        f"{path.relative_to(PLATFORM)}:{number}"
        for path in PLATFORM.rglob("*.py")
        if path.parts[len(PLATFORM.parts)] == "core" or any(part in layers for part in path.parts)
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if camel_key.search(line)
    ]
    assert offenders == []
