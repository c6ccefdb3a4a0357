"""Failed-login throttling over HTTP with real Redis counters (docs/security.md AUTH-2)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from arq import ArqRedis
from strawberry import relay

from dealernet.core.db import new_id
from dealernet.core.settings import Settings
from dealernet.tenants.service.throttle import LoginThrottle, ThrottlePolicy, policy_of
from tests.conftest import Serve, Tenants, graphql
from tests.factories import PASSWORD

LOCK_AFTER = 3
ADDRESS_LOCK_AFTER = 5


@pytest.fixture
async def strict(settings: Settings, serve: Serve) -> AsyncIterator[httpx.AsyncClient]:
    tight = settings.model_copy(update={"login_lock_after": LOCK_AFTER, "login_address_lock_after": ADDRESS_LOCK_AFTER})
    async with serve(tight) as http:
        yield http


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/auth/token", data={"grant_type": "password", "username": email, "password": password})


async def test_a_locked_account_answers_like_a_wrong_password(strict: httpx.AsyncClient, tenants: Tenants) -> None:
    email = tenants.manager_a.email
    failures = [await login(strict, email, "wrong") for _ in range(LOCK_AFTER)]

    locked = await login(strict, email, PASSWORD)
    other_account = await login(strict, tenants.manager_b.email, PASSWORD)

    assert [r.status_code for r in failures] == [401] * LOCK_AFTER
    assert locked.status_code == 401
    assert locked.json() == failures[0].json()
    assert other_account.status_code == 200


async def test_a_success_before_the_lock_resets_the_count(strict: httpx.AsyncClient, tenants: Tenants) -> None:
    email = tenants.manager_a.email
    for _ in range(LOCK_AFTER - 1):
        await login(strict, email, "wrong")
    assert (await login(strict, email, PASSWORD)).status_code == 200

    for _ in range(LOCK_AFTER - 1):
        await login(strict, email, "wrong")
    assert (await login(strict, email, PASSWORD)).status_code == 200


async def test_an_address_guessing_across_accounts_is_locked(strict: httpx.AsyncClient, tenants: Tenants) -> None:
    for n in range(ADDRESS_LOCK_AFTER):
        await login(strict, f"guess{n}@example.test", "wrong")

    assert (await login(strict, tenants.hq_x.email, PASSWORD)).status_code == 401


async def test_counters_do_not_store_e_mail_addresses(
    strict: httpx.AsyncClient, tenants: Tenants, redis: ArqRedis
) -> None:
    await login(strict, tenants.manager_a.email, "wrong")

    keys = [key.decode() for key in await redis.keys("dealernet:login:*")]
    assert len(keys) == 3  # the account from this address, the account, the address
    assert not any(tenants.manager_a.email in key for key in keys)


async def test_a_burst_gets_no_more_checks_than_the_limit(redis: ArqRedis) -> None:
    """Issue 14 item 1: 95 parallel wrong passwords and the right one were all checked, and the right one was
    accepted. Attempts are counted atomically before the check: of a burst, only `lock_after` go through."""
    throttle = LoginThrottle(redis, ThrottlePolicy(lock_after=10, account_lock_after=10, address_lock_after=1_000))
    email = f"burst-{new_id()}@example.test"
    allowed = await asyncio.gather(*(throttle.begin(email, f"10.0.0.{n % 7}") for n in range(96)))
    assert sum(allowed) == 10
    await throttle.succeeded(email, "10.0.0.1")  # a right password takes the account's count back
    assert await throttle.begin(email, "10.0.0.1") is True


async def test_taking_an_attempt_back_never_leaves_a_counter_without_expiry(redis: ArqRedis) -> None:
    throttle = LoginThrottle(redis, ThrottlePolicy())
    address = f"10.9.{new_id().int % 250}.1"  # no counter yet: its window ended, or it never began
    await throttle.succeeded(f"late-{new_id()}@example.test", address)
    key = LoginThrottle._address_key(address)
    assert int(await redis.get(key)) == 0
    assert 0 < await redis.ttl(key) <= ThrottlePolicy().window_seconds


async def test_a_strangers_guesses_lock_only_the_strangers_address(redis: ArqRedis) -> None:
    """Issue 14 item 2: 12 wrong secrets locked a partner's client for 900 s, the right secret included.
    Locks are per (account, address); a higher per-account ceiling stops a distributed guess."""
    throttle = LoginThrottle(redis, ThrottlePolicy(lock_after=3, account_lock_after=7, address_lock_after=1_000))
    client_id = f"demo-supplier-{new_id()}"
    stranger, owner = "203.0.113.9", "198.51.100.4"
    assert [await throttle.begin(client_id, stranger) for _ in range(4)] == [True, True, True, False]
    assert await throttle.begin(client_id, owner) is True  # the client's own servers still get in
    await throttle.succeeded(client_id, owner)

    # Guessing from many addresses reaches the account's ceiling: locked everywhere, until unlocked.
    spread = [await throttle.begin(client_id, f"192.0.2.{n}") for n in range(8)]
    assert spread == [True] * 7 + [False]
    assert await throttle.begin(client_id, owner) is False
    assert await throttle.unlock(client_id) >= 1
    assert await throttle.begin(client_id, owner) is True
    assert await throttle.begin(client_id, stranger) is True  # unlocking lifts the stranger's pair too


async def test_hq_unlocks_a_locked_account(settings: Settings, serve: Serve, tenants: Tenants, redis: ArqRedis) -> None:
    tight = settings.model_copy(update={"login_lock_after": 50, "login_account_lock_after": 3})
    email = tenants.manager_a.email
    async with serve(tight) as http:
        throttle = LoginThrottle(redis, policy_of(tight))
        for n in range(3):
            await throttle.begin(email, f"192.0.2.{n}")  # a distributed guess spent the account's ceiling
        assert (await login(http, email, PASSWORD)).status_code == 401
        query = "mutation($u: ID!) { unlockSignIn(userId: $u) { __typename ... on SignInUnlocked { email } } }"
        user = str(relay.GlobalID("User", str(tenants.manager_a.user_id)))
        foreign = await graphql(http, query, tenants.hq_y, u=user)  # another network's HQ: no such user
        assert foreign["data"]["unlockSignIn"]["__typename"] == "NotFoundError"
        done = await graphql(http, query, tenants.hq_x, u=user)
        assert done["data"]["unlockSignIn"] == {"__typename": "SignInUnlocked", "email": email}
        assert (await login(http, email, PASSWORD)).status_code == 200
