"""The set-based statements of the delivery pipeline: who a send can reach, and the fan-out
chunk that writes their delivery rows (INSERT … SELECT, never a loop per recipient)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, insert, literal, select
from sqlalchemy.sql.dml import ReturningInsert
from sqlalchemy.sql.elements import ColumnElement

from openoa.friends.models import Friendship
from openoa.messaging.models import Delivery
from openoa.users.models import User


def _reachable(account_id: int, user_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    # Friends who have not blocked the account and whose person is active (R-FRD: is_reachable).
    conditions = [Friendship.account_id == account_id, Friendship.blocked.is_(False), User.active.is_(True)]
    if user_ids is not None:
        conditions.append(Friendship.user_id.in_(list(user_ids)))
    return conditions


def reachable_count(account_id: int, user_ids: Sequence[int] | None = None) -> Select[Any]:
    """How many people a send to ``user_ids`` (all friends when None) would reach now."""
    return (select(func.count()).select_from(Friendship).join(User, User.id == Friendship.user_id)
            .where(*_reachable(account_id, user_ids)))


def highest_friend(account_id: int) -> Select[Any]:
    """The highest internal user id among the account's friends: a broadcast's fixed upper bound."""
    return select(func.max(Friendship.user_id)).where(Friendship.account_id == account_id)


def fan_out_chunk(send_id: int, account_id: int, after_user_id: int, upper_user_id: int, limit: int, *,
                  now: datetime, user_ids: Sequence[int] | None = None) -> ReturningInsert[Any]:
    """Delivery rows for the next ``limit`` reachable people in (after, upper], in user-id order;
    returns the user ids it wrote.

    People who already have a row for this send are skipped, so replaying a chunk writes nothing
    twice and the next call always picks up where the rows end.
    """
    already = exists().where(and_(Delivery.send_id == send_id, Delivery.user_id == Friendship.user_id))
    chosen = (select(literal(send_id), literal(account_id), Friendship.user_id, literal(now, Delivery.created_at.type))
              .select_from(Friendship).join(User, User.id == Friendship.user_id)
              .where(*_reachable(account_id, user_ids), Friendship.user_id > after_user_id,
                     Friendship.user_id <= upper_user_id, ~already)
              .order_by(Friendship.user_id).limit(limit))
    # RETURNING, not rowcount: PostgreSQL drivers do not all report rowcount for INSERT … SELECT.
    return (insert(Delivery).from_select(["send_id", "account_id", "user_id", "created_at"], chosen)
            .returning(Delivery.user_id))

