"""The set-based statements of the delivery pipeline: who a send can reach, and the fan-out
chunk that writes their delivery rows (INSERT … SELECT, never a loop per recipient).

A narrowcast's recipient tree and demographic filter compile to one WHERE clause on
``friendships`` joined with ``users`` (narrowcast_targeting); its ``limit.max`` is a random pick
by a per-send bijective hash of the user id, cut at a threshold fixed when delivery starts
(pick_threshold), so a chunk decides who it writes from its own range alone and chunks can run in
any order, on any worker."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.sql.dml import Insert, Update
from sqlalchemy.sql.elements import ColumnElement

from openoa.accounts.models import OfficialAccount
from openoa.billing.models import MessageUsage
from openoa.chat.models import Conversation
from openoa.core.prepared import InsertRows, Prepared
from openoa.friends.models import Friendship, ScopedUserId
from openoa.messaging import rules
from openoa.messaging.models import SENDING, SUCCEEDED, WAITING, Delivery, Send, SendChunk
from openoa.users.models import User


def _reachable(account_id: int) -> list[ColumnElement[bool]]:
    # Friends who have not blocked the account and whose person is active (R-FRD: is_reachable).
    return [Friendship.account_id == account_id, Friendship.blocked.is_(False), User.active.is_(True)]


def reachable_count(account_id: int, *, targeting: Sequence[ColumnElement[bool]] = (),
                    upper_user_id: int | None = None) -> Select[Any]:
    """How many friends a broadcast or narrowcast, narrowed by ``targeting`` and bounded by
    ``upper_user_id``, would reach now."""
    bound = [] if upper_user_id is None else [Friendship.user_id <= upper_user_id]
    if not targeting:
        # Every friend: unblocked friendships counted on their covering index, less the few who
        # left (ix_users_inactive), a quarter of the time of looking up a million people (B1).
        unblocked = [Friendship.account_id == account_id, Friendship.blocked.is_(False), *bound]
        everyone = select(func.count()).where(*unblocked).scalar_subquery()
        gone = (select(func.count()).where(*unblocked, Friendship.user_id.in_(
            select(User.id).where(User.active.is_(False)))).scalar_subquery())
        return select(everyone - gone)
    return (select(func.count()).select_from(Friendship).join(User, User.id == Friendship.user_id)
            .where(*_reachable(account_id), *targeting, *bound))


def _recipient(node: Mapping[str, Any]) -> ColumnElement[bool]:
    kind = node["type"]
    if kind == "redelivery":
        # The people an earlier narrowcast reached: its delivery rows (unique (send_id, user_id)).
        return exists().where(Delivery.send_id == node["sendId"], Delivery.user_id == Friendship.user_id)
    if kind == "operator":
        return _operator(node, _recipient)
    raise ValueError(f"recipient {kind!r} cannot be compiled")  # audiences are refused at acceptance


def _demographic(node: Mapping[str, Any], year: int, as_of: datetime) -> ColumnElement[bool]:
    # Unknown attributes (NULL) never match, under ``not`` too: SQL's NULL stays unknown there.
    kind = node["type"]
    if kind == "gender":
        return User.gender.in_(node["oneOf"])
    if kind == "appType":
        return User.os.in_(node["oneOf"])
    if kind == "area":
        return User.area.in_(node["oneOf"])
    if kind == "age":
        # Age is the year of acceptance minus the birth year: age >= n <=> birth_year <= year - n.
        bounds = []
        if node.get("gte"):
            bounds.append(User.birth_year <= year - rules.age_years(node["gte"]))
        if node.get("lt"):
            bounds.append(User.birth_year > year - rules.age_years(node["lt"]))
        return and_(*bounds)
    if kind == "subscriptionPeriod":
        # How long the person has been a friend, at acceptance.
        bounds = []
        if node.get("gte"):
            bounds.append(Friendship.followed_at <= as_of - timedelta(days=rules.period_days(node["gte"])))
        if node.get("lt"):
            bounds.append(Friendship.followed_at > as_of - timedelta(days=rules.period_days(node["lt"])))
        return and_(*bounds)
    if kind == "operator":
        return _operator(node, lambda child: _demographic(child, year, as_of))
    raise ValueError(f"demographic filter {kind!r} cannot be compiled")


def _operator(node: Mapping[str, Any], compile_one: Any) -> ColumnElement[bool]:
    if node.get("and") is not None:
        return and_(*(compile_one(child) for child in node["and"]))
    if node.get("or") is not None:
        return or_(*(compile_one(child) for child in node["or"]))
    return not_(compile_one(node["not"]))


def narrowcast_targeting(spec: Mapping[str, Any], *, as_of: datetime) -> list[ColumnElement[bool]]:
    """The WHERE conditions (on friendships joined with users) of a stored narrowcast spec
    (``Send.recipients["narrowcast"]``); ``as_of`` is the send's acceptance time."""
    conditions = []
    if spec.get("recipient") is not None:
        conditions.append(_recipient(spec["recipient"]))
    if spec.get("filter") is not None:
        conditions.append(_demographic(spec["filter"], spec["year"], as_of))
    return conditions


