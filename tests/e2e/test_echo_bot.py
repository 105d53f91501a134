"""The Bot-mode journey in Chromium (R-CHT-01): an echo bot written with line-bot-sdk v3 gets the
person's message as a signed webhook and answers with the Reply API; the person, on a phone,
sees the answer arrive live without a reload; "menu" brings a carousel whose postback button
reaches the bot as a postback event with its data; a message in another chat is announced in
the page with its notification text."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    CarouselColumn,
    CarouselTemplate,
    Configuration,
    Emoji,
    MessagingApi,
    PostbackAction,
    PushMessageRequest,
    ReplyMessageRequest,
    SetWebhookEndpointRequest,
    TemplateMessage,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, PostbackEvent, TextMessageContent

from tests.e2e.conftest import assert_accessible
from tests.e2e.sdk_bot import SdkBot
from tests.live import LiveServer

pytestmark = pytest.mark.e2e
PASSWORD = "echo-echo-2026!"


class EchoBot(SdkBot):
    """A bot as a developer writes one with the SDK: parse and check the signature, then reply."""

    def __init__(self, server: str, secret: str, token: str) -> None:
        super().__init__(server, secret, token)
        self.postbacks: list[PostbackEvent] = []
        self.texts: list[str] = []
        self.arrived = threading.Condition()

    def handle(self, events: list[Any]) -> None:
        for event in events:
            try:
                if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                    self.texts.append(event.message.text)
                    self.api.reply_message(ReplyMessageRequest(reply_token=event.reply_token,
                                                               messages=[self.answer(event.message.text)]))
                elif isinstance(event, PostbackEvent):
                    self.postbacks.append(event)
            except Exception as exc:  # noqa: BLE001
                self.errors.append(repr(exc))
            with self.arrived:
                self.arrived.notify_all()

    @staticmethod
    def answer(text: str) -> Any:
        if text.strip().lower() != "menu":
            return TextMessage(text=text)
        return TemplateMessage(alt_text="Our menu", template=CarouselTemplate(columns=[
            CarouselColumn(title="Pad thai", text="Rice noodles, tamarind, peanuts",
                           actions=[PostbackAction(label="Order pad thai", data="order=padthai",
                                                   display_text="Pad thai, please")]),
            CarouselColumn(title="Som tam", text="Green papaya salad",
                           actions=[PostbackAction(label="Order som tam", data="order=somtam")]),
        ]))

    def wait_for_postback(self, timeout: float = 20) -> PostbackEvent:
        with self.arrived:
            self.arrived.wait_for(lambda: self.postbacks or self.errors, timeout)
        assert not self.errors, self.errors
        assert self.postbacks, "the bot got no postback event"
        return self.postbacks[0]


@pytest.fixture
def echo_bot(live_server: LiveServer):  # type: ignore[no-untyped-def]
    account = live_server.cli("account", "create", "--name", "Echo Bot", "--response-mode", "bot")
    assert account["response_mode"] == "bot" and account["use_webhook"] is True
    bot = EchoBot(live_server.url, account["channel_secret"], account["channel_access_token"])
    bot.api.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=bot.url))
    bot.account = account  # type: ignore[attr-defined]
    yield bot
    bot.stop()


def test_r_cht_01_echo_bot_answers_live_and_a_carousel_postback_reaches_it(live_server: LiveServer, echo_bot,
                                                                          new_page):
    basic_id = echo_bot.account["basic_id"]
    person = live_server.cli("user", "create", "--name", "Ploy", "--email", "ploy@echo.example",
                             "--password", PASSWORD)
    live_server.cli("friend", "add", "--account", basic_id, "--user", str(person["id"]))

    page = new_page("phone")
    page.goto(live_server.url + "/app/login")
    page.get_by_label("Email").fill("ploy@echo.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_load_state()
    with page.expect_websocket(lambda ws: ws.url.endswith("/app/ws")):
        page.goto(f"{live_server.url}/app/chats/{basic_id}")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("textbox", name="Message", exact=True).fill("hello")
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator(".chat-entry-in", has_text="hello").wait_for(timeout=15000)
    page.locator(".chat-entry-out", has_text="hello").wait_for(timeout=20000)
    assert not echo_bot.errors, echo_bot.errors
    assert echo_bot.texts == ["hello"]
    assert page.evaluate("window.stillTheSamePage === true"), "the answer arrived without a reload"
    assert page.get_by_role("textbox", name="Message", exact=True).input_value() == ""

    page.get_by_role("textbox", name="Message", exact=True).fill("menu")
    page.get_by_role("button", name="Send", exact=True).click()
    order = page.get_by_role("button", name="Order pad thai")
    order.wait_for(timeout=20000)
    assert page.evaluate("window.stillTheSamePage === true")
    assert_accessible(page)

    order.click()
    postback = echo_bot.wait_for_postback()
    assert postback.postback.data == "order=padthai" and postback.reply_token
    page.locator(".chat-entry-in", has_text="Pad thai, please").wait_for(timeout=15000)
    assert page.evaluate("window.stillTheSamePage === true")
    assert_accessible(page)

    # A message in another chat is announced in the page with its notification text (R-MSG-06).
    shop = live_server.cli("account", "create", "--name", "Noodle Shop")
    to = live_server.cli("friend", "add", "--account", shop["basic_id"], "--user", str(person["id"]))["user_id"]
    MessagingApi(ApiClient(Configuration(host=live_server.url, access_token=shop["channel_access_token"]))) \
        .push_message(PushMessageRequest(to=to, messages=[TextMessage(text="Lunch is ready $", emojis=[
            Emoji(index=15, product_id="5ac1bfd5040ab15980c9b435", emoji_id="001")])]))
    notice = page.locator("#chat-notice")
    notice.filter(has_text="Noodle Shop").wait_for(timeout=15000)
    assert notice.inner_text() == "New message from Noodle Shop: Lunch is ready (smile)"
    assert notice.get_attribute("role") == "status"
    assert page.locator(".chat-entry", has_text="Lunch is ready").count() == 0
