"""Failed-login throttling with Redis counters, per account and per client address (docs/security.md AUTH-2).

Each attempt is counted against the account and the address, atomically, *before* its password is
checked (`begin`), so a burst of parallel attempts gets no more checks than the limit; a success takes its
count back (`succeeded`). Past `slow_after` failures every further attempt waits a little longer; past
`lock_after` attempts the account (or address) is locked until the window ends. A locked account answers
exactly like a wrong password, so locking reveals nothing either.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: int = 900
    slow_after: int = 3
    lock_after: int = 10  # per account; NIST 800-63B allows at most 100
    address_lock_after: int = 100  # per client address, across accounts
    max_delay_seconds: float = 2.0


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

    async def failures(self, email: str, address: str) -> tuple[int, int]:
        account, by_address = await self.redis.mget(self._account_key(email), self._address_key(address))
        return int(account or 0), int(by_address or 0)

    async def begin(self, email: str, address: str) -> bool:
        """Count this attempt before its check; True when it is within both limits."""
        window = self.policy.window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (self._account_key(email), self._address_key(address)):
                # The window starts at the first attempt (SET NX; EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
            _, account, _, by_address = await pipe.execute()
        return int(account) <= self.policy.lock_after and int(by_address) <= self.policy.address_lock_after

    async def succeeded(self, email: str, address: str) -> None:
        """The password was right: the account starts afresh and the address is not charged for it."""
        await self.redis.delete(self._account_key(email))
        await self._take_back(self._address_key(address))

    async def not_a_failure(self, email: str, address: str) -> None:
        """The password was right but a second factor is still needed: take the attempt back."""
        await self._take_back(self._account_key(email), self._address_key(address))

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
        account, by_address = await self.failures(email, address)
        excess = max(account - self.policy.slow_after, by_address - self.policy.address_lock_after // 2, 0)
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
