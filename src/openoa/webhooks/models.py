"""Webhook events for an account's bot, each attempt to deliver them, and the reply tokens
the events carry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class WebhookEvent(Base):
    """An event as the bot will see it, without ``deliveryContext`` (which each attempt adds)."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    # The ULID the bot de-duplicates on; the same on every redelivery.
    webhook_event_id: Mapped[str] = mapped_column(String(26), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_webhook_events_account_created", "account_id", "created_at"),)


class WebhookDelivery(Base):
    """One attempt to POST an event: the bot's status code, or why it failed (``reason`` None: 2xx)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id", ondelete="CASCADE"))
    # Copied from the event so the console's failure log is one indexed range per account.
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    attempt: Mapped[int] = mapped_column(Integer)
    is_redelivery: Mapped[bool] = mapped_column(Boolean)
    endpoint: Mapped[str] = mapped_column(Text)
    status_code: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # (event, attempt) unique: a job run twice records its attempt once. The console lists an
    # account's latest failures; a partial index skips the (many) successful attempts.
    __table_args__ = (
        UniqueConstraint("event_id", "attempt"),
        Index("ix_webhook_deliveries_account_failures", "account_id", "attempted_at",
              sqlite_where=text("reason IS NOT NULL"), postgresql_where=text("reason IS NOT NULL")),
    )


class ReplyToken(Base):
    """A reply token handed to the bot in an event; kept as a hash, consumed once, expires.

    A 1:1 event's token answers its person (``user_id``); a group or room event's token
    answers that group (``group_id``). One table, so delivering any event renews its token
    the same way; exactly one of the two is set, and each reply path takes only its own kind.
    """

    __tablename__ = "reply_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # Its foreign key to groups.id (ON DELETE CASCADE) is declared by openoa.groups.models: the
    # groups domain builds on this one, and a process that never loads groups (the CLI adding a
    # friend) must still be able to flush a reply token without resolving a table it lacks.
    group_id: Mapped[int | None] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("(user_id IS NULL) <> (group_id IS NULL)", name="one_recipient"),
    )
