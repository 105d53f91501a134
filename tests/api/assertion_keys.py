"""RSA key pairs and signed JWT assertions, as a bot developer makes them for the v2.1 and v3
token endpoints (LINE's "assertion signing key")."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "https://api.line.me/"


@lru_cache(maxsize=4)
def private_key(name: str = "bot") -> rsa.RSAPrivateKey:
    """One 2048-bit key per name for the whole run (generating one costs tens of milliseconds)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(name: str = "bot") -> dict[str, Any]:
    jwk = json.loads(RSAAlgorithm.to_jwk(private_key(name).public_key()))
    return {**jwk, "alg": "RS256", "use": "sig"}


def public_jwk_json(name: str = "bot") -> str:
    return json.dumps(public_jwk(name))


def private_jwk_json(name: str = "bot") -> str:
    return RSAAlgorithm.to_jwk(private_key(name))


def assertion(channel_id: str, kid: str, *, now: datetime, name: str = "bot", exp: timedelta | None = None,
              token_exp: int | None = 60 * 60 * 24 * 30, **overrides: Any) -> str:
    """A client assertion as LINE documents it: RS256, kid header; iss = sub = channel ID."""
    claims: dict[str, Any] = {"iss": channel_id, "sub": channel_id, "aud": AUDIENCE,
                              "exp": int((now + (exp or timedelta(minutes=30))).timestamp())}
    if token_exp is not None:
        claims["token_exp"] = token_exp
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, private_key(name), algorithm="RS256", headers={"kid": kid, "typ": "JWT"})
