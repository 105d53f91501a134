"""What people send to official accounts (text, stickers, media, files, locations) and the
state of each (account, person) conversation: who has read what, and the loading animation.

Messages from an account to a person are not copied here: they are the delivery rows of
``messaging`` joined with their send's messages (one row per recipient, written set-based).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class PersonMessage(Base):
    """A message a person sent to an account, shaped like the ``message`` of LINE's webhook event."""

    __tablename__ = "person_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # LINE's message ID (18 digits): the key of the webhook event and of GET …/message/{id}/content.
    message_id: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[str] = mapped_column(String(12))
    # The event's message object without id/quoteToken (text, emojis, fileName, latitude, …).
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    quote_token: Mapped[str | None] = mapped_column(String(100))
    # Media and files live in storage; the bot fetches them through the blob host.
    content_key: Mapped[str | None] = mapped_column(String(100))
    content_type: Mapped[str | None] = mapped_column(String(100))
    preview_key: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    unsent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # (account, user, id): one conversation's page, newest first or after a cursor.
    __table_args__ = (Index("ix_person_messages_account_user_id", "account_id", "user_id", "id"),)


class Conversation(Base):
    """One (account, person) chat's state; made on the first message either way."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The person has read the account's messages up to this delivery id.
    person_read_delivery_id: Mapped[int] = mapped_column(Integer, default=0)
    # The account (a console operator, or the bot's mark-as-read) has read up to this person_messages id.
    account_read_message_id: Mapped[int] = mapped_column(Integer, default=0)
    # The bot's loading animation shows until this moment (or until its next message arrives).
    loading_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("account_id", "user_id"),
        Index("ix_conversations_user_activity", "user_id", "last_activity_at"),
    )
