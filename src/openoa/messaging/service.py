"""Sends through the Messaging API (push, multicast, broadcast, narrowcast, reply) and the
delivery pipeline under them: acceptance stores the send with its recipient spec in the request's
transaction (and the fan-out job for a broadcast or narrowcast), the fan-out chunk writes delivery
rows set-based and settles the quota from the rows it wrote, and the quota, delivery counts and
narrowcast progress a bot reads."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.rules import package_in_force
from openoa.billing import rules as billing
from openoa.billing import service as billing_service
from openoa.billing.models import MessageUsage
from openoa.channels.schemas import BotContext
from openoa.core import clock, ids
from openoa.core.errors import DomainError, FieldError, Invalid, NotAllowed, NotFound
from openoa.core.jobs import enqueue, enqueue_many
from openoa.core.prepared import Prepared
from openoa.core.pubsub import person_topic, publish_after_commit, publish_people_after_commit
from openoa.groups import service as groups
from openoa.messaging import queries, rules
from openoa.messaging.models import (
    FAILED,
    SENDING,
    SUCCEEDED,
    WAITING,
    Delivery,
    Send,
    SendChunk,
)
from openoa.messaging.schemas import (
    NarrowcastTargeting,
    message_json,
    parse_messages,
    parse_narrowcast,
    request_invalid,
)
from openoa.webhooks.service import consume_reply_token

FAN_OUT_JOB = "messaging.fan_out"
FAN_OUT_CHUNK_JOB = "messaging.fan_out_chunk"
RETRY_KEY_HOURS = 24
USER_ID = re.compile(r"U[0-9a-f]{32}")
CHAT_ID = re.compile(r"[UCR][0-9a-f]{32}")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# Only these message types can be quoted, so only they get a quote token (LINE's rule).
QUOTABLE = frozenset({"text", "textV2", "sticker", "image", "video"})
MONTHLY_LIMIT = "You have reached your monthly limit."
RETRY_KEY_ACCEPTED = "The retry key is already accepted"
KINDS = ("push", "multicast", "broadcast", "reply")
NARROWCAST = "narrowcast"


class MonthlyLimitReached(DomainError):
    """A counted send that does not fit the month's remaining quota, refused whole (R-MSG-05).
    LINE's message, and in ``details`` what was needed, what is left and how to get more."""

    status = 429

    def __init__(self, package: str, remaining: int, needed: int) -> None:
        super().__init__(MONTHLY_LIMIT)
        self.remaining, self.needed = remaining, needed
        self.errors = [FieldError("messages", billing.over_quota_explanation(package, remaining, needed))]


def _refuse_unless_fits(account: AccountTerms, now: datetime, used: int, needed: int) -> None:
    """MonthlyLimitReached unless ``needed`` counted messages fit what the month has left."""
    package = _package(account, now)
    if not billing.fits(package, account.additional_message_limit, used, needed):
        raise MonthlyLimitReached(package, billing.remaining(package, account.additional_message_limit, used), needed)


class RetryKeyAccepted(DomainError):
    """A request whose X-Line-Retry-Key was already accepted: it is not run again."""

    status = 409

    def __init__(self, accepted_request_id: str, sent_messages: list[dict[str, Any]]) -> None:
        super().__init__(RETRY_KEY_ACCEPTED)
        self.accepted_request_id = accepted_request_id
        self.sent_messages = sent_messages


