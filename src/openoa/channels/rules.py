"""Rules of Messaging API channels: response modes (R-CHT-01) and channel token kinds and limits."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class ResponseMode(StrEnum):
    CHAT = "chat"
    BOT = "bot"


class TokenKind(StrEnum):
    LONG_LIVED = "long_lived"
    SHORT_LIVED = "short_lived"
    JWT = "jwt"


SHORT_LIVED_TTL = timedelta(days=30)
SHORT_LIVED_CAP = 30  # the 31st issue revokes the oldest
JWT_TOKEN_CAP = 30  # further issues are refused
JWT_TOKEN_MAX_TTL = timedelta(days=30)
JWT_ASSERTION_MAX_TTL = timedelta(minutes=30)
STATELESS_TTL = timedelta(minutes=15)


def webhooks_go_out(mode: str, use_webhook: bool, webhook_url: str | None) -> bool:
    """Events reach the bot only in Bot mode, with "Use webhook" on and a URL set (R-CHT-01)."""
    return mode == ResponseMode.BOT and use_webhook and bool(webhook_url)
