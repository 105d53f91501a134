"""The Messaging API channel of an official account: credentials, response mode, webhook settings,
and whether people may bring the account into group chats and multi-person chats."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"), unique=True)
    # LINE's channel ID: 10 digits, public (the OAuth client_id).
    channel_id: Mapped[str] = mapped_column(String(16), unique=True)
    # Kept readable, not hashed: webhooks are signed with it (HMAC-SHA256), as LINE does.
    channel_secret: Mapped[str] = mapped_column(String(64))
    # The bot's own user ID, sent as the webhook envelope's `destination`.
    bot_user_id: Mapped[str] = mapped_column(String(33), unique=True)
    response_mode: Mapped[str] = mapped_column(String(8))
    webhook_url: Mapped[str | None] = mapped_column(Text)
    use_webhook: Mapped[bool] = mapped_column(Boolean, default=False)
    webhook_redelivery: Mapped[bool] = mapped_column(Boolean, default=False)
    # "Allow account to join group chats and multi-person chats": on unless an admin turns it off,
    # as LINE has it for Messaging API channels (R-CHT-02).
    join_group_chats: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    secret_issued_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessToken(Base):
    """A channel access token, stored only as a hash (long-lived, short-lived v2, or v2.1 JWT)."""

    __tablename__ = "channel_access_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Issue caps count a channel's live tokens of one kind.
    __table_args__ = (Index("ix_channel_access_tokens_channel_kind", "channel_id", "kind"),)


class AssertionKey(Base):
    """A public key registered for signing v2.1 JWT assertions (RS256), found by its kid."""

    __tablename__ = "channel_assertion_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"), index=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_key_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
