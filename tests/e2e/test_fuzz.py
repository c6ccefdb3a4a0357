"""SECURITY.md GQL-10: schemathesis fuzzes every root query and mutation of the schema, with valid and
with invalid documents, each request as a principal drawn from every role, a partner client and nobody.
No answer is a 5xx, and every error carries one of the codes a client is told to expect (never INTERNAL)."""

from __future__ import annotations

from datetime import UTC

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes
from schemathesis.generation import GenerationMode
from sqlalchemy.ext.asyncio import AsyncSession

from dealernet.api import build_schema
from dealernet.core.access import Role
from dealernet.tenants.service.sign_in import scope_for
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from tests.conftest import MakePrincipal, PartnerWorld, Tenants, dms_principal

EXPECTED_CODES = {"VALIDATION", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT"}
EXAMPLES = 6  # per root field; the suite must stay under ten minutes (the way out: parallel runs)

# Our own scalars: Money is a two-decimal string (schemathesis's invalid mode still sends wrong types).
schemathesis.graphql.scalar(
    "Money", st.decimals(min_value=0, max_value=10**9, places=2).map(lambda d: nodes.String(f"{d:.2f}"))
)
schemathesis.graphql.scalar(
    "Decimal", st.decimals(min_value=-(10**6), max_value=10**6, places=3).map(lambda d: nodes.String(f"{d:.3f}"))
)
schemathesis.graphql.scalar("DateTime", st.datetimes(timezones=st.just(UTC)).map(lambda d: nodes.String(d.isoformat())))
SCHEMA = schemathesis.graphql.from_file(str(build_schema(production=False)))
OPERATIONS = {result.ok().definition.field_name: result.ok() for result in SCHEMA.get_all_operations()}


@pytest.fixture
async def everyone(
    tenants: Tenants,
    partner_world: PartnerWorld,
    make_principal: MakePrincipal,
    signer: TokenSigner,
    seed: AsyncSession,
) -> list[dict[str, str]]:
    """Authorization headers of one principal per role, a partner client, and an anonymous caller."""
    headers = [{}]
    for role in Role:
        if role is Role.STATION_DMS:  # no person: a station API client's token
            headers.append((await dms_principal(tenants, signer, seed)).headers)
            continue
        station = tenants.station_a if role.is_station_role else None
        partner = partner_world.partner_p if role.is_partner_role else None
        headers.append((await make_principal(tenants.network_x, station, role, partner_id=partner)).headers)
    claims = AccessClaims(
        subject=partner_world.client_p,
        network_id=tenants.network_x,
        role="partner_client",
        partner_id=partner_world.partner_p,
        client_id=partner_world.client_p,
        scopes=("claims:read", "parts:read"),
    )
    assert scope_for(claims).client_id == partner_world.client_p
    headers.append({"Authorization": f"Bearer {signer.issue(claims)}"})
    return headers


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("field", sorted(OPERATIONS))
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
async def test_gql10_fuzzed_documents_never_fail_the_server(
    client: httpx.AsyncClient, everyone: list[dict[str, str]], field: str, mode: GenerationMode, data: st.DataObject
) -> None:
    case = data.draw(OPERATIONS[field].as_strategy(generation_mode=mode))
    headers = data.draw(st.sampled_from(everyone))

    response = await client.post("/graphql", json={"query": case.body}, headers=headers)

    assert response.status_code < 500, (case.body, response.text)
    body = response.json()
    codes = {error.get("extensions", {}).get("code") for error in body.get("errors") or []}
    assert codes <= EXPECTED_CODES, (case.body, body)
