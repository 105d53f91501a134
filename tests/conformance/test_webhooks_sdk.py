"""Webhooks as a `line-bot-sdk` v3 bot sees them, against a real server whose embedded worker
delivers: the endpoint set, read and tested through `MessagingApi`; follow and unfollow events
from a person in the Chat app, checked by the receiver with `WebhookParser(channel_secret)`
(signature and parsing) and `CallbackRequest` (strict schema); redelivery keeps the event ID."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    SetWebhookEndpointRequest,
)
from linebot.v3.messaging import TestWebhookEndpointRequest as EndpointTestRequest
from linebot.v3.webhooks import FollowEvent, UnfollowEvent

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.webhooks import rules
from openoa.webhooks import service as webhooks
from tests.conformance.conftest import LiveServer, SdkBot, make_bot
from tests.webhooks.receiver import Receiver

PASSWORD = "correct-horse-9"


def _in_bot_mode(server: LiveServer, bot: SdkBot, *, redelivery: bool = False) -> None:
    """What the admin does in the console: Bot mode (which turns "Use webhook" on), redelivery."""
    db = server.database()
    try:
        with db.scope() as session:
            channels.set_response_mode(session, SYSTEM, bot.account_id, "bot")
            webhooks.update_webhook_settings(session, SYSTEM, bot.account_id, webhook_redelivery=redelivery)
    finally:
        db.engine.dispose()


def _chat_app(server: LiveServer, email: str) -> httpx.Client:
    """A person signed up and logged in to the Chat app (JSON endpoints, CSRF header)."""
    client = httpx.Client(base_url=server.url, timeout=10)
    client.headers["X-CSRF-Token"] = client.get("/csrf").json()["csrf_token"]
    answer = client.post("/app/api/signup", json={"email": email, "password": PASSWORD, "display_name": "Somchai"})
    assert answer.status_code == 201, answer.text
    return client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bot = Receiver().start()
    yield bot
    bot.stop()


def _messaging(server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=server.url, access_token=bot.token)) as client:
        yield MessagingApi(client)


def test_set_get_and_test_the_endpoint_with_the_sdk(live_server: LiveServer, receiver: Receiver):
    bot = make_bot(live_server, "Webhook Settings")
    receiver.secret = bot.channel_secret
    _in_bot_mode(live_server, bot)
    for messaging in _messaging(live_server, bot):
        answer = messaging.set_webhook_endpoint_with_http_info(SetWebhookEndpointRequest(endpoint=receiver.url))
        assert answer.status_code == 200 and answer.headers["x-line-request-id"]
        got = messaging.get_webhook_endpoint()
        assert (got.endpoint, got.active) == (receiver.url, True)

        tested = messaging.test_webhook_endpoint(EndpointTestRequest(endpoint=receiver.url))
        assert (tested.success, tested.status_code, tested.reason, tested.detail) == (True, 200, "OK", "200")
        receiver.answers = [(500, 0)]
        saved = messaging.test_webhook_endpoint()
        assert (saved.success, saved.status_code, saved.reason) == (False, 500, "ERROR_STATUS_CODE")
    assert [r.signature_ok and r.strict_error is None and r.events == [] for r in receiver.received] == [True, True]
    assert receiver.received[0].body["destination"] == bot.bot_user_id


def test_follow_and_unfollow_reach_the_bot_as_the_sdk_parses_them(live_server: LiveServer, receiver: Receiver):
    bot = make_bot(live_server, "Echo Follow")
    receiver.secret = bot.channel_secret
    _in_bot_mode(live_server, bot)
    for messaging in _messaging(live_server, bot):
        messaging.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=receiver.url))
        bot_user_id = messaging.get_bot_info().user_id
    person = _chat_app(live_server, "follow@example.com")
    added = person.post("/app/api/friends", json={"basic_id": bot.basic_id})
    assert added.status_code == 201, added.text
    scoped_id = added.json()["user_id"]

    [followed] = receiver.wait_for(1)
    assert followed.signature_ok and followed.strict_error is None
    assert followed.body["destination"] == bot_user_id
    [follow] = followed.events
    assert isinstance(follow, FollowEvent)
    assert follow.source.user_id == scoped_id and follow.follow.is_unblocked is False and follow.reply_token

    assert person.post(f"/app/api/friends/{bot.account_id}/block").status_code == 200
    _, blocked = receiver.wait_for(2)
    assert blocked.signature_ok and blocked.strict_error is None
    [unfollow] = blocked.events
    assert isinstance(unfollow, UnfollowEvent) and unfollow.source.user_id == scoped_id


def test_a_failed_delivery_is_redelivered_with_the_same_event(live_server: LiveServer, receiver: Receiver):
    bot = make_bot(live_server, "Echo Redelivery")
    receiver.secret = bot.channel_secret
    receiver.answers = [(500, 0)]
    _in_bot_mode(live_server, bot, redelivery=True)
    for messaging in _messaging(live_server, bot):
        messaging.set_webhook_endpoint(SetWebhookEndpointRequest(endpoint=receiver.url))
    person = _chat_app(live_server, "redelivery@example.com")
    assert person.post("/app/api/friends", json={"basic_id": bot.basic_id}).status_code == 201

    first, second = receiver.wait_for(2, timeout=rules.REDELIVERY_DELAYS[0].total_seconds() + 10)
    assert first.signature_ok and second.signature_ok and second.strict_error is None
    [original], [again] = first.events, second.events
    assert isinstance(again, FollowEvent)
    assert (original.delivery_context.is_redelivery, again.delivery_context.is_redelivery) == (False, True)
    assert again.webhook_event_id == original.webhook_event_id
    assert (again.reply_token, again.timestamp) == (original.reply_token, original.timestamp)
