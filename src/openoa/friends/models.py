"""Friendships between people and official accounts, and provider-scoped user IDs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class ScopedUserId(Base):
    """The ``U…`` ID a provider's accounts see for one person (R-FRD-05)."""

    __tablename__ = "scoped_user_ids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scoped_id: Mapped[str] = mapped_column(String(33), unique=True)

    __table_args__ = (UniqueConstraint("provider_id", "user_id"),)


class Friendship(Base):
    __tablename__ = "friendships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    friend_path: Mapped[str] = mapped_column(String(10))
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    followed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # (account, blocked, user) serves target reach counts and keyset fan-out by user.
    __table_args__ = (
        UniqueConstraint("account_id", "user_id"),
        Index("ix_friendships_account_blocked_user", "account_id", "blocked", "user_id"),
        Index("ix_friendships_user_id", "user_id"),
    )
