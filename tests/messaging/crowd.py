"""Many friends at once for fan-out tests: people and friendships written in bulk (a few real
sign-ups each cost an argon2 hash), plus the bot context a bearer token resolves to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.channels.schemas import BotContext
from openoa.core import clock
from openoa.friends.models import Friendship
from openoa.messaging import service
from openoa.messaging.models import SendChunk
from openoa.users.models import User
from tests.api.bots import Bot


def context(session: Session, bot: Bot) -> BotContext:
    """What the Messaging API sees for ``bot``'s token."""
    return channels.authenticate_bearer(session, f"Bearer {bot.token}")


def add_friends(session: Session, account_id: int, count: int) -> list[int]:
    """``count`` new active people who follow ``account_id``; their internal ids, ascending."""
    now = clock.now()
    first = (session.scalar(select(func.max(User.id))) or 0) + 1
    user_ids = list(range(first, first + count))
    session.execute(insert(User), [{"id": uid, "display_name": f"crowd{uid}", "status_message": "",
                                    "active": True, "created_at": now} for uid in user_ids])
    session.execute(insert(Friendship), [{"account_id": account_id, "user_id": uid, "friend_path": "url",
                                          "blocked": False, "followed_at": now} for uid in user_ids])
    return user_ids


def add_people(session: Session, account_id: int, people: Sequence[Mapping[str, Any]]) -> list[int]:
    """One new active friend of ``account_id`` per mapping, with the private attributes it names
    (gender, birth_year, area, os) and its ``followed_at`` (now by default); ids ascending."""
    now = clock.now()
    first = (session.scalar(select(func.max(User.id))) or 0) + 1
    user_ids = list(range(first, first + len(people)))
    session.execute(insert(User), [
        {"id": uid, "display_name": f"person{uid}", "status_message": "", "active": True, "created_at": now,
         **{key: one.get(key) for key in ("gender", "birth_year", "area", "os")}}
        for uid, one in zip(user_ids, people, strict=True)])
    session.execute(insert(Friendship), [
        {"account_id": account_id, "user_id": uid, "friend_path": "url", "blocked": False,
         "followed_at": one.get("followed_at", now)} for uid, one in zip(user_ids, people, strict=True)])
    return user_ids


def deliver(session: Session, send_id: int, chunk_size: int = 25_000) -> None:
    """What the fan-out jobs do, in the test's session: start the send, then each chunk in turn."""
    service.start_fan_out(session, send_id, chunk_size)
    for chunk_id in chunks_to_do(session, send_id):
        service.fan_out_chunk(session, chunk_id)
    session.expire_all()  # the chunks counted progress in SQL, past the loaded rows


def chunks_to_do(session: Session, send_id: int) -> list[int]:
    """The ids of the send's chunks not done yet, in order."""
    return list(session.scalars(select(SendChunk.id).where(SendChunk.send_id == send_id, SendChunk.done.is_(False))
                                .order_by(SendChunk.id)))
