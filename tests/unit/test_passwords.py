"""Passwords: argon2id at or above m=19 MiB, t=2, p=1 (SECURITY.md AUTH-1)."""

from __future__ import annotations

from argon2 import extract_parameters

from dealernet.tenants.service.passwords import hash_password, verify_password


def test_hashes_are_argon2id_with_the_minimum_parameters() -> None:
    parameters = extract_parameters(hash_password("s3cret"))
    assert parameters.type.name == "ID"
    assert parameters.memory_cost >= 19_456
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1


async def test_verify_accepts_the_password_and_nothing_else() -> None:
    stored = hash_password("s3cret")
    assert await verify_password(stored, "s3cret") is True
    assert await verify_password(stored, "s3cret ") is False
    assert await verify_password(None, "s3cret") is False
    assert await verify_password("not a hash", "s3cret") is False
