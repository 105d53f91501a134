"""Sending through `linebot.v3.messaging.MessagingApi` against a live server: push (with a retry
key), multicast, broadcast (fanned out by the server's own worker), reply with a single-use
token, and the quota, consumption and delivery-count reads (R-MSG-02/05)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BroadcastRequest,
    Configuration,
    ErrorResponse,
    MessageQuotaResponse,
    MessagingApi,
    MulticastRequest,
    NumberOfMessagesResponse,
    PushMessageRequest,
    PushMessageResponse,
    QuotaConsumptionResponse,
    ReplyMessageRequest,
    TextMessage,
)
from sqlalchemy import select

from openoa.accounts.rules import DEFAULT_TIMEZONE
from openoa.core import clock as clock_module
from openoa.core import ids
from openoa.friends.models import ScopedUserId
from openoa.webhooks import service as webhooks
from tests.conformance.conftest import LiveServer, SdkBot, make_bot, make_friend

HELLO = [TextMessage(text="Hello from the SDK")]


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Sending Noodles")


@pytest.fixture(scope="module")
def friend_ids(live_server: LiveServer, bot: SdkBot) -> list[str]:
    return [make_friend(live_server, bot, name) for name in ("Somchai", "Nok", "Ploy")]


@pytest.fixture
def messaging(live_server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=live_server.url, access_token=bot.token)) as client:
        yield MessagingApi(client)


def _usage(messaging: MessagingApi) -> int:
    consumption = messaging.get_message_quota_consumption()
    assert isinstance(consumption, QuotaConsumptionResponse)
    return consumption.total_usage


def _today() -> str:
    # The live server runs on the real clock; delivery counts are per day in the account's timezone.
    return datetime.fromtimestamp(time.time(), UTC).astimezone(ZoneInfo(DEFAULT_TIMEZONE)).strftime("%Y%m%d")


def test_quota_is_the_free_package_limit(messaging: MessagingApi):
    quota = messaging.get_message_quota()
    assert isinstance(quota, MessageQuotaResponse)
    assert (quota.type, quota.value) == ("limited", 500)


def test_push_with_retry_key_then_409_with_the_accepted_request(messaging: MessagingApi, friend_ids: list[str]):
    before = _usage(messaging)
    key = ids.request_id()  # a UUID, as LINE wants retry keys
    request = PushMessageRequest(to=friend_ids[0], messages=HELLO * 2)
    first = messaging.push_message_with_http_info(request, x_line_retry_key=key)
    assert first.status_code == 200 and isinstance(first.data, PushMessageResponse)
    assert [type(m.id) for m in first.data.sent_messages] == [str, str]
    with pytest.raises(ApiException) as again:
        messaging.push_message(request, x_line_retry_key=key)
    assert again.value.status == 409
    assert again.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    error = ErrorResponse.from_json(again.value.body)
    assert [m.id for m in error.sent_messages] == [m.id for m in first.data.sent_messages]
    assert _usage(messaging) == before + 1  # recipients × requests, not message objects
    sent = messaging.get_number_of_sent_push_messages(_today())
    assert isinstance(sent, NumberOfMessagesResponse)
    assert (sent.status, sent.success) == ("ready", 1)


def test_multicast_counts_friends_reached(messaging: MessagingApi, friend_ids: list[str]):
    before = _usage(messaging)
    assert messaging.multicast(MulticastRequest(to=friend_ids[:2] + ["U" + "0" * 32], messages=HELLO)) == {}
    assert _usage(messaging) == before + 2


def test_broadcast_is_delivered_by_the_worker(messaging: MessagingApi, friend_ids: list[str]):
    before = _usage(messaging)
    assert messaging.broadcast(BroadcastRequest(messages=HELLO)) == {}
    deadline = time.monotonic() + 15
    while _usage(messaging) < before + len(friend_ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _usage(messaging) == before + len(friend_ids)
    assert messaging.get_number_of_sent_broadcast_messages(_today()).success == len(friend_ids)


def test_reply_token_works_once_and_is_not_counted(live_server: LiveServer, bot: SdkBot, messaging: MessagingApi,
                                                   friend_ids: list[str]):
    db = live_server.database()
    # The token must be minted on the server's real clock, not this process's FakeClock.
    previous = clock_module.use(clock_module.SystemClock())
    try:
        with db.scope() as session:
            user_id = session.scalar(select(ScopedUserId.user_id).where(ScopedUserId.scoped_id == friend_ids[2]))
            token = webhooks.issue_reply_token(session, bot.account_id, user_id)
    finally:
        clock_module.use(previous)
        db.engine.dispose()
    before = _usage(messaging)
    answer = messaging.reply_message(ReplyMessageRequest(reply_token=token, messages=HELLO))
    assert len(answer.sent_messages) == 1
    with pytest.raises(ApiException) as reused:
        messaging.reply_message(ReplyMessageRequest(reply_token=token, messages=HELLO))
    assert reused.value.status == 400
    assert ErrorResponse.from_json(reused.value.body).message == "Invalid reply token"
    assert _usage(messaging) == before
