"""Use cases of friendship: add an account (R-FRD-02), block and unblock (R-FRD-03),
and the provider-scoped user IDs accounts see (R-FRD-05)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.service import find_account_by_basic_id, package_now
from openoa.channels.schemas import BotContext
from openoa.core import clock, ids
from openoa.core.access import Actor, PersonActor, SystemActor
from openoa.core.errors import Conflict, Invalid, NotAllowed, NotFound
from openoa.friends import queries, rules
from openoa.friends.models import Friendship, ScopedUserId
from openoa.friends.rules import FriendPath
from openoa.friends.schemas import AccountCard, FollowerIds, FollowerProfile, FriendshipOut
from openoa.integrations.storage import current_storage, public_url
from openoa.users.models import User
from openoa.webhooks import service as webhooks


def scoped_user_id(session: Session, provider_id: str, user_id: int) -> str:
    """The ``U…`` ID of ``user_id`` under ``provider_id``, minted on first need."""
    existing = session.scalar(select(ScopedUserId.scoped_id).where(
        ScopedUserId.provider_id == provider_id, ScopedUserId.user_id == user_id))
    if existing:
        return existing
    row = ScopedUserId(provider_id=provider_id, user_id=user_id, scoped_id=ids.scoped_user_id())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # minted concurrently by another request: use theirs
        return session.scalar(select(ScopedUserId.scoped_id).where(
            ScopedUserId.provider_id == provider_id, ScopedUserId.user_id == user_id)) or ""
    return row.scoped_id


def _out(session: Session, friendship: Friendship, account: OfficialAccount) -> FriendshipOut:
    return FriendshipOut(account_id=account.id, basic_id=account.basic_id, account_name=account.display_name,
                         user_id=scoped_user_id(session, account.provider_id, friendship.user_id),
                         friend_path=friendship.friend_path, blocked=friendship.blocked,
                         followed_at=friendship.followed_at)


def _person(session: Session, actor: Actor, user_id: int | None) -> User:
    if isinstance(actor, PersonActor):
        user_id = actor.user_id
    elif not isinstance(actor, SystemActor) or user_id is None:
        raise NotAllowed("Only the person themselves can add friends.")
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound(f"No user with ID {user_id}.")
    return user


def view_account(session: Session, actor: PersonActor | None, basic_id: str) -> AccountCard:
    """An account found by basic ID, with whether this person is its friend.

    ``actor`` is None for a visitor who is not logged in (the public add-friend page).
    """
    account = find_account_by_basic_id(session, basic_id)
    friendship = None if actor is None else session.scalar(
        select(Friendship).where(Friendship.account_id == account.id, Friendship.user_id == actor.user_id))
    storage = current_storage()
    return AccountCard(id=account.id, basic_id=account.basic_id, display_name=account.display_name,
                       status_message=account.status_message,
                       profile_image_url=storage.url(account.profile_image) if account.profile_image else None,
                       badge=account.badge, is_friend=friendship is not None,
                       blocked=bool(friendship and friendship.blocked))


def add_friend(session: Session, actor: Actor, basic_id: str, *, path: str = FriendPath.URL,
               user_id: int | None = None) -> FriendshipOut:
    """``actor`` (or, from the CLI, ``user_id``) adds the account as a friend through ``path``.

    Adding an account one has blocked unblocks it, as in LINE; adding a current friend is refused.
    """
    try:
        friend_path = FriendPath(path)
    except ValueError as exc:
        raise Invalid(field="path", reason="Unknown friend path; use one of: "
                      + ", ".join(p.value for p in FriendPath)) from exc
    user = _person(session, actor, user_id)
    account = find_account_by_basic_id(session, basic_id)
    friendship = session.scalar(select(Friendship).where(Friendship.account_id == account.id,
                                                         Friendship.user_id == user.id))
    now = clock.now()
    if friendship is not None and not friendship.blocked:
        raise Conflict(field="basic_id", reason=f"{account.display_name} is already your friend.")
    was_blocked = friendship is not None
    if friendship is not None:
        friendship.blocked = False
        friendship.blocked_at = None
    else:
        friendship = Friendship(account_id=account.id, user_id=user.id, friend_path=friend_path,
                                blocked=False, followed_at=now)
        session.add(friendship)
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:
            raise Conflict(field="basic_id", reason=f"{account.display_name} is already your friend.") from exc
    session.flush()
    out = _out(session, friendship, account)
    webhooks.emit_follow(session, account.id, user_id=user.id, scoped_user_id=out.user_id,
                         is_unblocked=was_blocked)
    return out


def _friendship(session: Session, actor: PersonActor, account_id: int) -> tuple[Friendship, OfficialAccount]:
    row = session.execute(
        select(Friendship, OfficialAccount).join(OfficialAccount, OfficialAccount.id == Friendship.account_id)
        .where(Friendship.account_id == account_id, Friendship.user_id == actor.user_id)).first()
    if row is None:
        raise Invalid(field="account_id", reason="You can only block or unblock accounts you have added as friends.")
    return row[0], row[1]


def block(session: Session, actor: PersonActor, account_id: int) -> FriendshipOut:
    """Stop receiving anything from the account; it no longer counts in its target reach."""
    friendship, account = _friendship(session, actor, account_id)
    if friendship.blocked:
        raise Conflict(field="account_id", reason=f"You have already blocked {account.display_name}.")
    friendship.blocked = True
    friendship.blocked_at = clock.now()
    session.flush()
    out = _out(session, friendship, account)
    webhooks.emit_unfollow(session, account.id, scoped_user_id=out.user_id)
    return out


def unblock(session: Session, actor: PersonActor, account_id: int) -> FriendshipOut:
    friendship, account = _friendship(session, actor, account_id)
    if not friendship.blocked:
        raise Conflict(field="account_id", reason=f"{account.display_name} is not blocked.")
    friendship.blocked = False
    friendship.blocked_at = None
    session.flush()
    out = _out(session, friendship, account)
    webhooks.emit_follow(session, account.id, user_id=actor.user_id, scoped_user_id=out.user_id,
                         is_unblocked=True)
    return out


def my_friends(session: Session, actor: PersonActor) -> list[AccountCard]:
    """The accounts this person has added, blocked ones included (marked)."""
    rows = session.execute(
        select(OfficialAccount, Friendship.blocked)
        .join(Friendship, Friendship.account_id == OfficialAccount.id)
        .where(Friendship.user_id == actor.user_id)
        .order_by(OfficialAccount.display_name, OfficialAccount.id)).all()
    storage = current_storage()
    return [AccountCard(id=a.id, basic_id=a.basic_id, display_name=a.display_name,
                        status_message=a.status_message,
                        profile_image_url=storage.url(a.profile_image) if a.profile_image else None,
                        badge=a.badge, is_friend=True, blocked=blocked) for a, blocked in rows]


def follower_profile(session: Session, bot: BotContext, user_id: str) -> FollowerProfile:
    """The public profile of a friend of the bot's account, by its scoped ID (GET /v2/bot/profile).

    Anyone else (not a friend, blocked, another provider's ID) is "Not found", never more (R-FRD-04/05).
    """
    row = session.execute(queries.follower_profile(bot.account_id, bot.provider_id, user_id)).first()
    if row is None:
        raise NotFound()
    user, scoped_id = row
    return FollowerProfile(display_name=user.display_name, user_id=scoped_id,
                           picture_url=public_url(user.profile_image) if user.profile_image else None,
                           status_message=user.status_message or None)


def follower_ids(session: Session, bot: BotContext, *, limit: int = rules.FOLLOWER_IDS_DEFAULT_LIMIT,
                 start: str | None = None) -> FollowerIds:
    """A page of the scoped IDs of the account's current, unblocked friends (GET /v2/bot/followers/ids);
    verified and premium accounts only."""
    account = session.get(OfficialAccount, bot.account_id)
    if account is None or not rules.can_list_follower_ids(package_now(account), account.badge):
        raise NotAllowed(rules.FOLLOWER_IDS_REFUSAL)
    if not 1 <= limit <= rules.FOLLOWER_IDS_MAX_LIMIT:
        raise Invalid(field="limit", reason=f"Must be between 1 and {rules.FOLLOWER_IDS_MAX_LIMIT}")
    after = 0 if start is None else rules.follower_ids_after(start)
    if after is None:
        raise Invalid(field="start", reason="Invalid continuation token")
    rows = session.execute(queries.follower_ids_page(bot.account_id, bot.provider_id, after_user_id=after,
                                                     limit=limit + 1)).all()
    page = rows[:limit]
    more = len(rows) > limit
    return FollowerIds(user_ids=[r.scoped_id for r in page],
                       next=rules.follower_ids_cursor(page[-1].user_id) if more else None)
