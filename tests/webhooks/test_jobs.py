"""The ``webhooks.deliver`` job against a real bot endpoint on loopback, which checks every
request with the SDK's ``WebhookParser``: success, failures and their reasons, redelivery."""

from __future__ import annotations

from linebot.v3.webhooks import FollowEvent, UnfollowEvent
from sqlalchemy import func, select

from openoa.channels.service import channel_of
from openoa.core.access import BusinessActor, PersonActor
from openoa.core.jobs import Job, claim, run_claimed_batch, run_due_jobs
from openoa.friends import service as friends
from openoa.webhooks import jobs as webhook_jobs
from openoa.webhooks import rules
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import ReplyToken, WebhookDelivery, WebhookEvent
from tests import factories
from tests.webhooks.conftest import make_bot
from tests.webhooks.receiver import Receiver, closed_port_url


def _attempts(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.attempt)).all()


def _queued(session):  # type: ignore[no-untyped-def]
    return session.scalars(select(Job).where(Job.name == "webhooks.deliver", Job.state == "queued")).all()


def _follow(session, acc):  # type: ignore[no-untyped-def]
    person = factories.person(session)
    friendship = factories.friend(session, person, acc)
    session.flush()
    return person, friendship


def test_delivery_is_signed_parsed_by_the_sdk_and_recorded(db, session, acc, bot: Receiver):
    _, friendship = _follow(session, acc)
    assert run_due_jobs(db) == 1
    [got] = bot.received
    assert got.signature_ok and got.strict_error is None
    assert got.headers["user-agent"] == "LineBotWebhook/2.0"
    assert got.headers["content-type"].startswith("application/json")
    [event] = got.events
    assert isinstance(event, FollowEvent)
    assert event.source.user_id == friendship.user_id and event.reply_token
    assert event.delivery_context.is_redelivery is False
    [attempt] = _attempts(session)
    assert (attempt.attempt, attempt.status_code, attempt.reason, attempt.is_redelivery) == (1, 200, None, False)
    assert attempt.endpoint == bot.url
    assert _queued(session) == []


def test_destination_is_the_bots_user_id(db, session, acc, bot: Receiver):
    _follow(session, acc)
    run_due_jobs(db)
    assert bot.received[0].body["destination"] == channel_of(session, acc.id).bot_user_id


def test_redelivery_on_sends_again_with_is_redelivery_and_the_same_event_id(db, session, owner, acc, clock,
                                                                          receiver: Receiver):
    receiver.secret = make_bot(session, owner, acc, receiver.url, redelivery=True)
    receiver.answers = [(500, 0)]
    _follow(session, acc)
    run_due_jobs(db)
    [failed] = _attempts(session)
    assert (failed.status_code, failed.reason, failed.detail) == (500, "error_status_code", "500")
    [next_job] = _queued(session)
    assert next_job.run_at == clock.now() + rules.REDELIVERY_DELAYS[0]
    assert run_due_jobs(db) == 0  # not before its time
    clock.advance(seconds=rules.REDELIVERY_DELAYS[0].total_seconds())
    assert run_due_jobs(db) == 1
    first, second = receiver.received
    assert all(r.signature_ok and r.strict_error is None for r in (first, second))
    one, two = first.body["events"][0], second.body["events"][0]
    assert one["deliveryContext"] == {"isRedelivery": False}
    assert two["deliveryContext"] == {"isRedelivery": True}
    # Identical but for deliveryContext: the same webhookEventId, replyToken and timestamp.
    assert {k: v for k, v in one.items() if k != "deliveryContext"} == \
        {k: v for k, v in two.items() if k != "deliveryContext"}
    assert second.events[0].delivery_context.is_redelivery is True
    assert [(a.attempt, a.is_redelivery, a.reason) for a in _attempts(session)] == \
        [(1, False, "error_status_code"), (2, True, None)]
    assert _queued(session) == []


def test_redelivery_off_makes_one_attempt_and_logs_the_failure(db, session, acc, clock, bot: Receiver):
    bot.answers = [(503, 0)]
    _follow(session, acc)
    run_due_jobs(db)
    clock.advance(hours=1)
    run_due_jobs(db)
    assert len(bot.received) == 1
    [failed] = _attempts(session)
    assert (failed.attempt, failed.status_code, failed.reason) == (1, 503, "error_status_code")
    assert _queued(session) == []


def test_redelivery_gives_up_after_its_bound(db, session, owner, acc, clock, receiver: Receiver):
    receiver.secret = make_bot(session, owner, acc, receiver.url, redelivery=True)
    receiver.answers = [(500, 0)] * 20
    _follow(session, acc)
    for _ in range(rules.MAX_DELIVERY_ATTEMPTS + 2):
        run_due_jobs(db)
        clock.advance(hours=1)
    assert len(receiver.received) == rules.MAX_DELIVERY_ATTEMPTS
    assert [a.attempt for a in _attempts(session)] == list(range(1, rules.MAX_DELIVERY_ATTEMPTS + 1))
    ids = {r.body["events"][0]["webhookEventId"] for r in receiver.received}
    assert len(ids) == 1


