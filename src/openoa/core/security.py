"""Password hashing (argon2), token hashing and signing; secrets never stored in the clear."""

from __future__ import annotations

import hashlib
import hmac

from argon2 import Parameters, PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# RFC 9106's second recommendation: argon2id, 3 passes over 64 MiB, 4 lanes.
PRODUCTION_PARAMETERS = profiles.RFC_9106_LOW_MEMORY
_hasher = PasswordHasher.from_parameters(PRODUCTION_PARAMETERS)
# A real hash to verify against when the email is unknown, so timing does not tell.
_DUMMY_HASH = _hasher.hash("openoa-timing-equaliser")


def use_hash_parameters(parameters: Parameters) -> None:
    """Hash new passwords with other argon2 parameters (the test suite uses the cheapest)."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher.from_parameters(parameters)
    _DUMMY_HASH = _hasher.hash("openoa-timing-equaliser")


def hash_password(password: str) -> str:
    """A slow, salted argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when ``password`` matches; spends the same effort when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_token(token: str) -> str:
    """SHA-256 of a high-entropy token: enough for lookups, useless if the table leaks."""
    return hashlib.sha256(token.encode()).hexdigest()


def sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def signatures_match(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
