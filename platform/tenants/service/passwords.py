"""Password hashing with argon2id, verified off the event loop."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id minimum (m=19 MiB, t=2, p=1); docs/security.md AUTH-1 checks these parameters.
HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)

# Verified when the user is unknown, so an unknown e-mail costs the same as a wrong password.
_DUMMY_HASH = HASHER.hash("not a password anyone has")


# argon2 is CPU-bound by design: at most half the cores hash at once, so a burst of logins queues instead
# of starving the event loop that serves everyone else's requests (the W6 login benchmark, bench/w6_auth.py).
_HASHING = ThreadPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) // 2), thread_name_prefix="argon2")


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def _verify(stored_hash: str | None, password: str) -> bool:
    try:
        return HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when the password matches; always does one full argon2 verification, in a hashing thread."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, _verify, stored_hash, password)


async def hash_password_async(password: str) -> str:
    """hash_password in a hashing thread, for request handlers."""
    return await asyncio.get_running_loop().run_in_executor(_HASHING, hash_password, password)
