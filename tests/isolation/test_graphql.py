"""Isolation through the API: every root field and mutation as station A, HQ X and HQ Y (and a partner
client) against the others' ids (SECURITY.md ISO-8, ISO-10). A new root field without a case here fails
test_every_root_field_has_a_case."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID

import httpx
import pyotp
import pytest
from arq import ArqRedis
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from dealernet.core import journal
from dealernet.core.db import new_id
from dealernet.core.ids import any_uuid
from dealernet.core.scope import Scope
from dealernet.matrix import operations
from dealernet.policy.models import LabourOperation, Part, Publication, PublicationDelivery, ServiceBomLine
from dealernet.tenants.models import ApiClient, Invitation, Membership, Region, StationClient, User
from dealernet.tenants.service.sign_in import digest, scope_for
from dealernet.tenants.service.tokens import AccessClaims, TokenSigner
from dealernet.warranty.models import (
    Claim,
    ClaimChargeback,
    ClaimLine,
    ClaimPreauthorisation,
    PartReturn,
    RecoveryAgreement,
    RecoveryClaim,
    RecoveryClaimLine,
    RecoveryStatement,
    Settlement,
    SettlementLine,
)
from dealernet.workshop.models import Customer, PartsOrder, PartsOrderLine, RepairOrder, RepairOrderLine, Vehicle
from tests.conftest import PartnerWorld, Principal, Tenants, graphql
from tests.factories import network_today

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"


@dataclass(frozen=True)
class Env:
    client: httpx.AsyncClient
    t: Tenants
    pw: PartnerWorld
    seed: AsyncSession
    scoped: Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]]
    signer: TokenSigner


def gid(type_name: str, value: object) -> str:
    return str(relay.GlobalID(type_name, str(value)))


def typename(body: dict, field: str) -> str:  # type: ignore[type-arg]
    return str(body["data"][field]["__typename"])


async def case_viewer(env: Env) -> None:
    client, t = env.client, env.t
    query = "{ viewer { id email network { id } station { id code } } }"
    for principal in (t.manager_a, t.hq_x, t.hq_y):
        viewer = (await graphql(client, query, principal))["data"]["viewer"]
        assert viewer["id"] == gid("User", principal.user_id)
        assert viewer["network"]["id"] == gid("Network", principal.network_id)
        expected_station = gid("Station", principal.station_id) if principal.station_id else None
        assert (viewer["station"] or {}).get("id") == expected_station


async def case_stations(env: Env) -> None:
    client, t = env.client, env.t
    query = "{ stations(first: 100) { edges { node { id network { id } } } } }"
    expected = {
        t.manager_a: {gid("Station", t.station_a)},
        t.hq_x: {gid("Station", t.station_a), gid("Station", t.station_b)},
        t.hq_y: {gid("Station", t.station_c)},
    }
    for principal, stations in expected.items():
        edges = (await graphql(client, query, principal))["data"]["stations"]["edges"]
        assert {e["node"]["id"] for e in edges} == stations
        assert {e["node"]["network"]["id"] for e in edges} == {gid("Network", principal.network_id)}


async def case_node(env: Env) -> None:
    client, t = env.client, env.t
    foreign: dict[Principal, list[str]] = {
        t.manager_a: [
            gid("Station", t.station_b),
            gid("Station", t.station_c),
            gid("Network", t.network_y),
            gid("User", t.manager_b.user_id),
            gid("User", t.hq_x.user_id),
        ],
        t.hq_x: [gid("Station", t.station_c), gid("Network", t.network_y), gid("User", t.hq_y.user_id)],
        t.hq_y: [gid("Station", t.station_a), gid("Network", t.network_x), gid("User", t.manager_a.user_id)],
    }
    missing = [
        gid("Station", "00000000-0000-7000-8000-000000000000"),
        gid("Station", "not-a-uuid"),
        gid("Nope", t.station_a),
        "%%%",
        gid("PageInfo", "x"),
        gid("User", t.station_a),
    ]
    for principal, ids in foreign.items():
        answers = [await graphql(client, NODE, principal, id=i) for i in ids + missing]
        assert all(answer == {"data": {"node": None}} for answer in answers), answers
    own = await graphql(client, NODE, t.manager_a, id=gid("Station", t.station_a))
    assert own["data"]["node"] == {"id": gid("Station", t.station_a), "__typename": "Station"}


async def _regions(env: Env) -> tuple[UUID, UUID]:
    x = Region(id=new_id(), network_id=env.t.network_x, code="EAST", name="East")
    y = Region(id=new_id(), network_id=env.t.network_y, code="EAST", name="East")  # same code: per network
    env.seed.add_all([x, y])
    await env.seed.flush()
    return x.id, y.id


async def case_regions(env: Env) -> None:
    x, y = await _regions(env)
    for principal, expected in ((env.t.hq_x, x), (env.t.manager_a, x), (env.t.hq_y, y)):
        body = await graphql(env.client, "{ regions { id } }", principal)
        assert [r["id"] for r in body["data"]["regions"]] == [gid("Region", expected)]


async def case_journal(env: Env) -> None:
    t = env.t
    for principal in (t.hq_x, t.manager_a, t.manager_b, t.hq_y, t.manager_c):
        async with env.scoped(principal.scope) as session:
            await journal.record(session, principal.scope, entity="test", entity_id=principal.user_id, action="x")
            await session.commit()
    query = "query($e: ID) { journal(first: 100, entityId: $e) { edges { node { entityId } } } }"
    expected = {
        t.manager_a: {t.manager_a.user_id},
        t.hq_x: {t.hq_x.user_id, t.manager_a.user_id, t.manager_b.user_id},
        t.hq_y: {t.hq_y.user_id, t.manager_c.user_id},
    }
    everyone = {p.user_id for p in (t.hq_x, t.manager_a, t.manager_b, t.hq_y, t.manager_c)}
    foreign = {t.manager_a: t.manager_b, t.hq_x: t.manager_c, t.hq_y: t.manager_a}
    for principal, entities in expected.items():
        edges = (await graphql(env.client, query, principal))["data"]["journal"]["edges"]
        assert {any_uuid(e["node"]["entityId"], "entityId") for e in edges} & everyone == entities
        filtered = await graphql(env.client, query, principal, e=str(foreign[principal].user_id))
        assert filtered["data"]["journal"]["edges"] == []


async def case_partners(env: Env) -> None:
    query = "{ partners { id } apiClients { id } }"
    for principal, partner, client in (
        (env.t.hq_x, env.pw.partner_p, env.pw.client_p),
        (env.t.hq_y, env.pw.partner_q, env.pw.client_q),
    ):
        body = await graphql(env.client, query, principal)
        assert [p["id"] for p in body["data"]["partners"]] == [gid("Partner", partner)]
        assert [c["id"] for c in body["data"]["apiClients"]] == [str(client)]


async def case_api_clients(env: Env) -> None:
    await case_partners(env)


INVITE = """mutation($input: InviteUserInput!) { inviteUser(input: $input) {
  __typename ... on InviteUserSuccess { invitation { id } } ... on UserError { code } } }"""


async def case_invite_user(env: Env) -> None:
    t = env.t
    # A station manager naming station B: not found (it cannot see B), nothing written.
    body = await graphql(
        env.client,
        INVITE,
        t.manager_a,
        input={"email": "tech@a.test", "role": "STATION_TECHNICIAN", "stationId": gid("Station", t.station_b)},
    )
    assert body["data"]["inviteUser"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}
    assert (await env.seed.scalars(select(Invitation).where(Invitation.email == "tech@a.test"))).all() == []
    # HQ X naming network Y's station: not found, nothing written.
    body = await graphql(
        env.client,
        INVITE,
        t.hq_x,
        input={"email": "m@c.test", "role": "STATION_MANAGER", "stationId": gid("Station", t.station_c)},
    )
    assert body["data"]["inviteUser"] == {"__typename": "NotFoundError", "code": "NOT_FOUND"}
    assert (await env.seed.scalars(select(Invitation).where(Invitation.email == "m@c.test"))).all() == []


async def case_accept_invitation(env: Env) -> None:
    query = """mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { __typename } }"""
    body = await graphql(env.client, query, None, input={"token": "not-a-token", "password": "long enough pw"})
    assert typename(body, "acceptInvitation") == "NotFoundError"


async def case_deactivate_user(env: Env) -> None:
    t = env.t
    query = "mutation($u: ID!) { deactivateUser(userId: $u) { __typename } }"
    for actor, victim in ((t.manager_a, t.manager_b), (t.hq_x, t.hq_y), (t.hq_y, t.manager_a)):
        body = await graphql(env.client, query, actor, u=gid("User", victim.user_id))
        assert typename(body, "deactivateUser") == "NotFoundError"
        active = await env.seed.scalar(select(Membership.is_active).where(Membership.user_id == victim.user_id))
        assert active is True


async def case_unlock_sign_in(env: Env) -> None:
    t = env.t
    query = "mutation($u: ID!) { unlockSignIn(userId: $u) { __typename } }"
    for actor, victim in ((t.manager_a, t.manager_b), (t.hq_x, t.hq_y), (t.hq_y, t.manager_a)):
        body = await graphql(env.client, query, actor, u=gid("User", victim.user_id))
        assert typename(body, "unlockSignIn") == "NotFoundError"  # no oracle for another tenant's people


async def case_create_region(env: Env) -> None:
    query = 'mutation { createRegion(code: "west", name: "West") { __typename } }'
    for principal in (env.t.hq_x, env.t.hq_y):  # the same code in two networks: no conflict, no oracle
        assert typename(await graphql(env.client, query, principal), "createRegion") == "RegionSuccess"
    assert typename(await graphql(env.client, query, env.t.hq_x), "createRegion") == "ConflictError"


async def case_set_station_region(env: Env) -> None:
    x, y = await _regions(env)
    query = "mutation($s: ID!, $r: ID) { setStationRegion(stationId: $s, regionId: $r) { __typename } }"
    t = env.t
    foreign_station = await graphql(env.client, query, t.hq_x, s=gid("Station", t.station_c), r=gid("Region", x))
    foreign_region = await graphql(env.client, query, t.hq_x, s=gid("Station", t.station_a), r=gid("Region", y))
    own = await graphql(env.client, query, t.hq_x, s=gid("Station", t.station_a), r=gid("Region", x))
    assert typename(foreign_station, "setStationRegion") == "NotFoundError"
    assert typename(foreign_region, "setStationRegion") == "NotFoundError"
    assert typename(own, "setStationRegion") == "StationSuccess"


async def case_create_api_client(env: Env) -> None:
    query = """mutation($p: ID!) { createApiClient(input: {partnerId: $p, name: "n", scopes: ["claims:read"]}) {
      __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, p=gid("Partner", env.pw.partner_q))
    assert typename(body, "createApiClient") == "NotFoundError"


async def _foreign_client_untouched(env: Env, mutation: str, field: str) -> None:
    before = await env.seed.scalar(select(ApiClient.is_active).where(ApiClient.id == env.pw.client_q))
    body = await graphql(env.client, mutation, env.t.hq_x, id=str(env.pw.client_q))
    assert typename(body, field) == "NotFoundError"
    assert await env.seed.scalar(select(ApiClient.is_active).where(ApiClient.id == env.pw.client_q)) == before


async def case_rotate_api_client_secret(env: Env) -> None:
    await _foreign_client_untouched(
        env, "mutation($id: ID!) { rotateApiClientSecret(id: $id) { __typename } }", "rotateApiClientSecret"
    )


async def case_deactivate_api_client(env: Env) -> None:
    await _foreign_client_untouched(
        env, "mutation($id: ID!) { deactivateApiClient(id: $id) { __typename } }", "deactivateApiClient"
    )


async def case_register_persisted_query(env: Env) -> None:
    await _foreign_client_untouched(
        env,
        'mutation($id: ID!) { registerPersistedQuery(clientId: $id, document: "{ viewer { id } }") { __typename } }',
        "registerPersistedQuery",
    )


CONFIGURE_IDP = """mutation($issuer: String!) { configureIdentityProvider(input: {name: "oem", issuer: $issuer,
  clientId: "c", clientSecret: "s", roleMapping: [{value: "g", role: HQ_ADMIN}]}) { __typename } }"""


async def case_identity_providers(env: Env) -> None:
    await graphql(env.client, CONFIGURE_IDP, env.t.hq_x, issuer="https://idp.x.example")
    query = "{ identityProviders { name issuer } }"
    assert (await graphql(env.client, query, env.t.hq_x))["data"]["identityProviders"] == [
        {"name": "oem", "issuer": "https://idp.x.example"}
    ]
    assert (await graphql(env.client, query, env.t.hq_y))["data"]["identityProviders"] == []


async def case_configure_identity_provider(env: Env) -> None:
    """The same name in network Y makes Y's own provider; X's is untouched."""
    await graphql(env.client, CONFIGURE_IDP, env.t.hq_x, issuer="https://idp.x.example")
    body = await graphql(env.client, CONFIGURE_IDP, env.t.hq_y, issuer="https://idp.y.example")
    assert typename(body, "configureIdentityProvider") == "IdentityProviderSuccess"
    issuers = (await env.seed.execute(text("SELECT network_id, issuer FROM identity_providers"))).all()
    assert sorted(issuers) == sorted(
        [(env.t.network_x, "https://idp.x.example"), (env.t.network_y, "https://idp.y.example")]
    )


async def _factor_of_b(env: Env) -> tuple[str, str]:
    """Manager B's unconfirmed factor: (its secret, as stored)."""
    body = await graphql(
        env.client, "mutation { startMfaEnrollment { ... on MfaEnrollment { secret } } }", env.t.manager_b
    )
    stored = await env.seed.scalar(
        text("SELECT secret_encrypted FROM user_factors WHERE user_id = :b"), {"b": env.t.manager_b.user_id}
    )
    return body["data"]["startMfaEnrollment"]["secret"], str(stored)


async def case_start_mfa_enrollment(env: Env) -> None:
    _, stored_b = await _factor_of_b(env)
    body = await graphql(env.client, "mutation { startMfaEnrollment { __typename } }", env.t.manager_a)
    assert typename(body, "startMfaEnrollment") == "MfaEnrollment"
    owners = (await env.seed.execute(text("SELECT user_id FROM user_factors"))).scalars().all()
    assert sorted(owners) == sorted([env.t.manager_a.user_id, env.t.manager_b.user_id])
    assert (
        await env.seed.scalar(
            text("SELECT secret_encrypted FROM user_factors WHERE user_id = :b"), {"b": env.t.manager_b.user_id}
        )
        == stored_b
    )


async def case_confirm_mfa_enrollment(env: Env) -> None:
    """A's confirmation with B's valid code confirms nothing of B's."""
    secret_b, _ = await _factor_of_b(env)
    query = "mutation($c: String!) { confirmMfaEnrollment(code: $c) { __typename } }"
    body = await graphql(env.client, query, env.t.manager_a, c=pyotp.TOTP(secret_b).now())
    assert typename(body, "confirmMfaEnrollment") == "NotFoundError"
    confirmed = await env.seed.scalar(
        text("SELECT confirmed_at FROM user_factors WHERE user_id = :b"), {"b": env.t.manager_b.user_id}
    )
    assert confirmed is None


async def _parts(env: Env) -> tuple[UUID, UUID, UUID]:
    """A part in network X supplied by partner P, one in X without supplier, one in network Y."""
    rows = [
        Part(
            id=new_id(),
            network_id=env.t.network_x,
            part_number="X-P",
            name_zh="",
            name_en="x",
            component_group="G",
            unit="EA",
            supplier_id=env.pw.partner_p,
        ),
        Part(
            id=new_id(),
            network_id=env.t.network_x,
            part_number="X-O",
            name_zh="",
            name_en="x",
            component_group="G",
            unit="EA",
        ),
        Part(
            id=new_id(),
            network_id=env.t.network_y,
            part_number="Y-O",
            name_zh="",
            name_en="y",
            component_group="G",
            unit="EA",
        ),
    ]
    env.seed.add_all(rows)
    await env.seed.flush()
    return rows[0].id, rows[1].id, rows[2].id


async def case_parts(env: Env) -> None:
    x_p, x_o, y_o = await _parts(env)
    query = "{ parts(first: 100) { edges { node { id } } } }"
    client_scope = AccessClaims(
        subject=env.pw.client_p,
        network_id=env.t.network_x,
        role="partner_client",
        partner_id=env.pw.partner_p,
        client_id=env.pw.client_p,
        scopes=("parts:read",),
    )
    supplier = Principal(
        env.pw.client_p, "", env.t.network_x, None, scope_for(client_scope), env.signer.issue(client_scope)
    )
    expected = {
        env.t.manager_a: {x_p, x_o},
        env.t.hq_x: {x_p, x_o},
        env.t.hq_y: {y_o},
        supplier: {x_p},
    }
    for principal, ids in expected.items():
        edges = (await graphql(env.client, query, principal))["data"]["parts"]["edges"]
        assert {e["node"]["id"] for e in edges} == {gid("Part", i) for i in ids}


async def case_service_bom(env: Env) -> None:
    x_p, _, y_o = await _parts(env)
    for network, part in ((env.t.network_x, x_p), (env.t.network_y, y_o)):
        env.seed.add(ServiceBomLine(id=new_id(), network_id=network, vehicle_model="M1", part_id=part, quantity=1))
    await env.seed.flush()
    query = '{ serviceBom(vehicleModel: "M1") { part { id } } }'
    for principal, part in ((env.t.manager_a, x_p), (env.t.hq_y, y_o)):
        lines = (await graphql(env.client, query, principal))["data"]["serviceBom"]
        assert [line["part"]["id"] for line in lines] == [gid("Part", part)]


async def case_create_part(env: Env) -> None:
    """HQ X cannot name network Y's partner as supplier; its part does not appear in Y."""
    query = """mutation($s: ID) { createPart(input: {partNumber: "N-1", nameEn: "n", componentGroup: "G",
      supplierId: $s}) { __typename } }"""
    foreign = await graphql(env.client, query, env.t.hq_x, s=gid("Partner", env.pw.partner_q))
    own = await graphql(env.client, query, env.t.hq_x)
    assert typename(foreign, "createPart") == "NotFoundError"
    assert typename(own, "createPart") == "PartSuccess"
    in_y = await graphql(env.client, "{ parts(first: 10) { edges { node { partNumber } } } }", env.t.hq_y)
    assert in_y["data"]["parts"]["edges"] == []


async def case_supersede_part(env: Env) -> None:
    _, x_o, y_o = await _parts(env)
    query = """mutation($o: ID!, $n: ID!) { supersedePart(input: {oldPartId: $o, newPartId: $n,
      effectiveOn: "2026-01-01", interchangeable: true}) { __typename } }"""
    foreign_new = await graphql(env.client, query, env.t.hq_x, o=gid("Part", x_o), n=gid("Part", y_o))
    foreign_old = await graphql(env.client, query, env.t.hq_x, o=gid("Part", y_o), n=gid("Part", x_o))
    assert typename(foreign_new, "supersedePart") == "NotFoundError"
    assert typename(foreign_old, "supersedePart") == "NotFoundError"
    count = await env.seed.scalar(text("SELECT count(*) FROM part_supersessions"))
    assert count == 0


async def case_set_service_bom_line(env: Env) -> None:
    _, _, y_o = await _parts(env)
    query = """mutation($p: ID!) { setServiceBomLine(input: {vehicleModel: "M", partId: $p, quantity: "1"}) {
      __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, p=gid("Part", y_o)), "setServiceBomLine") == (
        "NotFoundError"
    )
    assert await env.seed.scalar(text("SELECT count(*) FROM service_bom_lines")) == 0


async def _publication(env: Env, network: UUID, *, status: str = "published", to: tuple[UUID, ...] = ()) -> UUID:
    row = Publication(
        id=new_id(),
        network_id=network,
        kind="price_list",
        title=f"list {network}",
        status=status,
        effective_on=date(2026, 1, 1),
        target_all=True,
        target_region_ids=[],
        target_station_ids=[],
        acknowledge_within_days=7,
        published_at=None if status == "draft" else datetime.now(UTC),
    )
    env.seed.add(row)
    await env.seed.flush()
    for station in to:
        env.seed.add(
            PublicationDelivery(
                id=new_id(),
                network_id=network,
                publication_id=row.id,
                station_id=station,
                acknowledge_by=datetime.now(UTC),
            )
        )
    await env.seed.flush()
    return row.id


async def case_publications(env: Env) -> None:
    t = env.t
    x = await _publication(env, t.network_x, to=(t.station_a,))
    x_b = await _publication(env, t.network_x, to=(t.station_b,))
    y = await _publication(env, t.network_y, to=(t.station_c,))
    query = "{ publications(first: 100) { edges { node { id } } } }"
    for principal, expected in ((t.manager_a, {x}), (t.hq_x, {x, x_b}), (t.hq_y, {y})):
        edges = (await graphql(env.client, query, principal))["data"]["publications"]["edges"]
        assert {e["node"]["id"] for e in edges} == {gid("Publication", i) for i in expected}


async def case_price_as_of(env: Env) -> None:
    _, x_o, _ = await _parts(env)
    query = 'query($p: ID!, $s: ID) { priceAsOf(partId: $p, on: "2026-01-01", stationId: $s) { listPrice } }'
    for principal, station in ((env.t.manager_a, env.t.station_b), (env.t.hq_x, env.t.station_c)):
        body = await graphql(env.client, query, principal, p=gid("Part", x_o), s=gid("Station", station))
        codes = [e["extensions"]["code"] for e in body.get("errors") or []]
        assert body["data"] is None or body["data"]["priceAsOf"] is None
        assert codes in ([], ["NOT_FOUND"])


async def case_draft_price_list(env: Env) -> None:
    _, y = await _regions(env)
    query = """mutation($r: ID) { draftPriceList(input: {title: "t", effectiveOn: "2026-01-01", regionId: $r}) {
      __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, r=gid("Region", y)), "draftPriceList") == (
        "NotFoundError"
    )
    targeted = """mutation($s: ID!) { draftPriceList(input: {title: "t", effectiveOn: "2026-01-01",
      target: {stationIds: [$s]}}) { __typename } }"""
    body = await graphql(env.client, targeted, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "draftPriceList") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM publications")) == 0


async def case_set_part_price(env: Env) -> None:
    x_p, _, y_o = await _parts(env)
    draft_x = await _publication(env, env.t.network_x, status="draft")
    draft_y = await _publication(env, env.t.network_y, status="draft")
    query = """mutation($l: ID!, $p: ID!) { setPartPrice(input: {priceListId: $l, partId: $p, listPrice: "1.00",
      dealerPrice: "1.00"}) { __typename } }"""
    foreign_list = await graphql(env.client, query, env.t.hq_x, l=gid("Publication", draft_y), p=gid("Part", x_p))
    foreign_part = await graphql(env.client, query, env.t.hq_x, l=gid("Publication", draft_x), p=gid("Part", y_o))
    assert typename(foreign_list, "setPartPrice") == "NotFoundError"
    assert typename(foreign_part, "setPartPrice") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM part_prices")) == 0


async def case_publish(env: Env) -> None:
    draft_y = await _publication(env, env.t.network_y, status="draft")
    body = await graphql(
        env.client, "mutation($id: ID!) { publish(id: $id) { __typename } }", env.t.hq_x, id=gid("Publication", draft_y)
    )
    assert typename(body, "publish") == "NotFoundError"
    status = await env.seed.scalar(text("SELECT status FROM publications WHERE id = :id"), {"id": draft_y})
    assert status == "draft"


async def case_acknowledge_publication(env: Env) -> None:
    only_b = await _publication(env, env.t.network_x, to=(env.t.station_b,))
    body = await graphql(
        env.client,
        "mutation($id: ID!) { acknowledgePublication(id: $id) { __typename } }",
        env.t.manager_a,
        id=gid("Publication", only_b),
    )
    assert typename(body, "acknowledgePublication") == "NotFoundError"
    acknowledged = await env.seed.scalar(
        text("SELECT acknowledged_at FROM publication_deliveries WHERE publication_id = :id"), {"id": only_b}
    )
    assert acknowledged is None


async def case_withdraw_publication(env: Env) -> None:
    published_y = await _publication(env, env.t.network_y, to=(env.t.station_c,))
    body = await graphql(
        env.client,
        'mutation($id: ID!) { withdrawPublication(id: $id, reason: "r") { __typename } }',
        env.t.hq_x,
        id=gid("Publication", published_y),
    )
    assert typename(body, "withdrawPublication") == "NotFoundError"
    status = await env.seed.scalar(text("SELECT status FROM publications WHERE id = :id"), {"id": published_y})
    assert status == "published"


async def case_labour_operations(env: Env) -> None:
    rows = [
        LabourOperation(
            id=new_id(), network_id=network, code="OP-1", description="d", flat_rate_hours=1, component_group="G"
        )
        for network in (env.t.network_x, env.t.network_y)
    ]
    env.seed.add_all(rows)
    await env.seed.flush()
    query = "{ labourOperations(first: 10) { edges { node { id } } } }"
    for principal, row in ((env.t.manager_a, rows[0]), (env.t.hq_x, rows[0]), (env.t.hq_y, rows[1])):
        edges = (await graphql(env.client, query, principal))["data"]["labourOperations"]["edges"]
        assert [e["node"]["id"] for e in edges] == [gid("LabourOperation", row.id)]


async def case_create_labour_operation(env: Env) -> None:
    """The same code in two networks: each creates its own; neither sees the other's."""
    query = """mutation { createLabourOperation(input: {code: "SAME-1", description: "d", flatRateHours: "1.00",
      componentGroup: "G"}) { __typename } }"""
    for principal in (env.t.hq_x, env.t.hq_y):
        assert typename(await graphql(env.client, query, principal), "createLabourOperation") == (
            "LabourOperationSuccess"
        )
    networks = (
        await env.seed.execute(text("SELECT network_id FROM labour_operations WHERE code = 'SAME-1'"))
    ).scalars()
    assert sorted(networks) == sorted([env.t.network_x, env.t.network_y])


async def case_imports(env: Env) -> None:
    """HQ X sees its own network's imports only (its stations' too), and cannot upload prices into Y's draft; a
    station sees its own (its DMS's repair orders), not another station's."""
    t = env.t
    files = {"file": ("p.csv", b"part_number,name_zh,name_en,component_group\nI-1,a,b,G\n", "text/csv")}
    for principal in (t.hq_x, t.hq_y):
        uploaded = await env.client.post("/imports", headers=principal.headers, data={"kind": "parts"}, files=files)
        assert uploaded.status_code == 202
    draft_y = await _publication(env, t.network_y, status="draft")
    prices = {"file": ("p.csv", b"part_number,list_price,dealer_price\nI-1,1,1\n", "text/csv")}
    into_y = await env.client.post(
        "/imports",
        headers=t.hq_x.headers,
        data={"kind": "prices", "priceListId": gid("Publication", draft_y)},
        files=prices,
    )
    assert (into_y.status_code, into_y.json()["code"]) == (404, "NOT_FOUND")
    # Station A's DMS file (its header is enough to upload): station A sees it, station B does not.
    header = b"dms_reference,vin,customer_id,received_at,odometer_km,fuel_eighths,concern,line_kind,service_type\n"
    orders = {"file": ("day.csv", header, "text/csv")}
    sent = await env.client.post("/imports", headers=t.manager_a.headers, data={"kind": "repair_orders"}, files=orders)
    assert sent.status_code == 202, sent.text
    query = "{ imports(first: 10) { edges { node { id } } } }"
    for principal, network in ((t.hq_x, t.network_x), (t.hq_y, t.network_y)):
        edges = (await graphql(env.client, query, principal))["data"]["imports"]["edges"]
        own = await env.seed.scalars(
            text("SELECT id FROM imports WHERE network_id = :n ORDER BY created_at DESC, id DESC"), {"n": network}
        )
        assert [e["node"]["id"] for e in edges] == [gid("Import", i) for i in own]
    for principal, expected in ((t.manager_a, [sent.json()["id"]]), (t.manager_b, [])):
        edges = (await graphql(env.client, query, principal))["data"]["imports"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected
        assert (await graphql(env.client, NODE, principal, id=sent.json()["id"]))["data"]["node"] == (
            {"id": sent.json()["id"], "__typename": "Import"} if expected else None
        )


async def _notification(env: Env, network: UUID, station: UUID | None) -> UUID:
    notification = new_id()
    await env.seed.execute(
        text(
            "INSERT INTO notifications (id, network_id, station_id, kind, subject, entity, entity_id) "
            "VALUES (:id, :n, :s, 'k', 's', 'publication', :e)"
        ),
        {"id": notification, "n": network, "s": station, "e": new_id()},
    )
    return notification


async def case_notifications(env: Env) -> None:
    t = env.t
    hq_x = await _notification(env, t.network_x, None)
    a = await _notification(env, t.network_x, t.station_a)
    await _notification(env, t.network_x, t.station_b)
    hq_y = await _notification(env, t.network_y, None)
    supplier = await _notification(env, t.network_x, None)
    await env.seed.execute(text("UPDATE notifications SET partner_id = :p WHERE id = :i"),
                           {"p": env.pw.partner_p, "i": supplier})  # fmt: skip
    query = "{ notifications(first: 100) { edges { node { id } } } }"
    person = await _partner_user(env, env.pw.partner_p)
    for principal, expected in ((t.manager_a, {a}), (t.hq_x, {hq_x}), (t.hq_y, {hq_y}), (person, {supplier})):
        edges = (await graphql(env.client, query, principal))["data"]["notifications"]["edges"]
        assert {e["node"]["id"] for e in edges} == {gid("Notification", i) for i in expected}


async def case_mark_notification_read(env: Env) -> None:
    t = env.t
    query = "mutation($id: ID!) { markNotificationRead(id: $id) { __typename } }"
    b = await _notification(env, t.network_x, t.station_b)
    y = await _notification(env, t.network_y, None)
    for principal, foreign in ((t.manager_a, b), (t.hq_x, b), (t.hq_x, y)):
        body = await graphql(env.client, query, principal, id=gid("Notification", foreign))
        assert typename(body, "markNotificationRead") == "NotFoundError"
    unread = await env.seed.scalar(text("SELECT count(*) FROM notifications WHERE read_at IS NULL"))
    assert unread == 2


async def _draft(env: Env, network: UUID, kind: str) -> UUID:
    publication = await _publication(env, network, status="draft")
    await env.seed.execute(text("UPDATE publications SET kind = :k WHERE id = :id"), {"k": kind, "id": publication})
    return publication


async def case_policy_as_of(env: Env) -> None:
    """Another station's or network's policy answers NOT_FOUND (or nothing), never its figures."""
    _, x_o, y_o = await _parts(env)
    query = 'query($p: ID!, $s: ID) { policyAsOf(on: "2026-01-01", partId: $p, stationId: $s) { on } }'
    for principal, part, station in (
        (env.t.manager_a, x_o, env.t.station_b),
        (env.t.hq_x, x_o, env.t.station_c),
        (env.t.hq_x, y_o, env.t.station_a),
    ):
        body = await graphql(env.client, query, principal, p=gid("Part", part), s=gid("Station", station))
        assert body["data"] is None or body["data"]["policyAsOf"] is None
        assert [e["extensions"]["code"] for e in body.get("errors") or []] == ["NOT_FOUND"]


async def case_draft_labour_rates(env: Env) -> None:
    query = """mutation($s: ID!) { draftLabourRates(input: {title: "t", effectiveOn: "2026-01-01",
      target: {stationIds: [$s]}}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "draftLabourRates") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM publications")) == 0


async def case_set_labour_rate(env: Env) -> None:
    card_y = await _draft(env, env.t.network_y, "labour_rates")
    card_x = await _draft(env, env.t.network_x, "labour_rates")
    _, region_y = await _regions(env)
    query = """mutation($c: ID!, $r: ID) { setLabourRate(input: {rateCardId: $c, regionId: $r, hourlyRate: "90.00"}) {
      __typename } }"""
    for card, region in ((card_y, None), (card_x, gid("Region", region_y))):
        body = await graphql(env.client, query, env.t.hq_x, c=gid("Publication", card), r=region)
        assert typename(body, "setLabourRate") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM labour_rates")) == 0


async def case_draft_warranty_policy(env: Env) -> None:
    query = """mutation($r: ID!) { draftWarrantyPolicy(input: {title: "t", effectiveOn: "2026-01-01",
      target: {regionIds: [$r]}}) { __typename } }"""
    _, region_y = await _regions(env)
    body = await graphql(env.client, query, env.t.hq_x, r=gid("Region", region_y))
    assert typename(body, "draftWarrantyPolicy") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM warranty_terms")) == 0


async def case_set_warranty_coverage(env: Env) -> None:
    policy_y = await _draft(env, env.t.network_y, "warranty_policy")
    query = """mutation($p: ID!) { setWarrantyCoverage(input: {policyId: $p, componentGroup: "G", months: 24,
      km: 50000}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, p=gid("Publication", policy_y))
    assert typename(body, "setWarrantyCoverage") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM warranty_coverages")) == 0


async def case_draft_service_commitments(env: Env) -> None:
    query = """mutation($s: ID!) { draftServiceCommitments(input: {title: "t", effectiveOn: "2026-01-01",
      ordinaryResponseHours: 48, majorResponseHours: 4, target: {stationIds: [$s]}}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "draftServiceCommitments") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM service_commitments")) == 0


async def case_draft_bulletin(env: Env) -> None:
    _, _, y_o = await _parts(env)
    query = """mutation($p: ID!) { draftBulletin(input: {title: "t", effectiveOn: "2026-01-01", number: "T-1",
      body: "b", partIds: [$p]}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, p=gid("Part", y_o))
    assert typename(body, "draftBulletin") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM technical_bulletins")) == 0


async def case_minimum_stock(env: Env) -> None:
    query = 'query($s: ID) { minimumStock(on: "2026-01-01", first: 5, stationId: $s) { hasNextPage } }'
    for principal, station in ((env.t.manager_a, env.t.station_b), (env.t.hq_x, env.t.station_c)):
        body = await graphql(env.client, query, principal, s=gid("Station", station))
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


async def case_draft_stock_rules(env: Env) -> None:
    query = """mutation($s: ID!) { draftStockRules(title: "t", effectiveOn: "2026-01-01", target: {stationIds: [$s]}) {
      __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "draftStockRules") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM publications")) == 0


async def case_set_stock_rule(env: Env) -> None:
    rules_y = await _draft(env, env.t.network_y, "stock_rules")
    query = """mutation($r: ID!) { setStockRule(rulesId: $r, componentGroup: "G", perThousandVehicles: "1") {
      __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, r=gid("Publication", rules_y)), "setStockRule") == (
        "NotFoundError"
    )
    assert await env.seed.scalar(text("SELECT count(*) FROM stock_rules")) == 0


async def case_set_vehicle_population(env: Env) -> None:
    _, region_y = await _regions(env)
    query = 'mutation($r: ID!) { setVehiclePopulation(regionId: $r, vehicleModel: "J6P", vehicles: 5) { __typename } }'
    body = await graphql(env.client, query, env.t.hq_x, r=gid("Region", region_y))
    assert typename(body, "setVehiclePopulation") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM vehicle_populations")) == 0


async def case_set_minimum_stock_override(env: Env) -> None:
    x_p, _, y_o = await _parts(env)
    query = """mutation($s: ID!, $p: ID!) { setMinimumStockOverride(stationId: $s, partId: $p, minimum: 3,
      reason: "r") { __typename } }"""
    for station, part in ((env.t.station_c, x_p), (env.t.station_a, y_o)):
        body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", station), p=gid("Part", part))
        assert typename(body, "setMinimumStockOverride") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM stock_overrides")) == 0


async def case_draft_price_coefficients(env: Env) -> None:
    query = """mutation($s: ID!) { draftPriceCoefficients(input: {title: "t", effectiveOn: "2026-01-01",
      target: {stationIds: [$s]}}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "draftPriceCoefficients") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM publications")) == 0


async def case_set_price_coefficient(env: Env) -> None:
    region_x, region_y = await _regions(env)
    draft_x = await _draft(env, env.t.network_x, "price_coefficients")
    draft_y = await _draft(env, env.t.network_y, "price_coefficients")
    query = """mutation($c: ID!, $r: ID!) { setPriceCoefficient(input: {coefficientsId: $c, regionId: $r,
      coefficient: "1.05"}) { __typename } }"""
    for draft, region in ((draft_y, region_x), (draft_x, region_y)):
        body = await graphql(env.client, query, env.t.hq_x, c=gid("Publication", draft), r=gid("Region", region))
        assert typename(body, "setPriceCoefficient") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM price_coefficients")) == 0


async def _application(env: Env, network: UUID, company: str) -> tuple[UUID, UUID]:
    """An applicant station with a submitted application: (station, application)."""
    station, application = new_id(), new_id()
    await env.seed.execute(
        text(
            "INSERT INTO stations (id, network_id, code, name, city, status) VALUES (:id, :n, :c, :c, '', 'applicant')"
        ),
        {"id": station, "n": network, "c": company},
    )
    await env.seed.execute(
        text(
            "INSERT INTO applications (id, network_id, station_id, company_name, stage) "
            "VALUES (:id, :n, :s, :c, 'submitted')"
        ),
        {"id": application, "n": network, "s": station, "c": company},
    )
    return station, application


async def case_my_application(env: Env) -> None:
    """A station that is no applicant has no application, and never gets another's."""
    await _application(env, env.t.network_x, "APP-X")
    body = await graphql(env.client, "{ myApplication { id } }", env.t.manager_a)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


async def case_applications(env: Env) -> None:
    _, x = await _application(env, env.t.network_x, "APP-X")
    _, y = await _application(env, env.t.network_y, "APP-Y")
    query = "{ applications(first: 10) { edges { node { id } } } }"
    for principal, expected in ((env.t.hq_x, [x]), (env.t.hq_y, [y]), (env.t.manager_a, [])):
        edges = (await graphql(env.client, query, principal))["data"]["applications"]["edges"]
        assert [e["node"]["id"] for e in edges] == [gid("Application", i) for i in expected]


async def case_rubric(env: Env) -> None:
    await env.seed.execute(
        text("INSERT INTO rubrics (id, network_id, kind, version, title) VALUES (:id, :n, 'application', 1, 'Y')"),
        {"id": new_id(), "n": env.t.network_y},
    )
    body = await graphql(env.client, "{ rubric(kind: APPLICATION) { title } }", env.t.hq_x)
    assert body["data"]["rubric"] is None


async def case_create_rubric(env: Env) -> None:
    query = """mutation { createRubric(input: {kind: APPLICATION, title: "t", criteria: [{code: "A",
      labelZh: "a", labelEn: "a", weight: "1", maxPoints: 1}]}) { __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x), "createRubric") == "RubricSuccess"
    networks = (await env.seed.execute(text("SELECT DISTINCT network_id FROM rubrics"))).scalars().all()
    assert networks == [env.t.network_x]


async def case_update_application(env: Env) -> None:
    """A station manager that is no applicant edits nothing, and no one else's application."""
    _, other = await _application(env, env.t.network_x, "APP-X")
    body = await graphql(env.client, "mutation { updateApplication(input: {bays: 3}) { __typename } }", env.t.manager_a)
    assert typename(body, "updateApplication") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT bays FROM applications WHERE id = :id"), {"id": other}) is None


async def case_submit_application(env: Env) -> None:
    _, other = await _application(env, env.t.network_x, "APP-X")
    body = await graphql(env.client, "mutation { submitApplication { __typename } }", env.t.manager_a)
    assert typename(body, "submitApplication") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT stage FROM applications WHERE id = :id"), {"id": other}) == "submitted"


async def case_score_application(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    query = """mutation($a: ID!) { scoreApplication(input: {applicationId: $a, marks: [{code: "A", points: 1}]}) {
      __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, a=gid("Application", y))
    assert typename(body, "scoreApplication") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM assessments")) == 0


async def case_reopen_application(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'reserve' WHERE id = :id"), {"id": y})
    query = 'mutation($a: ID!) { reopenApplication(applicationId: $a, reason: "r") { __typename } }'
    body = await graphql(env.client, query, env.t.hq_x, a=gid("Application", y))
    assert typename(body, "reopenApplication") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT stage FROM applications WHERE id = :id"), {"id": y}) == "reserve"


async def case_development_plan(env: Env) -> None:
    _, region_y = await _regions(env)
    await env.seed.execute(
        text("INSERT INTO region_quotas (id, network_id, region_id, stations_needed) VALUES (:id, :n, :r, 4)"),
        {"id": new_id(), "n": env.t.network_y, "r": region_y},
    )
    plan = (await graphql(env.client, "{ developmentPlan { regionId stationsNeeded } }", env.t.hq_x))["data"]
    assert all(p["regionId"] != gid("Region", region_y) for p in plan["developmentPlan"])


async def case_my_letter_of_intent(env: Env) -> None:
    station, application = await _application(env, env.t.network_x, "APP-X")
    await env.seed.execute(
        text(
            "INSERT INTO letters_of_intent (id, network_id, station_id, application_id, number, storage_key, sha256, "
            "size) VALUES (:id, :n, :s, :a, 'LOI-1', 'k', 'x', 1)"
        ),
        {"id": new_id(), "n": env.t.network_x, "s": station, "a": application},
    )
    body = await graphql(env.client, "{ myLetterOfIntent { number } }", env.t.manager_a)
    assert body["data"] is None or body["data"]["myLetterOfIntent"] is None


async def case_set_region_quota(env: Env) -> None:
    _, region_y = await _regions(env)
    query = "mutation($r: ID!) { setRegionQuota(regionId: $r, stationsNeeded: 3) { __typename } }"
    assert typename(await graphql(env.client, query, env.t.hq_x, r=gid("Region", region_y)), "setRegionQuota") == (
        "NotFoundError"
    )
    assert await env.seed.scalar(text("SELECT count(*) FROM region_quotas")) == 0


async def case_plan_site_visit(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    _, x = await _application(env, env.t.network_x, "APP-X")
    await env.seed.execute(text("UPDATE applications SET stage = 'shortlisted'"))
    query = """mutation($a: ID!, $v: ID!) { planSiteVisit(input: {applicationId: $a, plannedOn: "2026-01-01",
      visitorIds: [$v]}) { __typename } }"""
    for application, visitor in ((y, env.t.hq_x.user_id), (x, env.t.hq_y.user_id)):
        body = await graphql(env.client, query, env.t.hq_x, a=gid("Application", application), v=gid("User", visitor))
        assert typename(body, "planSiteVisit") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM site_visits")) == 0


async def case_record_site_visit(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    query = """mutation($a: ID!) { recordSiteVisit(input: {applicationId: $a, interview: [{code: "A", points: 1}],
      survey: {}}) { __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, a=gid("Application", y)), "recordSiteVisit") == (
        "NotFoundError"
    )


async def case_cast_committee_vote(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'visited'"))
    query = "mutation($a: ID!) { castCommitteeVote(applicationId: $a, vote: APPROVE) { __typename } }"
    body = await graphql(env.client, query, env.t.hq_x, a=gid("Application", y))
    assert typename(body, "castCommitteeVote") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM committee_votes")) == 0


async def _seat(env: Env, network: UUID, user: UUID) -> None:
    await env.seed.execute(
        text("INSERT INTO committee_members (network_id, user_id) VALUES (:n, :u)"), {"n": network, "u": user}
    )


async def case_committee_members(env: Env) -> None:
    await _seat(env, env.t.network_x, env.t.hq_x.user_id)
    query = "{ committeeMembers { userId } }"
    assert (await graphql(env.client, query, env.t.hq_x))["data"]["committeeMembers"] == [
        {"userId": gid("User", env.t.hq_x.user_id)}
    ]
    assert (await graphql(env.client, query, env.t.hq_y))["data"]["committeeMembers"] == []


async def case_appoint_committee_member(env: Env) -> None:
    query = "mutation($u: ID!) { appointCommitteeMember(userId: $u) { __typename } }"
    body = await graphql(env.client, query, env.t.hq_x, u=gid("User", env.t.hq_y.user_id))
    assert typename(body, "appointCommitteeMember") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM committee_members")) == 0


async def case_remove_committee_member(env: Env) -> None:
    await _seat(env, env.t.network_x, env.t.hq_x.user_id)
    query = 'mutation($u: ID!) { removeCommitteeMember(userId: $u, reason: "r") { __typename } }'
    body = await graphql(env.client, query, env.t.hq_y, u=gid("User", env.t.hq_x.user_id))
    assert typename(body, "removeCommitteeMember") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM committee_members")) == 1


async def case_change_committee_vote(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'visited'"))
    await _seat(env, env.t.network_x, env.t.hq_x.user_id)
    query = 'mutation($a: ID!) { changeCommitteeVote(applicationId: $a, vote: REJECT, reason: "r") { __typename } }'
    body = await graphql(env.client, query, env.t.hq_x, a=gid("Application", y))
    assert typename(body, "changeCommitteeVote") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM committee_votes")) == 0


async def case_decide_committee(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'visited'"))
    body = await graphql(
        env.client,
        "mutation($a: ID!) { decideCommittee(applicationId: $a) { __typename } }",
        env.t.hq_x,
        a=gid("Application", y),
    )
    assert typename(body, "decideCommittee") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT stage FROM applications WHERE id = :id"), {"id": y}) == "visited"


async def case_place_startup_order(env: Env) -> None:
    """A station that is no applicant has no application to order for."""
    body = await graphql(
        env.client,
        'mutation { placeStartupOrder(input: {kind: VI, reference: "PO", dueOn: "2026-01-01"}) { __typename } }',
        env.t.manager_a,
    )
    assert typename(body, "placeStartupOrder") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM startup_orders")) == 0


async def case_confirm_startup_delivery(env: Env) -> None:
    station, application = await _application(env, env.t.network_y, "APP-Y")
    order = new_id()
    await env.seed.execute(
        text(
            "INSERT INTO startup_orders (id, network_id, station_id, application_id, kind, reference, due_on) "
            "VALUES (:id, :n, :s, :a, 'vi', 'PO', current_date)"
        ),
        {"id": order, "n": env.t.network_y, "s": station, "a": application},
    )
    body = await graphql(
        env.client,
        "mutation($o: ID!) { confirmStartupDelivery(orderId: $o) { __typename } }",
        env.t.hq_x,
        o=gid("StartupOrder", order),
    )
    assert typename(body, "confirmStartupDelivery") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT delivered_at FROM startup_orders WHERE id = :id"), {"id": order}) is None


async def case_inspect_acceptance(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'approved'"))
    query = """mutation($a: ID!) { inspectAcceptance(input: {applicationId: $a, marks: [{code: "A", points: 1}]}) {
      __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, a=gid("Application", y)), "inspectAcceptance") == (
        "NotFoundError"
    )
    assert await env.seed.scalar(text("SELECT count(*) FROM acceptance_inspections")) == 0


async def case_sign_contract(env: Env) -> None:
    _, y = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'accepted'"))
    query = """mutation($a: ID!) { signContract(input: {applicationId: $a, termStart: "2027-01-01",
      termEnd: "2028-01-01", serviceTypes: [PAID]}) { __typename } }"""
    assert typename(await graphql(env.client, query, env.t.hq_x, a=gid("Application", y)), "signContract") == (
        "NotFoundError"
    )
    assert await env.seed.scalar(text("SELECT count(*) FROM contracts")) == 0


async def case_dispatch_check(env: Env) -> None:
    query = 'query($s: ID!) { dispatchCheck(stationId: $s, serviceType: WARRANTY, on: "2026-01-01") { allowed } }'
    for principal, station in ((env.t.manager_a, env.t.station_b), (env.t.hq_x, env.t.station_c)):
        body = await graphql(env.client, query, principal, s=gid("Station", station))
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["NOT_FOUND"]


async def case_tier_repair_levels(env: Env) -> None:
    await env.seed.execute(
        text("INSERT INTO tier_repair_levels (network_id, tier, repair_levels) VALUES (:x, 'A', '{overhaul}')"),
        {"x": env.t.network_x},
    )
    query = "{ tierRepairLevels { tier repairLevels } }"
    assert (await graphql(env.client, query, env.t.manager_a))["data"]["tierRepairLevels"] == [
        {"tier": "A", "repairLevels": ["OVERHAUL"]}
    ]
    for foreign in (env.t.hq_y, env.t.manager_c):
        assert (await graphql(env.client, query, foreign))["data"]["tierRepairLevels"] == []


async def case_set_tier_repair_levels(env: Env) -> None:
    await env.seed.execute(
        text("INSERT INTO tier_repair_levels (network_id, tier, repair_levels) VALUES (:x, 'A', '{overhaul}')"),
        {"x": env.t.network_x},
    )
    query = 'mutation { setTierRepairLevels(tier: "A", repairLevels: [MINOR_REPAIR]) { __typename } }'
    assert typename(await graphql(env.client, query, env.t.hq_y), "setTierRepairLevels") == "TierRepairLevelsSuccess"
    stored = await env.seed.execute(text("SELECT network_id, repair_levels FROM tier_repair_levels ORDER BY tier"))
    assert sorted((str(n), list(levels)) for n, levels in stored) == sorted(
        [(str(env.t.network_x), ["overhaul"]), (str(env.t.network_y), ["minor_repair"])]
    )
    denied = await graphql(env.client, query, env.t.manager_a)
    assert [e["extensions"]["code"] for e in denied["errors"]] == ["FORBIDDEN"]


async def case_record_staff_certificate(env: Env) -> None:
    query = """mutation($s: ID!) { recordStaffCertificate(input: {stationId: $s, personName: "p", role: "technician",
      serviceTypes: [PAID], course: "c", certificateNumber: "N-1", passedOn: "2026-01-01",
      expiresOn: "2027-01-01"}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", env.t.station_c))
    assert typename(body, "recordStaffCertificate") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM staff_certificates")) == 0


async def case_change_station_standing(env: Env) -> None:
    station, _ = await _application(env, env.t.network_y, "APP-Y")
    await env.seed.execute(text("UPDATE applications SET stage = 'active'"))
    query = 'mutation($s: ID!) { changeStationStanding(stationId: $s, action: SUSPEND, reason: "r") { __typename } }'
    for target in (station, env.t.station_c):
        body = await graphql(env.client, query, env.t.hq_x, s=gid("Station", target))
        assert typename(body, "changeStationStanding") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT stage FROM applications WHERE station_id = :s"), {"s": station}) == (
        "active"
    )


async def case_register_applicant(env: Env) -> None:
    """Public, whoever calls it: the registration belongs to the named network, and the answer for an
    address that already has an account is the answer for a new one."""
    t = env.t
    code = await env.seed.scalar(text("SELECT code FROM networks WHERE id = :n"), {"n": t.network_x})
    query = """mutation($i: RegisterApplicantInput!) { registerApplicant(input: $i) {
      __typename ... on RegisterApplicantSuccess { email } } }"""
    answers = []
    for email in (t.manager_c.email, "new.dealer@x.test"):
        body = await graphql(env.client, query, t.hq_y, i={"networkCode": code, "companyName": "C", "email": email})
        answers.append(body["data"]["registerApplicant"]["__typename"])
    assert answers == ["RegisterApplicantSuccess"] * 2
    networks = await env.seed.scalars(text("SELECT DISTINCT network_id FROM registrations WHERE company_name = 'C'"))
    assert networks.all() == [t.network_x]


async def case_verify_registration(env: Env) -> None:
    """The link opens a station in the registration's network, never the caller's."""
    t = env.t
    token = "isolation-case-token"
    await env.seed.execute(
        text(
            "INSERT INTO registrations (id, network_id, email, company_name, token_hash, expires_at) "
            "VALUES (gen_random_uuid(), :n, 'verify@x.test', 'Verify Motors', :h, now() + interval '1 hour')"
        ),
        {"n": t.network_x, "h": digest(token)},
    )
    await env.seed.commit()
    query = """mutation($i: VerifyRegistrationInput!) { verifyRegistration(input: $i) { __typename } }"""
    bad = await graphql(env.client, query, t.hq_y, i={"token": "not-a-token", "password": "long enough pw"})
    assert typename(bad, "verifyRegistration") == "NotFoundError"
    body = await graphql(env.client, query, t.hq_y, i={"token": token, "password": "long enough pw"})
    assert typename(body, "verifyRegistration") == "VerifyRegistrationSuccess"
    opened = await env.seed.scalars(text("SELECT network_id FROM stations WHERE name = 'Verify Motors'"))
    assert opened.all() == [t.network_x]


async def _profile_change(env: Env, network: UUID, station: UUID, status: str = "draft") -> UUID:
    change = new_id()
    await env.seed.execute(
        text(
            "INSERT INTO profile_changes (id, network_id, station_id, kind, status, changed_on, after, filed_at) "
            "VALUES (:id, :n, :s, 'bank_account', CAST(:st AS varchar), current_date, '{\"bank_account\": \"1\"}', "
            "CASE WHEN CAST(:st AS varchar) = 'draft' THEN NULL ELSE now() END)"
        ),
        {"id": change, "n": network, "s": station, "st": status},
    )
    return change


async def case_station_profile(env: Env) -> None:
    t = env.t
    for network, station, contact in ((t.network_x, t.station_a, "A"), (t.network_y, t.station_c, "C")):
        await env.seed.execute(
            text(
                "INSERT INTO station_profiles (id, network_id, station_id, contact_name) "
                "VALUES (gen_random_uuid(), :n, :s, :c)"
            ),
            {"n": network, "s": station, "c": contact},
        )
    query = "query($s: ID) { stationProfile(stationId: $s) { contactName } }"
    # A station reads its own whatever it names; HQ reads its network's, not another's.
    own = await graphql(env.client, query, t.manager_b, s=gid("Station", t.station_a))
    assert own["data"]["stationProfile"] is None
    assert (await graphql(env.client, query, t.manager_a))["data"]["stationProfile"] == {"contactName": "A"}
    hq = await graphql(env.client, query, t.hq_x, s=gid("Station", t.station_a))
    assert hq["data"]["stationProfile"] == {"contactName": "A"}
    assert (await graphql(env.client, query, t.hq_x, s=gid("Station", t.station_c)))["data"]["stationProfile"] is None


async def case_profile_changes(env: Env) -> None:
    t = env.t
    a = await _profile_change(env, t.network_x, t.station_a)
    b = await _profile_change(env, t.network_x, t.station_b)
    c = await _profile_change(env, t.network_y, t.station_c)
    query = "{ profileChanges(first: 10) { edges { node { id } } } }"
    for principal, expected in ((t.manager_a, [a]), (t.hq_x, [b, a]), (t.hq_y, [c])):
        body = await graphql(env.client, query, principal)
        assert [e["node"]["id"] for e in body["data"]["profileChanges"]["edges"]] == [
            gid("ProfileChange", i) for i in expected
        ]


async def case_record_profile_change(env: Env) -> None:
    """The change is the caller's own station's, whatever else is sent."""
    query = """mutation($i: RecordProfileChangeInput!) { recordProfileChange(input: $i) { __typename
      ... on ProfileChangeSuccess { change { stationId } } } }"""
    body = await graphql(
        env.client,
        query,
        env.t.manager_a,
        i={"kind": "ADDRESS", "changedOn": network_today().isoformat(), "values": {"address": "x"}},
    )
    assert body["data"]["recordProfileChange"]["change"]["stationId"] == gid("Station", env.t.station_a)


async def case_file_profile_change(env: Env) -> None:
    t = env.t
    theirs = await _profile_change(env, t.network_x, t.station_b)
    query = "mutation($c: ID!) { fileProfileChange(changeId: $c) { __typename } }"
    body = await graphql(env.client, query, t.manager_a, c=gid("ProfileChange", theirs))
    assert typename(body, "fileProfileChange") == "NotFoundError"
    status = await env.seed.scalar(text("SELECT status FROM profile_changes WHERE id = :c"), {"c": theirs})
    assert status == "draft"


async def case_decide_profile_change(env: Env) -> None:
    t = env.t
    theirs = await _profile_change(env, t.network_y, t.station_c, status="pending")
    query = "mutation($c: ID!) { decideProfileChange(changeId: $c, approve: true) { __typename } }"
    body = await graphql(env.client, query, t.hq_x, c=gid("ProfileChange", theirs))
    assert typename(body, "decideProfileChange") == "NotFoundError"
    status = await env.seed.scalar(text("SELECT status FROM profile_changes WHERE id = :c"), {"c": theirs})
    assert status == "pending"


async def case_onboarding_overdue(env: Env) -> None:
    t = env.t
    await _profile_change(env, t.network_x, t.station_a, status="pending")
    await _profile_change(env, t.network_y, t.station_c, status="pending")
    query = "{ onboardingOverdue { stationId } }"
    for principal, expected in ((t.hq_x, [t.station_a]), (t.manager_b, []), (t.hq_y, [t.station_c])):
        body = await graphql(env.client, query, principal)
        assert [i["stationId"] for i in body["data"]["onboardingOverdue"]] == [gid("Station", s) for s in expected]


async def case_onboarding_rules(env: Env) -> None:
    t = env.t
    await env.seed.execute(text("UPDATE networks SET committee_quorum = 4 WHERE id = :n"), {"n": t.network_y})
    for principal, quorum in ((t.hq_x, 3), (t.manager_a, 3), (t.hq_y, 4)):
        body = await graphql(env.client, "{ onboardingRules { committeeQuorum } }", principal)
        assert body["data"]["onboardingRules"]["committeeQuorum"] == quorum


async def case_set_onboarding_rules(env: Env) -> None:
    """HQ changes its own network's rules; the other network's stay."""
    t = env.t
    query = "mutation { setOnboardingRules(input: {committeeQuorum: 2}) { __typename } }"
    assert typename(await graphql(env.client, query, t.hq_x), "setOnboardingRules") == "OnboardingRulesSuccess"
    quorums = dict(
        (
            await env.seed.execute(
                text("SELECT id, committee_quorum FROM networks WHERE id IN (:x, :y)"),
                {"x": t.network_x, "y": t.network_y},
            )
        ).all()
    )
    assert quorums == {t.network_x: 2, t.network_y: 3}


# --- The vehicle register (workshop) ------------------------------------------------------------------------

SHARED_VIN = "LSVAM418XC2184843"  # the same VIN in both networks: each has its own register


async def _vehicles(env: Env) -> tuple[Vehicle, Vehicle]:
    rows = tuple(
        Vehicle(id=new_id(), network_id=network, vin=SHARED_VIN, model=f"M{n}", production_date=date(2025, 1, 1))
        for n, network in enumerate((env.t.network_x, env.t.network_y))
    )
    env.seed.add_all(rows)
    await env.seed.flush()
    return rows[0], rows[1]


async def case_vehicle(env: Env) -> None:
    """A VIN answers the asking network's vehicle; another network's by node id is null; partners never."""
    in_x, in_y = await _vehicles(env)
    query = "query($v: String!) { vehicle(vin: $v) { id model } }"
    for principal, row in ((env.t.manager_a, in_x), (env.t.hq_x, in_x), (env.t.manager_c, in_y), (env.t.hq_y, in_y)):
        body = await graphql(env.client, query, principal, v=SHARED_VIN)
        assert body["data"]["vehicle"] == {"id": gid("Vehicle", row.id), "model": row.model}
    foreign = await graphql(
        env.client, "query($i: ID!) { node(id: $i) { id } }", env.t.manager_a, i=gid("Vehicle", in_y.id)
    )
    assert foreign["data"]["node"] is None


async def case_vehicles(env: Env) -> None:
    in_x, in_y = await _vehicles(env)
    query = "{ vehicles(first: 10) { edges { node { id } } } }"
    for principal, row in ((env.t.hq_x, in_x), (env.t.hq_y, in_y)):
        edges = (await graphql(env.client, query, principal))["data"]["vehicles"]["edges"]
        assert [e["node"]["id"] for e in edges] == [gid("Vehicle", row.id)]
    refused = await graphql(env.client, query, env.t.manager_a)  # a station looks VINs up; it does not browse
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def case_register_vehicle(env: Env) -> None:
    """The same VIN registered by two networks lands in each one's own register."""
    query = """mutation($v: String!) { registerVehicle(input: {vin: $v, model: "M", productionDate: "2025-01-01"}) {
      __typename } }"""
    for principal in (env.t.hq_x, env.t.hq_y):
        assert (
            typename(await graphql(env.client, query, principal, v=SHARED_VIN), "registerVehicle") == "VehicleSuccess"
        )
    networks = (
        await env.seed.execute(text("SELECT network_id FROM vehicles WHERE vin = :v"), {"v": SHARED_VIN})
    ).scalars()
    assert sorted(networks) == sorted([env.t.network_x, env.t.network_y])


async def case_correct_vehicle(env: Env) -> None:
    """HQ Y cannot correct X's vehicle by its id: NOT_FOUND, and X's record is unchanged."""
    in_x, _ = await _vehicles(env)
    query = """mutation($i: ID!, $v: String!) { correctVehicle(input: {vehicleId: $i, vin: $v, model: "Changed",
      productionDate: "2025-01-01"}) { __typename } }"""
    body = await graphql(env.client, query, env.t.hq_y, i=gid("Vehicle", in_x.id), v=SHARED_VIN)
    assert typename(body, "correctVehicle") == "NotFoundError"
    model = await env.seed.scalar(text("SELECT model FROM vehicles WHERE id = :i"), {"i": in_x.id})
    assert model == in_x.model


# --- A station's customers (workshop; personal data) ---------------------------------------------------------


async def _customer(env: Env, station: UUID, network: UUID) -> Customer:
    row = Customer(id=new_id(), station_id=station, network_id=network, name="张三", phone="13800000000")
    env.seed.add(row)
    await env.seed.flush()
    return row


async def case_customers(env: Env) -> None:
    """A station lists its own customers only; HQ does not browse them; another network's HQ and a partner
    get null for one by node id; HQ's read of a phone number is journaled."""
    mine = await _customer(env, env.t.station_a, env.t.network_x)
    query = "{ customers(first: 10) { edges { node { id name phone } } } }"
    edges = (await graphql(env.client, query, env.t.manager_a))["data"]["customers"]["edges"]
    assert [e["node"]["id"] for e in edges] == [gid("Customer", mine.id)]
    assert (await graphql(env.client, query, env.t.manager_b))["data"]["customers"]["edges"] == []
    assert (await graphql(env.client, query, env.t.hq_x))["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    node = "query($i: ID!) { node(id: $i) { ... on Customer { name phone } } }"
    by_hq = await graphql(env.client, node, env.t.hq_x, i=gid("Customer", mine.id))
    assert by_hq["data"]["node"] == {"name": "张三", "phone": "13800000000"}
    read = await env.seed.scalar(
        text("SELECT count(*) FROM journal WHERE entity_id = :i AND action = 'phone_read'"), {"i": mine.id}
    )
    assert read == 1
    for outsider in (env.t.hq_y, env.t.manager_b, env.t.manager_c):
        assert (await graphql(env.client, node, outsider, i=gid("Customer", mine.id)))["data"]["node"] is None


async def case_create_customer(env: Env) -> None:
    query = 'mutation { createCustomer(input: {name: "李四", phone: "139 0000 0000"}) { __typename } }'
    for principal in (env.t.manager_a, env.t.manager_c):
        assert typename(await graphql(env.client, query, principal), "createCustomer") == "CustomerSuccess"
    stations = (await env.seed.execute(text("SELECT station_id FROM customers WHERE name = '李四'"))).scalars()
    assert sorted(stations) == sorted([env.t.station_a, env.t.station_c])
    refused = await graphql(env.client, query, env.t.hq_x)  # HQ keeps no customers of its own
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def case_update_customer(env: Env) -> None:
    """Station B cannot change station A's customer by its id: NOT_FOUND, and the record is unchanged."""
    theirs = await _customer(env, env.t.station_a, env.t.network_x)
    query = """mutation($i: ID!) { updateCustomer(input: {customerId: $i, name: "Changed", phone: "13900000000"}) {
      __typename } }"""
    body = await graphql(env.client, query, env.t.manager_b, i=gid("Customer", theirs.id))
    assert typename(body, "updateCustomer") == "NotFoundError"
    name = await env.seed.scalar(text("SELECT name FROM customers WHERE id = :i"), {"i": theirs.id})
    assert name == "张三"


# --- Repair orders (workshop) --------------------------------------------------------------------------------


async def _repair_order(env: Env) -> RepairOrder:
    """Station A's repair order (written directly): a vehicle of X, A's customer, one pending line."""
    vehicle, _ = await _vehicles(env)
    customer = await _customer(env, env.t.station_a, env.t.network_x)
    now = datetime.now(UTC)
    order = RepairOrder(
        station_id=env.t.station_a, id=new_id(), network_id=env.t.network_x, number="RO2026000001", status="received",
        vehicle_id=vehicle.id, customer_id=customer.id, arrival="walk_in", odometer_km=1000, fuel_eighths=4,
        concern="noise", promised_at=now.replace(year=now.year + 1), received_at=now, customer_notice_at=now,
    )  # fmt: skip
    env.seed.add(order)
    await env.seed.flush()
    return order


async def case_repair_orders(env: Env) -> None:
    order = await _repair_order(env)
    query = "{ repairOrders(first: 10) { edges { node { id } } } }"
    for principal, expected in (
        (env.t.manager_a, [gid("RepairOrder", order.id)]),
        (env.t.hq_x, [gid("RepairOrder", order.id)]),
        (env.t.manager_b, []),
        (env.t.hq_y, []),
    ):
        edges = (await graphql(env.client, query, principal))["data"]["repairOrders"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected


async def case_receive_vehicle(env: Env) -> None:
    """Station B cannot check a car in for station A's customer, nor station C (network Y) with X's vehicle."""
    order = await _repair_order(env)
    query = """mutation($v: ID!, $c: ID!, $p: DateTime!) { receiveVehicle(input: {vehicleId: $v, customerId: $c,
      odometerKm: 10, fuelEighths: 1, concern: "x", promisedAt: $p}) { __typename } }"""
    promised = datetime.now(UTC).replace(year=datetime.now(UTC).year + 1).isoformat()
    ids = {"v": gid("Vehicle", order.vehicle_id), "c": gid("Customer", order.customer_id), "p": promised}
    for principal in (env.t.manager_b, env.t.manager_c):
        assert typename(await graphql(env.client, query, principal, **ids), "receiveVehicle") == "NotFoundError"
    count = await env.seed.scalar(text("SELECT count(*) FROM repair_orders"))
    assert count == 1


def _foreign_step(field: str, document: str) -> Callable[[Env], Awaitable[None]]:
    """Station B (and station C of network Y) acting on station A's repair order by its id: NOT_FOUND, and A's
    order and lines unchanged."""

    async def case(env: Env) -> None:
        order = await _repair_order(env)
        line_id = new_id()
        env.seed.add(
            RepairOrderLine(
                station_id=order.station_id, id=line_id, network_id=order.network_id, repair_order_id=order.id,
                position=1, kind="labour", service_type="paid", labour_operation_id=(await _operation(env)),
                quantity=1, unit_price=1, amount=1, consent="consented",
            )
        )  # fmt: skip
        await env.seed.flush()
        ids = {
            "o": gid("RepairOrder", order.id),
            "l": gid("RepairOrderLine", line_id),
            "u": gid("User", new_id()),
            "p": gid("Part", new_id()),
        }
        for principal in (env.t.manager_b, env.t.manager_c):
            assert typename(await graphql(env.client, document, principal, **ids), field) == "NotFoundError"
        status = await env.seed.scalar(text("SELECT status FROM repair_orders WHERE id = :i"), {"i": order.id})
        lines = await env.seed.scalar(
            text("SELECT count(*) FROM repair_order_lines WHERE repair_order_id = :i"), {"i": order.id}
        )
        assert (status, lines) == ("received", 1)

    return case


async def _operation(env: Env) -> UUID:
    code = f"OP-{new_id().hex[:6].upper()}"
    row = LabourOperation(
        id=new_id(), network_id=env.t.network_x, code=code, description="d", flat_rate_hours=1, component_group="G"
    )
    env.seed.add(row)
    await env.seed.flush()
    return row.id


_STEP = "mutation($o: ID!) {{ {field}(id: $o) {{ __typename }} }}"
REPAIR_ORDER_CASES = {
    "quoteLine": _foreign_step(
        "quoteLine", 'mutation($o: ID!, $p: ID!) { quoteLine(input: {repairOrderId: $o, kind: PART, serviceType: PAID, '
        "partId: $p}) { __typename } }",
    ),
    "recordConsent": _foreign_step(
        "recordConsent", "mutation($o: ID!, $l: ID!) { recordConsent(input: {repairOrderId: $o, lineIds: [$l], "
        "consented: true}) { __typename } }",
    ),
    "reverseSettledLine": _foreign_step(
        "reverseSettledLine", 'mutation($o: ID!, $l: ID!) { reverseSettledLine(input: {repairOrderId: $o, '
        'lineId: $l, reason: "r"}) { __typename } }',
    ),
    "delayRepairOrder": _foreign_step(
        "delayRepairOrder", 'mutation($o: ID!) { delayRepairOrder(input: {repairOrderId: $o, '
        'promisedAt: "2999-01-01T00:00:00Z", reason: "r"}) { __typename } }',
    ),
    "recordWork": _foreign_step(
        "recordWork", 'mutation($o: ID!, $l: ID!) { recordWork(input: {repairOrderId: $o, lineId: $l, cause: "c", '
        'correction: "d"}) { __typename } }',
    ),
    "assignTechnician": _foreign_step(
        "assignTechnician", "mutation($o: ID!, $l: ID!, $u: ID!) { assignTechnician(input: {repairOrderId: $o, "
        "lineId: $l, technicianId: $u}) { __typename } }",
    ),
    **{
        field: _foreign_step(field, _STEP.format(field=field))
        for field in (
            "startWork", "completeRepairOrder", "settleRepairOrder", "handOverRepairOrder", "cancelRepairOrder",
            "recordCustomerTold",
        )
    },
}  # fmt: skip


# --- Warranty claims (warranty) --------------------------------------------------------------------------


async def _claim(env: Env) -> Claim:
    """Station A's submitted claim of a warranty line of its repair order (written directly)."""
    order = await _repair_order(env)
    line = RepairOrderLine(
        station_id=order.station_id, id=new_id(), network_id=order.network_id, repair_order_id=order.id,
        position=1, kind="labour", service_type="warranty", labour_operation_id=(await _operation(env)),
        quantity=1, unit_price=100, amount=100, consent="consented",
    )  # fmt: skip
    env.seed.add(line)
    await env.seed.flush()
    claim = Claim(
        station_id=order.station_id, id=new_id(), network_id=order.network_id, number="WC2026000001",
        repair_order_id=order.id, vehicle_id=order.vehicle_id, claim_type="normal", status="submitted",
        repair_date=network_today(), odometer_km=1000, claimed_amount=100, version=2,
        submitted_at=datetime.now(UTC),
    )  # fmt: skip
    env.seed.add(claim)
    await env.seed.flush()
    env.seed.add(
        ClaimLine(
            station_id=order.station_id, id=new_id(), network_id=order.network_id, claim_id=claim.id, position=1,
            repair_order_line_id=line.id, kind="labour", labour_operation_id=line.labour_operation_id, quantity=1,
            unit_price=100, amount=100,
        )
    )  # fmt: skip
    await env.seed.flush()
    return claim


async def case_claims(env: Env) -> None:
    claim = await _claim(env)
    query = "{ claims(first: 10) { edges { node { id lines { amount } } } } }"
    for principal, expected in ((env.t.manager_a, [gid("Claim", claim.id)]), (env.t.hq_x, [gid("Claim", claim.id)]),
                                (env.t.manager_b, []), (env.t.hq_y, [])):  # fmt: skip
        edges = (await graphql(env.client, query, principal))["data"]["claims"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected


async def case_claim_review_queue(env: Env) -> None:
    claim = await _claim(env)
    query = "{ claimReviewQueue(first: 10) { edges { node { id } } } }"
    for principal, expected in ((env.t.hq_x, [gid("Claim", claim.id)]), (env.t.hq_y, [])):
        edges = (await graphql(env.client, query, principal))["data"]["claimReviewQueue"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected


async def _claim_unchanged(env: Env, claim: Claim) -> None:
    row = (await env.seed.execute(text("SELECT status, version FROM claims WHERE id = :i"), {"i": claim.id})).one()
    assert tuple(row) == ("submitted", 2)
    assert await env.seed.scalar(text("SELECT count(*) FROM claim_adjudications")) == 0


async def case_raise_claim(env: Env) -> None:
    """Station B (and C of network Y) cannot claim station A's repair order."""
    order = await _repair_order(env)
    document = "mutation($o: ID!) { raiseClaim(input: {repairOrderId: $o}) { __typename } }"
    for principal in (env.t.manager_b, env.t.manager_c):
        answer = await graphql(env.client, document, principal, o=gid("RepairOrder", order.id))
        assert typename(answer, "raiseClaim") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM claims")) == 0


async def case_submit_claim(env: Env) -> None:
    claim = await _claim(env)
    document = "mutation($c: ID!) { submitClaim(id: $c) { __typename } }"
    for principal in (env.t.manager_b, env.t.manager_c):
        assert typename(await graphql(env.client, document, principal, c=gid("Claim", claim.id)), "submitClaim") == (
            "NotFoundError"
        )
    await _claim_unchanged(env, claim)


async def case_decide_claim(env: Env) -> None:
    """HQ of network Y cannot decide network X's claim."""
    claim = await _claim(env)
    document = "mutation($c: ID!) { decideClaim(input: {claimId: $c, version: 2, decision: APPROVE}) { __typename } }"
    answer = await graphql(env.client, document, env.t.hq_y, c=gid("Claim", claim.id))
    assert typename(answer, "decideClaim") == "NotFoundError"
    await _claim_unchanged(env, claim)


async def case_readjudicate_claim(env: Env) -> None:
    claim = await _claim(env)
    document = 'mutation($c: ID!) { readjudicateClaim(id: $c, reason: "again") { __typename } }'
    answer = await graphql(env.client, document, env.t.hq_y, c=gid("Claim", claim.id))
    assert typename(answer, "readjudicateClaim") == "NotFoundError"
    await _claim_unchanged(env, claim)


async def case_appeal_claim(env: Env) -> None:
    """Station B (and C of network Y) cannot appeal station A's claim."""
    claim = await _claim(env)
    document = 'mutation($c: ID!) { appealClaim(input: {claimId: $c, reason: "r", evidence: "e"}) { __typename } }'
    for principal in (env.t.manager_b, env.t.manager_c):
        assert typename(await graphql(env.client, document, principal, c=gid("Claim", claim.id)), "appealClaim") == (
            "NotFoundError"
        )
    await _claim_unchanged(env, claim)


async def case_decide_appeal(env: Env) -> None:
    claim = await _claim(env)
    document = 'mutation($c: ID!) { decideAppeal(input: {claimId: $c, grant: true, note: "n"}) { __typename } }'
    answer = await graphql(env.client, document, env.t.hq_y, c=gid("Claim", claim.id))
    assert typename(answer, "decideAppeal") == "NotFoundError"
    await _claim_unchanged(env, claim)


async def _part_return(env: Env) -> PartReturn:
    """An authorised return of a part line of station A's claim."""
    claim = await _claim(env)
    part = Part(id=new_id(), network_id=env.t.network_x, part_number=f"R-{new_id().hex[-6:].upper()}", name_zh="件",
                name_en="part", component_group="G")  # fmt: skip
    env.seed.add(part)
    await env.seed.flush()
    line = await env.seed.scalar(select(ClaimLine).where(ClaimLine.claim_id == claim.id))
    assert line is not None
    row = PartReturn(
        station_id=claim.station_id, id=new_id(), network_id=claim.network_id, claim_id=claim.id,
        claim_line_id=line.id, part_id=part.id, tag_number="TAG-WC2026000001-1", due_on=network_today(),
        send_to="HQ", status="authorised",
    )  # fmt: skip
    env.seed.add(row)
    await env.seed.flush()
    return row


async def _return_unchanged(env: Env, row: PartReturn) -> None:
    status = await env.seed.scalar(text("SELECT status FROM part_returns WHERE id = :i"), {"i": row.id})
    assert status == "authorised"


async def case_part_returns(env: Env) -> None:
    row = await _part_return(env)
    query = "{ partReturns(first: 10) { edges { node { id } } } }"
    for principal, expected in ((env.t.manager_a, [gid("PartReturn", row.id)]), (env.t.hq_x, [gid("PartReturn",
                                row.id)]), (env.t.manager_b, []), (env.t.hq_y, [])):  # fmt: skip
        edges = (await graphql(env.client, query, principal))["data"]["partReturns"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected
    # Its chargeback: station A and HQ X read it, nobody else; a station never writes one.
    chargeback = ClaimChargeback(
        station_id=row.station_id,
        id=new_id(),
        network_id=row.network_id,
        claim_id=row.claim_id,
        part_return_id=row.id,
        amount=100,
        reason="station_fault",
    )
    env.seed.add(chargeback)
    await env.seed.flush()
    for principal, expected_count in ((env.t.manager_a, 1), (env.t.hq_x, 1), (env.t.manager_b, 0), (env.t.hq_y, 0)):
        async with env.scoped(principal.scope) as session:
            assert await session.scalar(text("SELECT count(*) FROM claim_chargebacks")) == expected_count


async def case_request_part_return(env: Env) -> None:
    claim = await _claim(env)
    line = await env.seed.scalar(select(ClaimLine.id).where(ClaimLine.claim_id == claim.id))
    document = "mutation($l: ID!) { requestPartReturn(input: {claimLineId: $l}) { __typename } }"
    answer = await graphql(env.client, document, env.t.hq_y, l=gid("ClaimLine", line))
    assert typename(answer, "requestPartReturn") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM part_returns")) == 0


async def case_ship_part_returns(env: Env) -> None:
    row = await _part_return(env)
    document = 'mutation($r: ID!) { shipPartReturns(input: {returnIds: [$r], carrier: "SF"}) { __typename } }'
    for principal in (env.t.manager_b, env.t.manager_c):
        answer = await graphql(env.client, document, principal, r=gid("PartReturn", row.id))
        assert typename(answer, "shipPartReturns") == "NotFoundError"
    await _return_unchanged(env, row)


async def case_receive_part_return(env: Env) -> None:
    row = await _part_return(env)
    document = "mutation($r: ID!) { receivePartReturn(id: $r) { __typename } }"
    assert typename(await graphql(env.client, document, env.t.hq_y, r=gid("PartReturn", row.id)),
                    "receivePartReturn") == "NotFoundError"  # fmt: skip
    await _return_unchanged(env, row)


async def case_inspect_part_return(env: Env) -> None:
    row = await _part_return(env)
    document = ('mutation($r: ID!) { inspectPartReturn(input: {returnId: $r, verdict: WEAR_AND_TEAR, note: "n"}) '
                "{ __typename } }")  # fmt: skip
    assert typename(await graphql(env.client, document, env.t.hq_y, r=gid("PartReturn", row.id)),
                    "inspectPartReturn") == "NotFoundError"  # fmt: skip
    await _return_unchanged(env, row)


async def _preauthorisation(env: Env) -> ClaimPreauthorisation:
    order = await _repair_order(env)
    row = ClaimPreauthorisation(
        station_id=order.station_id, id=new_id(), network_id=order.network_id, number="PA2026000001",
        repair_order_id=order.id, requested_amount=6000, reason="engine", status="requested",
    )  # fmt: skip
    env.seed.add(row)
    await env.seed.flush()
    return row


async def case_preauthorisations(env: Env) -> None:
    row = await _preauthorisation(env)
    query = "{ preauthorisations(first: 10) { edges { node { id } } } }"
    for principal, expected in ((env.t.manager_a, [gid("Preauthorisation", row.id)]),
                                (env.t.hq_x, [gid("Preauthorisation", row.id)]), (env.t.manager_b, []),
                                (env.t.hq_y, [])):  # fmt: skip
        edges = (await graphql(env.client, query, principal))["data"]["preauthorisations"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected


async def case_request_preauthorisation(env: Env) -> None:
    order = await _repair_order(env)
    document = 'mutation($o: ID!) { requestPreauthorisation(input: {repairOrderId: $o, amount: "10.00", ' \
        'reason: "r"}) { __typename } }'  # fmt: skip
    for principal in (env.t.manager_b, env.t.manager_c):
        answer = await graphql(env.client, document, principal, o=gid("RepairOrder", order.id))
        assert typename(answer, "requestPreauthorisation") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM claim_preauthorisations")) == 0


async def case_decide_preauthorisation(env: Env) -> None:
    row = await _preauthorisation(env)
    document = 'mutation($p: ID!) { decidePreauthorisation(input: {preauthorisationId: $p, approve: false, ' \
        'reason: "no"}) { __typename } }'  # fmt: skip
    answer = await graphql(env.client, document, env.t.hq_y, p=gid("Preauthorisation", row.id))
    assert typename(answer, "decidePreauthorisation") == "NotFoundError"
    status = await env.seed.scalar(text("SELECT status FROM claim_preauthorisations WHERE id = :i"), {"i": row.id})
    assert status == "requested"


# --- A station's DMS clients (tenants) -------------------------------------------------------------------


async def _station_client(env: Env) -> StationClient:
    row = StationClient(
        station_id=env.t.station_a, id=new_id(), network_id=env.t.network_x, client_id=f"dms_{new_id().hex[:12]}",
        name="A's DMS", secret_hash="x", is_active=True,
    )  # fmt: skip
    env.seed.add(row)
    await env.seed.flush()
    return row


async def case_station_clients(env: Env) -> None:
    theirs = await _station_client(env)
    query = "{ stationClients { id } }"
    for principal, expected in ((env.t.manager_a, [gid("StationClient", theirs.id)]), (env.t.hq_x, [gid(
            "StationClient", theirs.id)]), (env.t.manager_b, []), (env.t.hq_y, [])):  # fmt: skip
        found = (await graphql(env.client, query, principal))["data"]["stationClients"]
        assert [c["id"] for c in found] == expected


async def case_create_station_client(env: Env) -> None:
    query = 'mutation { createStationClient(name: "DMS") { __typename } }'
    for principal in (env.t.manager_a, env.t.manager_c):
        assert typename(await graphql(env.client, query, principal), "createStationClient") == "StationClientSecret"
    stations = (await env.seed.execute(text("SELECT station_id FROM station_clients"))).scalars()
    assert sorted(stations) == sorted([env.t.station_a, env.t.station_c])


async def case_deactivate_station_client(env: Env) -> None:
    theirs = await _station_client(env)
    query = "mutation($i: ID!) { deactivateStationClient(id: $i) { __typename } }"
    for principal in (env.t.manager_b, env.t.manager_c):
        body = await graphql(env.client, query, principal, i=gid("StationClient", theirs.id))
        assert typename(body, "deactivateStationClient") == "NotFoundError"
    active = await env.seed.scalar(text("SELECT is_active FROM station_clients WHERE id = :i"), {"i": theirs.id})
    assert active is True


# --- Parts orders (workshop) ---------------------------------------------------------------------------------


async def _parts_order(env: Env, status: str = "submitted") -> PartsOrder:
    """Station A's parts order of one line (written directly)."""
    part = Part(id=new_id(), network_id=env.t.network_x, part_number=f"PO-{new_id().hex[:6].upper()}", name_zh="",
                name_en="p", component_group="G")  # fmt: skip
    env.seed.add(part)
    await env.seed.flush()
    shipped = datetime.now(UTC) if status in ("shipped", "received") else None
    order = PartsOrder(
        station_id=env.t.station_a, id=new_id(), network_id=env.t.network_x, number="PO2026000001", kind="stock",
        status=status, submitted_at=datetime.now(UTC), shipped_at=shipped, carrier="SF" if shipped else "",
    )  # fmt: skip
    env.seed.add(order)
    await env.seed.flush()
    env.seed.add(
        PartsOrderLine(
            station_id=order.station_id, id=new_id(), network_id=order.network_id, parts_order_id=order.id,
            position=1, part_id=part.id, ordered=2, allocated=2 if shipped else None, shipped=2 if shipped else None,
            received=2 if status == "received" else None,
        )
    )  # fmt: skip
    await env.seed.flush()
    return order


async def case_parts_orders(env: Env) -> None:
    order = await _parts_order(env)
    query = "{ partsOrders(first: 10) { edges { node { id } } } }"
    for principal, expected in (
        (env.t.manager_a, [gid("PartsOrder", order.id)]),
        (env.t.hq_x, [gid("PartsOrder", order.id)]),
        (env.t.manager_b, []),
        (env.t.hq_y, []),
    ):
        edges = (await graphql(env.client, query, principal))["data"]["partsOrders"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected


async def case_shipping_accuracy(env: Env) -> None:
    await _parts_order(env, status="received")
    query = "query($m: Date!) { shippingAccuracy(month: $m) { stationId } }"
    month = str(datetime.now(UTC).date())
    for principal, expected in ((env.t.hq_x, [gid("Station", env.t.station_a)]), (env.t.manager_a, [gid(
            "Station", env.t.station_a)]), (env.t.manager_b, []), (env.t.hq_y, [])):  # fmt: skip
        found = (await graphql(env.client, query, principal, m=month))["data"]["shippingAccuracy"]
        assert [f["stationId"] for f in found] == expected


async def case_place_parts_order(env: Env) -> None:
    """Station C (network Y) cannot order network X's part: NOT_FOUND, nothing written."""
    order = await _parts_order(env)
    part = await env.seed.scalar(
        text("SELECT part_id FROM parts_order_lines WHERE parts_order_id = :o"), {"o": order.id}
    )
    query = (
        "mutation($p: ID!) { placePartsOrder(input: {kind: STOCK, lines: [{partId: $p, quantity: 1}]}) { __typename } }"
    )
    body = await graphql(env.client, query, env.t.manager_c, p=gid("Part", part))
    assert typename(body, "placePartsOrder") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM parts_orders")) == 1


def _foreign_parts_step(field: str, document: str, status: str) -> Callable[[Env], Awaitable[None]]:
    """HQ Y (and, for the station's own step, station B) on station A's order by its id: NOT_FOUND, unchanged."""

    async def case(env: Env) -> None:
        order = await _parts_order(env, status=status)
        line = await env.seed.scalar(
            text("SELECT id FROM parts_order_lines WHERE parts_order_id = :o"), {"o": order.id}
        )
        ids = {"o": gid("PartsOrder", order.id), "l": gid("PartsOrderLine", line)}
        for principal in (env.t.hq_y, env.t.manager_b):
            body = await graphql(env.client, document, principal, **ids)
            if "errors" in body:  # a station may not allocate or ship at all
                assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            else:
                assert typename(body, field) == "NotFoundError"
        now = await env.seed.scalar(text("SELECT status FROM parts_orders WHERE id = :o"), {"o": order.id})
        assert now == status

    return case


async def case_suggested_stock_order(env: Env) -> None:
    """Each station hears its own suggestion only: another network's parts never appear in it."""
    foreign = Part(id=new_id(), network_id=env.t.network_y, part_number="Y-1", name_zh="", name_en="y",
                   component_group="G")  # fmt: skip
    env.seed.add(foreign)
    await env.seed.flush()
    for principal in (env.t.manager_a, env.t.manager_c):
        found = (await graphql(env.client, "{ suggestedStockOrder { partId } }", principal))["data"]
        assert gid("Part", foreign.id) not in [s["partId"] for s in found["suggestedStockOrder"]]


PARTS_ORDER_CASES = {
    "allocatePartsOrder": _foreign_parts_step(
        "allocatePartsOrder", "mutation($o: ID!, $l: ID!) { allocatePartsOrder(input: {partsOrderId: $o, lines: "
        "[{lineId: $l, quantity: 1}]}) { __typename } }", "submitted",
    ),
    "shipPartsOrder": _foreign_parts_step(
        "shipPartsOrder", 'mutation($o: ID!) { shipPartsOrder(input: {partsOrderId: $o, carrier: "SF", '
        'trackingNumber: "1"}) { __typename } }', "allocated",
    ),
    "receivePartsOrder": _foreign_parts_step(
        "receivePartsOrder", "mutation($o: ID!) { receivePartsOrder(input: {partsOrderId: $o}) { __typename } }",
        "shipped",
    ),
}  # fmt: skip


# --- Supplier recovery and settlement -----------------------------------------------------------------------


def _supplier(env: Env, partner: UUID, client: UUID, network: UUID) -> Principal:
    """A supplier's API client holding the recovery scopes."""
    claims = AccessClaims(subject=client, network_id=network, role="partner_client", partner_id=partner,
                          client_id=client, scopes=("recovery:read", "recovery:respond"))  # fmt: skip
    return Principal(client, "", network, None, scope_for(claims), env.signer.issue(claims))


async def _partner_user(env: Env, partner: UUID) -> Principal:
    user, membership = new_id(), new_id()
    env.seed.add(User(id=user, email=f"{user.hex}@supplier.test"))
    await env.seed.flush()
    env.seed.add(Membership(id=membership, user_id=user, network_id=env.t.network_x, role="partner_user",
                            partner_id=partner))  # fmt: skip
    await env.seed.flush()
    claims = AccessClaims(subject=user, network_id=env.t.network_x, role="partner_user", membership_id=membership,
                          partner_id=partner)  # fmt: skip
    return Principal(user, "", env.t.network_x, None, scope_for(claims), env.signer.issue(claims))


async def _recovery(env: Env, status: str = "open") -> RecoveryClaim:
    """Supplier P's recovery claim of station A's claim line (written directly)."""
    row = await _part_return(env)
    agreement = RecoveryAgreement(id=new_id(), network_id=env.t.network_x, partner_id=env.pw.partner_p,
                                  component_group="G", part_share=100, labour_share=0, handling_share=0,
                                  effective_from=network_today())  # fmt: skip
    env.seed.add(agreement)
    await env.seed.flush()
    claim = RecoveryClaim(station_id=row.station_id, id=new_id(), network_id=row.network_id,
                          partner_id=env.pw.partner_p, number=f"RC2026{new_id().hex[-6:]}", claim_id=row.claim_id,
                          part_return_id=row.id, agreement_id=agreement.id, part_id=row.part_id, part_number="R",
                          component_group="G", vin="LSVAM418XC2184843", repair_date=network_today(), odometer_km=1,
                          concern="c", cause="c", correction="c", verdict_note="v", status=status,
                          amount=100)  # fmt: skip
    env.seed.add(claim)
    await env.seed.flush()
    env.seed.add(RecoveryClaimLine(station_id=row.station_id, id=new_id(), network_id=row.network_id,
                                   partner_id=env.pw.partner_p, recovery_claim_id=claim.id, position=1, kind="part",
                                   claim_line_id=row.claim_line_id, base_amount=100, share=100, amount=100,
                                   response="disputed" if status == "disputed" else None,
                                   response_reason="r" if status == "disputed" else ""))  # fmt: skip
    await env.seed.flush()
    return claim


async def _line_of(env: Env, claim: RecoveryClaim) -> UUID:
    line = await env.seed.scalar(select(RecoveryClaimLine.id).where(RecoveryClaimLine.recovery_claim_id == claim.id))
    assert line is not None
    return line


async def case_recovery_claims(env: Env) -> None:
    claim = await _recovery(env)
    p = _supplier(env, env.pw.partner_p, env.pw.client_p, env.t.network_x)
    q = _supplier(env, env.pw.partner_q, env.pw.client_q, env.t.network_y)
    query = "{ recoveryClaims(first: 10) { edges { node { id vin } } } }"
    expected = {env.t.hq_x: [(gid("RecoveryClaim", claim.id), claim.vin)],
                p: [(gid("RecoveryClaim", claim.id), "LSV**********4843")], env.t.hq_y: [], q: []}  # fmt: skip
    for principal, rows in expected.items():
        edges = (await graphql(env.client, query, principal))["data"]["recoveryClaims"]["edges"]
        assert [(e["node"]["id"], e["node"]["vin"]) for e in edges] == rows
    station = await graphql(env.client, query, env.t.manager_a)
    assert station["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for principal in (q, env.t.hq_y):
        assert (await graphql(env.client, NODE, principal, id=gid("RecoveryClaim", claim.id)))["data"]["node"] is None
    # A station's role has no grant on it at all; under RLS a supplier reads only its own rows.
    granted = "SELECT has_table_privilege('app_station', :t, 'SELECT')"
    for table in ("recovery_claims", "recovery_claim_lines", "recovery_agreements"):
        assert await env.seed.scalar(text(granted), {"t": table}) is False
    async with env.scoped(q.scope) as session:
        assert await session.scalar(text("SELECT count(*) FROM recovery_claim_lines")) == 0


async def case_recovery_agreements(env: Env) -> None:
    await _recovery(env)
    p = _supplier(env, env.pw.partner_p, env.pw.client_p, env.t.network_x)
    q = _supplier(env, env.pw.partner_q, env.pw.client_q, env.t.network_y)
    query = "{ recoveryAgreements { partnerId } }"
    for principal, count in ((env.t.hq_x, 1), (p, 1), (env.t.hq_y, 0), (q, 0)):
        assert len((await graphql(env.client, query, principal))["data"]["recoveryAgreements"]) == count


async def case_make_recovery_agreement(env: Env) -> None:
    document = """mutation($p: ID!) { makeRecoveryAgreement(input: {partnerId: $p, componentGroup: "G",
      partShare: "100", labourShare: "0", effectiveFrom: "2026-01-01"}) { __typename } }"""
    answer = await graphql(env.client, document, env.t.hq_y, p=gid("Partner", env.pw.partner_p))
    assert typename(answer, "makeRecoveryAgreement") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM recovery_agreements")) == 0


async def case_answer_recovery_claim(env: Env) -> None:
    claim = await _recovery(env)
    q = _supplier(env, env.pw.partner_q, env.pw.client_q, env.t.network_y)
    document = """mutation($c: ID!, $l: ID!) { answerRecoveryClaim(input: {recoveryClaimId: $c, lines: [{lineId: $l,
      response: ACCEPTED}]}) { __typename } }"""
    line = await _line_of(env, claim)
    answer = await graphql(env.client, document, q, c=gid("RecoveryClaim", claim.id), l=gid("RecoveryClaimLine", line))
    assert typename(answer, "answerRecoveryClaim") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM recovery_claim_lines WHERE response IS NOT NULL")) == 0


async def case_resolve_recovery_claim(env: Env) -> None:
    claim = await _recovery(env, status="disputed")
    document = """mutation($c: ID!, $l: ID!) { resolveRecoveryClaim(input: {recoveryClaimId: $c, lines: [{lineId: $l,
      resolution: WAIVED, note: "n"}]}) { __typename } }"""
    line = await _line_of(env, claim)
    answer = await graphql(env.client, document, env.t.hq_y, c=gid("RecoveryClaim", claim.id),
                           l=gid("RecoveryClaimLine", line))  # fmt: skip
    assert typename(answer, "resolveRecoveryClaim") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT count(*) FROM recovery_claim_lines WHERE resolution IS NOT NULL")) == 0


async def _approved_claim(env: Env) -> Claim:
    claim = await _claim(env)
    await env.seed.execute(text("UPDATE claims SET status = 'approved', approved_amount = 100, decided_at = now() "
                                "WHERE id = :i"), {"i": claim.id})  # fmt: skip
    await env.seed.execute(text("UPDATE claim_lines SET approved_amount = 100 WHERE claim_id = :i"), {"i": claim.id})
    return claim


async def _settlement(env: Env) -> Settlement:
    claim = await _approved_claim(env)
    line = await env.seed.scalar(select(ClaimLine.id).where(ClaimLine.claim_id == claim.id))
    row = Settlement(station_id=claim.station_id, id=new_id(), network_id=claim.network_id, number="ST-A",
                     claims_amount=100, adjustments_amount=0, chargebacks_amount=0, total=100, line_count=1,
                     period_start=network_today(), period_end=network_today(), status="published")  # fmt: skip
    env.seed.add(row)
    await env.seed.flush()
    env.seed.add(SettlementLine(station_id=claim.station_id, id=new_id(), network_id=claim.network_id,
                                settlement_id=row.id, kind="claim_line", claim_id=claim.id, claim_line_id=line,
                                amount=100, description="WC line 1"))  # fmt: skip
    await env.seed.flush()
    return row


async def case_settlements(env: Env) -> None:
    row = await _settlement(env)
    query = "{ settlements(first: 10) { edges { node { id lines { amount } } } } }"
    mine = [gid("Settlement", row.id)]
    for principal, expected in ((env.t.manager_a, mine), (env.t.hq_x, mine), (env.t.manager_b, []), (env.t.hq_y, [])):
        edges = (await graphql(env.client, query, principal))["data"]["settlements"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected
    for principal in (env.t.manager_b, env.t.hq_y):
        response = await env.client.get(f"/settlements/{gid('Settlement', row.id)}/statement.pdf",
                                        headers={"Authorization": f"Bearer {principal.token}"})  # fmt: skip
        assert response.status_code == 404


async def _statement(env: Env) -> RecoveryStatement:
    claim = await _recovery(env, status="agreed")
    row = RecoveryStatement(id=new_id(), network_id=env.t.network_x, partner_id=env.pw.partner_p, number="RS-P",
                            amount=100, claim_count=1, period_start=network_today(), period_end=network_today(),
                            status="published")  # fmt: skip
    env.seed.add(row)
    await env.seed.flush()
    await env.seed.execute(text("UPDATE recovery_claims SET statement_id = :s WHERE id = :i"),
                           {"s": row.id, "i": claim.id})  # fmt: skip
    return row


async def case_recovery_statements(env: Env) -> None:
    row = await _statement(env)
    p = _supplier(env, env.pw.partner_p, env.pw.client_p, env.t.network_x)
    q = _supplier(env, env.pw.partner_q, env.pw.client_q, env.t.network_y)
    query = "{ recoveryStatements(first: 10) { edges { node { id recoveryClaims { number } } } } }"
    mine = [gid("RecoveryStatement", row.id)]
    for principal, expected in ((env.t.hq_x, mine), (p, mine), (env.t.hq_y, []), (q, [])):
        edges = (await graphql(env.client, query, principal))["data"]["recoveryStatements"]["edges"]
        assert [e["node"]["id"] for e in edges] == expected
    response = await env.client.get(f"/recovery-statements/{gid('RecoveryStatement', row.id)}/statement.xlsx",
                                    headers={"Authorization": f"Bearer {q.token}"})  # fmt: skip
    assert response.status_code == 404


RUN_SETTLEMENT = """mutation($d: Date!) { runSettlement(input: {periodStart: $d, periodEnd: $d}) { __typename
  ... on SettlementRunSuccess { settlements { id } } } }"""


async def case_run_settlement(env: Env) -> None:
    await _approved_claim(env)
    today = network_today().isoformat()
    theirs = await graphql(env.client, RUN_SETTLEMENT, env.t.hq_y, d=today)
    assert theirs["data"]["runSettlement"]["settlements"] == []  # network Y has nothing; X's claim is not its
    assert await env.seed.scalar(text("SELECT count(*) FROM settlements")) == 0
    ours = await graphql(env.client, RUN_SETTLEMENT, env.t.hq_x, d=today)
    assert len(ours["data"]["runSettlement"]["settlements"]) == 1


async def case_acknowledge_settlement(env: Env) -> None:
    row = await _settlement(env)
    document = "mutation($s: ID!) { acknowledgeSettlement(id: $s) { __typename } }"
    answer = await graphql(env.client, document, env.t.manager_b, s=gid("Settlement", row.id))
    assert typename(answer, "acknowledgeSettlement") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT status FROM settlements")) == "published"


PAYMENT = (
    """mutation($s: ID!, $d: Date!) {{ {field}(input: {{id: $s, paidOn: $d, reference: "R"}}) {{ __typename }} }}"""
)


async def case_record_settlement_payment(env: Env) -> None:
    row = await _settlement(env)
    await env.seed.execute(text("UPDATE settlements SET status = 'acknowledged', acknowledged_at = now()"))
    document = PAYMENT.format(field="recordSettlementPayment")
    answer = await graphql(env.client, document, env.t.hq_y, s=gid("Settlement", row.id), d=network_today().isoformat())
    assert typename(answer, "recordSettlementPayment") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT status FROM settlements")) == "acknowledged"


async def case_run_recovery_statements(env: Env) -> None:
    await _recovery(env, status="agreed")
    document = """mutation($d: Date!) { runRecoveryStatements(input: {periodStart: $d, periodEnd: $d}) {
      ... on RecoveryStatementRunSuccess { recoveryStatements { id } } } }"""
    theirs = await graphql(env.client, document, env.t.hq_y, d=network_today().isoformat())
    assert theirs["data"]["runRecoveryStatements"]["recoveryStatements"] == []
    assert await env.seed.scalar(text("SELECT count(*) FROM recovery_statements")) == 0


async def case_acknowledge_recovery_statement(env: Env) -> None:
    row = await _statement(env)
    q = _supplier(env, env.pw.partner_q, env.pw.client_q, env.t.network_y)
    document = "mutation($s: ID!) { acknowledgeRecoveryStatement(id: $s) { __typename } }"
    answer = await graphql(env.client, document, q, s=gid("RecoveryStatement", row.id))
    assert typename(answer, "acknowledgeRecoveryStatement") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT status FROM recovery_statements")) == "published"


async def case_record_recovery_payment(env: Env) -> None:
    row = await _statement(env)
    await env.seed.execute(text("UPDATE recovery_statements SET status = 'acknowledged', acknowledged_at = now()"))
    document = PAYMENT.format(field="recordRecoveryPayment")
    answer = await graphql(env.client, document, env.t.hq_y, s=gid("RecoveryStatement", row.id),
                           d=network_today().isoformat())  # fmt: skip
    assert typename(answer, "recordRecoveryPayment") == "NotFoundError"
    assert await env.seed.scalar(text("SELECT status FROM recovery_statements")) == "acknowledged"


async def case_station_claim_rates(env: Env) -> None:
    month = network_today().replace(day=1)
    for station, network in ((env.t.station_a, env.t.network_x), (env.t.station_c, env.t.network_y)):
        await env.seed.execute(
            text("INSERT INTO station_claim_rates (station_id, month, network_id, claims, repair_orders, rate, "
                 "network_rate, spiking) VALUES (:s, :m, :n, 6, 6, 100, 10, true)"),
            {"s": station, "m": month, "n": network},
        )  # fmt: skip
    query = "{ stationClaimRates { stationId spiking } }"
    a, c = gid("Station", env.t.station_a), gid("Station", env.t.station_c)
    for principal, expected in ((env.t.hq_x, [a]), (env.t.manager_a, [a]), (env.t.manager_b, []), (env.t.hq_y, [c])):
        rows = (await graphql(env.client, query, principal))["data"]["stationClaimRates"]
        assert [r["stationId"] for r in rows] == expected


RECOVERY_CASES = {
    "stationClaimRates": case_station_claim_rates,
    "recoveryClaims": case_recovery_claims,
    "recoveryAgreements": case_recovery_agreements,
    "makeRecoveryAgreement": case_make_recovery_agreement,
    "answerRecoveryClaim": case_answer_recovery_claim,
    "resolveRecoveryClaim": case_resolve_recovery_claim,
    "settlements": case_settlements,
    "recoveryStatements": case_recovery_statements,
    "runSettlement": case_run_settlement,
    "acknowledgeSettlement": case_acknowledge_settlement,
    "recordSettlementPayment": case_record_settlement_payment,
    "runRecoveryStatements": case_run_recovery_statements,
    "acknowledgeRecoveryStatement": case_acknowledge_recovery_statement,
    "recordRecoveryPayment": case_record_recovery_payment,
}


CASES: dict[str, Callable[[Env], Awaitable[None]]] = {
    "viewer": case_viewer,
    "stations": case_stations,
    "node": case_node,
    "regions": case_regions,
    "journal": case_journal,
    "partners": case_partners,
    "apiClients": case_api_clients,
    "inviteUser": case_invite_user,
    "acceptInvitation": case_accept_invitation,
    "registerApplicant": case_register_applicant,
    "verifyRegistration": case_verify_registration,
    "stationProfile": case_station_profile,
    "onboardingOverdue": case_onboarding_overdue,
    "onboardingRules": case_onboarding_rules,
    "setOnboardingRules": case_set_onboarding_rules,
    "profileChanges": case_profile_changes,
    "recordProfileChange": case_record_profile_change,
    "fileProfileChange": case_file_profile_change,
    "decideProfileChange": case_decide_profile_change,
    "deactivateUser": case_deactivate_user,
    "unlockSignIn": case_unlock_sign_in,
    "createRegion": case_create_region,
    "setStationRegion": case_set_station_region,
    "createApiClient": case_create_api_client,
    "rotateApiClientSecret": case_rotate_api_client_secret,
    "deactivateApiClient": case_deactivate_api_client,
    "registerPersistedQuery": case_register_persisted_query,
    "identityProviders": case_identity_providers,
    "configureIdentityProvider": case_configure_identity_provider,
    "startMfaEnrollment": case_start_mfa_enrollment,
    "confirmMfaEnrollment": case_confirm_mfa_enrollment,
    "parts": case_parts,
    "vehicle": case_vehicle,
    "vehicles": case_vehicles,
    "registerVehicle": case_register_vehicle,
    "correctVehicle": case_correct_vehicle,
    "customers": case_customers,
    "stationClients": case_station_clients,
    "createStationClient": case_create_station_client,
    "deactivateStationClient": case_deactivate_station_client,
    "createCustomer": case_create_customer,
    "updateCustomer": case_update_customer,
    "repairOrders": case_repair_orders,
    "receiveVehicle": case_receive_vehicle,
    **REPAIR_ORDER_CASES,
    "partsOrders": case_parts_orders,
    "shippingAccuracy": case_shipping_accuracy,
    "placePartsOrder": case_place_parts_order,
    "suggestedStockOrder": case_suggested_stock_order,
    **PARTS_ORDER_CASES,
    "claims": case_claims,
    "claimReviewQueue": case_claim_review_queue,
    "raiseClaim": case_raise_claim,
    "submitClaim": case_submit_claim,
    "decideClaim": case_decide_claim,
    "readjudicateClaim": case_readjudicate_claim,
    "preauthorisations": case_preauthorisations,
    "appealClaim": case_appeal_claim,
    "partReturns": case_part_returns,
    "requestPartReturn": case_request_part_return,
    "shipPartReturns": case_ship_part_returns,
    "receivePartReturn": case_receive_part_return,
    "inspectPartReturn": case_inspect_part_return,
    "decideAppeal": case_decide_appeal,
    "requestPreauthorisation": case_request_preauthorisation,
    "decidePreauthorisation": case_decide_preauthorisation,
    **RECOVERY_CASES,
    "serviceBom": case_service_bom,
    "createPart": case_create_part,
    "supersedePart": case_supersede_part,
    "setServiceBomLine": case_set_service_bom_line,
    "publications": case_publications,
    "priceAsOf": case_price_as_of,
    "draftPriceList": case_draft_price_list,
    "setPartPrice": case_set_part_price,
    "publish": case_publish,
    "acknowledgePublication": case_acknowledge_publication,
    "withdrawPublication": case_withdraw_publication,
    "labourOperations": case_labour_operations,
    "createLabourOperation": case_create_labour_operation,
    "imports": case_imports,
    "minimumStock": case_minimum_stock,
    "myApplication": case_my_application,
    "developmentPlan": case_development_plan,
    "myLetterOfIntent": case_my_letter_of_intent,
    "setRegionQuota": case_set_region_quota,
    "planSiteVisit": case_plan_site_visit,
    "recordSiteVisit": case_record_site_visit,
    "castCommitteeVote": case_cast_committee_vote,
    "changeCommitteeVote": case_change_committee_vote,
    "committeeMembers": case_committee_members,
    "appointCommitteeMember": case_appoint_committee_member,
    "removeCommitteeMember": case_remove_committee_member,
    "decideCommittee": case_decide_committee,
    "placeStartupOrder": case_place_startup_order,
    "confirmStartupDelivery": case_confirm_startup_delivery,
    "inspectAcceptance": case_inspect_acceptance,
    "signContract": case_sign_contract,
    "changeStationStanding": case_change_station_standing,
    "dispatchCheck": case_dispatch_check,
    "tierRepairLevels": case_tier_repair_levels,
    "setTierRepairLevels": case_set_tier_repair_levels,
    "recordStaffCertificate": case_record_staff_certificate,
    "applications": case_applications,
    "rubric": case_rubric,
    "createRubric": case_create_rubric,
    "updateApplication": case_update_application,
    "submitApplication": case_submit_application,
    "scoreApplication": case_score_application,
    "reopenApplication": case_reopen_application,
    "draftPriceCoefficients": case_draft_price_coefficients,
    "setPriceCoefficient": case_set_price_coefficient,
    "draftStockRules": case_draft_stock_rules,
    "setStockRule": case_set_stock_rule,
    "setVehiclePopulation": case_set_vehicle_population,
    "setMinimumStockOverride": case_set_minimum_stock_override,
    "policyAsOf": case_policy_as_of,
    "draftLabourRates": case_draft_labour_rates,
    "setLabourRate": case_set_labour_rate,
    "draftWarrantyPolicy": case_draft_warranty_policy,
    "setWarrantyCoverage": case_set_warranty_coverage,
    "draftServiceCommitments": case_draft_service_commitments,
    "draftBulletin": case_draft_bulletin,
    "notifications": case_notifications,
    "markNotificationRead": case_mark_notification_read,
}


def test_every_root_field_has_a_case() -> None:
    assert {op.name for op in operations()} == set(CASES)


@pytest.mark.parametrize("field", sorted(CASES))
async def test_root_field_is_isolated(
    client: httpx.AsyncClient,
    tenants: Tenants,
    partner_world: PartnerWorld,
    seed: AsyncSession,
    scoped: Callable[[Scope | None], AbstractAsyncContextManager[AsyncSession]],
    signer: TokenSigner,
    redis: ArqRedis,
    field: str,
) -> None:
    await CASES[field](Env(client, tenants, partner_world, seed, scoped, signer))


async def test_a_cursor_cannot_widen_the_scope(client: httpx.AsyncClient, tenants: Tenants) -> None:
    query = "query($after: String) { stations(first: 1, after: $after) { edges { node { code } cursor } } }"
    first = (await graphql(client, query, tenants.hq_x))["data"]["stations"]["edges"][0]["cursor"]

    as_station = await graphql(client, query, tenants.manager_a, after=first)
    as_other_network = await graphql(client, query, tenants.hq_y, after=first)

    assert {e["node"]["code"] for e in as_station["data"]["stations"]["edges"]} <= {"SH01"}
    assert {e["node"]["code"] for e in as_other_network["data"]["stations"]["edges"]} <= {"SH01"}
