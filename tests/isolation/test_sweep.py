"""SECURITY.md ISO-6: a property-based sweep of every root query and mutation (hypothesis-graphql over the
schema's SDL), as station A and as HQ of network X, with every `ID` argument drawn from the *other*
tenants' ids. Whatever the documents look like, no answer names a foreign object, and the other tenants'
rows are unchanged afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.api import build_schema
from dealernet.core.db import new_id
from dealernet.matrix import operations
from dealernet.tenants.models import Invitation, Region
from tests.conftest import PartnerWorld, Principal, Tenants

SDL = str(build_schema(production=False))
EXAMPLES_PER_FIELD = 5  # the suite must stay under ten minutes as the schema grows
# Rows of the other tenants whose state must not move, read as the seed role.
FOREIGN_STATE = """
SELECT (SELECT json_agg(s ORDER BY id) FROM stations s WHERE network_id = :y OR id = :b),
       (SELECT json_agg(m ORDER BY id) FROM memberships m WHERE network_id = :y OR station_id = :b),
       (SELECT json_agg(r ORDER BY id) FROM regions r WHERE network_id = :y),
       (SELECT json_agg(i ORDER BY id) FROM invitations i WHERE network_id = :y OR station_id = :b),
       (SELECT json_agg(c ORDER BY id) FROM (SELECT id, is_active, scopes FROM api_clients
                                             WHERE network_id = :y) c),
       (SELECT count(*) FROM journal WHERE network_id = :y OR station_id = :b),
       (SELECT json_agg(f ORDER BY user_id) FROM user_factors f WHERE user_id = ANY(:people))
"""


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def walk_ids(value: Any) -> Iterator[str]:
    """Every value under an `id`-like key (id, entityId, ...) anywhere in a response's data."""
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and (key == "id" or key.endswith("Id")):
                yield item
            else:
                yield from walk_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk_ids(item)


@pytest.fixture
async def foreign_ids(
    seed: AsyncSession, tenants: Tenants, partner_world: PartnerWorld
) -> dict[str, dict[str, set[str]]]:
    """Per caller, the objects of the others (station B for station A; network Y and partner Q for both)
    as the global and raw ids a caller could send."""
    t, pw = tenants, partner_world
    region_y = Region(id=new_id(), network_id=t.network_y, code="WEST", name="West")
    invitation_b = Invitation(
        id=new_id(),
        network_id=t.network_x,
        station_id=t.station_b,
        email="tech@b.example",
        role="station_technician",
        token_hash=new_id().bytes * 2,
        invited_by=t.manager_b.user_id,
        expires_at=datetime(2099, 1, 1, tzinfo=UTC),
    )
    seed.add_all([region_y, invitation_b])
    await seed.flush()
    other_network = {
        "Station": [t.station_c],
        "User": [t.manager_c.user_id, t.hq_y.user_id],
        "Network": [t.network_y],
        "Region": [region_y.id],
        "Partner": [pw.partner_q],
    }
    station_b = {"Station": [t.station_b], "User": [t.manager_b.user_id], "Invitation": [invitation_b.id]}
    found = {}
    for caller, sides in (("manager_a", (other_network, station_b)), ("hq_x", (other_network,))):
        ids: dict[str, set[str]] = {"global": set(), "raw": {str(pw.client_q)}}
        for side in sides:
            for type_name, values in side.items():
                ids["global"] |= {gid(type_name, v) for v in values}
                ids["raw"] |= {str(v) for v in values}
        found[caller] = ids
    return found


async def foreign_state(seed: AsyncSession, t: Tenants, caller: str) -> tuple[Any, ...]:
    """The other tenants' rows: network Y's, and station B's when the caller is station A."""
    station_b = t.station_b if caller == "manager_a" else new_id()
    people = [t.manager_c.user_id, t.hq_y.user_id] + ([t.manager_b.user_id] if caller == "manager_a" else [])
    row = await seed.execute(text(FOREIGN_STATE), {"y": t.network_y, "b": station_b, "people": people})
    return tuple(row.one())


def document_strategy(kind: str, field: str, ids: dict[str, set[str]]) -> st.SearchStrategy[str]:
    foreign = sorted(ids["global"] | ids["raw"])
    money = st.decimals(min_value=0, max_value=10**6, places=2).map(lambda d: nodes.String(f"{d:.2f}"))
    decimal = st.decimals(min_value=0, max_value=10**6, places=3).map(lambda d: nodes.String(f"{d:.3f}"))
    custom = {
        "ID": st.sampled_from(foreign).map(nodes.String),
        "Date": st.dates().map(nodes.String),
        "DateTime": st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())),
        "Money": money,
        "Decimal": decimal,
    }
    build = queries if kind == "query" else mutations
    return build(SDL, fields=[field], custom_scalars=custom, allow_x00=False)  # type: ignore[return-value]


OPERATIONS = [(op.kind, op.name) for op in operations()]


@pytest.mark.parametrize(("kind", "field"), OPERATIONS, ids=[f"{k}:{f}" for k, f in OPERATIONS])
@pytest.mark.parametrize("caller", ["manager_a", "hq_x"])
@settings(
    max_examples=EXAMPLES_PER_FIELD,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
async def test_iso6_foreign_ids_never_come_back(
    client: httpx.AsyncClient,
    tenants: Tenants,
    foreign_ids: dict[str, dict[str, set[str]]],
    seed: AsyncSession,
    kind: str,
    field: str,
    caller: str,
    data: st.DataObject,
) -> None:
    ids = foreign_ids[caller]
    before = await foreign_state(seed, tenants, caller)
    principal: Principal = getattr(tenants, caller)
    document = data.draw(document_strategy(kind, field, ids))
    graphql.parse(document)  # a well-formed document

    response = await client.post("/graphql", json={"query": document}, headers=principal.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    returned = set(walk_ids(body.get("data")))
    raw_returned = set()
    for value in returned:
        try:
            raw_returned.add(relay.GlobalID.from_id(value).node_id)
        except Exception:
            raw_returned.add(value)
    assert returned & ids["global"] == set(), document
    assert raw_returned & ids["raw"] == set(), document
    for error in body.get("errors") or []:
        assert error["extensions"]["code"] != "INTERNAL", (document, error)
    assert await foreign_state(seed, tenants, caller) == before, document


def test_every_root_field_is_swept() -> None:
    schema = graphql.build_schema(SDL)
    roots = {name for root in (schema.query_type, schema.mutation_type) if root for name in root.fields}
    assert {field for _, field in OPERATIONS} == roots