def test_unreachable_url_is_recorded_as_could_not_connect(db, session, owner, acc):
    make_bot(session, owner, acc, closed_port_url())
    _follow(session, acc)
    run_due_jobs(db)
    [failed] = _attempts(session)
    assert failed.status_code is None and failed.reason == "could_not_connect"
    assert failed.detail and "Connection failed" in failed.detail


def test_a_bot_slower_than_two_seconds_is_a_request_timeout(db, session, acc, bot: Receiver):
    bot.answers = [(200, rules.DELIVERY_TIMEOUT_SECONDS + 1.0)]
    _follow(session, acc)
    run_due_jobs(db)
    [failed] = _attempts(session)
    assert failed.status_code is None and failed.reason == "request_timeout"
    assert rules.DELIVERY_TIMEOUT_SECONDS * 1000 <= failed.duration_ms < (rules.DELIVERY_TIMEOUT_SECONDS + 1) * 1000


def test_style_7b_running_an_attempt_twice_sends_and_records_it_once(db, session, acc, bot: Receiver):
    _follow(session, acc)
    event_id = session.scalar(select(WebhookEvent.id))
    webhook_jobs.deliver(db, event_id=event_id, attempt=1)
    webhook_jobs.deliver(db, event_id=event_id, attempt=1)
    assert len(bot.received) == 1 and len(_attempts(session)) == 1


def test_turning_webhooks_off_before_delivery_sends_nothing(db, session, owner, acc, bot: Receiver):
    _follow(session, acc)
    webhooks.update_webhook_settings(session, BusinessActor(owner.id), acc.id, use_webhook=False)
    session.flush()
    run_due_jobs(db)
    assert bot.received == [] and _attempts(session) == []


def test_a_redelivered_reply_token_is_good_for_another_minute(db, session, owner, acc, clock, receiver: Receiver):
    receiver.secret = make_bot(session, owner, acc, receiver.url, redelivery=True)
    receiver.answers = [(500, 0), (500, 0), (500, 0)]
    person, _ = _follow(session, acc)
    run_due_jobs(db)
    for delay in rules.REDELIVERY_DELAYS[:3]:
        clock.advance(seconds=delay.total_seconds())
        run_due_jobs(db)
    # Four attempts, the last 2 min 35 s after the event: the first minute is long gone.
    assert len(receiver.received) == 4
    token = receiver.received[-1].body["events"][0]["replyToken"]
    clock.advance(seconds=59)
    assert webhooks.consume_reply_token(session, acc.id, token) == person.id


def test_unfollow_is_delivered_too(db, session, acc, bot: Receiver):
    person, friendship = _follow(session, acc)
    friends.block(session, PersonActor(person.id), acc.id)
    session.flush()
    run_due_jobs(db)
    kinds = sorted(type(r.events[0]).__name__ for r in bot.received)
    assert kinds == ["FollowEvent", "UnfollowEvent"]
    unfollow = next(r.events[0] for r in bot.received if isinstance(r.events[0], UnfollowEvent))
    assert unfollow.source.user_id == friendship.user_id


def test_old_webhook_events_their_delivery_log_and_old_reply_tokens_are_pruned(
        db, session, acc, bot, clock, monkeypatch):  # type: ignore[no-untyped-def]
    """`webhooks.prune` (hourly): events past OPENOA_WEBHOOK_EVENT_RETENTION_DAYS (30) go with their
    delivery log; reply tokens a day after their issue; anything newer stays."""
    monkeypatch.setattr(webhook_jobs, "PRUNE_CHUNK", 2)  # several chunks
    for n in range(3):
        factories.friend(session, factories.person(session, name=f"Old {n}"), acc)
    session.flush()
    run_claimed_batch(db, claim(db, "w", limit=64, name=webhooks.DELIVER_JOB), "w")
    clock.advance(days=29)
    factories.friend(session, factories.person(session, name="Recent"), acc)  # 1 day old at the prune
    clock.advance(days=1, seconds=1)
    factories.friend(session, factories.person(session, name="Now"), acc)
    session.flush()

    def counts() -> tuple[int, int, int]:
        session.expire_all()
        return tuple(session.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (WebhookEvent, WebhookDelivery, ReplyToken))

    assert counts() == (5, 3, 5)
    webhook_jobs.prune(db)
    assert counts() == (2, 0, 1)  # the two newer events; only the token issued a second ago
    assert [e.payload["replyToken"] is not None for e in session.scalars(select(WebhookEvent))] == [True, True]
