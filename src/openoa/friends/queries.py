"""Statement builders for friendships; each names the index it relies on."""

from __future__ import annotations

from sqlalchemy import Select, case, func, select

from openoa.friends.models import Friendship
from openoa.users.models import User


def friend_counts(account_id: int) -> Select:
    """Friends (ever added, not unfriended), blocks and target reach of one account (R-FRD-03).

    Uses ix_friendships_account_blocked_user; the users join is by primary key.
    """
    return (
        select(
            func.count().label("friends"),
            func.sum(case((Friendship.blocked, 1), else_=0)).label("blocks"),
            func.sum(case(((~Friendship.blocked) & User.active, 1), else_=0)).label("target_reach"),
        )
        .select_from(Friendship)
        .join(User, User.id == Friendship.user_id)
        .where(Friendship.account_id == account_id)
    )


def friends_by_path(account_id: int) -> Select:
    """Friends of one account per friend path (R-FRD-02), largest first.

    Uses the (account_id, …) prefix of ix_friendships_account_blocked_user.
    """
    return (
        select(Friendship.friend_path, func.count().label("friends"))
        .where(Friendship.account_id == account_id)
        .group_by(Friendship.friend_path)
        .order_by(func.count().desc(), Friendship.friend_path)
    )
