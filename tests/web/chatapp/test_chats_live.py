"""What updates live in the Chat app besides new messages: the bot's loading animation (a typing
indicator, shown while ``loading_until`` is ahead and ended by the account's next message), the
"Read" marks of the person's messages after the bot's mark-as-read, and a group's posts. The
notices reach the person's socket after commit; the pages render the same state without JS, and
the fragments chat.js and groups.js fetch come from the same renderer as the pages."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM, PersonActor
from openoa.core.clock import FakeClock
from openoa.friends.service import scoped_user_id
from openoa.groups import service as groups
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.web.chatapp.test_chats import chat_url, mali, push

ORIGIN = {"origin": "http://testserver"}
TYPING = re.compile(r'<p id="chat-typing" class="chat-typing"( hidden)?>')


@pytest.fixture
def bot(session: Session) -> Bot:
    made = make_bot(session, name="Echo Bot")
    channels.set_response_mode(session, SYSTEM, made.account.id, "bot")
    return made


@pytest.fixture
def chatting(me: TestClient, bot: Bot) -> TestClient:
    """``me`` (Mali) with the bot's account added."""
    assert me.post("/app/api/friends", json={"basic_id": bot.account.basic_id, "path": "search"}).status_code == 201
    return me


def mali_id(session: Session, bot: Bot) -> str:
    return scoped_user_id(session, bot.account.provider_id, mali(session).id)


def start_loading(client: TestClient, session: Session, bot: Bot, seconds: int = 20) -> None:
    answer = client.post("/v2/bot/chat/loading/start", json={"chatId": mali_id(session, bot),
                                                             "loadingSeconds": seconds}, headers=bot.auth)
    assert answer.status_code == 202, answer.text


def typing_shown(html: str) -> bool:
    found = TYPING.search(html)
    assert found, "the chat page always carries the typing indicator's place"
    return found.group(1) is None


def read_marks(html: str) -> int:
    return html.count('<span class="msg-read">Read</span>')


# ------------------------------------------------------------------ who may fetch the fragments

