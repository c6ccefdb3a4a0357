"""The network's counters and onboarding rules against real PostgreSQL: concurrent issuers take different
numbers (the second waits for the first), a rolled-back issue hands its number back, each network counts
on its own; the rules change in one journaled step or not at all."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from dealernet.core.db import make_sessionmaker
from dealernet.core.errors import ValidationFailed
from dealernet.core.journal import JournalEntry
from dealernet.core.scope import DbRole, Scope
from dealernet.network.service import numbering, rubrics
from tests.conftest import Scoped, Tenants


async def test_concurrent_issuers_take_consecutive_numbers(
    engine: AsyncEngine, committed_network: Scope, tenants: Tenants, scoped: Scoped
) -> None:
    """Committed for real: each issuer its own connection; the second waits on the counter's row."""
    maker = make_sessionmaker(engine)
    hq = Scope(db_role=DbRole.oem, network_id=committed_network.network_id, role="hq_admin")
    network = committed_network.network_id
    assert network is not None

    async def issue() -> int:
        async with maker(info={"scope": hq}) as session:
            number = await numbering.next_in_series(session, network, "authorisation")
            await asyncio.sleep(0.05)  # hold the row while the others ask
            await session.commit()
            return number

    assert sorted(await asyncio.gather(*(issue() for _ in range(5)))) == [1, 2, 3, 4, 5]
    async with maker(info={"scope": hq}) as session:
        assert await numbering.next_in_series(session, network, "authorisation") == 6
        await session.rollback()  # handed back
    async with maker(info={"scope": hq}) as session:
        assert await numbering.next_in_series(session, network, "authorisation") == 6
        await session.commit()
    async with scoped(tenants.hq_y.scope) as session:  # another network counts on its own
        assert await numbering.next_in_series(session, tenants.network_y, "authorisation") == 1


async def test_onboarding_rules_change_together_and_are_journaled(
    scoped: Scoped, seed: AsyncSession, tenants: Tenants
) -> None:
    hq = tenants.hq_x.scope
    async with scoped(hq) as session:
        with pytest.raises(ValidationFailed) as bad:
            await rubrics.set_onboarding_rules(
                session,
                hq,
                {"committee_quorum": 9, "committee_majority": Decimal(1), "application_pass_mark": Decimal("60.001")},
            )
        assert set(bad.value.api_fields()) == {
            "committeeQuorum",
            "committeeMajority",
            "applicationPassMark",
        }
        with pytest.raises(ValidationFailed):
            await rubrics.set_onboarding_rules(session, hq, {"authorisation_number_format": "{network}"})
        changed = await rubrics.set_onboarding_rules(
            session,
            hq,
            {"application_pass_mark": Decimal(70), "authorisation_number_format": "SC{year}{seq:5}"},
        )
        await session.commit()
        assert (changed.application_pass_mark, changed.committee_quorum) == (Decimal(70), 3)
    entry = (await seed.scalars(select(JournalEntry).where(JournalEntry.action == "onboarding_rules_changed"))).one()
    assert entry.before["application_pass_mark"] == "60.00"
    assert entry.after["authorisation_number_format"] == "SC{year}{seq:5}"
    async with scoped(tenants.manager_a.scope) as session:
        seen = await rubrics.onboarding_rules(session, tenants.manager_a.scope)
        assert seen.authorisation_number_format == "SC{year}{seq:5}"