def pick_order(seed: int) -> ColumnElement[int]:
    """A person's place in one send's random pick: rules.pick_hash in SQL (64-bit arithmetic on
    both dialects; user ids stay far below the 2^31 that would overflow it)."""
    return ((Friendship.user_id * literal(rules.PICK_MULTIPLIER, BigInteger) + literal(seed, BigInteger))
            % literal(rules.PICK_MODULUS, BigInteger))


def pick_threshold(account_id: int, upper_user_id: int, targeting: Sequence[ColumnElement[bool]], seed: int,
                   count: int) -> Select[Any]:
    """The ``count``-th smallest pick order among the qualified: the people at or below it are
    exactly ``count`` (the hash is a bijection, so there are no ties). One sort, run once per send."""
    order = pick_order(seed)
    return (select(order).select_from(Friendship).join(User, User.id == Friendship.user_id)
            .where(*_reachable(account_id), *targeting, Friendship.user_id <= upper_user_id)
            .order_by(order).limit(1).offset(count - 1))


# The hot path's statements are built once and run on the driver's cursor (core/prepared.py):
# building or executing a statement through SQLAlchemy costs more than SQLite takes to run it (B2).

# Whether the person's chat shows the bot's loading animation, which the send ends (one statement
# fewer per push when none does, as is usual).
_LOADING = (select(Conversation.id).where(Conversation.account_id == Friendship.account_id,
                                          Conversation.user_id == Friendship.user_id,
                                          Conversation.loading_until.is_not(None)).exists().label("loading"))

REACHABLE_NAMED = Prepared(
    select(Friendship.user_id, _LOADING).select_from(ScopedUserId)
    .join(Friendship, Friendship.user_id == ScopedUserId.user_id)
    .join(User, User.id == Friendship.user_id)
    .where(ScopedUserId.provider_id == bindparam("provider_id"),
           ScopedUserId.scoped_id.in_(bindparam("scoped_ids", expanding=True)),
           Friendship.account_id == bindparam("account_id"), Friendship.blocked.is_(False), User.active.is_(True))
    .order_by(Friendship.user_id))
"""(user_id, loading) of the people named by ``U…`` IDs of one provider (``scoped_ids``) whom
``account_id`` can reach now, ascending; another provider's, a non-friend's or a blocker's ID names
no one. ``loading``: their chat shows the loading animation."""

REACHABLE_AMONG = Prepared(
    select(Friendship.user_id, _LOADING).join(User, User.id == Friendship.user_id)
    .where(Friendship.account_id == bindparam("account_id"), Friendship.blocked.is_(False), User.active.is_(True),
           Friendship.user_id.in_(bindparam("user_ids", expanding=True)))
    .order_by(Friendship.user_id))
"""(user_id, loading) of the people among ``user_ids`` (internal ids) whom ``account_id`` can reach
now, ascending."""

_TERMS = select(OfficialAccount.id, OfficialAccount.package, OfficialAccount.additional_message_limit,
                OfficialAccount.timezone, OfficialAccount.next_package, OfficialAccount.next_package_from,
                ).where(OfficialAccount.id == bindparam("account_id"))
ACCOUNT_TERMS = Prepared(_TERMS)
"""What a send's quota check needs of the account (account_id)."""

_USED = (func.coalesce(select(func.sum(MessageUsage.used)).where(
    MessageUsage.account_id == bindparam("account_id"), MessageUsage.year == bindparam("year"),
    MessageUsage.month == bindparam("month")).scalar_subquery(), 0)
    + func.coalesce(select(func.sum(Send.target_count - Send.success_count)).where(
        Send.account_id == bindparam("account_id"), Send.counted.is_(True),
        Send.status.in_((WAITING, SENDING))).scalar_subquery(), 0))

QUOTA_USED = Prepared(select(_USED.label("used")))
"""The month's counted use plus what sends still fanning out hold (account_id, year, month)."""

ACCOUNT_TERMS_LOCKED = Prepared(_TERMS.with_for_update())
"""ACCOUNT_TERMS, holding the account's row (PostgreSQL) so counted sends of one account take turns.
Read the use after it (QUOTA_USED), never in the same statement: that one's snapshot predates the lock."""

_SEND_COLUMNS = ("account_id", "kind", "counted", "request_id", "retry_key", "messages", "sent_messages",
                 "notification_disabled", "recipients", "status", "target_count", "success_count",
                 "upper_user_id", "chunks_left", "accepted_at", "completed_at")
INSERT_SEND = Prepared(insert(Send).values({name: bindparam(name, type_=Send.__table__.c[name].type)
                                            for name in _SEND_COLUMNS}).returning(Send.id))
"""One send row from its columns (every name of ``_SEND_COLUMNS``); returns its id."""

INSERT_DELIVERIES = InsertRows(Delivery.__table__, ("send_id", "account_id", "user_id", "created_at"))
"""Delivery rows (send_id, account_id, user_id, created_at), one statement for all of them."""

