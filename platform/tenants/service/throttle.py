"""Failed-login throttling with Redis counters (docs/security.md AUTH-2, AUTH-11), after NIST 800-63B:

- per account *and* client address (`lock_after`, 10): a stranger guessing from their address locks only
  themselves out, never the account's owner elsewhere — nor a partner's API client from its own servers;
- per account across addresses (`account_lock_after`, 100, NIST's ceiling): a distributed guess is stopped
  too; HQ (or the station's manager) unlocks the account at once (`unlock`), else the window ends it;
- per address across accounts (`address_lock_after`, 100): one address guessing many accounts.

Each attempt is counted, atomically, *before* its password is checked (`begin`), so a burst of parallel
attempts gets no more checks than the limit; a success takes its count back (`succeeded`). Past
`slow_after` failures every further attempt waits a little longer. A locked account answers exactly like a
wrong password, so locking reveals nothing either.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis

from dealernet.core.settings import Settings


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int = 900
    slow_after: int = 3
    lock_after: int = 10  # per account and client address
    account_lock_after: int = 100  # per account, across addresses: NIST 800-63B allows at most 100
    address_lock_after: int = 100  # per client address, across accounts
    max_delay_seconds: float = 2.0


def policy_of(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(
        window_seconds=settings.login_window_seconds,
        lock_after=settings.login_lock_after,
        account_lock_after=settings.login_account_lock_after,
        address_lock_after=settings.login_address_lock_after,
    )


class LoginThrottle:
    def __init__(self, redis: Redis, policy: ThrottlePolicy) -> None:
        self.redis, self.policy = redis, policy

    @staticmethod
    def _account_key(email: str) -> str:
        # Hashed: the counters must not turn Redis into a list of e-mail addresses.
        return "dealernet:login:account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()

    @staticmethod
    def _address_key(address: str) -> str:
        return "dealernet:login:address:" + address

    @classmethod
    def _pair_key(cls, email: str, address: str) -> str:
        return cls._account_key(email).replace(":account:", ":pair:") + ":" + address

    def _keys(self, email: str, address: str) -> tuple[str, str, str]:
        return self._pair_key(email, address), self._account_key(email), self._address_key(address)

    async def failures(self, email: str, address: str) -> tuple[int, int, int]:
        """The attempts counted now: (this account from this address, this account, this address)."""
        pair, account, by_address = await self.redis.mget(*self._keys(email, address))
        return int(pair or 0), int(account or 0), int(by_address or 0)

    async def begin(self, email: str, address: str) -> bool:
        """Count this attempt before its check; True when it is within all three limits."""
        window = self.policy.window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(email, address):
                # The window starts at the first attempt (SET NX; EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
            _, pair, _, account, _, by_address = await pipe.execute()
        policy = self.policy
        return (
            int(pair) <= policy.lock_after
            and int(account) <= policy.account_lock_after
            and int(by_address) <= policy.address_lock_after
        )

    async def succeeded(self, email: str, address: str) -> None:
        """The password was right: the account starts afresh (here and across addresses), and the address is
        not charged for it."""
        await self.redis.delete(self._pair_key(email, address), self._account_key(email))
        await self._take_back(self._address_key(address))

    async def not_a_failure(self, email: str, address: str) -> None:
        """The password was right but a second factor is still needed: take the attempt back."""
        await self._take_back(*self._keys(email, address))

    async def unlock(self, email: str) -> int:
        """Lift every lock on the account, from every address (its people's unlock path); the counters gone."""
        keys = [self._account_key(email)]
        keys += [key async for key in self.redis.scan_iter(match=self._pair_key(email, "*"), count=1_000)]
        return int(await self.redis.delete(*keys))

    async def _take_back(self, *keys: str) -> None:
        # A counter whose window ended meanwhile is created again with one, so DECR never leaves a key
        # behind without an expiry.
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.set(key, 1, ex=self.policy.window_seconds, nx=True)
                pipe.decr(key)
            await pipe.execute()

    async def slow_down(self, email: str, address: str) -> None:
        """Wait before answering an attempt that follows several failures (grows with each one)."""
        pair, _, by_address = await self.failures(email, address)
        excess = max(pair - self.policy.slow_after, by_address - self.policy.address_lock_after // 2, 0)
        if excess:
            await asyncio.sleep(min(0.1 * 2 ** (excess - 1), self.policy.max_delay_seconds))


async def spend(redis: Redis, key: str, *, limit: int, window_seconds: int) -> int:
    """Count one attempt against `key` (at most `limit` per window, which starts at the first attempt).
    Returns 0 if allowed, else the seconds until the window ends."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = await pipe.execute()
    return 0 if count <= limit else max(int(ttl), 1)
