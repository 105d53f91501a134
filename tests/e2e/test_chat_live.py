"""A bot that takes its time, in Chromium: written with line-bot-sdk v3, it shows the loading
animation when the person's message arrives, marks the message read, and only then answers. The
person, on a phone, sees "… is typing" (a status, its dots still when motion is reduced), then
"Read" under their message and the answer in place of the indicator, all without a reload; the
indicator also ends on its own at its time, and a page opened while it shows starts with it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from linebot.v3.messaging import (
    MarkMessagesAsReadByTokenRequest,
    ReplyMessageRequest,
    SetWebhookEndpointRequest,
    ShowLoadingAnimationRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent

from tests.e2e.conftest import assert_accessible
from tests.e2e.sdk_bot import SdkBot
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
PASSWORD = "slow-bot-2026!"
ANSWER = "Green curry today"


class SlowBot(SdkBot):
    """Shows the loading animation at once, marks the message read when told, answers when told."""

    def __init__(self, server: str, secret: str, token: str) -> None:
        super().__init__(server, secret, token)
        self.may_read = threading.Event()
        self.may_answer = threading.Event()
        self.user_ids: list[str] = []

    def handle(self, events: list[Any]) -> None:
        for event in events:
            if not (isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)):
                continue
            try:
                self.user_ids.append(event.source.user_id)
                self.api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=event.source.user_id,
                                                                            loading_seconds=60))
                if not self.may_read.wait(30):
                    raise TimeoutError("the test never let the bot read")
                self.api.mark_messages_as_read_by_token(MarkMessagesAsReadByTokenRequest(
                    mark_as_read_token=event.message.mark_as_read_token))
                if not self.may_answer.wait(30):
                    raise TimeoutError("the test never let the bot answer")
                self.api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                                           messages=[TextMessage(text=ANSWER)]))
            except Exception as exc:  # noqa: BLE001
                self.errors.append(repr(exc))

    def stop(self) -> None:
        self.may_read.set()
        self.may_answer.set()
        super().stop()


@pytest.fixture
def slow_bot(live_server: LiveServer):  # type: ignore[no-untyped-def]
    account = live_server.cli("account", "create", "--name", "Slow Bot", "--response-mode", "bot")
    bot = SlowBot(live_server.url, account["channel_secret"], account["channel_access_token"])
    bot.api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=bot.url))
    bot.account = account  # type: ignore[attr-defined]
    yield bot
    bot.stop()


def dot_animation(page) -> str:  # type: ignore[no-untyped-def]
    return page.evaluate("getComputedStyle(document.querySelector('.typing-dots span')).animationName")


def test_loading_animation_read_mark_and_answer_arrive_live(live_server: LiveServer, slow_bot, new_page):
    basic_id = slow_bot.account["basic_id"]
    person = live_server.cli("user", "create", "--name", "Ploy", "--email", "ploy@slow.example",
                             "--password", PASSWORD)
    live_server.cli("friend", "add", "--account", basic_id, "--user", str(person["id"]))

    page = new_page("phone")
    page.goto(live_server.url + "/app/login")
    page.get_by_label("Email").fill("ploy@slow.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()
    with page.expect_websocket(lambda ws: ws.url.endswith("/app/ws")):
        page.goto(f"{live_server.url}/app/chats/{basic_id}")
    page.evaluate("window.stillTheSamePage = true")
    typing = page.locator("#chat-typing")
    assert typing.is_hidden()

    page.get_by_role("textbox", name="Message", exact=True).fill("What's for lunch?")
    page.get_by_role("button", name="Send", exact=True).click()
    mine = page.locator(".chat-entry-in", has_text="What's for lunch?")
    mine.wait_for(timeout=15000)

    # The bot showed its loading animation: a status that says who is typing.
    page.get_by_role("status").filter(has_text="Slow Bot is typing…").wait_for(timeout=15000)
    assert typing.is_visible()
    assert not slow_bot.errors, slow_bot.errors
    assert mine.locator(".msg-read").count() == 0
    assert dot_animation(page) == "typing-dot"
    page.emulate_media(reduced_motion="reduce")
    assert dot_animation(page) == "none"
    page.emulate_media(reduced_motion="no-preference")
    assert_accessible(page)

    # It marks the message read: "Read" appears under it, no reload.
    slow_bot.may_read.set()
    mine.locator(".msg-read", has_text="Read").wait_for(timeout=15000)
    assert typing.is_visible(), "reading is not answering"

    # Its answer takes the indicator's place.
    slow_bot.may_answer.set()
    page.locator(".chat-entry-out", has_text=ANSWER).wait_for(timeout=20000)
    typing.wait_for(state="hidden", timeout=5000)
    assert not slow_bot.errors, slow_bot.errors
    assert page.evaluate("window.stillTheSamePage === true"), "everything arrived without a reload"
    assert_accessible(page)

    # Without an answer the animation ends at its time (5 seconds) ...
    slow_bot.api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=slow_bot.user_ids[0],
                                                                    loading_seconds=5))
    typing.wait_for(state="visible", timeout=10000)
    typing.wait_for(state="hidden", timeout=9000)
    # ... and a page opened while it shows starts with it, and ends it on time too.
    slow_bot.api.show_loading_animation(ShowLoadingAnimationRequest(chat_id=slow_bot.user_ids[0],
                                                                    loading_seconds=5))
    page.reload()
    assert typing.is_visible()
    assert page.locator(".chat-entry-out", has_text=ANSWER).is_visible()
    typing.wait_for(state="hidden", timeout=9000)


def log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/app/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()


def test_r_cht_02_a_group_post_appears_on_the_other_members_open_page(live_server: LiveServer, new_page):
    for name in ("Somchai", "Nok"):
        live_server.cli("user", "create", "--name", name, "--email", f"{name.lower()}@group.example",
                        "--password", PASSWORD)
    somchai = new_page("desktop")
    log_in(somchai, live_server.url, "somchai@group.example")
    somchai.get_by_role("link", name="Groups").click()
    somchai.get_by_label("Group name").fill("Lunch club")
    somchai.get_by_role("button", name="Create").click()
    somchai.get_by_label("Add a person by email").fill("nok@group.example")
    somchai.get_by_role("button", name="Add", exact=True).click()
    somchai.wait_for_load_state()

    nok = new_page("phone")
    log_in(nok, live_server.url, "nok@group.example")
    nok.goto(live_server.url + "/app/groups")
    assert nok.get_by_role("link", name="Groups").get_attribute("aria-current") == "page"
    with nok.expect_websocket(lambda ws: ws.url.endswith("/app/ws")):
        nok.get_by_role("link", name="Lunch club").click()
    nok.evaluate("window.stillTheSamePage = true")
    assert_accessible(nok)

    somchai.get_by_role("textbox", name="Message").fill("Noodles at noon?")
    somchai.get_by_role("button", name="Send", exact=True).click()
    post = nok.get_by_role("log").locator(".msg", has_text="Noodles at noon?")
    post.wait_for(timeout=15000)
    assert "Somchai" in post.inner_text()
    assert nok.evaluate("window.stillTheSamePage === true"), "the post arrived without a reload"
    assert nok.locator(".chat-empty").count() == 0
    assert_accessible(nok)