ADD_USAGE = Prepared(update(MessageUsage)
                     .where(MessageUsage.account_id == bindparam("b_account_id"),
                            MessageUsage.year == bindparam("b_year"), MessageUsage.month == bindparam("b_month"),
                            MessageUsage.day == bindparam("b_day"))
                     .values(used=MessageUsage.used + bindparam("b_amount"))
                     .returning(MessageUsage.id))
"""Add ``b_amount`` to the day's row (b_account_id, b_year, b_month, b_day); returns its id, or
nothing when the day has no row yet (UPDATE statements reserve the columns' own names)."""

END_LOADING_OF = Prepared(update(Conversation)
                          .where(Conversation.account_id == bindparam("b_account_id"),
                                 Conversation.loading_until.is_not(None),
                                 Conversation.user_id.in_(bindparam("b_user_ids", expanding=True)))
                          .values(loading_until=None))
"""Stop the loading animation in the chats of ``b_user_ids`` of ``b_account_id``: its message arrived."""


def highest_friend(account_id: int) -> Select[Any]:
    """The highest internal user id among the account's friends: a broadcast's fixed upper bound."""
    return select(func.max(Friendship.user_id)).where(Friendship.account_id == account_id)


def chunk_bound(account_id: int, after_user_id: int, upper_user_id: int, size: int) -> Select[Any]:
    """The user id ``size`` unblocked friends past ``after_user_id`` (at most ``upper_user_id``):
    where a fan-out chunk ends. None when fewer remain. An index-only walk of
    ix_friendships_account_blocked_user, cheaper than numbering every friend at once."""
    return (select(Friendship.user_id)
            .where(Friendship.account_id == account_id, Friendship.blocked.is_(False),
                   Friendship.user_id > after_user_id, Friendship.user_id <= upper_user_id)
            .order_by(Friendship.user_id).limit(1).offset(size - 1))


def fan_out_rows(send_id: int, account_id: int, after_user_id: int, upto_user_id: int, *, now: datetime,
                 targeting: Sequence[ColumnElement[bool]] = (), pick: tuple[int, int] | None = None) -> Insert:
    """Delivery rows for every reachable friend with a user id in (after, upto], narrowed by
    ``targeting`` and by the random pick ``(seed, threshold)``: one INSERT … SELECT, no ordering,
    no limit and nothing read back (its rowcount is the count), as close to a bare INSERT … SELECT
    as the rules allow (B1).

    The chunk's row ``done`` flag keeps it from running twice; the unique (send_id, user_id) would
    refuse a second run rather than skip it, since skipping costs PostgreSQL twice the insert.
    """
    picked = [] if pick is None else [pick_order(pick[0]) <= pick[1]]
    chosen = (select(literal(send_id), literal(account_id), Friendship.user_id, literal(now, Delivery.created_at.type))
              .select_from(Friendship).join(User, User.id == Friendship.user_id)
              .where(*_reachable(account_id), Friendship.user_id > after_user_id,
                     Friendship.user_id <= upto_user_id,
                     # The same range on users: PostgreSQL does not carry a range across the join
                     # and otherwise scans every person for each chunk (10k friends: 266 ms, not 12).
                     User.id > after_user_id, User.id <= upto_user_id, *targeting, *picked))
    return insert(Delivery).from_select(["send_id", "account_id", "user_id", "created_at"], chosen)


def end_loading(send_id: int, account_id: int, after_user_id: int, upto_user_id: int) -> Update:
    """Stop the loading animation in the chats a fan-out chunk just reached (user ids in (after, upto])."""
    reached = exists().where(Delivery.send_id == send_id, Delivery.user_id == Conversation.user_id)
    return (update(Conversation)
            .where(Conversation.account_id == account_id, Conversation.loading_until.is_not(None),
                   Conversation.user_id > after_user_id, Conversation.user_id <= upto_user_id, reached)
            .values(loading_until=None))


_chunks = cast(Table, SendChunk.__table__)
CLAIM_CHUNK = (update(_chunks).where(_chunks.c.id == bindparam("chunk_id"), _chunks.c.done.is_(False))
               .values(done=True).returning(_chunks.c.send_id, _chunks.c.after_user_id, _chunks.c.upto_user_id))
"""Mark chunk ``chunk_id`` done unless it is; returns (send_id, after, upto) when this call did. Its
row lock keeps a second worker out of the chunk until the first commits (then it finds it done)."""

_sends = cast(Table, Send.__table__)
_LAST_CHUNK = _sends.c.chunks_left <= 1
CHUNK_DONE = (update(_sends).where(_sends.c.id == bindparam("b_send_id"))
              .values(success_count=_sends.c.success_count + bindparam("b_written", type_=Integer()),
                      chunks_left=_sends.c.chunks_left - 1,
                      status=case((_LAST_CHUNK, literal(SUCCEEDED)), else_=_sends.c.status),
                      completed_at=case((_LAST_CHUNK, bindparam("b_now", type_=_sends.c.completed_at.type)),
                                        else_=_sends.c.completed_at)))
"""A chunk of send ``b_send_id`` wrote ``b_written`` rows: add them to its progress; the last chunk
marks the send succeeded at ``b_now``. Arithmetic in SQL, so workers sharing a send lose no count."""
