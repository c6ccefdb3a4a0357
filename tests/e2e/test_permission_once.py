"""A field's permission is decided once per request (graphql/permissions.Granted), not once per object: a page of
parts checks `parts:read` for its prices once, however many parts it holds. (A refusal is not remembered: the
permission matrix and the isolation suites check every refused field's FORBIDDEN and its path.)"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.core.db import new_id
from dealernet.core.settings import Settings
from dealernet.graphql.permissions import Needs
from tests.conftest import Serve, Tenants

PAGE = "{ parts(first: 10) { edges { node { partNumber currentListPrices { listPrice } } } } }"


@pytest.fixture
async def parts(seed: AsyncSession, tenants: Tenants) -> None:
    for n in range(5):
        await seed.execute(
            text(
                "INSERT INTO parts (id, network_id, part_number, name_zh, name_en, component_group, unit) "
                "VALUES (:id, :network, :number, '件', 'part', 'BRAKES', 'EA')"
            ),
            {"id": new_id(), "network": tenants.network_x, "number": f"ONCE-{n}"},
        )
    await seed.flush()


@pytest.mark.usefixtures("parts")
async def test_a_guarded_field_of_every_part_is_decided_once_per_request(
    serve: Serve, settings: Settings, tenants: Tenants, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    real = Needs.has_permission

    def counting(self: Needs, source: Any, info: Any, **kwargs: Any) -> bool:
        checked.append(self.permission.value)
        return real(self, source, info, **kwargs)

    monkeypatch.setattr(Needs, "has_permission", counting)
    async with serve(settings.model_copy(update={"compiled_pages": False})) as client:
        for _ in range(2):
            body = (await client.post("/graphql", json={"query": PAGE}, headers=tenants.hq_x.headers)).json()
            assert len(body["data"]["parts"]["edges"]) == 5

    assert checked == ["parts:read", "parts:read"]  # once per request: the root's and its prices' share it