def test_anonymous_visitors_get_no_fragments(client: TestClient, bot: Bot, session: Session):
    somchai = factories.person(session, name="Somchai", email="somchai@example.com")
    chat_id = groups.create_group(session, PersonActor(somchai.id), "Lunch club").chat_id
    for path in (chat_url(bot, "/items"), f"/app/groups/{chat_id}/posts"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login?next=")


def test_a_non_friend_and_a_non_member_get_404(me: TestClient, bot: Bot, session: Session):
    somchai = factories.person(session, name="Somchai", email="somchai@example.com")
    chat_id = groups.create_group(session, PersonActor(somchai.id), "Lunch club").chat_id
    assert me.get(chat_url(bot, "/items")).status_code == 404
    assert me.get(f"/app/groups/{chat_id}/posts").status_code == 404


# ------------------------------------------------------------------ the loading animation

def test_the_typing_indicator_shows_while_loading_until_is_ahead_and_not_after(
        chatting: TestClient, bot: Bot, session: Session, clock: FakeClock):
    page = chatting.get(chat_url(bot)).text
    assert not typing_shown(page)
    assert "data-typing-until" not in page

    start_loading(chatting, session, bot, seconds=20)
    page = chatting.get(chat_url(bot)).text
    assert typing_shown(page)
    assert "Echo Bot is typing…" in page
    until = (clock.now() + timedelta(seconds=20)).isoformat()
    assert f'data-typing-until="{until}"' in page
    assert f'data-now="{clock.now().isoformat()}"' in page
    assert chatting.get(f"/app/api/chats/{bot.account.basic_id}/messages").json()["loading_until"] is not None

    clock.advance(seconds=21)
    page = chatting.get(chat_url(bot)).text
    assert not typing_shown(page)
    assert "data-typing-until" not in page
    assert chatting.get(f"/app/api/chats/{bot.account.basic_id}/messages").json()["loading_until"] is None


def test_the_account_s_message_ends_the_typing_indicator_before_its_time(chatting: TestClient, bot: Bot,
                                                                        session: Session):
    start_loading(chatting, session, bot, seconds=60)
    assert typing_shown(chatting.get(chat_url(bot)).text)
    push(session, bot, {"type": "text", "text": "Here is your answer"})
    page = chatting.get(chat_url(bot)).text
    assert "Here is your answer" in page
    assert not typing_shown(page)


def test_the_typing_indicator_is_a_status_with_words_and_its_dots_are_decoration(chatting: TestClient, bot: Bot,
                                                                                session: Session):
    start_loading(chatting, session, bot)
    page = chatting.get(chat_url(bot)).text
    block = page[page.index('class="chat-typing-status"') - 12:page.index("is typing…") + 20]
    assert 'role="status"' in block
    assert '<span class="typing-dots" aria-hidden="true">' in block
    css = chatting.get("/static/chatapp.css").text
    assert "@media (prefers-reduced-motion: reduce)" in css
    assert re.search(r"prefers-reduced-motion: reduce\)\s*\{\s*\.typing-dots span \{ animation: none", css)


def test_loading_reaches_the_open_socket_after_commit(chatting: TestClient, bot: Bot, session: Session,
                                                     clock: FakeClock):
    with chatting.websocket_connect("/app/ws", headers=ORIGIN) as ws:
        refused = chatting.post("/v2/bot/chat/loading/start", json={"chatId": mali_id(session, bot),
                                                                   "loadingSeconds": 7}, headers=bot.auth)
        assert refused.status_code == 400
        start_loading(chatting, session, bot, seconds=30)
        until = (clock.now() + timedelta(seconds=30)).isoformat()
        # The refused request told nothing: the first notice is the accepted one.
        assert ws.receive_json() == {"type": "loading", "accountId": bot.account.id, "until": until}


# ------------------------------------------------------------------ read marks

def test_the_read_mark_appears_after_the_bot_marks_the_chat_read(chatting: TestClient, bot: Bot,
                                                                  session: Session):
    assert chatting.post(f"/app/api/chats/{bot.account.basic_id}/messages",
                         json={"type": "text", "text": "Is the shop open?"}).status_code == 201
    assert read_marks(chatting.get(chat_url(bot)).text) == 0
    items = chatting.get(f"/app/api/chats/{bot.account.basic_id}/messages").json()["items"]
    assert [i["read"] for i in items] == [False]

    with chatting.websocket_connect("/app/ws", headers=ORIGIN) as ws:
        answer = chatting.post("/v2/bot/message/markAsRead", json={"chat": {"userId": mali_id(session, bot)}},
                               headers=bot.auth)
        assert answer.status_code == 200, answer.text
        assert ws.receive_json() == {"type": "read", "accountId": bot.account.id}

    assert read_marks(chatting.get(chat_url(bot)).text) == 1
    # What chat.js fetches on that notice: the newest items, drawn by the page's renderer.
    fragment = chatting.get(chat_url(bot, "/items")).text
    assert "Is the shop open?" in fragment and read_marks(fragment) == 1


def test_a_message_after_the_read_mark_stays_unread(chatting: TestClient, bot: Bot, session: Session):
    send = f"/app/api/chats/{bot.account.basic_id}/messages"
    first = chatting.post(send, json={"type": "text", "text": "one"}).json()
    chatting.post("/v2/bot/message/markAsRead", json={"chat": {"userId": mali_id(session, bot)}}, headers=bot.auth)
    chatting.post(send, json={"type": "text", "text": "two"})
    fragment = chatting.get(chat_url(bot, f"/items?after={first['cursor']}")).text
    assert "two" in fragment and "one" not in fragment and read_marks(fragment) == 0
    assert read_marks(chatting.get(chat_url(bot, "/items")).text) == 1


# ------------------------------------------------------------------ groups

@pytest.fixture
def lunch_club(session: Session) -> str:
    """Somchai's "Lunch club" with Mali (signed up as ``me``) in it."""
    somchai = factories.person(session, name="Somchai", email="somchai@example.com")
    chat_id = groups.create_group(session, PersonActor(somchai.id), "Lunch club").chat_id
    groups.add_member(session, PersonActor(somchai.id), chat_id, "mali@example.com")
    return chat_id


def test_a_post_reaches_the_other_members_socket_and_the_fragment_has_it(me: TestClient, other_client: TestClient,
                                                                         lunch_club: str):
    assert other_client.post("/app/api/login", json={"email": "somchai@example.com",
                                                     "password": factories.PASSWORD}).status_code in (200, 204)
    page = me.get(f"/app/groups/{lunch_club}").text
    assert 'data-live="group"' in page and f'data-group-id="{lunch_club}"' in page
    assert '<script type="module" src="/static/groups.js"></script>' in page
    assert "No messages yet" in page
    with me.websocket_connect("/app/ws", headers=ORIGIN) as ws:
        assert other_client.post(f"/app/api/groups/{lunch_club}/posts", json={"text": "Noodles at noon?"}
                                 ).status_code == 201
        assert ws.receive_json() == {"type": "group", "groupId": lunch_club}
    fragment = me.get(f"/app/groups/{lunch_club}/posts").text
    assert "Noodles at noon?" in fragment and "Somchai" in fragment
    assert fragment.count('class="msg msg-out"') == 1
    # The page draws the same post the same way.
    assert fragment.strip() in me.get(f"/app/groups/{lunch_club}").text


# ------------------------------------------------------------------ the frame

def test_the_groups_tab_is_in_the_navigation_and_current_on_group_pages(me: TestClient, lunch_club: str):
    tab = '<a href="/app/groups" aria-current="page">'
    assert tab in me.get("/app/groups").text
    assert tab in me.get(f"/app/groups/{lunch_club}").text
    chats = me.get("/app/chats").text
    assert '<a href="/app/groups">' in chats and tab not in chats


def test_the_chat_page_loads_the_copy_buttons_script_for_live_items(chatting: TestClient, bot: Bot):
    page = chatting.get(chat_url(bot)).text
    assert '<script type="module" src="/static/chat.js"></script>' in page
    assert '<script type="module" src="/static/messages.js"></script>' in page
