"""The change journal: append-only for the app roles (SECURITY.md INT-8) and a hash chain that finds
tampering (INT-9), also under concurrent writers."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dealernet.core import journal
from dealernet.core.db import make_sessionmaker, new_id
from dealernet.core.scope import SEED_SCOPE, Scope
from tests.conftest import Scoped, Tenants


async def _write(scoped: Scoped, scope: Scope, n: int) -> None:
    async with scoped(scope) as session:
        for _ in range(n):
            await journal.record(session, scope, entity="test", entity_id=new_id(), action="touched", after={"n": 1})
        await session.commit()


@pytest.mark.parametrize("statement", ["UPDATE journal SET action = 'x'", "DELETE FROM journal", "TRUNCATE journal"])
@pytest.mark.parametrize("principal", ["hq_x", "manager_a"])
async def test_int8_the_app_roles_cannot_change_or_remove_journal_rows(
    scoped: Scoped, tenants: Tenants, principal: str, statement: str
) -> None:
    scope = getattr(tenants, principal).scope
    await _write(scoped, scope, 1)
    async with scoped(scope) as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text(statement))


async def test_rows_are_numbered_and_chained_per_network(scoped: Scoped, seed: AsyncSession, tenants: Tenants) -> None:
    await _write(scoped, tenants.manager_a.scope, 2)
    await _write(scoped, tenants.hq_x.scope, 1)
    await _write(scoped, tenants.hq_y.scope, 1)
    rows = (
        await seed.execute(
            text(
                "SELECT network_id, seq, station_id FROM journal WHERE network_id IN (:x, :y) ORDER BY network_id, seq"
            ),
            {"x": tenants.network_x, "y": tenants.network_y},
        )
    ).all()
    by_network = {n: [r.seq for r in rows if r.network_id == n] for n in (tenants.network_x, tenants.network_y)}
    assert by_network == {tenants.network_x: [1, 2, 3], tenants.network_y: [1]}
    assert [r.station_id for r in rows if r.network_id == tenants.network_x] == [tenants.station_a] * 2 + [None]
    checked, breaks = await journal.verify_chain(seed)
    assert checked >= 4
    assert breaks == []


async def test_a_station_cannot_write_a_row_for_another_station(scoped: Scoped, tenants: Tenants) -> None:
    scope = tenants.manager_a.scope
    async with scoped(scope) as session:
        with pytest.raises(DBAPIError, match="row-level security"):
            await journal.record(
                session, scope, entity="t", entity_id=new_id(), action="x", station_id=tenants.station_b
            )


@pytest.mark.parametrize(
    ("tamper", "at", "reason"),
    [
        ("UPDATE journal SET after = '{\"n\": 2}' WHERE network_id = :n AND seq = 2", 2, "content"),
        ("DELETE FROM journal WHERE network_id = :n AND seq = 2", 3, "link"),  # found at the row after the gap
        ("DELETE FROM journal WHERE network_id = :n AND seq = 3", 3, "end of the chain"),
    ],
)
async def test_int9_tampering_is_found_at_the_row(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants, tamper: str, at: int, reason: str
) -> None:
    await _write(scoped, tenants.hq_x.scope, 3)
    await _write(scoped, tenants.hq_y.scope, 2)
    # The seed role (or the owner, or a superuser) can do this: the chain must show it.
    await seed.execute(text(tamper), {"n": tenants.network_x})

    _, breaks = await journal.verify_chain(seed)

    assert [(b.network_id, b.seq) for b in breaks] == [(tenants.network_x, at)]
    assert reason in breaks[0].reason


async def test_int9_concurrent_writers_never_fork_the_chain(engine: AsyncEngine, committed_network: Scope) -> None:
    maker = make_sessionmaker(engine)

    async def writer() -> None:
        for _ in range(5):
            async with maker(info={"scope": committed_network}) as session:
                await journal.record(session, committed_network, entity="t", entity_id=new_id(), action="x")
                await session.commit()

    await asyncio.gather(*(writer() for _ in range(8)))

    async with maker(info={"scope": SEED_SCOPE}) as session:
        seqs = list(
            await session.scalars(
                text("SELECT seq FROM journal WHERE network_id = :n ORDER BY seq"), {"n": committed_network.network_id}
            )
        )
        _, breaks = await journal.verify_chain(session)
    assert seqs == list(range(1, 41))
    assert [b for b in breaks if b.network_id == committed_network.network_id] == []
