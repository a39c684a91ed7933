"""Password hashing (密码): argon2id with the OWASP ASVS appendix C parameters."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8

_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


class WeakPassword(ValueError):
    """A password too short to accept (SECURITY.md P03)."""


def hash_password(password: str) -> str:
    """An argon2id hash of `password`, after checking it is long enough."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)
