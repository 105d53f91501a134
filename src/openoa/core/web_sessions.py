"""Login sessions for the three consoles: random cookie tokens, stored only as hashes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Index, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from openoa.core import clock, ids
from openoa.core.db import Base, UTCDateTime
from openoa.core.security import hash_token

BUSINESS, USER, STAFF = "business", "user", "staff"


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    subject: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Logging out everywhere (password change) deletes by subject.
    __table_args__ = (Index("ix_web_sessions_subject", "subject", "subject_id"),)


def start(session: Session, subject: str, subject_id: int, *, days: int) -> str:
    """Open a login session; returns the cookie token (shown once, stored hashed)."""
    token = ids.token()
    now = clock.now()
    session.add(WebSession(token_hash=hash_token(token), subject=subject, subject_id=subject_id,
                           created_at=now, expires_at=now + timedelta(days=days)))
    session.flush()
    return token


def resolve(session: Session, subject: str, token: str | None) -> int | None:
    """The subject ID behind a live cookie token, or None."""
    if not token:
        return None
    row = session.execute(
        select(WebSession.subject_id, WebSession.expires_at)
        .where(WebSession.token_hash == hash_token(token), WebSession.subject == subject)
    ).first()
    if row is None or row.expires_at <= clock.now():
        return None
    return int(row.subject_id)


def end(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == hash_token(token)))


def end_all(session: Session, subject: str, subject_id: int, *, keep: str | None = None) -> None:
    """End every session of a subject (after a password change), optionally keeping one."""
    stmt = delete(WebSession).where(WebSession.subject == subject, WebSession.subject_id == subject_id)
    if keep:
        stmt = stmt.where(WebSession.token_hash != hash_token(keep))
    session.execute(stmt)


def extend(session: Session, token: str, *, days: int) -> None:
    session.execute(update(WebSession).where(WebSession.token_hash == hash_token(token))
                    .values(expires_at=clock.now() + timedelta(days=days)))
