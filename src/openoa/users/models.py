"""Chat-app people: their login, public profile and private attributes (R-FRD-01)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Demo users have no email and cannot log in; real sign-ups always have one.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(20))
    profile_image: Mapped[str | None] = mapped_column(String(100))
    status_message: Mapped[str] = mapped_column(String(500), default="")
    # Private attributes: used only in aggregate (R-FRD-04).
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    area: Mapped[str | None] = mapped_column(String(10))
    os: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


# The few people who left, so a send's reach is counted from the friendships index alone and
# those few taken away (messaging.queries.reachable_count), not by looking up every friend.
Index("ix_users_inactive", User.id, sqlite_where=User.active.is_(False), postgresql_where=User.active.is_(False))
