"""Password hashing with argon2id (domain.md §3.1): the two cost profiles and hash/verify off the event loop."""

from __future__ import annotations

import asyncio
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

PasswordProfile = Literal["default", "test"]

# Cheap parameters for tests only; config refuses this profile when NEXUS_ENV=production.
_TEST_TIME_COST = 1
_TEST_MEMORY_COST_KIB = 8192
_TEST_PARALLELISM = 1


def hasher(profile: PasswordProfile) -> PasswordHasher:
    """An argon2id hasher: library defaults in production, the cheap profile in tests."""
    if profile == "test":
        return PasswordHasher(
            time_cost=_TEST_TIME_COST, memory_cost=_TEST_MEMORY_COST_KIB, parallelism=_TEST_PARALLELISM
        )
    return PasswordHasher()


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    """The PHC string of `password` (fresh salt), computed in a worker thread."""
    return await asyncio.to_thread(hasher.hash, password)


def _verify(hasher: PasswordHasher, hash: str, password: str) -> bool:
    try:
        return hasher.verify(hash, password)
    except (VerificationError, InvalidHashError):  # mismatch is a VerificationError
        return False


async def verify_password(hasher: PasswordHasher, hash: str, password: str) -> bool:
    """True iff `password` matches the stored PHC `hash`; a malformed hash counts as a mismatch. Worker thread."""
    return await asyncio.to_thread(_verify, hasher, hash, password)
