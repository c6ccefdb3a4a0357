"""Failed-login throttling with Redis counters, per account and per client address (docs/security.md AUTH-2).

Each failure counts against the account and the address for a window. Past `slow_after` failures every
further attempt waits a little longer; at `lock_after` the account (or address) is locked until the window
ends. A locked account answers exactly like a wrong password, so locking reveals nothing either.
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

    async def is_locked(self, email: str, address: str) -> bool:
        account, by_address = await self.failures(email, address)
        return account >= self.policy.lock_after or by_address >= self.policy.address_lock_after

    async def slow_down(self, email: str, address: str) -> None:
        """Wait before answering an attempt that follows several failures (grows with each one)."""
        account, by_address = await self.failures(email, address)
        excess = max(account - self.policy.slow_after, by_address - self.policy.address_lock_after // 2, 0)
        if excess:
            await asyncio.sleep(min(0.1 * 2 ** (excess - 1), self.policy.max_delay_seconds))

    async def record_failure(self, email: str, address: str) -> None:
        window = self.policy.window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in (self._account_key(email), self._address_key(address)):
                # The window starts at the first failure (SET NX; EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=window, nx=True)
                pipe.incr(key)
            await pipe.execute()

    async def record_success(self, email: str) -> None:
        await self.redis.delete(self._account_key(email))


async def spend(redis: Redis, key: str, *, limit: int, window_seconds: int) -> int:
    """Count one attempt against `key` (at most `limit` per window, which starts at the first attempt).
    Returns 0 if allowed, else the seconds until the window ends."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        pipe.ttl(key)
        _, count, ttl = await pipe.execute()
    return 0 if count <= limit else max(int(ttl), 1)
