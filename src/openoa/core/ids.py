"""Identifier generation: every random ID and token the platform hands out is made here."""

from __future__ import annotations

import secrets
import string
import uuid

from openoa.core import clock

_LOWER = string.ascii_lowercase
_DIGITS = string.digits


def scoped_user_id() -> str:
    """An account-provider-scoped user ID as LINE shows it: ``U`` + 32 lowercase hex."""
    return "U" + secrets.token_hex(16)


def basic_id() -> str:
    """A basic ID like LINE's: ``@`` + 3 digits + 5 lowercase letters."""
    return "@" + "".join(secrets.choice(_DIGITS) for _ in range(3)) + "".join(
        secrets.choice(_LOWER) for _ in range(5)
    )


def provider_id() -> str:
    """An opaque provider identifier; user IDs are scoped by it (R-FRD-05)."""
    return "P" + secrets.token_hex(8)


def token() -> str:
    """A URL-safe secret for links (password reset, invitations) and sessions."""
    return secrets.token_urlsafe(32)


def reference_number() -> str:
    """A verification application reference number staff and applicants quote."""
    return "VA-" + "".join(secrets.choice(_DIGITS) for _ in range(10))


def request_id() -> str:
    """A request identifier in LINE's form (UUID)."""
    return str(uuid.uuid4())


def worker_id() -> str:
    """A name for one job worker process, used in its leases."""
    return "w-" + secrets.token_hex(6)


def channel_id() -> str:
    """A channel ID as LINE issues them: 10 digits, not starting with 0."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def channel_secret() -> str:
    """A channel secret: 32 lowercase hex, as LINE shows it."""
    return secrets.token_hex(16)


def access_token() -> str:
    """An opaque channel access token (LINE's are long URL-safe strings)."""
    return secrets.token_urlsafe(128)


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def webhook_event_id() -> str:
    """A ULID, as LINE's ``webhookEventId``: 48-bit ms timestamp then 80 random bits, Crockford base32."""
    millis = int(clock.now().timestamp() * 1000)
    value = (millis << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def reply_token() -> str:
    """A webhook event's reply token: 32 lowercase hex, as LINE's look."""
    return secrets.token_hex(16)


def key_id() -> str:
    """A key ID (a v2.1 token's ``key_id``, a registered assertion key's ``kid``): 22 URL-safe characters."""
    return secrets.token_urlsafe(16)


def message_id() -> str:
    """A sent message's ID as LINE gives it: a string of 18 digits."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def quote_token() -> str:
    """The token a bot quotes a sent message with."""
    return secrets.token_urlsafe(48)


def group_id() -> str:
    """A group chat's ID as bots see it: ``C`` + 32 lowercase hex."""
    return "C" + secrets.token_hex(16)


def room_id() -> str:
    """A multi-person chat's (room's) ID as bots see it: ``R`` + 32 lowercase hex."""
    return "R" + secrets.token_hex(16)
