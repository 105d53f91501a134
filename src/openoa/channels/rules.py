"""Rules of Messaging API channels: response modes (R-CHT-01), joining group chats (R-CHT-02), and
channel token kinds and limits."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from openoa.core.errors import DomainError


class ResponseMode(StrEnum):
    CHAT = "chat"
    BOT = "bot"


class TokenKind(StrEnum):
    LONG_LIVED = "long_lived"
    SHORT_LIVED = "short_lived"
    JWT = "jwt"
    # Never stored: the token carries its channel and expiry, signed (see stateless_token_body).
    STATELESS = "stateless"


SHORT_LIVED_TTL = timedelta(days=30)
SHORT_LIVED_CAP = 30  # the 31st issue revokes the oldest
JWT_TOKEN_CAP = 30  # further issues are refused
JWT_TOKEN_MAX_TTL = timedelta(days=30)
JWT_ASSERTION_MAX_TTL = timedelta(minutes=30)
STATELESS_TTL = timedelta(minutes=15)


def webhooks_go_out(mode: str, use_webhook: bool, webhook_url: str | None) -> bool:
    """Events reach the bot only in Bot mode, with "Use webhook" on and a URL set (R-CHT-01)."""
    return mode == ResponseMode.BOT and use_webhook and bool(webhook_url)


# What a person inviting an account that does not join group chats reads (R-CHT-02).
GROUP_CHATS_REFUSED = "This official account does not join group chats."


# ---------------------------------------------------------------- OAuth (channel access token API)

GRANT_TYPE = "client_credentials"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_AUDIENCE = "https://api.line.me/"
JWT_ALGORITHM = "RS256"
ASSERTION_KEY_MIN_BITS = 2048
# A JWT's exp may run this far past the 30-minute cap: the client's clock is not ours.
JWT_CLOCK_LEEWAY = timedelta(seconds=60)
# Long-lived tokens never expire; verify still owes an integer, and LINE answers about a century.
LONG_LIVED_NOMINAL_TTL = timedelta(days=36500)
# What verify reports as `scope` (LINE's own answer for Messaging API channel tokens).
VERIFY_SCOPE = "P CM"
# Stateless tokens start with this; stored tokens are URL-safe base64 and never contain a dot.
STATELESS_PREFIX = "s3."

# Which token kinds each OAuth family verifies and revokes.
V2_KINDS = frozenset({TokenKind.LONG_LIVED, TokenKind.SHORT_LIVED})
V21_KINDS = frozenset({TokenKind.JWT})

PARAMETERS_INVALID = "some parameters missed or invalid"
VERIFY_UNKNOWN = "access_token invalid"
VERIFY_EXPIRED = "access token expired"
CLIENT_INVALID = "invalid client_id or client_secret"
JWT_KEY_UNKNOWN = "Cannot find channel key that satisfies the conditions"
JWT_CAP_REACHED = "The maximum number of access tokens has already been issued"


class OAuthRefused(DomainError):
    """A token request refused OAuth-style: ``{"error", "error_description"}`` (not LINE's message body)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status = status


def invalid_request(description: str = PARAMETERS_INVALID) -> OAuthRefused:
    return OAuthRefused("invalid_request", description)


def invalid_client(description: str = CLIENT_INVALID) -> OAuthRefused:
    return OAuthRefused("invalid_client", description)


def unsupported_grant_type() -> OAuthRefused:
    return OAuthRefused("unsupported_grant_type", f"grant_type must be {GRANT_TYPE}")


def mark_as_read_mode(mode: str) -> str:
    """LINE's bot info: with chat off (Bot mode) messages are read automatically, with chat on by hand."""
    return "auto" if mode == ResponseMode.BOT else "manual"


def stateless_token_body(channel_id: str, expires_at: int, nonce: str) -> str:
    """What a stateless token signs: its channel and expiry (epoch seconds)."""
    return f"{channel_id}.{expires_at}.{nonce}"


def stateless_signing_input(body: str) -> str:
    # A prefix that no webhook body can start with, so a webhook signature is never a token.
    return "openoa-stateless-token:" + body


def parse_stateless_token(token: str) -> tuple[str, int, str, str] | None:
    """(channel_id, expires_at, body, signature) of a stateless token, or None when it is not one."""
    if not token.startswith(STATELESS_PREFIX):
        return None
    parts = token[len(STATELESS_PREFIX):].split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    channel_id, expires_at, nonce, signature = parts
    return channel_id, int(expires_at), stateless_token_body(channel_id, int(expires_at), nonce), signature
