"""Pushes and replies into groups through the Messaging API pipeline: a counted push is charged
once per member reached (R-MSG-02/03), a reply with a group event's token posts into the group
and is never counted, a group event's token never answers one person nor a 1:1 event's token the
group, and a push into a group the account is not in reaches no one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.billing.models import MessageUsage
from openoa.chat.models import Conversation
from openoa.core import clock
from openoa.friends.service import scoped_user_id
from openoa.groups import service as groups
from openoa.messaging import service
from openoa.messaging.models import Delivery
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import WebhookEvent
from tests.groups.conftest import Scene, events
from tests.messaging.crowd import context

TEXT = [{"type": "text", "text": "Lunch is ready"}]


def _used(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.sum(MessageUsage.used)).where(MessageUsage.account_id == account_id)) or 0)


def _posts(session: Session, scene: Scene) -> list[str]:
    return [p.message.get("text") for p in groups.group_page(session, scene.nok_actor, scene.chat_id).posts]


def test_r_msg_03_a_push_into_a_group_is_charged_once_per_member(session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    accepted = service.push(session, context(session, scene.bot), request_id="req-g1", to=scene.chat_id,
                            messages=TEXT)
    assert len(accepted.sent_messages) == 1 and accepted.sent_messages[0]["quoteToken"]
    assert _posts(session, scene) == ["Lunch is ready"]
    assert _used(session, scene.bot.account.id) == 2  # Somchai and Nok
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0  # no 1:1 rows


def test_a_push_into_a_group_the_account_is_not_in_reaches_no_one_and_costs_nothing(session: Session, scene: Scene):
    service.push(session, context(session, scene.bot), request_id="req-g2", to=scene.chat_id, messages=TEXT)
    service.push(session, context(session, scene.bot), request_id="req-g3", to="C" + "0" * 32, messages=TEXT)
    assert _posts(session, scene) == []
    assert _used(session, scene.bot.account.id) == 0


def test_r_msg_05_a_group_push_that_does_not_fit_is_refused_whole(session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    scene.bot.account.package = "free"
    session.add(MessageUsage(account_id=scene.bot.account.id, year=2026, month=1, used=499))
    session.flush()
    with pytest.raises(service.MonthlyLimitReached):
        service.push(session, context(session, scene.bot), request_id="req-g4", to=scene.chat_id, messages=TEXT)
    assert _posts(session, scene) == []


def test_r_msg_02_a_reply_to_a_group_event_posts_there_and_is_not_counted(session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    token = events(session, scene.bot.account.id)[0]["replyToken"]
    service.reply(session, context(session, scene.bot), request_id="req-g5", reply_token=token,
                  messages=[{"type": "text", "text": "Thanks for having me"}])
    assert _posts(session, scene) == ["Thanks for having me"]
    assert _used(session, scene.bot.account.id) == 0
    with pytest.raises(service.Invalid):  # single use, and never a 1:1 token either
        service.reply(session, context(session, scene.bot), request_id="req-g6", reply_token=token, messages=TEXT)


def test_a_group_token_is_refused_by_the_1_1_path_and_a_1_1_token_never_posts_into_the_group(
        session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    account_id = scene.bot.account.id
    group_token = events(session, account_id)[0]["replyToken"]
    follows = session.scalars(select(WebhookEvent.payload).where(WebhookEvent.account_id == account_id,
                                                                 WebhookEvent.type == "follow")
                              .order_by(WebhookEvent.id)).all()
    [nok_follow] = [f for f in follows
                    if f["source"]["userId"] == scoped_user_id(session, scene.bot.account.provider_id, scene.nok.id)]
    nok_token = nok_follow["replyToken"]
    with pytest.raises(service.Invalid):
        webhooks.consume_reply_token(session, account_id, group_token)
    assert groups.consume_reply_token(session, account_id, nok_token) is None
    # Neither refusal used a token up: each still answers where its event came from.
    service.reply(session, context(session, scene.bot), request_id="req-g8", reply_token=nok_token,
                  messages=[{"type": "text", "text": "Just for you, Nok"}])
    assert session.scalars(select(Delivery.user_id)).all() == [scene.nok.id]
    assert _posts(session, scene) == []
    service.reply(session, context(session, scene.bot), request_id="req-g9", reply_token=group_token,
                  messages=[{"type": "text", "text": "Hello, everyone"}])
    assert _posts(session, scene) == ["Hello, everyone"]
    assert session.scalars(select(Delivery.user_id)).all() == [scene.nok.id]  # no one got it 1:1


def test_a_bot_message_ends_the_loading_animation_it_showed(session: Session, scene: Scene):
    bot = context(session, scene.bot)
    for person in (scene.somchai, scene.nok):
        session.add(Conversation(account_id=scene.bot.account.id, user_id=person.id, last_activity_at=clock.now(),
                                 loading_until=clock.now() + timedelta(seconds=20)))
    session.flush()
    service.push(session, bot, request_id="req-g7", to=scoped_user_id(session, bot.provider_id, scene.nok.id),
                 messages=TEXT)
    loading = dict(session.execute(select(Conversation.user_id, Conversation.loading_until)
                                   .where(Conversation.account_id == scene.bot.account.id)).all())
    assert loading[scene.nok.id] is None
    assert loading[scene.somchai.id] is not None  # not messaged: still loading