class AccountTerms(Protocol):
    """What quota checks read of an account: the ORM row or the hot path's narrow row."""

    @property
    def id(self) -> int: ...
    @property
    def package(self) -> str: ...
    @property
    def additional_message_limit(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def next_package(self) -> str | None: ...
    @property
    def next_package_from(self) -> datetime | None: ...


def _package(account: AccountTerms, now: datetime) -> str:
    """The package that counts now: a downgrade scheduled for this month has begun (R-BILL-02)."""
    return package_in_force(account.package, account.next_package, account.next_package_from, now)


@dataclass(frozen=True)
class Accepted:
    """What a send's request answers: the request id and, for push and reply, the sent messages."""

    request_id: str
    sent_messages: list[dict[str, Any]] = field(default_factory=list)


# ---------------------------------------------------------------- acceptance

def _account(session: Session, account_id: int) -> OfficialAccount:
    return session.get_one(OfficialAccount, account_id)


def _check_retry_key(session: Session, account_id: int, retry_key: str | None) -> None:
    if retry_key is None:
        return
    if not UUID.fullmatch(retry_key):
        raise Invalid(message="The value of the X-Line-Retry-Key header is invalid")
    earlier = session.scalar(select(Send).where(Send.account_id == account_id, Send.retry_key == retry_key))
    if earlier is None:
        return
    if earlier.accepted_at > clock.now() - timedelta(hours=RETRY_KEY_HOURS):
        raise RetryKeyAccepted(earlier.request_id, earlier.sent_messages)
    # Past 24 hours the key is new again: the old send lets go of it.
    earlier.retry_key = None
    session.flush()


def _quota_used(session: Session, account: AccountTerms) -> int:
    """This month's counted use plus what broadcasts still fanning out hold, in one statement."""
    month = billing.month_of(clock.now(), account.timezone)
    return int(queries.QUOTA_USED.scalar(session, account_id=account.id, year=month.year, month=month.month) or 0)


def _terms_and_use(session: Session, account_id: int) -> tuple[AccountTerms, int]:
    """The account's quota terms, its row held so counted sends of one account take turns, and its
    counted use this month read after the lock: on PostgreSQL a statement sees the database as it
    was when it began, so a sum read by the locking statement itself misses what the previous
    holder of the lock committed while this one waited (20 pushes into 10 left all fitted)."""
    account = queries.ACCOUNT_TERMS_LOCKED.one(session, account_id=account_id)
    return account, _quota_used(session, account)


def _sent_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for message in messages:
        sent = {"id": ids.message_id()}
        if message.get("type") in QUOTABLE:
            sent["quoteToken"] = ids.quote_token()
        out.append(sent)
    return out


def broadcast(session: Session, bot: BotContext, *, request_id: str, messages: Any,
              notification_disabled: bool = False, retry_key: str | None = None) -> Accepted:
    """Send to every reachable friend (counted): accepted now, refused whole when they do not fit
    (R-MSG-05), fanned out by the ``messaging.fan_out`` job. Nothing is stored when refused."""
    parsed = [message_json(m) for m in parse_messages(messages)]
    _check_retry_key(session, bot.account_id, retry_key)
    # Counted acceptances of one account take turns (PostgreSQL row lock), so two requests
    # cannot both fit in the same remaining quota.
    account = session.get_one(OfficialAccount, bot.account_id, with_for_update=True, populate_existing=True)
    target = int(session.scalar(queries.reachable_count(account.id)) or 0)
    if target:
        _refuse_unless_fits(account, clock.now(), _quota_used(session, account), target)
    send = _store(session, Send(
        account_id=account.id, kind="broadcast", counted=True, request_id=request_id, retry_key=retry_key,
        messages=parsed, sent_messages=_sent_messages(parsed), notification_disabled=notification_disabled,
        recipients={"all": True}, status=WAITING, target_count=target, success_count=0,
        upper_user_id=session.scalar(queries.highest_friend(account.id)) or 0, accepted_at=clock.now()))
    enqueue(session, FAN_OUT_JOB, {"send_id": send.id})
    return Accepted(send.request_id)


def _store(session: Session, send: Send) -> Send:
    if send.retry_key is None:  # nothing can collide: no savepoint round trips
        session.add(send)
        session.flush()
        return send
    try:
        with session.begin_nested():
            session.add(send)
            session.flush()
    except IntegrityError:  # the same retry key accepted concurrently by another request
        earlier = session.scalar(select(Send).where(Send.account_id == send.account_id,
                                                    Send.retry_key == send.retry_key))
        if earlier is None:
            raise
        raise RetryKeyAccepted(earlier.request_id, earlier.sent_messages) from None
    return send


def _send_to_named(session: Session, bot: BotContext, *, kind: str, request_id: str, raw_messages: Any,
                   notification_disabled: bool, retry_key: str | None, reachable: Prepared,
                   parameters: dict[str, Any]) -> Accepted:
    """Push, multicast and reply name at most 500 people: the send is written whole in the request —
    its delivery rows, the usage they settle and its final counts — in a fixed number of statements,
    each built once. Nothing is written when it is refused."""
    messages = [message_json(m) for m in parse_messages(raw_messages)]
    _check_retry_key(session, bot.account_id, retry_key)
    counted = billing.is_counted(kind)
    now = clock.now()
    if counted:
        account, used = _terms_and_use(session, bot.account_id)
    else:
        account, used = queries.ACCOUNT_TERMS.one(session, account_id=bot.account_id), 0
    people = reachable.rows(session, **parameters)
    user_ids: list[int] = [person.user_id for person in people]
    if counted and user_ids:
        _refuse_unless_fits(account, now, used, len(user_ids))
    reached = len(user_ids)
    sent = _sent_messages(messages)
    row = {"account_id": account.id, "kind": kind, "counted": counted, "request_id": request_id,
           "retry_key": retry_key, "messages": messages, "sent_messages": sent,
           "notification_disabled": notification_disabled, "recipients": {"user_ids": user_ids},
           "status": SUCCEEDED, "target_count": reached, "success_count": reached,
           "upper_user_id": max(user_ids, default=0), "chunks_left": 0, "accepted_at": now,
           "completed_at": now}
    if retry_key is None:  # nothing can collide on a NULL key: no savepoint round trips
        send_id = queries.INSERT_SEND.scalar(session, **row)
    else:
        try:
            with session.begin_nested():
                send_id = queries.INSERT_SEND.scalar(session, **row)
        except IntegrityError:  # the same retry key accepted concurrently by another request
            earlier = session.scalar(select(Send).where(Send.account_id == account.id, Send.retry_key == retry_key))
            if earlier is None:
                raise
            raise RetryKeyAccepted(earlier.request_id, earlier.sent_messages) from None
    if reached:
        queries.INSERT_DELIVERIES.run(session, [{"send_id": send_id, "account_id": account.id, "user_id": user_id,
                                                 "created_at": now} for user_id in user_ids])
        if counted:
            _count_usage(session, account, reached)
        # A bot's message ends the loading animation it showed these people (LINE).
        loading = [person.user_id for person in people if person.loading]
        if loading:
            queries.END_LOADING_OF.run(session, b_account_id=account.id, b_user_ids=loading)
        publish_after_commit(session, map(person_topic, user_ids), {"type": "messages", "accountId": account.id})
    return Accepted(request_id, sent)


def _to_group(session: Session, bot: BotContext, *, kind: str, request_id: str, chat_id: str | None,
              raw_messages: Any, notification_disabled: bool, retry_key: str | None) -> Accepted:
    """Post into a group or room the account is in; a counted push is charged once per member
    it reaches (LINE). Not in it: accepted and not delivered, like a push to a non-friend."""
    messages = [message_json(m) for m in parse_messages(raw_messages)]
    _check_retry_key(session, bot.account_id, retry_key)
    counted = billing.is_counted(kind)
    account = session.get_one(OfficialAccount, bot.account_id, with_for_update=counted, populate_existing=True)
    members = 0 if chat_id is None else groups.members_reached(session, account.id, chat_id)
    if counted and members:
        _refuse_unless_fits(account, clock.now(), _quota_used(session, account), members)
    posts = (groups.post_from_account(session, account.id, chat_id, messages) if chat_id is not None else None) or []
    sent = [{"id": post.id, **({"quoteToken": post.quote_token} if post.quote_token else {})} for post in posts]
    now = clock.now()
    send = _store(session, Send(
        account_id=account.id, kind=kind, counted=counted, request_id=request_id, retry_key=retry_key,
        messages=messages, sent_messages=sent or _sent_messages(messages), notification_disabled=notification_disabled,
        recipients={"chat_id": chat_id}, status=SUCCEEDED, target_count=members, success_count=members,
        upper_user_id=0, accepted_at=now, completed_at=now))
    if counted and members:
        _count_usage(session, account, members)
    return Accepted(send.request_id, send.sent_messages)


def push(session: Session, bot: BotContext, *, request_id: str, to: str, messages: Any,
         notification_disabled: bool = False, retry_key: str | None = None) -> Accepted:
    """Send to one person (counted); a non-friend, a blocker or an unknown ID is accepted and not reached.
    A group or room ID (``C…``/``R…``) posts into that chat, counted per member."""
    if not CHAT_ID.fullmatch(to or ""):
        raise request_invalid([FieldError("to", "Invalid ID")])
    if to[0] in "CR":
        return _to_group(session, bot, kind="push", request_id=request_id, chat_id=to, raw_messages=messages,
                         notification_disabled=notification_disabled, retry_key=retry_key)
    return _send_to_named(session, bot, kind="push", request_id=request_id, raw_messages=messages,
                          notification_disabled=notification_disabled, retry_key=retry_key,
                          reachable=queries.REACHABLE_NAMED, parameters={
                              "account_id": bot.account_id, "provider_id": bot.provider_id, "scoped_ids": [to]})


def multicast(session: Session, bot: BotContext, *, request_id: str, to: list[str], messages: Any,
              notification_disabled: bool = False, retry_key: str | None = None) -> Accepted:
    """Send to up to 500 people (counted by those reached)."""
    bad = [FieldError(f"to[{i}]", "Invalid user ID") for i, one in enumerate(to) if not USER_ID.fullmatch(one)]
    if bad:
        raise request_invalid(bad)
    accepted = _send_to_named(session, bot, kind="multicast", request_id=request_id, raw_messages=messages,
                              notification_disabled=notification_disabled, retry_key=retry_key,
                              reachable=queries.REACHABLE_NAMED, parameters={
                                  "account_id": bot.account_id, "provider_id": bot.provider_id,
                                  "scoped_ids": sorted(set(to))})
    return Accepted(accepted.request_id)


def _resolved_recipient(session: Session, bot: BotContext, targeting: NarrowcastTargeting) -> dict[str, Any] | None:
    """The recipient tree as stored: each redelivery names the internal id of the send it repeats.

    There are no audiences yet, so no audience group id is valid (LINE wants a READY one).
    """
    tree = targeting.recipient_json()
    if tree is None:
        return None
    since = clock.now() - timedelta(days=rules.PROGRESS_DAYS)
    errors = []
    for path, leaf in rules.recipient_leaves(tree):
        if leaf["type"] == "audience":
            errors.append(FieldError(f"{path}.audienceGroupId", rules.invalid_audience(leaf["audienceGroupId"])))
            continue
        repeated = session.scalar(select(Send.id).where(
            Send.account_id == bot.account_id, Send.request_id == leaf["requestId"], Send.kind == NARROWCAST,
            Send.status == SUCCEEDED, Send.accepted_at > since))
        if repeated is None:
            errors.append(FieldError(f"{path}.requestId", rules.invalid_request_id(leaf["requestId"])))
        else:
            leaf["sendId"] = repeated
    if errors:
        raise Invalid(errors)
    return tree


def narrowcast(session: Session, bot: BotContext, *, request_id: str, messages: Any, recipient: Any = None,
               filter: Any = None, limit: Any = None, notification_disabled: bool = False,  # noqa: A002
               retry_key: str | None = None) -> Accepted:
    """Send to the friends a recipient tree and demographic filter choose, at most ``limit.max`` of
    them at random (counted): accepted now, fanned out by the ``messaging.fan_out`` job, followed
    through narrowcast_progress. Nothing is stored when refused."""
    parsed = [message_json(m) for m in parse_messages(messages)]
    targeting = parse_narrowcast(recipient, filter, limit)
    _check_retry_key(session, bot.account_id, retry_key)
    # Counted acceptances of one account take turns (PostgreSQL row lock), as in _accept.
    account = session.get_one(OfficialAccount, bot.account_id, with_for_update=True, populate_existing=True)
    now = clock.now()
    demographic = targeting.demographic_json()
    spec = {"recipient": _resolved_recipient(session, bot, targeting), "filter": demographic,
            "attributes": demographic is not None,
            "year": now.astimezone(ZoneInfo(account.timezone)).year}
    reach = int(session.scalar(queries.reachable_count(account.id)) or 0)
    if spec["attributes"] and reach < rules.TARGETING_MIN_REACH:
        raise NotAllowed(rules.NOT_ENOUGH_FRIENDS)
    limits = targeting.limit
    remaining = billing.remaining(_package(account, now), account.additional_message_limit,
                                  _quota_used(session, account))
    reservation = rules.narrowcast_reservation(reach, limits.max, limits.up_to_remaining_quota, remaining)
    if reservation > remaining:
        raise MonthlyLimitReached(_package(account, now), remaining, reservation)
    upper = session.scalar(queries.highest_friend(account.id)) or 0
    error_code = None
    if limits.forbid_partial_delivery:
        qualified = int(session.scalar(queries.reachable_count(
            account.id, targeting=queries.narrowcast_targeting(spec, as_of=now), upper_user_id=upper)) or 0)
        if (qualified if limits.max is None else min(qualified, limits.max)) > remaining:
            # Accepted all the same; it fails when delivery starts and holds no quota meanwhile.
            error_code, reservation = rules.PARTIAL_DELIVERY_FORBIDDEN, 0
    send = Send(account_id=account.id, kind=NARROWCAST, counted=True, request_id=request_id, retry_key=retry_key,
                messages=parsed, sent_messages=_sent_messages(parsed), notification_disabled=notification_disabled,
                recipients={"narrowcast": spec}, status=WAITING, target_count=reservation, success_count=0,
                upper_user_id=upper, accepted_at=now,
                max_recipients=rules.narrowcast_cap(limits.max, limits.up_to_remaining_quota, remaining),
                seed=secrets.randbelow(rules.PICK_MODULUS), error_code=error_code)
    _store(session, send)
    enqueue(session, FAN_OUT_JOB, {"send_id": send.id})
    return Accepted(send.request_id)


def broadcast_to_friends(session: Session, account_id: int, *, kind: str, request_id: str,
                         messages: list[dict[str, Any]], max_recipients: int | None = None) -> Send:
    """A counted broadcast for the console (messages already checked): every reachable friend, refused
    whole when they do not fit (R-MSG-05); or, with a maximum volume, at most ``max_recipients`` of
    them chosen at random, as many as fit what is left (R-BRD-02). Fanned out by the job."""
    account = session.get_one(OfficialAccount, account_id, with_for_update=True, populate_existing=True)
    now = clock.now()
    reach = int(session.scalar(queries.reachable_count(account.id)) or 0)
    package = _package(account, now)
    remaining = billing.remaining(package, account.additional_message_limit, _quota_used(session, account))
    cap = None if max_recipients is None else min(max_recipients, remaining)
    reservation = reach if cap is None else min(reach, cap)
    if reservation > remaining or (cap == 0 and reach):
        raise MonthlyLimitReached(package, remaining, reach if max_recipients is None else min(reach, max_recipients))
    spec = {"recipient": None, "filter": None, "attributes": False, "requested_max": max_recipients,
            "year": now.astimezone(ZoneInfo(account.timezone)).year}
    # Capped at what was reserved, so friends who unblock before the fan-out starts cannot take it
    # past what the month had left (it then picks that many at random among everyone reachable).
    send = Send(account_id=account.id, kind=kind, counted=billing.is_counted(kind), request_id=request_id,
                retry_key=None, messages=messages, sent_messages=_sent_messages(messages), notification_disabled=False,
                recipients={"narrowcast": spec}, status=WAITING, target_count=reservation, success_count=0,
                upper_user_id=session.scalar(queries.highest_friend(account.id)) or 0, accepted_at=now,
                max_recipients=reservation, seed=secrets.randbelow(rules.PICK_MODULUS))
    _store(session, send)
    enqueue(session, FAN_OUT_JOB, {"send_id": send.id})
    return send


def reply(session: Session, bot: BotContext, *, request_id: str, reply_token: str, messages: Any,
          notification_disabled: bool = False, retry_key: str | None = None) -> Accepted:
    """Answer a webhook event with its single-use reply token (never counted, R-MSG-02)."""
    if retry_key is not None:
        raise Invalid(message="The retry key is not supported for this endpoint")
    parse_messages(messages)  # a bad message must not use the token up
    # Group events carry their own tokens, so a group reply never becomes a 1:1 message.
    chat_id = groups.consume_reply_token(session, bot.account_id, reply_token)
    if chat_id is not None:
        return _to_group(session, bot, kind="reply", request_id=request_id, chat_id=chat_id, raw_messages=messages,
                         notification_disabled=notification_disabled, retry_key=None)
    user_id = consume_reply_token(session, bot.account_id, reply_token)
    return _send_to_named(session, bot, kind="reply", request_id=request_id, raw_messages=messages,
                          notification_disabled=notification_disabled, retry_key=None,
                          reachable=queries.REACHABLE_AMONG, parameters={"account_id": bot.account_id,
                                                                         "user_ids": [user_id]})


# ---------------------------------------------------------------- fan-out

class AccountZone(Protocol):
    """What counting usage reads of an account: which one, and its timezone (for the day)."""

    @property
    def id(self) -> int: ...
    @property
    def timezone(self) -> str: ...


def _count_usage(session: Session, account: AccountZone, amount: int, at: datetime | None = None) -> None:
    """Add ``amount`` counted messages to the day (account's timezone) of ``at``, default now."""
    day = billing.day_of(at or clock.now(), account.timezone)
    values = {"b_account_id": account.id, "b_year": day.year, "b_month": day.month, "b_day": day.day,
              "b_amount": amount}
    if queries.ADD_USAGE.scalar(session, **values) is not None:
        return
    try:
        with session.begin_nested():
            session.add(MessageUsage(account_id=account.id, year=day.year, month=day.month, day=day.day,
                                     used=amount))
            session.flush()
    except IntegrityError:  # the month's row was made concurrently: add to it
        queries.ADD_USAGE.scalar(session, **values)


def start_fan_out(session: Session, send_id: int, chunk_size: int) -> int:
    """Fix what a broadcast or narrowcast delivers as it starts, once: its target count, its random
    pick and the chunks it is written in, each queued as a job workers may share; or its failure
    (errorCode 5 decided at acceptance; 2 under the privacy floor). Returns the chunks made."""
    send = session.get(Send, send_id, with_for_update=True, populate_existing=True)
    if send is None or send.status != WAITING:
        return 0  # started already: this is a replay
    spec = send.recipients.get("narrowcast")
    targeting = [] if spec is None else queries.narrowcast_targeting(spec, as_of=send.accepted_at)
    if send.error_code is not None:
        _fail(session, send, send.error_code)
        return 0
    qualified = int(session.scalar(queries.reachable_count(
        send.account_id, targeting=targeting, upper_user_id=send.upper_user_id)) or 0)
    cap = send.max_recipients
    send.target_count = qualified if cap is None else min(qualified, cap)
    if spec is not None and spec.get("attributes") and send.target_count < rules.NARROWCAST_MIN_RECIPIENTS:
        _fail(session, send, rules.NOT_ENOUGH_RECIPIENTS)
        return 0
    if cap is not None and qualified > cap and send.seed is not None:
        # No one's hash is negative, so a threshold of -1 picks no one (nothing left in the quota).
        send.pick_threshold = -1 if cap == 0 else session.scalar(queries.pick_threshold(
            send.account_id, send.upper_user_id, targeting, send.seed, cap))
    bounds = _chunk_bounds(session, send, chunk_size) if send.target_count else []
    send.chunks_left = len(bounds)
    if not bounds:
        send.status, send.completed_at = SUCCEEDED, clock.now()
        session.flush()
        return 0
    session.execute(insert(SendChunk), [{"send_id": send.id, "after_user_id": after, "upto_user_id": upto,
                                         "done": False} for after, upto in bounds])
    chunk_ids = session.scalars(select(SendChunk.id).where(SendChunk.send_id == send.id).order_by(SendChunk.id))
    enqueue_many(session, FAN_OUT_CHUNK_JOB, [{"chunk_id": chunk_id} for chunk_id in chunk_ids])
    send.status = SENDING
    session.flush()
    return len(bounds)


def _chunk_bounds(session: Session, send: Send, size: int) -> list[tuple[int, int]]:
    """(after, upto] user-id ranges of about ``size`` unblocked friends each, covering every friend
    up to the send's bound: one index walk per chunk."""
    bounds, after = [], 0
    while after < send.upper_user_id:
        upto = session.scalar(queries.chunk_bound(send.account_id, after, send.upper_user_id, size))
        upto = send.upper_user_id if upto is None else upto
        bounds.append((after, upto))
        after = upto
    return bounds


def fan_out_chunk(session: Session, chunk_id: int) -> int:
    """Write one chunk's delivery rows (set-based), the counted usage they settle, its checkpoint
    and the send's progress, all in the caller's transaction (STYLE 7c): a crash keeps all or none.
    A chunk already done writes nothing. Returns the rows written. A fixed number of statements."""
    chunk = session.execute(queries.CLAIM_CHUNK, {"chunk_id": chunk_id}).first()
    if chunk is None:
        return 0  # done already, by this worker before it died or by another
    send_id, after, upto = chunk
    send, timezone = session.execute(select(Send, OfficialAccount.timezone).join(
        OfficialAccount, OfficialAccount.id == Send.account_id).where(Send.id == send_id)).one()
    spec = send.recipients.get("narrowcast")
    targeting = [] if spec is None else queries.narrowcast_targeting(spec, as_of=send.accepted_at)
    pick = None if send.pick_threshold is None or send.seed is None else (send.seed, send.pick_threshold)
    # preserve_rowcount: without it SQLAlchemy hands back -1 for an INSERT on psycopg.
    result = session.execute(queries.fan_out_rows(send.id, send.account_id, after, upto, now=clock.now(),
                                                  targeting=targeting, pick=pick),
                             execution_options={"preserve_rowcount": True})
    written = cast(CursorResult[Any], result).rowcount
    if written:
        if send.counted:
            # Charged to the month the send was accepted in (and checked against), even when a
            # chunk goes out after midnight on the 1st.
            _count_usage(session, _Terms(send.account_id, timezone), written, at=send.accepted_at)
        # A bot's message ends the loading animation it showed these people (LINE).
        session.execute(queries.end_loading(send.id, send.account_id, after, upto),
                        execution_options={"synchronize_session": False})
        # Online Chat-app connections of people in the chunk fetch once its rows are safe.
        publish_people_after_commit(session, after, upto, {"type": "messages", "accountId": send.account_id})
    # In SQL, not on the loaded row: workers sharing the send add their chunks concurrently.
    session.execute(queries.CHUNK_DONE, {"b_send_id": send.id, "b_written": written, "b_now": clock.now()})
    session.expire(send, ["success_count", "chunks_left", "status", "completed_at"])
    return written


@dataclass(frozen=True)
class _Terms:
    id: int
    timezone: str


def in_flight(send: Send) -> bool:
    """Whether the send is still being delivered (its progress moves)."""
    return send.status in (WAITING, SENDING)


def _fail(session: Session, send: Send, error_code: int) -> None:
    send.status, send.completed_at = FAILED, clock.now()
    send.error_code, send.failed_description = error_code, rules.FAILED_DESCRIPTIONS[error_code]
    session.flush()


# ---------------------------------------------------------------- what a bot reads

@dataclass(frozen=True)
class NarrowcastProgress:
    """LINE's narrowcast progress: counts once delivery has started, the reason once failed."""

    phase: str
    accepted_time: str
    completed_time: str | None = None
    success_count: int | None = None
    failure_count: int | None = None
    target_count: int | None = None
    failed_description: str | None = None
    error_code: int | None = None


def narrowcast_progress(session: Session, bot: BotContext, request_id: str) -> NarrowcastProgress:
    """Where this account's narrowcast (or broadcast) ``request_id`` stands; NotFound past 14 days
    or for any other id."""
    # REFERENCE §0: a broadcast's request id keys the same reads as a narrowcast's.
    send = session.scalar(select(Send).where(Send.account_id == bot.account_id, Send.request_id == request_id,
                                             Send.kind.in_((NARROWCAST, "broadcast"))))
    if send is None or send.accepted_at <= clock.now() - timedelta(days=rules.PROGRESS_DAYS):
        raise NotFound()
    accepted = rules.line_time(send.accepted_at)
    if send.status == WAITING:
        return NarrowcastProgress(phase=WAITING, accepted_time=accepted)
    failed = send.status == FAILED
    return NarrowcastProgress(
        phase=send.status, accepted_time=accepted,
        completed_time=None if send.completed_at is None else rules.line_time(send.completed_at),
        success_count=send.success_count, failure_count=0, target_count=send.target_count,
        failed_description=send.failed_description if failed else None,
        error_code=send.error_code if failed else None)


def message_quota(session: Session, bot: BotContext) -> int:
    """The account's monthly limit of counted messages."""
    account = _account(session, bot.account_id)
    return billing.monthly_limit(_package(account, clock.now()), account.additional_message_limit)


def quota_consumption(session: Session, bot: BotContext) -> int:
    """Counted messages used this month, in the account's timezone."""
    return billing_service.month_use(session, _account(session, bot.account_id))


def _day(value: str) -> date:
    try:
        if not re.fullmatch(r"\d{8}", value or ""):
            raise ValueError(value)
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise Invalid(field="date", reason="Invalid date format") from None


def delivered_on(session: Session, bot: BotContext, kind: str, day: str) -> int:
    """People reached by this account's sends of ``kind`` on ``day`` (yyyyMMdd, account's timezone)."""
    if kind not in KINDS:
        raise Invalid(field="kind", reason="Unknown kind")
    local = _day(day)
    zone = ZoneInfo(_account(session, bot.account_id).timezone)
    start = datetime.combine(local, time(), zone).astimezone(UTC)
    end = datetime.combine(local + timedelta(days=1), time(), zone).astimezone(UTC)
    count = session.scalar(select(func.count()).select_from(Delivery).join(Send, Send.id == Delivery.send_id).where(
        Delivery.account_id == bot.account_id, Send.kind == kind, Delivery.created_at >= start,
        Delivery.created_at < end))
    return int(count or 0)
