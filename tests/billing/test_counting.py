"""R-MSG-02: what moves the monthly counter. Non-counted sends (chat replies, auto-responses, AI
responses, greeting and away messages, the Reply API) never move it, each kind tested on its own;
and the counted total is always the sum, over counted sends, of the recipients they reached
(R-MSG-03: friends who are active and have not blocked the account), a property tested with
hypothesis over sequences of pushes, multicasts and replies.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.billing import rules as billing
from openoa.billing.models import MessageUsage
from openoa.channels import service as channels
from openoa.chat import service as chat
from openoa.core import ids
from openoa.core.access import SYSTEM, PersonActor
from openoa.core.clock import FakeClock, now
from openoa.friends import service as friends
from openoa.groups import service as groups
from openoa.messaging import service
from openoa.messaging.models import Delivery, Send
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import WebhookEvent
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.groups.conftest import events, make_scene
from tests.messaging.crowd import context

TEXT = {"type": "text", "text": "Thanks for writing!"}
START = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)  # 10:00 on the 15th in Bangkok: a week of days fits the month


def _used(session: Session, bot: Bot) -> int:
    """The account's counted use this month (on the injected clock): the sum of its day rows."""
    month = billing.month_of(now(), bot.account.timezone)
    return int(session.scalar(select(func.sum(MessageUsage.used)).where(
        MessageUsage.account_id == bot.account.id, MessageUsage.year == month.year,
        MessageUsage.month == month.month)) or 0)


def _consumption(client: TestClient, bot: Bot) -> int:
    return int(client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json()["totalUsage"])


def test_r_msg_02_a_reply_api_answer_to_a_chat_message_never_moves_the_counter(
        client: TestClient, session: Session):
    bot = make_bot(session)
    channels.set_response_mode(session, SYSTEM, bot.account.id, "bot")
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    today = billing.day_of(now(), bot.account.timezone)
    session.add(MessageUsage(account_id=bot.account.id, year=today.year, month=today.month, day=today.day,
                             used=500))  # the Free package's whole month
    session.flush()
    refused = client.post("/v2/bot/message/push", headers=bot.auth, json={"to": to, "messages": [TEXT]})
    assert refused.status_code == 429  # counted sends are over; a reply must neither be refused nor counted

    chat.send_text(session, PersonActor(person.id), bot.account.basic_id, "Are you open today?")
    token = session.scalars(select(WebhookEvent.payload).where(
        WebhookEvent.account_id == bot.account.id, WebhookEvent.type == "message")).one()["replyToken"]
    answer = client.post("/v2/bot/message/reply", headers=bot.auth, json={"replyToken": token, "messages": [TEXT]})
    assert answer.status_code == 200, answer.text
    assert session.scalars(select(Delivery.user_id).where(Delivery.account_id == bot.account.id)).all() == [person.id]
    assert (_used(session, bot), _consumption(client, bot)) == (500, 500)


def test_r_msg_02_a_reply_api_answer_into_a_group_never_moves_the_counter(client: TestClient, session: Session):
    scene = make_scene(session)
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    before = _used(session, scene.bot)
    token = events(session, scene.bot.account.id)[0]["replyToken"]
    answer = client.post("/v2/bot/message/reply", headers=scene.bot.auth,
                         json={"replyToken": token, "messages": [TEXT]})
    assert answer.status_code == 200, answer.text
    posts = groups.group_page(session, scene.nok_actor, scene.chat_id).posts
    assert [p.message.get("text") for p in posts] == [TEXT["text"]]  # both members reached
    assert _used(session, scene.bot) == before == _consumption(client, scene.bot) == 0


# The product has no sender of these yet (no console chat, auto-response, AI response, greeting
# or away message): the rule every future sender asks is asserted instead. Keep this list in step.
NO_SENDER_YET = ("chat", "auto_response", "ai_response", "greeting", "away")


@pytest.mark.parametrize("kind", NO_SENDER_YET)
def test_r_msg_02_kinds_without_a_sender_yet_are_not_counted(kind: str):
    assert not billing.is_counted(kind)
    assert set(NO_SENDER_YET) | {"reply"} == billing.NOT_COUNTED_SENDS  # SPEC's list, all of it


# Who a person is to the account: only an active friend who has not blocked it is reachable.
STATES = ("friend", "blocked", "inactive", "stranger")
PEOPLE = 4
person_index = st.integers(0, PEOPLE - 1)
operation = st.one_of(
    st.tuples(st.just("push"), person_index),
    st.tuples(st.just("multicast"), st.lists(person_index, min_size=1, max_size=6)),  # repeats count once
    st.tuples(st.just("reply"), person_index),  # reaches a friend, counts nothing
    st.tuples(st.just("next day"), st.just(0)))  # the month's use is spread over day rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(states=st.tuples(*[st.sampled_from(STATES)] * PEOPLE), operations=st.lists(operation, max_size=6))
def test_r_msg_02_counted_total_is_the_recipients_reached_by_counted_sends(
        session: Session, clock: FakeClock, states: tuple[str, ...], operations: list[tuple[str, Any]]):
    clock.set(START)
    bot = make_bot(session)  # a fresh account per example
    people = [factories.person(session) for _ in states]
    for person, state in zip(people, states, strict=True):
        if state != "stranger":
            factories.friend(session, person, bot.account)
        if state == "blocked":
            friends.block(session, PersonActor(person.id), bot.account.id)
        if state == "inactive":
            person.active = False
    session.flush()
    scoped = [friends.scoped_user_id(session, bot.account.provider_id, person.id) for person in people]
    ctx = context(session, bot)

    expected = 0
    for kind, target in operations:
        if kind == "push":
            service.push(session, ctx, request_id=ids.request_id(), to=scoped[target], messages=[TEXT])
            expected += states[target] == "friend"
        elif kind == "multicast":
            service.multicast(session, ctx, request_id=ids.request_id(), to=[scoped[i] for i in target],
                              messages=[TEXT])
            expected += sum(states[i] == "friend" for i in set(target))
        elif kind == "reply":
            token = webhooks.issue_reply_token(session, bot.account.id, people[target].id)
            service.reply(session, ctx, request_id=ids.request_id(), reply_token=token, messages=[TEXT])
        else:
            clock.advance(days=1)

    counted_deliveries = session.scalar(select(func.count()).select_from(Delivery).join(Send, Send.id == Delivery.send_id).where(
        Send.account_id == bot.account.id, Send.counted.is_(True)))
    assert _used(session, bot) == counted_deliveries == expected
    assert service.quota_consumption(session, ctx) == expected
