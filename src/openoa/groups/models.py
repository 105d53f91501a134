"""Group chats and multi-person chats (rooms: groups without a name) in the Chat app: their
people, the official accounts invited in, and what is posted. The reply tokens of group events
are :class:`openoa.webhooks.models.ReplyToken` rows with ``group_id`` set, so that delivering
an event renews them like any other."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime
from openoa.webhooks.models import ReplyToken


class Group(Base):
    """A group (``C…``, named) or room (``R…``, unnamed); bots know it by ``chat_id``."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(33), unique=True)
    kind: Mapped[str] = mapped_column(String(5))
    name: Mapped[str | None] = mapped_column(String(50))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GroupMember(Base):
    """A person in a group. Bots see a member only once they posted there (R-FRD-04)."""

    __tablename__ = "group_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # uq (group_id, user_id) serves member pages in user order; a person's groups by user_id.
    __table_args__ = (UniqueConstraint("group_id", "user_id"), Index("ix_group_members_user_id", "user_id"))


class GroupAccount(Base):
    """An official account currently in a group; the row goes when the account leaves."""

    __tablename__ = "group_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("group_id", "account_id"), Index("ix_group_accounts_account_id", "account_id"))


class GroupPost(Base):
    """A message in a group, from a member (``user_id``) or from an account's bot (``account_id``)."""

    __tablename__ = "group_posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("official_accounts.id", ondelete="SET NULL"))
    message_id: Mapped[str] = mapped_column(String(24), unique=True)
    type: Mapped[str] = mapped_column(String(12))
    # LINE's message object without its id (text, emojis, …), as sent or as the bot sent it.
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    quote_token: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # (group_id, id): a group's page of posts in order.
    __table_args__ = (Index("ix_group_posts_group_id_id", "group_id", "id"),)


# A group event's reply token is a ReplyToken row with ``group_id`` set (so delivering the event
# renews it like a 1:1 one); the reference to the group is declared here, on the side that knows
# groups, and goes with the group (fk_reply_tokens_group_id_groups, migration 0008).
_reply_tokens = Base.metadata.tables[ReplyToken.__tablename__]
_reply_tokens.append_constraint(
    ForeignKeyConstraint([_reply_tokens.c.group_id], [Group.__table__.c.id], ondelete="CASCADE"))
