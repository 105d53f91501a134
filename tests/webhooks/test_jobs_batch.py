"""``webhooks.deliver`` jobs run as a batch (what a Worker does): every event reaches the bot
signed, once, and is recorded once; a failure is recorded and redelivered as when alone."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from openoa.core.access import BusinessActor
from openoa.core.jobs import DONE, Job, claim, run_claimed_batch
from openoa.webhooks import jobs as webhook_jobs
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import ReplyToken, WebhookDelivery
from tests import factories
from tests.webhooks.conftest import make_bot
from tests.webhooks.receiver import Receiver


def _follows(session, acc, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    scoped = []
    for n in range(count):
        person = factories.person(session, name=f"Friend {n}")
        scoped.append(factories.friend(session, person, acc).user_id)
    session.flush()
    return scoped


def _deliveries(session) -> list[WebhookDelivery]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.event_id, WebhookDelivery.attempt)))


def test_a_batch_delivers_every_event_signed_once_and_records_each(db, session, acc, bot: Receiver):
    scoped = _follows(session, acc, 5)
    held = claim(db, "w", limit=64, name=webhooks.DELIVER_JOB)
    assert len(held) == 5
    assert set(run_claimed_batch(db, held, "w").values()) == {DONE}
    assert len(bot.received) == 5
    assert all(got.signature_ok and got.strict_error is None for got in bot.received)
    assert sorted(got.events[0].source.user_id for got in bot.received) == sorted(scoped)
    assert [(d.attempt, d.status_code, d.reason) for d in _deliveries(session)] == [(1, 200, None)] * 5
    assert session.scalars(select(Job).where(Job.state != DONE)).all() == []


def test_style_7b_a_batch_run_twice_sends_and_records_each_attempt_once(db, session, acc, bot: Receiver):
    _follows(session, acc, 3)
    held = claim(db, "w", limit=64, name=webhooks.DELIVER_JOB)
    settled: list[dict[int, str]] = []
    for _ in range(2):
        webhook_jobs.deliver_batch(db, held).complete(lambda _session, errors: settled.append(errors))
    assert settled == [{}, {}]
    assert len(bot.received) == 3
    assert len(_deliveries(session)) == 3


def test_an_attempt_whose_worker_died_goes_again_marked_as_a_redelivery(db, session, acc, bot: Receiver):
    """The worker may have posted before it died: the run again says so, with the same event ID
    (BENCHMARKS B5: duplicates only under one webhookEventId, with isRedelivery true)."""
    _follows(session, acc, 2)
    first = claim(db, "dead", limit=64, name=webhooks.DELIVER_JOB)
    webhook_jobs.deliver_batch(db, first)  # posted; the worker dies before recording anything
    bot.wait_for(2)
    held = [dataclasses.replace(item, attempt=item.attempt + 1) for item in first]  # claimed again
    webhook_jobs.deliver_batch(db, held).complete(lambda _session, _errors: None)
    got = bot.wait_for(4)
    by_event: dict[str, list[bool]] = {}
    for delivered in got:
        event = delivered.body["events"][0]
        by_event.setdefault(event["webhookEventId"], []).append(event["deliveryContext"]["isRedelivery"])
    assert sorted(by_event.values()) == [[False, True], [False, True]]
    assert [(d.attempt, d.is_redelivery) for d in _deliveries(session)] == [(1, True), (1, True)]


def test_a_failure_in_a_batch_is_recorded_and_redelivered_the_rest_succeed(db, session, owner, acc, clock,
                                                                           receiver: Receiver):
    receiver.secret = make_bot(session, owner, acc, receiver.url, redelivery=True)
    receiver.answers = [(500, 0)]
    _follows(session, acc, 3)
    run_claimed_batch(db, claim(db, "w", limit=64, name=webhooks.DELIVER_JOB), "w")
    attempts = _deliveries(session)
    assert sorted((d.status_code, d.reason) for d in attempts) == [(200, None), (200, None), (500, "error_status_code")]
    failed = next(d for d in attempts if d.reason)
    clock.advance(seconds=10)
    again = claim(db, "w", limit=64, name=webhooks.DELIVER_JOB)
    assert [(item.payload["event_id"], item.payload["attempt"]) for item in again] == [(failed.event_id, 2)]
    run_claimed_batch(db, again, "w")
    assert receiver.received[-1].events[0].delivery_context.is_redelivery is True
    assert [(d.attempt, d.status_code) for d in _deliveries(session) if d.event_id == failed.event_id] == [
        (1, 500), (2, 200)]


def test_a_batch_delivery_gives_the_reply_token_another_minute(db, session, acc, clock, bot: Receiver):
    _follows(session, acc, 1)
    clock.advance(seconds=50)
    run_claimed_batch(db, claim(db, "w", limit=64, name=webhooks.DELIVER_JOB), "w")
    session.expire_all()
    token = session.scalars(select(ReplyToken)).one()
    assert token.expires_at == clock.now() + timedelta(minutes=1)


def test_turning_webhooks_off_before_a_batch_sends_nothing(db, session, owner, acc, bot: Receiver):
    _follows(session, acc, 2)
    webhooks.update_webhook_settings(session, BusinessActor(owner.id), acc.id, use_webhook=False)
    assert set(run_claimed_batch(db, claim(db, "w", limit=64, name=webhooks.DELIVER_JOB), "w").values()) == {DONE}
    assert bot.received == []
    assert _deliveries(session) == []

