"""Narrowcast on a real database: demographic filters and recipient operators compiled to SQL
(R-BRD-01), limit.max as an exact random pick (R-BRD-02), upToRemainingQuota and
forbidPartialDelivery (R-MSG-05), redelivery, the reach and privacy floors, LINE's progress, and
that a refused request stores nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openoa.billing.models import MessageUsage
from openoa.core.access import PersonActor
from openoa.core.clock import FakeClock
from openoa.core.errors import Invalid, NotAllowed, NotFound
from openoa.core.jobs import Job
from openoa.friends import service as friends
from openoa.friends.models import Friendship
from openoa.messaging import queries, rules, service
from openoa.messaging.models import Delivery, Send
from openoa.users.models import User
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, add_people, chunks_to_do, context, deliver

TEXT = [{"type": "text", "text": "Members' sale this weekend"}]
KEY = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
def bot(session: Session) -> Bot:
    made = make_bot(session, name="Siam Shoes")
    made.account.package = "pro"  # room for the bigger crowds below
    session.flush()
    return made


def _count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _send(session: Session, bot: Bot, request_id: str = "nc1", **body: Any) -> Send:
    service.narrowcast(session, context(session, bot), request_id=request_id, messages=TEXT, **body)
    return session.scalar(select(Send).where(Send.request_id == request_id))


def _deliver(session: Session, send: Send, chunk: int = 10_000) -> list[int]:
    deliver(session, send.id, chunk)
    return sorted(session.scalars(select(Delivery.user_id).where(Delivery.send_id == send.id)))


def _used(session: Session, bot: Bot) -> int:
    return service.quota_consumption(session, context(session, bot))


def _refused(session: Session, bot: Bot, **body: Any) -> Invalid:
    with pytest.raises(Invalid) as refused:
        service.narrowcast(session, context(session, bot), request_id="refused", messages=TEXT, **body)
    assert (_count(session, Send), _count(session, Job), _count(session, Delivery)) == (0, 0, 0)
    return refused.value


# ---------------------------------------------------------------- the filter compiled to SQL

def _population(session: Session, bot: Bot, clock: FakeClock) -> list[int]:
    """Five friends whose attributes differ (FakeClock: January 2026, so age = 2026 - birth year)."""
    now = clock.now()
    return add_people(session, bot.account.id, [
        {"gender": "male", "birth_year": 1996, "area": "th_01", "os": "ios", "followed_at": now - timedelta(days=400)},
        {"gender": "female", "birth_year": 2006, "area": "th_07", "os": "android",
         "followed_at": now - timedelta(days=10)},
        {"gender": "female", "birth_year": 1981, "area": "jp_13", "os": "ios", "followed_at": now - timedelta(days=100)},
        {},  # attributes unknown, a friend since just now
        {"gender": "male", "birth_year": 2011, "area": "tw_01", "os": "android",
         "followed_at": now - timedelta(days=35)},
    ])


def _gender(*values: str) -> dict[str, Any]:
    return {"type": "gender", "oneOf": list(values)}


FILTERS: list[tuple[str, dict[str, Any], set[int]]] = [
    ("gender", _gender("male"), {0, 4}),
    ("gender both", _gender("female", "male"), {0, 1, 2, 4}),
    ("age gte", {"type": "age", "gte": "age_20"}, {0, 1, 2}),
    ("age lt", {"type": "age", "lt": "age_20"}, {4}),
    ("age band", {"type": "age", "gte": "age_20", "lt": "age_35"}, {0, 1}),
    ("appType ios", {"type": "appType", "oneOf": ["ios"]}, {0, 2}),
    ("appType android", {"type": "appType", "oneOf": ["android"]}, {1, 4}),
    ("area", {"type": "area", "oneOf": ["th_01", "jp_13"]}, {0, 2}),
    ("subscription gte", {"type": "subscriptionPeriod", "gte": "day_30"}, {0, 2, 4}),
    ("subscription lt", {"type": "subscriptionPeriod", "lt": "day_30"}, {1, 3}),
    ("subscription band", {"type": "subscriptionPeriod", "gte": "day_90", "lt": "day_365"}, {2}),
    ("and", {"type": "operator", "and": [_gender("female"), {"type": "appType", "oneOf": ["ios"]}]}, {2}),
    ("or", {"type": "operator", "or": [{"type": "area", "oneOf": ["tw_01"]}, {"type": "age", "gte": "age_45"}]},
     {2, 4}),
    # Unknown attributes match nothing, negated or not.
    ("not", {"type": "operator", "not": _gender("male")}, {1, 2}),
    ("not and", {"type": "operator", "not": {"type": "operator", "and": [
        _gender("male"), {"type": "appType", "oneOf": ["ios"]}]}}, {1, 2, 4}),
    ("nested", {"type": "operator", "or": [
        {"type": "operator", "and": [_gender("female"), {"type": "operator", "not": {"type": "area", "oneOf": ["th_07"]}}]},
        {"type": "subscriptionPeriod", "gte": "day_365"}]}, {0, 2}),
]


@pytest.mark.parametrize(("name", "demographic", "expected"), FILTERS, ids=[f[0] for f in FILTERS])
def test_r_brd_01_every_demographic_filter_and_operator_selects_the_right_people(
        session: Session, bot: Bot, clock: FakeClock, name: str, demographic: dict[str, Any], expected: set[int]):
    people = _population(session, bot, clock)
    spec = {"recipient": None, "filter": demographic, "year": 2026}
    chosen = session.scalars(select(Friendship.user_id).join(User, User.id == Friendship.user_id).where(
        Friendship.account_id == bot.account.id, *queries.narrowcast_targeting(spec, as_of=clock.now())))
    assert set(chosen) == {people[i] for i in expected}


def test_r_brd_01_a_filtered_narrowcast_reaches_only_matching_friends(session: Session, bot: Bot):
    women = add_people(session, bot.account.id, [{"gender": "female", "os": "ios"}] * 60)
    add_people(session, bot.account.id, [{"gender": "male", "os": "ios"}] * 60)
    send = _send(session, bot, filter={"demographic": _gender("female")})
    assert (send.status, send.kind, send.counted) == ("waiting", "narrowcast", True)
    assert _deliver(session, send, chunk=25) == women
    assert (send.status, send.target_count, send.success_count) == ("succeeded", 60, 60)
    assert _used(session, bot) == 60


def test_without_a_filter_narrowcast_reaches_every_friend_including_unknown_attributes(session: Session, bot: Bot,
                                                                                       clock: FakeClock):
    people = _population(session, bot, clock)
    send = _send(session, bot)
    assert _deliver(session, send) == people  # fewer than 50 is fine without attributes


# ---------------------------------------------------------------- reach and privacy floors

def test_r_brd_01_attributes_need_a_target_reach_of_100(session: Session, bot: Bot):
    user_ids = add_people(session, bot.account.id, [{"gender": "female"}] * 100)
    friends.block(session, PersonActor(user_ids[0]), bot.account.id)  # 99 reachable
    with pytest.raises(NotAllowed) as refused:
        _send(session, bot, filter={"demographic": _gender("female")})
    assert refused.value.message == "Your account does not have enough friends"
    assert (_count(session, Send), _count(session, Job)) == (0, 0)
    add_people(session, bot.account.id, [{"gender": "male"}])
    assert _send(session, bot, filter={"demographic": _gender("female")}).status == "waiting"


def test_under_50_recipients_with_attributes_is_accepted_then_fails_with_error_code_2(
        session: Session, bot: Bot, clock: FakeClock):
    add_people(session, bot.account.id, [{"gender": "female"}] * 49 + [{"gender": "male"}] * 51)
    send = _send(session, bot, filter={"demographic": _gender("female")})
    clock.advance(seconds=2)
    assert _deliver(session, send) == []
    progress = service.narrowcast_progress(session, context(session, bot), "nc1")
    assert (progress.phase, progress.error_code, progress.target_count, progress.success_count) == ("failed", 2, 49, 0)
    assert progress.failed_description == rules.FAILED_DESCRIPTIONS[2]
    assert progress.completed_time == "2026-01-15T03:00:02.000Z"
    assert _used(session, bot) == 0
    assert service.start_fan_out(session, send.id, 100) == 0  # a failed send stays failed


def test_under_50_recipients_by_limit_max_with_attributes_fails_too(session: Session, bot: Bot):
    add_people(session, bot.account.id, [{"gender": "female"}] * 100)
    send = _send(session, bot, filter={"demographic": _gender("female")}, limit={"max": 49})
    _deliver(session, send)
    assert (send.status, send.error_code) == ("failed", 2)


# ---------------------------------------------------------------- limit.max (R-BRD-02)

def test_r_brd_02_limit_max_is_exact_and_random(session: Session, bot: Bot):
    user_ids = add_friends(session, bot.account.id, 1000)
    first = _send(session, bot, "nc-a", limit={"max": 100})
    assert first.target_count == 100  # the reservation shrinks to max
    picked = _deliver(session, first, chunk=30)
    assert len(picked) == 100 == first.success_count == first.target_count
    assert picked != user_ids[:100]
    # Spread over the whole id range: every quarter holds some of them.
    quarters = {user_ids.index(uid) * 4 // len(user_ids) for uid in picked}
    assert quarters == {0, 1, 2, 3}
    second = _send(session, bot, "nc-b", limit={"max": 100})
    assert len(again := _deliver(session, second)) == 100 and again != picked
    assert _used(session, bot) == 200


def test_r_brd_02_limit_max_picks_among_the_qualified_only(session: Session, bot: Bot):
    women = add_people(session, bot.account.id, [{"gender": "female"}] * 150)
    add_people(session, bot.account.id, [{"gender": "male"}] * 150)
    send = _send(session, bot, filter={"demographic": _gender("female")}, limit={"max": 60})
    picked = _deliver(session, send, chunk=7)
    assert len(picked) == 60 and set(picked) <= set(women)


def test_r_brd_02_a_resumed_random_pick_picks_the_same_people(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 400)
    send = _send(session, bot, limit={"max": 120})
    assert service.start_fan_out(session, send.id, 50) == 8
    threshold = send.pick_threshold
    first = chunks_to_do(session, send.id)[0]
    written = service.fan_out_chunk(session, first)
    assert service.fan_out_chunk(session, first) == 0  # a stale worker replays the chunk: nothing
    picked = _deliver(session, send, chunk=50)
    assert 0 < written < 120
    assert len(picked) == 120 and send.pick_threshold == threshold
    assert all(rules.pick_hash(uid, send.seed) <= threshold for uid in picked)


def test_limit_max_above_the_qualified_reaches_everyone(session: Session, bot: Bot):
    user_ids = add_friends(session, bot.account.id, 30)
    send = _send(session, bot, limit={"max": 500, "upToRemainingQuota": False, "forbidPartialDelivery": False})
    assert _deliver(session, send) == user_ids and send.pick_threshold is None


# ---------------------------------------------------------------- quota (R-MSG-05)

def _use(session: Session, bot: Bot, used: int) -> None:
    session.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, used=used))
    session.flush()


def test_r_msg_05_a_narrowcast_that_does_not_fit_is_refused_whole(session: Session, bot: Bot):
    bot.account.package = "free"
    add_friends(session, bot.account.id, 10)
    _use(session, bot, 495)
    with pytest.raises(service.MonthlyLimitReached):
        _send(session, bot)
    assert (_count(session, Send), _count(session, Job)) == (0, 0)
    assert _send(session, bot, limit={"max": 5}).target_count == 5  # max shrinks what it needs


def test_r_msg_05_up_to_remaining_quota_sends_to_as_many_as_fit_at_random(session: Session, bot: Bot):
    bot.account.package = "free"
    user_ids = add_friends(session, bot.account.id, 300)
    _use(session, bot, 450)
    send = _send(session, bot, limit={"upToRemainingQuota": True})
    picked = _deliver(session, send, chunk=20)
    assert len(picked) == 50 and picked != user_ids[:50]
    assert _used(session, bot) == 500


def test_r_msg_05_forbid_partial_delivery_fails_with_error_code_5(session: Session, bot: Bot):
    bot.account.package = "free"
    add_friends(session, bot.account.id, 300)
    _use(session, bot, 450)
    send = _send(session, bot, limit={"upToRemainingQuota": True, "forbidPartialDelivery": True})
    assert send.target_count == 0  # holds nothing of the quota while it waits
    assert service.narrowcast_progress(session, context(session, bot), "nc1").error_code is None
    assert _deliver(session, send) == []
    progress = service.narrowcast_progress(session, context(session, bot), "nc1")
    assert (progress.phase, progress.error_code) == ("failed", 5)
    assert _used(session, bot) == 450
    # Everyone fits under max: nothing partial, so it is delivered.
    whole = _send(session, bot, "nc2", limit={"max": 40, "upToRemainingQuota": True, "forbidPartialDelivery": True})
    assert len(_deliver(session, whole)) == 40


def test_forbid_partial_delivery_needs_up_to_remaining_quota(session: Session, bot: Bot):
    refused = _refused(session, bot, limit={"forbidPartialDelivery": True})
    assert refused.message == "The option forbidPartialDelivery must be used with upToRemainingQuota."
    assert refused.by_field() == {"limit.forbidPartialDelivery": refused.message}


# ---------------------------------------------------------------- recipients

def test_redelivery_reaches_the_same_people_as_the_earlier_narrowcast(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 200)
    first = _send(session, bot, "nc-first", limit={"max": 10})
    picked = _deliver(session, first)
    friends.block(session, PersonActor(picked[0]), bot.account.id)
    again = _send(session, bot, "nc-again", recipient={"type": "redelivery", "requestId": "nc-first"})
    assert _deliver(session, again) == picked[1:]
    both = _send(session, bot, "nc-both", recipient={"type": "operator", "or": [
        {"type": "redelivery", "requestId": "nc-first"}, {"type": "redelivery", "requestId": "nc-again"}]})
    assert _deliver(session, both) == picked[1:]
    others = _send(session, bot, "nc-others", recipient={"type": "operator", "not": {
        "type": "redelivery", "requestId": "nc-first"}}, limit={"max": 500})
    assert len(reached := _deliver(session, others)) == 190 and not set(reached) & set(picked)


def test_redelivery_of_an_unknown_unfinished_foreign_or_old_request_is_refused(session: Session, bot: Bot,
                                                                             clock: FakeClock):
    add_friends(session, bot.account.id, 20)
    other = make_bot(session, name="Other Shop")
    add_friends(session, other.account.id, 5)
    service.narrowcast(session, context(session, other), request_id="theirs", messages=TEXT)
    _deliver(session, session.scalar(select(Send).where(Send.request_id == "theirs")))
    waiting = _send(session, bot, "waiting")
    for request_id in ("nope", "theirs", "waiting"):
        with pytest.raises(Invalid) as refused:
            _send(session, bot, "r", recipient={"type": "operator", "and": [
                {"type": "redelivery", "requestId": request_id}]})
        assert refused.value.by_field() == {"recipient.and[0].requestId": f"Invalid request id: {request_id}"}
        assert refused.value.message == f"Invalid request id: {request_id}"
    _deliver(session, waiting)
    clock.advance(days=14)
    with pytest.raises(Invalid):
        _send(session, bot, "r", recipient={"type": "redelivery", "requestId": "waiting"})
    assert _count(session, Send) == 2


def test_audience_recipients_are_refused_while_no_audience_exists(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 120)
    refused = _refused(session, bot, recipient={"type": "operator", "or": [
        {"type": "audience", "audienceGroupId": 4242}, {"type": "audience", "audienceGroupId": 7}]})
    assert refused.by_field() == {"recipient.or[0].audienceGroupId": "Invalid audience group id: 4242",
                                  "recipient.or[1].audienceGroupId": "Invalid audience group id: 7"}
    single = _refused(session, bot, recipient={"type": "audience", "audienceGroupId": 5})
    assert single.message == "Invalid audience group id: 5"


BAD_INPUT: list[tuple[dict[str, Any], str]] = [
    ({"recipient": {"type": "group"}}, "recipient.type"),
    ({"recipient": {"type": "operator"}}, "recipient"),
    ({"recipient": {"type": "operator", "and": [], }}, "recipient.and"),
    ({"recipient": {"type": "operator", "and": [{"type": "redelivery", "requestId": "a"}],
                    "not": {"type": "redelivery", "requestId": "b"}}}, "recipient"),
    ({"recipient": {"type": "redelivery"}}, "recipient.requestId"),
    ({"recipient": {"type": "audience", "audienceGroupId": "x"}}, "recipient.audienceGroupId"),
    ({"recipient": {"type": "operator", "or": [{"type": "redelivery", "requestId": str(n)} for n in range(11)]}},
     "recipient"),
    ({"filter": {"demographic": {"type": "gender", "oneOf": ["other"]}}}, "filter.demographic.oneOf[0]"),
    ({"filter": {"demographic": {"type": "gender", "oneOf": []}}}, "filter.demographic.oneOf"),
    ({"filter": {"demographic": {"type": "age"}}}, "filter.demographic"),
    ({"filter": {"demographic": {"type": "operator", "and": [
        _gender("male"), {"type": "age", "gte": "age_30", "lt": "age_20"}]}}}, "filter.demographic.and[1].gte"),
    ({"filter": {"demographic": {"type": "age", "gte": "age_17"}}}, "filter.demographic.gte"),
    ({"filter": {"demographic": {"type": "appType", "oneOf": ["windows"]}}}, "filter.demographic.oneOf[0]"),
    ({"filter": {"demographic": {"type": "area", "oneOf": ["th_09"]}}}, "filter.demographic.oneOf[0]"),
    ({"filter": {"demographic": {"type": "subscriptionPeriod", "lt": "day_14"}}}, "filter.demographic.lt"),
    ({"filter": {"demographic": {"type": "subscriptionPeriod", "gte": "day_365", "lt": "day_7"}}},
     "filter.demographic.gte"),
    ({"filter": {"demographic": {"type": "operator", "not": {"type": "nope"}}}}, "filter.demographic.not.type"),
    ({"filter": {"demographic": {"type": "operator", "or": [_gender("male")] * 11}}}, "filter.demographic"),
    ({"limit": {"max": 0}}, "limit.max"),
    ({"limit": {"max": "10"}}, "limit.max"),
    ({"limit": {"upToRemainingQuota": "yes"}}, "limit.upToRemainingQuota"),
    ({"limit": {"forbidPartialDelivery": True, "upToRemainingQuota": False}}, "limit.forbidPartialDelivery"),
]


@pytest.mark.parametrize(("body", "prop"), BAD_INPUT, ids=[p for _, p in BAD_INPUT])
def test_bad_narrowcast_input_names_the_property_and_stores_nothing(session: Session, bot: Bot,
                                                                    body: dict[str, Any], prop: str):
    add_friends(session, bot.account.id, 120)
    assert prop in _refused(session, bot, **body).by_field()


def test_ten_filter_objects_and_ten_redeliveries_are_allowed(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 120)
    first = _send(session, bot, "nc-0")
    _deliver(session, first)
    _send(session, bot, "ten-filters", filter={"demographic": {"type": "operator", "or": [_gender("male")] * 10}})
    _send(session, bot, "ten-redeliveries", recipient={"type": "operator", "or": [
        {"type": "redelivery", "requestId": "nc-0"}] * 10})


def test_retry_key_accepts_a_narrowcast_once(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 3)
    ctx = context(session, bot)
    service.narrowcast(session, ctx, request_id="r1", messages=TEXT, retry_key=KEY)
    with pytest.raises(service.RetryKeyAccepted) as again:
        service.narrowcast(session, ctx, request_id="r2", messages=TEXT, retry_key=KEY)
    assert again.value.accepted_request_id == "r1"
    assert _count(session, Send) == 1


# ---------------------------------------------------------------- progress

def test_progress_goes_waiting_sending_succeeded_with_counts_and_times(session: Session, bot: Bot, clock: FakeClock):
    add_friends(session, bot.account.id, 25)
    ctx = context(session, bot)
    send = _send(session, bot)
    waiting = service.narrowcast_progress(session, ctx, "nc1")
    assert waiting == service.NarrowcastProgress(phase="waiting", accepted_time="2026-01-15T03:00:00.000Z")
    clock.advance(seconds=1.5)
    assert service.start_fan_out(session, send.id, 10) == 3
    service.fan_out_chunk(session, chunks_to_do(session, send.id)[0])
    sending = service.narrowcast_progress(session, ctx, "nc1")
    assert (sending.phase, sending.success_count, sending.failure_count, sending.target_count,
            sending.completed_time) == ("sending", 10, 0, 25, None)
    clock.advance(seconds=1)
    _deliver(session, send, chunk=10)
    done = service.narrowcast_progress(session, ctx, "nc1")
    assert (done.phase, done.success_count, done.failure_count, done.target_count, done.completed_time,
            done.error_code, done.failed_description) == ("succeeded", 25, 0, 25, "2026-01-15T03:00:02.500Z",
                                                          None, None)


def test_progress_is_gone_after_14_days_and_never_shown_to_other_accounts(
        session: Session, bot: Bot, clock: FakeClock):
    add_friends(session, bot.account.id, 3)
    ctx = context(session, bot)
    _send(session, bot)
    service.broadcast(session, ctx, request_id="bc1", messages=TEXT)
    service.push(session, ctx, request_id="push1", to="U" + "0" * 32, messages=TEXT)
    other = make_bot(session, name="Other Shop")
    for request_id, who in (("nc1", context(session, other)), ("bc1", context(session, other)),
                            ("push1", ctx), ("unknown", ctx)):
        with pytest.raises(NotFound):
            service.narrowcast_progress(session, who, request_id)
    assert service.narrowcast_progress(session, ctx, "bc1").phase == "waiting"  # a broadcast's id keys it too
    clock.advance(days=14, seconds=-1)
    assert service.narrowcast_progress(session, ctx, "nc1").phase == "waiting"
    clock.advance(seconds=1)
    with pytest.raises(NotFound):
        service.narrowcast_progress(session, ctx, "nc1")


# ---------------------------------------------------------------- cost

def test_style_7d_a_narrowcast_chunk_costs_the_same_statements_for_ten_or_a_thousand(session: Session, bot: Bot):
    demographic = {"type": "operator", "and": [_gender("female"), {"type": "age", "gte": "age_20"}]}
    small = add_people(session, bot.account.id, [{"gender": "female", "birth_year": 1990}] * 120)
    _deliver(session, _send(session, bot, "warm", filter={"demographic": demographic}))  # usage row exists
    counts = []
    for n, size in enumerate((200, 1000)):
        add_people(session, bot.account.id, [{"gender": "female", "birth_year": 1990}] * size)
        send = _send(session, bot, f"nc{n}", filter={"demographic": demographic}, limit={"max": size // 2})
        service.start_fan_out(session, send.id, size // 4)  # the start: count, threshold and chunks
        seen: list[str] = []

        def count(_conn, _cursor, statement, *_args, seen=seen) -> None:  # type: ignore[no-untyped-def]
            seen.append(statement)

        engine = session.get_bind().engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            service.fan_out_chunk(session, chunks_to_do(session, send.id)[0])
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]))
    assert small and counts[0] == counts[1] <= 6
