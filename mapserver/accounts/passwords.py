"""Password hashing: argon2id with the OWASP minimum parameters, and generated passwords.

OWASP's Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1. We use it rather than
the library's RFC 9106 low-memory profile (64 MiB, t = 3, p = 4) because a login costs
each worker thread that memory, and a 2-core server runs up to 64 threads. Hashes made
with other parameters still verify and are rehashed on the next successful login.
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mapserver.errors import InvalidParameter

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
MIN_LENGTH = 10
MAX_LENGTH = 256


def hash_password(password: str) -> str:
    """An ``$argon2id$…`` string; refuses passwords too short or absurdly long."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise InvalidParameter(
            f"password must have {MIN_LENGTH} to {MAX_LENGTH} characters",
            parameter="password",
        )
    return HASHER.hash(password)


def verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; with ``None`` (no such user) it does the
    same work against a dummy hash and says no, so timing does not reveal usernames."""
    try:
        HASHER.verify(stored or _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return False
    return stored is not None


def needs_rehash(stored: str) -> bool:
    return HASHER.check_needs_rehash(stored)


def generate() -> str:
    """A random password of 20 URL-safe characters (120 bits)."""
    return secrets.token_urlsafe(15)


@functools.cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(15))
