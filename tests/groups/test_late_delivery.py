"""A group event's reply token is renewed by delivering its event, as a 1:1 event's is
(``webhooks.rules.reply_token_expiry_on_delivery``): a group message that reaches the bot late —
through one ``webhooks.deliver`` job or a worker's batch of them — carries a token that still
answers into the group for a minute after delivery, and never past 20 minutes after the post."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from openoa.core.access import BusinessActor
from openoa.core.clock import FakeClock
from openoa.core.db import Database
from openoa.core.jobs import claim, run_claimed_batch, run_due_jobs
from openoa.groups import service as groups
from openoa.messaging import service
from openoa.webhooks import jobs as _jobs  # noqa: F401  (registers webhooks.deliver)
from openoa.webhooks import service as webhooks
from tests.groups.conftest import Scene
from tests.messaging.crowd import context
from tests.webhooks.receiver import Receiver


def _one_job_at_a_time(db: Database) -> None:
    run_due_jobs(db)


def _a_workers_batch(db: Database) -> None:
    run_claimed_batch(db, claim(db, "w", limit=64, name=webhooks.DELIVER_JOB), "w")


DELIVERIES = pytest.mark.parametrize("deliver", [_one_job_at_a_time, _a_workers_batch],
                                     ids=["one job", "a worker's batch"])


@pytest.fixture
def bot_endpoint(session: Session, scene: Scene) -> Iterator[Receiver]:
    """The scene's bot answers on loopback, its account's webhooks going out to it."""
    receiver = Receiver(secret=scene.bot.channel_secret).start()
    webhooks.update_webhook_settings(session, BusinessActor(scene.bot.owner.id), scene.bot.account.id,
                                     webhook_url=receiver.url, use_webhook=True)
    yield receiver
    receiver.stop()


def _group_message_as_delivered(receiver: Receiver) -> dict[str, Any]:
    assert all(got.signature_ok and got.strict_error is None for got in receiver.received)
    [message] = [e for got in receiver.received for e in got.body["events"] if e["type"] == "message"]
    assert message["source"]["type"] == "group"
    return message


def _posts(session: Session, scene: Scene) -> list[str]:
    return [p.message.get("text") for p in groups.group_page(session, scene.nok_actor, scene.chat_id).posts]


def _nok_asks_the_group_then_the_worker_falls_behind(session: Session, scene: Scene, clock: FakeClock,
                                                     late: dict[str, float]) -> None:
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    groups.post_text(session, scene.nok_actor, scene.chat_id, "Who is hungry?")
    session.flush()
    clock.advance(**late)


@DELIVERIES
def test_a_group_message_delivered_late_hands_the_bot_a_token_that_still_replies_into_the_group(
        db: Database, session: Session, scene: Scene, clock: FakeClock, bot_endpoint: Receiver,
        deliver: Callable[[Database], None]):
    _nok_asks_the_group_then_the_worker_falls_behind(session, scene, clock, {"minutes": 5})
    deliver(db)
    token = _group_message_as_delivered(bot_endpoint)["replyToken"]
    clock.advance(seconds=59)  # the bot takes its time: still within the minute after delivery
    service.reply(session, context(session, scene.bot), request_id="req-late", reply_token=token,
                  messages=[{"type": "text", "text": "Me! Noodles?"}])
    assert _posts(session, scene) == ["Who is hungry?", "Me! Noodles?"]


@DELIVERIES
def test_a_late_group_token_is_good_for_one_minute_after_delivery_not_more(
        db: Database, session: Session, scene: Scene, clock: FakeClock, bot_endpoint: Receiver,
        deliver: Callable[[Database], None]):
    _nok_asks_the_group_then_the_worker_falls_behind(session, scene, clock, {"minutes": 5})
    deliver(db)
    token = _group_message_as_delivered(bot_endpoint)["replyToken"]
    clock.advance(seconds=61)
    with pytest.raises(service.Invalid):
        service.reply(session, context(session, scene.bot), request_id="req-later", reply_token=token,
                      messages=[{"type": "text", "text": "Too late"}])
    assert _posts(session, scene) == ["Who is hungry?"]


def test_a_group_message_delivered_more_than_20_minutes_late_carries_a_dead_token(
        db: Database, session: Session, scene: Scene, clock: FakeClock, bot_endpoint: Receiver):
    _nok_asks_the_group_then_the_worker_falls_behind(session, scene, clock, {"minutes": 21})
    _a_workers_batch(db)
    token = _group_message_as_delivered(bot_endpoint)["replyToken"]
    with pytest.raises(service.Invalid):
        service.reply(session, context(session, scene.bot), request_id="req-dead", reply_token=token,
                      messages=[{"type": "text", "text": "Anyone?"}])
    assert _posts(session, scene) == ["Who is hungry?"]
