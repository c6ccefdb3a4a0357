"""The isolation promises on the compiled path (issue 17): every compiled page, asked by station A, by HQ of
network X and by a regional manager, answers from the compiled statement and never names another tenant's object
(station B, network Y); a station's inbox never holds another's notification, a regional manager never sees a
station outside its regions. (The hostile sweep, test_sweep.py, and the permission matrix run against the app
with the compiled path on, as every test does; the equivalence suite compares both paths.)"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.api import COMPILED_PAGES
from dealernet.core.access import Role
from dealernet.core.db import new_id
from dealernet.core.ids import global_id
from dealernet.graphql.compiled import Page
from dealernet.tenants.models import Region
from tests.conftest import MakePrincipal, Principal, Tenants
from tests.isolation.test_sweep import foreign_ids, walk_ids  # noqa: F401 - a fixture, and its helper

ROOTS = sorted(
    "".join(part.capitalize() if n else part for n, part in enumerate(page.field.split("_")))
    for page in COMPILED_PAGES
    if isinstance(page, Page)
)


async def _ask(client: httpx.AsyncClient, principal: Principal, query: str) -> tuple[Any, bool]:
    response = await client.post("/graphql", json={"query": query}, headers=principal.headers)
    assert response.status_code == 200, response.text
    return response.json(), response.headers.get("server-timing", "").startswith("compiled")


async def _notify(seed: AsyncSession, network: UUID, station: UUID | None, subject: str) -> None:
    await seed.execute(
        text(
            "INSERT INTO notifications (id, network_id, station_id, kind, subject, entity, entity_id) "
            "VALUES (:id, :network, :station, 'note', :subject, 'station', :entity)"
        ),
        {"id": new_id(), "network": network, "station": station, "subject": subject, "entity": new_id()},
    )


@pytest.mark.parametrize("root", ROOTS)
@pytest.mark.parametrize("caller", ["manager_a", "hq_x"])
async def test_a_compiled_page_never_names_another_tenants_object(
    client: httpx.AsyncClient,
    tenants: Tenants,
    foreign_ids: dict[str, dict[str, set[str]]],  # noqa: F811 - the fixture
    seed: AsyncSession,
    root: str,
    caller: str,
) -> None:
    for network, station, who in ((tenants.network_x, tenants.station_b, "B"), (tenants.network_y, None, "Y")):
        await _notify(seed, network, station, f"for {who}")
    await seed.flush()
    body, compiled = await _ask(
        client, getattr(tenants, caller), f"{{ {root}(first: 100) {{ edges {{ node {{ id }} }} }} }}"
    )

    if "errors" in body:  # the caller may not read this page: the resolvers said so
        assert not compiled
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
        return
    assert compiled
    returned = set(walk_ids(body["data"]))
    assert not returned & foreign_ids[caller]["global"]


async def test_a_stations_inbox_on_the_compiled_path_holds_its_own_notifications_only(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    for network, station, who in (
        (tenants.network_x, tenants.station_a, "A"),
        (tenants.network_x, tenants.station_b, "B"),
        (tenants.network_x, None, "HQ X"),
        (tenants.network_y, tenants.station_c, "C"),
    ):
        await _notify(seed, network, station, f"for {who}")
    await seed.flush()
    query = "{ notifications(first: 100) { edges { node { subject } } } }"
    seen = {}
    for caller in ("manager_a", "manager_b", "hq_x", "manager_c"):
        body, compiled = await _ask(client, getattr(tenants, caller), query)
        assert compiled
        seen[caller] = [e["node"]["subject"] for e in body["data"]["notifications"]["edges"]]

    assert seen == {"manager_a": ["for A"], "manager_b": ["for B"], "hq_x": ["for HQ X"], "manager_c": ["for C"]}


async def test_a_regional_manager_sees_the_stations_of_its_regions_only_on_the_compiled_path(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession, make_principal: MakePrincipal
) -> None:
    east, west = (
        Region(id=new_id(), network_id=tenants.network_x, code="E", name="East"),
        Region(id=new_id(), network_id=tenants.network_x, code="W", name="West"),
    )
    seed.add_all([east, west])
    await seed.flush()
    await seed.execute(text("UPDATE stations SET region_id = :r WHERE id = :s"), {"r": east.id, "s": tenants.station_a})
    await seed.execute(text("UPDATE stations SET region_id = :r WHERE id = :s"), {"r": west.id, "s": tenants.station_b})
    manager = await make_principal(tenants.network_x, None, Role.HQ_REGIONAL_MANAGER, region_ids=(east.id,))

    body, compiled = await _ask(client, manager, "{ stations(first: 100) { edges { node { id } } } }")

    assert compiled
    assert [e["node"]["id"] for e in body["data"]["stations"]["edges"]] == [global_id("Station", tenants.station_a)]


async def test_node_on_the_compiled_path_answers_null_for_another_networks_part(
    client: httpx.AsyncClient, tenants: Tenants, seed: AsyncSession
) -> None:
    parts = {}
    for network in (tenants.network_x, tenants.network_y):
        parts[network] = new_id()
        await seed.execute(
            text(
                "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
                "VALUES (:id, :network, :number, '件', 'part', 'BRAKES', 'EA')"
            ),
            {"id": parts[network], "network": network, "number": f"ISO-{parts[network].hex[:8].upper()}"},
        )
    await seed.flush()
    query = "query($id: ID!) { node(id: $id) { id ... on Part { partNumber } } }"

    answers = {}
    for network, part in parts.items():
        response = await client.post(
            "/graphql",
            json={"query": query, "variables": {"id": global_id("Part", part)}},
            headers=tenants.hq_x.headers,
        )
        assert response.headers["server-timing"].startswith("compiled")
        answers[network] = response.json()["data"]["node"]

    assert answers[tenants.network_x]["id"] == global_id("Part", parts[tenants.network_x])
    assert answers[tenants.network_y] is None
