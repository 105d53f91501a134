"""Statement builders for friendships; each names the index it relies on."""

from __future__ import annotations

from sqlalchemy import Select, case, false, func, select

from openoa.friends.models import Friendship, ScopedUserId
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


def follower_profile(account_id: int, provider_id: str, scoped_id: str) -> Select:
    """The person behind an account-scoped ``U…`` ID, if they are a current friend of the account
    who has not blocked it (R-FRD-04); another provider's ID never matches (R-FRD-05).

    scoped_user_ids.scoped_id is unique; the friendship is found by uq (account_id, user_id).
    """
    return (
        select(User, ScopedUserId.scoped_id)
        .join(ScopedUserId, ScopedUserId.user_id == User.id)
        .join(Friendship, (Friendship.user_id == User.id) & (Friendship.account_id == account_id))
        .where(ScopedUserId.scoped_id == scoped_id, ScopedUserId.provider_id == provider_id,
               Friendship.blocked == false(), User.active)
    )


def follower_ids_page(account_id: int, provider_id: str, *, after_user_id: int, limit: int) -> Select:
    """One keyset page of the scoped IDs of an account's current friends who have not blocked it,
    in user order, starting after ``after_user_id``.

    Walks ix_friendships_account_blocked_user (account_id, blocked = false, user_id > after) in
    order; each scoped ID comes from uq (provider_id, user_id), each user by primary key.
    """
    return (
        select(Friendship.user_id, ScopedUserId.scoped_id)
        .join(User, User.id == Friendship.user_id)
        .join(ScopedUserId, (ScopedUserId.user_id == Friendship.user_id)
              & (ScopedUserId.provider_id == provider_id))
        .where(Friendship.account_id == account_id, Friendship.blocked == false(), User.active,
               Friendship.user_id > after_user_id)
        .order_by(Friendship.user_id)
        .limit(limit)
    )
