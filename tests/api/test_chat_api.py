"""The bot's chat helpers: the loading animation (POST /v2/bot/chat/loading/start) and marking a
friend's messages as read (POST /v2/bot/message/markAsRead, POST /v2/bot/chat/markAsRead), each
only for the bot's own friends (R-FRD-04/05) and told to the person's open pages after commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.chat import bot as chat_bot
from openoa.chat.models import Conversation
from openoa.core.access import PersonActor
from openoa.core.clock import FakeClock
from openoa.friends import service as friends
from openoa.users.models import User
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.api.notices import heard
from tests.api.person_messages import sent


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


@pytest.fixture
def somchai(session: Session, bot: Bot) -> User:
    return factories.person(session, name="Somchai")


@pytest.fixture
def somchai_id(session: Session, bot: Bot, somchai: User) -> str:
    return factories.friend(session, somchai, bot.account).user_id


def conversation(session: Session, bot: Bot, user: User) -> Conversation | None:
    session.expire_all()
    return session.scalar(select(Conversation).where(Conversation.account_id == bot.account.id,
                                                     Conversation.user_id == user.id))


# ---------------------------------------------------------------- loading animation

def test_loading_needs_a_token(client: TestClient, somchai_id: str):
    assert client.post("/v2/bot/chat/loading/start", json={"chatId": somchai_id}).status_code == 401


def test_r_frd_05_loading_for_another_account_s_friend_is_refused_and_stores_nothing(
        client: TestClient, bot: Bot, somchai: User, somchai_id: str, session: Session):
    other = make_bot(session, name="Other Cafe")
    for chat_id in (somchai_id, "Uffffffffffffffffffffffffffffffff", "C" + "0" * 32):
        answer = client.post("/v2/bot/chat/loading/start", json={"chatId": chat_id}, headers=other.auth)
        assert answer.status_code == 400
        assert answer.json()["details"] == [{"message": "The user is not a friend of this account",
                                             "property": "chatId"}]
    assert conversation(session, bot, somchai) is None


def test_loading_seconds_are_5_to_60_in_steps_of_5(client: TestClient, bot: Bot, somchai_id: str):
    for seconds, problem in ((0, "loadingSeconds"), (65, "loadingSeconds"), (7, "loadingSeconds")):
        answer = client.post("/v2/bot/chat/loading/start", json={"chatId": somchai_id, "loadingSeconds": seconds},
                             headers=bot.auth)
        assert answer.status_code == 400, seconds
        assert [d["property"] for d in answer.json()["details"]] == [problem]
    assert chat_bot.loading_seconds_problem(5) is None
    assert chat_bot.loading_seconds_problem(60) is None


def test_loading_shows_for_20_seconds_by_default_and_tells_the_person(client: TestClient, bot: Bot,
                                                                      somchai: User, somchai_id: str,
                                                                      session: Session, clock: FakeClock):
    answer, notices = heard(somchai.id, lambda: client.post("/v2/bot/chat/loading/start",
                                                            json={"chatId": somchai_id}, headers=bot.auth))
    assert (answer.status_code, answer.json()) == (202, {})
    until = clock.now() + timedelta(seconds=20)
    assert conversation(session, bot, somchai).loading_until == until
    assert notices == [{"type": "loading", "accountId": bot.account.id, "until": until.isoformat()}]
    assert chat_bot.loading_until(session, bot.account.id, somchai.id) == until
    clock.advance(seconds=21)
    assert chat_bot.loading_until(session, bot.account.id, somchai.id) is None


def test_a_second_loading_request_replaces_the_end_and_a_message_ends_it(client: TestClient, bot: Bot,
                                                                         somchai: User, somchai_id: str,
                                                                         session: Session, clock: FakeClock):
    client.post("/v2/bot/chat/loading/start", json={"chatId": somchai_id, "loadingSeconds": 60}, headers=bot.auth)
    client.post("/v2/bot/chat/loading/start", json={"chatId": somchai_id, "loadingSeconds": 5}, headers=bot.auth)
    assert conversation(session, bot, somchai).loading_until == clock.now() + timedelta(seconds=5)
    chat_bot.end_loading(session, bot.account.id, [somchai.id])
    assert chat_bot.loading_until(session, bot.account.id, somchai.id) is None


def test_a_blocked_friend_gets_no_loading_animation(client: TestClient, bot: Bot, somchai: User,
                                                    somchai_id: str, session: Session):
    friends.block(session, PersonActor(somchai.id), bot.account.id)
    session.flush()
    answer = client.post("/v2/bot/chat/loading/start", json={"chatId": somchai_id}, headers=bot.auth)
    assert answer.status_code == 400


# ---------------------------------------------------------------- mark as read

def test_mark_as_read_needs_a_token(client: TestClient, somchai_id: str):
    assert client.post("/v2/bot/message/markAsRead", json={"chat": {"userId": somchai_id}}).status_code == 401
    assert client.post("/v2/bot/chat/markAsRead", json={"markAsReadToken": "x"}).status_code == 401


def test_r_frd_05_another_account_cannot_mark_a_person_s_messages_read(client: TestClient, bot: Bot,
                                                                       somchai: User, somchai_id: str,
                                                                       session: Session):
    message = sent(session, account_id=bot.account.id, user_id=somchai.id)
    other = make_bot(session, name="Other Cafe")
    answer = client.post("/v2/bot/message/markAsRead", json={"chat": {"userId": somchai_id}}, headers=other.auth)
    assert answer.status_code == 400
    assert answer.json()["details"][0]["property"] == "chat.userId"
    token = chat_bot.mark_as_read_token(message.message_id)
    answer = client.post("/v2/bot/chat/markAsRead", json={"markAsReadToken": token}, headers=other.auth)
    assert answer.status_code == 400
    assert answer.json()["details"] == [{"message": "Invalid mark as read token", "property": "markAsReadToken"}]
    assert conversation(session, bot, somchai) is None


def test_mark_as_read_reads_up_to_the_newest_message_and_tells_the_person(client: TestClient, bot: Bot,
                                                                          somchai: User, somchai_id: str,
                                                                          session: Session):
    sent(session, account_id=bot.account.id, user_id=somchai.id)
    newest = sent(session, account_id=bot.account.id, user_id=somchai.id)
    other_person = factories.person(session, name="Nok")
    factories.friend(session, other_person, bot.account)
    sent(session, account_id=bot.account.id, user_id=other_person.id)  # someone else's chat stays unread
    answer, notices = heard(somchai.id, lambda: client.post(
        "/v2/bot/message/markAsRead", json={"chat": {"userId": somchai_id}}, headers=bot.auth))
    assert (answer.status_code, answer.json()) == (200, {})
    assert conversation(session, bot, somchai).account_read_message_id == newest.id
    assert conversation(session, bot, other_person) is None
    assert notices == [{"type": "read", "accountId": bot.account.id}]


def test_mark_as_read_by_token_reads_up_to_that_message_and_never_backwards(client: TestClient, bot: Bot,
                                                                            somchai: User, somchai_id: str,
                                                                            session: Session):
    first = sent(session, account_id=bot.account.id, user_id=somchai.id)
    second = sent(session, account_id=bot.account.id, user_id=somchai.id)
    third = sent(session, account_id=bot.account.id, user_id=somchai.id)
    answer, notices = heard(somchai.id, lambda: client.post(
        "/v2/bot/chat/markAsRead", json={"markAsReadToken": chat_bot.mark_as_read_token(second.message_id)},
        headers=bot.auth))
    assert (answer.status_code, answer.json()) == (200, {})
    assert notices == [{"type": "read", "accountId": bot.account.id}]
    assert conversation(session, bot, somchai).account_read_message_id == second.id
    client.post("/v2/bot/chat/markAsRead", json={"markAsReadToken": chat_bot.mark_as_read_token(first.message_id)},
                headers=bot.auth)
    assert conversation(session, bot, somchai).account_read_message_id == second.id
    assert third.id > second.id


def test_a_made_up_mark_as_read_token_is_refused(client: TestClient, bot: Bot):
    for token in ("", "nonsense", chat_bot.mark_as_read_token("123456789012345678"), "!!!"):
        answer = client.post("/v2/bot/chat/markAsRead", json={"markAsReadToken": token}, headers=bot.auth)
        assert answer.status_code == 400, token


def test_mark_as_read_with_nothing_sent_is_accepted(client: TestClient, bot: Bot, somchai: User,
                                                    somchai_id: str, session: Session):
    answer = client.post("/v2/bot/message/markAsRead", json={"chat": {"userId": somchai_id}}, headers=bot.auth)
    assert (answer.status_code, answer.json()) == (200, {})
    # the conversation's row is made on this first need, with nothing read
    assert conversation(session, bot, somchai).account_read_message_id == 0
