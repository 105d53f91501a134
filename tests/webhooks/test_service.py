"""Webhook use cases on a real database: which events are stored and queued (R-CHT-01),
that nothing leaks from a rolled-back transaction, reply tokens, and the settings' access."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from openoa.accounts.rules import Role
from openoa.core.access import SYSTEM, BusinessActor, PersonActor
from openoa.core.db import Database
from openoa.core.errors import Invalid, NotAllowed, NotFound
from openoa.core.jobs import Job, run_due_jobs
from openoa.friends import service as friends
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import ReplyToken, WebhookEvent
from tests import factories
from tests.web.console.conftest import member
from tests.webhooks.conftest import make_bot


def _events(session, account_id):  # type: ignore[no-untyped-def]
    return session.scalars(select(WebhookEvent).where(WebhookEvent.account_id == account_id)
                           .order_by(WebhookEvent.id)).all()


def _delivery_jobs(session):  # type: ignore[no-untyped-def]
    return session.scalars(select(Job).where(Job.name == "webhooks.deliver").order_by(Job.id)).all()


# ---------------------------------------------------------------- which events exist (R-CHT-01)

def test_r_cht_01_chat_mode_stores_nothing_for_the_bot(session, acc):
    person = factories.person(session)
    friendship = factories.friend(session, person, acc)
    friends.block(session, PersonActor(person.id), acc.id)
    assert friendship.user_id.startswith("U")
    assert _events(session, acc.id) == []
    assert _delivery_jobs(session) == []
    assert session.scalars(select(ReplyToken)).all() == []


def test_r_cht_01_bot_mode_without_a_url_stores_the_event_but_sends_nothing(session, owner, acc):
    make_bot(session, owner, acc, None)
    factories.friend(session, factories.person(session), acc)
    assert [e.type for e in _events(session, acc.id)] == ["follow"]
    assert _delivery_jobs(session) == []


def test_r_cht_01_bot_mode_with_use_webhook_off_sends_nothing(session, owner, acc):
    make_bot(session, owner, acc, "https://bot.example.com/callback")
    webhooks.update_webhook_settings(session, BusinessActor(owner.id), acc.id, use_webhook=False)
    factories.friend(session, factories.person(session), acc)
    assert len(_events(session, acc.id)) == 1
    assert _delivery_jobs(session) == []


def test_r_cht_01_bot_mode_with_a_url_queues_one_delivery_per_event(session, owner, acc):
    make_bot(session, owner, acc, "https://bot.example.com/callback")
    factories.friend(session, factories.person(session), acc)
    [event] = _events(session, acc.id)
    [job] = _delivery_jobs(session)
    assert job.payload == {"event_id": event.id, "attempt": 1}


def test_follow_event_names_the_scoped_user_and_carries_a_reply_token(session, owner, acc, clock):
    make_bot(session, owner, acc, "https://bot.example.com/callback")
    person = factories.person(session)
    friendship = factories.friend(session, person, acc)
    [event] = _events(session, acc.id)
    payload = event.payload
    assert payload["type"] == "follow" and payload["mode"] == "active"
    assert payload["source"] == {"type": "user", "userId": friendship.user_id}
    assert payload["follow"] == {"isUnblocked": False}
    assert payload["timestamp"] == int(clock.now().timestamp() * 1000)
    assert payload["webhookEventId"] == event.webhook_event_id and len(event.webhook_event_id) == 26
    assert "deliveryContext" not in payload  # each attempt adds its own
    # The token in the event is the one the reply API will accept, for this person.
    assert webhooks.consume_reply_token(session, acc.id, payload["replyToken"]) == person.id


def test_block_is_unfollow_and_unblock_or_re_adding_is_follow_with_is_unblocked(session, owner, acc):
    make_bot(session, owner, acc, "https://bot.example.com/callback")
    person = factories.person(session)
    me = PersonActor(person.id)
    factories.friend(session, person, acc)
    friends.block(session, me, acc.id)
    friends.unblock(session, me, acc.id)
    friends.block(session, me, acc.id)
    friends.add_friend(session, me, acc.basic_id)  # adding a blocked account unblocks it
    kinds = [(e.type, e.payload.get("follow"), "replyToken" in e.payload) for e in _events(session, acc.id)]
    assert kinds == [("follow", {"isUnblocked": False}, True), ("unfollow", None, False),
                     ("follow", {"isUnblocked": True}, True), ("unfollow", None, False),
                     ("follow", {"isUnblocked": True}, True)]
    assert len(_delivery_jobs(session)) == 5


def test_style_7a_a_rolled_back_use_case_leaves_no_event_no_job_no_token(db: Database, session, acc, bot):
    person = factories.person(session)
    session.flush()
    with pytest.raises(RuntimeError), db.scope() as inner:
        friends.add_friend(inner, SYSTEM, acc.basic_id, user_id=person.id)
        assert len(_events(inner, acc.id)) == 1  # written, then the transaction fails
        raise RuntimeError("the request failed after the use case")
    with db.scope() as after:
        assert _events(after, acc.id) == []
        assert _delivery_jobs(after) == []
        assert after.scalars(select(ReplyToken)).all() == []
    assert run_due_jobs(db) == 0 and bot.received == []  # and the bot heard nothing


def test_emit_keeps_what_the_caller_gave_and_fills_the_rest(session, owner, acc):
    make_bot(session, owner, acc, None)
    row = webhooks.emit(session, acc.id, {"type": "unfollow", "source": {"type": "user", "userId": "U" + "c" * 32},
                                          "timestamp": 1234})
    assert row is not None and row.payload["timestamp"] == 1234 and row.payload["mode"] == "active"


# ---------------------------------------------------------------- reply tokens

def test_reply_token_is_single_use(session, acc):
    person = factories.person(session)
    token = webhooks.issue_reply_token(session, acc.id, person.id)
    assert webhooks.consume_reply_token(session, acc.id, token) == person.id
    with pytest.raises(Invalid) as again:
        webhooks.consume_reply_token(session, acc.id, token)
    assert again.value.message == "Invalid reply token" and again.value.errors == []


def test_reply_token_expires_after_a_minute(session, acc, clock):
    person = factories.person(session)
    fresh = webhooks.issue_reply_token(session, acc.id, person.id)
    stale = webhooks.issue_reply_token(session, acc.id, person.id)
    clock.advance(seconds=59)
    assert webhooks.consume_reply_token(session, acc.id, fresh) == person.id
    clock.advance(seconds=1)
    with pytest.raises(Invalid, match="Invalid reply token"):
        webhooks.consume_reply_token(session, acc.id, stale)


def test_reply_token_works_only_for_its_own_account(session, acc):
    other = factories.account(session, name="Other Bot")
    person = factories.person(session)
    token = webhooks.issue_reply_token(session, acc.id, person.id)
    with pytest.raises(Invalid):
        webhooks.consume_reply_token(session, other.id, token)
    with pytest.raises(Invalid):
        webhooks.consume_reply_token(session, acc.id, "0" * 32)
    assert webhooks.consume_reply_token(session, acc.id, token) == person.id  # not used up by the refusals


def test_reply_tokens_are_stored_hashed(session, acc):
    token = webhooks.issue_reply_token(session, acc.id, factories.person(session).id)
    stored = session.scalars(select(ReplyToken.token_hash)).all()
    assert token not in stored and len(stored) == 1


# ---------------------------------------------------------------- settings

def test_r_acc_04_only_admins_see_or_change_webhook_settings(session, owner, acc):
    for role in Role:
        if role == Role.ADMIN:
            continue
        actor = BusinessActor(member(session, acc, owner, role).id)
        with pytest.raises(NotAllowed):
            webhooks.webhook_settings(session, actor, acc.id)
        with pytest.raises(NotAllowed):
            webhooks.update_webhook_settings(session, actor, acc.id, use_webhook=True)
    outsider = BusinessActor(factories.business(session).id)
    with pytest.raises(NotFound):
        webhooks.update_webhook_settings(session, outsider, acc.id, webhook_url="https://x.example.com/")


def test_settings_change_only_what_is_given_and_refuse_a_bad_url(session, owner, acc):
    admin = BusinessActor(owner.id)
    out = webhooks.update_webhook_settings(session, admin, acc.id, webhook_url="https://bot.example.com/cb",
                                           webhook_redelivery=True)
    assert (out.webhook_url, out.use_webhook, out.webhook_redelivery) == ("https://bot.example.com/cb", False, True)
    with pytest.raises(Invalid) as refused:
        webhooks.update_webhook_settings(session, admin, acc.id, webhook_url="http://bot.example.com/cb",
                                         use_webhook=True)
    assert set(refused.value.by_field()) == {"webhook_url"}
    out = webhooks.webhook_settings(session, admin, acc.id)
    assert out.webhook_url == "https://bot.example.com/cb"
    assert webhooks.update_webhook_settings(session, admin, acc.id, webhook_url="").webhook_url is None
