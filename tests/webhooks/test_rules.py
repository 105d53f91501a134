"""Webhook rules, checked against the SDK a bot would use: signature, envelope, event shapes,
ULID event IDs, endpoint URLs, reply-token lifetimes and the redelivery schedule."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.webhooks import CallbackRequest, FollowEvent, UnfollowEvent

from openoa.core import ids
from openoa.core.errors import Invalid
from openoa.webhooks import rules

SECRET = "0123456789abcdef0123456789abcdef"
BOT = "U" + "a" * 32
USER = "U" + "b" * 32
CROCKFORD_ULID = re.compile(r"[0-7][0-9A-HJKMNP-TV-Z]{25}")


def _ulid_millis(value: str) -> int:
    number = 0
    for char in value:
        number = number * 32 + "0123456789ABCDEFGHJKMNPQRSTVWXYZ".index(char)
    return number >> 80


def _delivered(event: dict, *, is_redelivery: bool = False) -> bytes:
    stored = {"timestamp": 1768446000000, "mode": rules.ACTIVE, "webhookEventId": ids.webhook_event_id(), **event}
    return rules.envelope(BOT, [rules.as_delivered(stored, is_redelivery=is_redelivery)])


def test_signature_is_what_the_sdk_checks_and_fails_under_another_secret():
    body = _delivered(rules.follow_event(user_id=USER, reply_token=ids.reply_token(), is_unblocked=False))
    signature = rules.signature(SECRET, body)
    [event] = WebhookParser(SECRET).parse(body.decode(), signature)
    assert isinstance(event, FollowEvent)
    with pytest.raises(InvalidSignatureError):
        WebhookParser("f" * 32).parse(body.decode(), signature)
    tampered = body.replace(b'"isUnblocked":false', b'"isUnblocked":true')
    with pytest.raises(InvalidSignatureError):
        WebhookParser(SECRET).parse(tampered.decode(), signature)


def test_headers_are_lines_content_type_user_agent_and_signature():
    body = rules.envelope(BOT, [])
    headers = rules.request_headers(SECRET, body)
    assert headers["User-Agent"] == "LineBotWebhook/2.0"
    assert headers["Content-Type"].startswith("application/json")
    assert headers["X-Line-Signature"] == rules.signature(SECRET, body)


def test_follow_event_passes_the_sdks_strict_schema():
    token = ids.reply_token()
    body = _delivered(rules.follow_event(user_id=USER, reply_token=token, is_unblocked=True), is_redelivery=True)
    request = CallbackRequest.from_json(body.decode())
    assert request.destination == BOT
    [event] = request.events
    assert isinstance(event, FollowEvent)
    assert event.follow.is_unblocked is True and event.reply_token == token
    assert event.source.user_id == USER and event.mode.value == "active"
    assert event.delivery_context.is_redelivery is True


def test_unfollow_event_passes_the_sdks_strict_schema_and_has_no_reply_token():
    body = _delivered(rules.unfollow_event(user_id=USER))
    [event] = CallbackRequest.from_json(body.decode()).events
    assert isinstance(event, UnfollowEvent)
    assert "replyToken" not in body.decode()


def test_empty_envelope_is_the_connectivity_check_the_sdk_accepts():
    assert CallbackRequest.from_json(rules.envelope(BOT, []).decode()).events == []


def test_webhook_event_id_is_a_ulid_with_the_clocks_milliseconds(clock):
    made = {ids.webhook_event_id() for _ in range(300)}
    assert len(made) == 300
    assert all(CROCKFORD_ULID.fullmatch(value) for value in made)
    assert {_ulid_millis(value) for value in made} == {rules.timestamp_ms(clock.now())}
    earlier = ids.webhook_event_id()
    clock.advance(milliseconds=5)
    assert ids.webhook_event_id() > earlier  # sorts by time, as ULIDs do


def test_reply_tokens_look_like_lines():
    made = {ids.reply_token() for _ in range(100)}
    assert len(made) == 100 and all(re.fullmatch(r"[0-9a-f]{32}", t) for t in made)


@pytest.mark.parametrize("url", ["https://bot.example.com/callback", "https://bot.example.com:8443/x?y=1",
                                 "http://127.0.0.1:5000/callback", "http://localhost/callback",
                                 "http://[::1]:8080/", "  https://padded.example.com/  "])
def test_endpoint_accepts_https_and_http_only_to_this_machine(url):
    assert rules.check_endpoint(url) == url.strip()


@pytest.mark.parametrize("url", ["", "   ", "http://bot.example.com/callback", "ftp://bot.example.com/",
                                 "bot.example.com/callback", "https://", "https:///path",
                                 "https://bot.example.com/" + "a" * 480, "https://bad port.example.com/",
                                 "https://bot.example.com:99999/"])
def test_endpoint_refuses_anything_else_naming_the_field(url):
    with pytest.raises(Invalid) as refused:
        rules.check_endpoint(url, field="webhook_url")
    assert set(refused.value.by_field()) == {"webhook_url"}


def test_endpoint_of_exactly_500_characters_is_accepted():
    url = "https://bot.example.com/" + "a" * (500 - len("https://bot.example.com/"))
    assert rules.check_endpoint(url) == url


def test_failure_reasons_are_lines_error_statistics():
    assert rules.failure_reason(200, None) is None
    assert rules.failure_reason(204, None) is None
    assert rules.failure_reason(500, None) == rules.FailureReason.ERROR_STATUS_CODE
    assert rules.failure_reason(302, None) == rules.FailureReason.ERROR_STATUS_CODE
    assert rules.failure_reason(None, "request_timeout") == rules.FailureReason.REQUEST_TIMEOUT
    assert rules.failure_reason(None, "could_not_connect") == rules.FailureReason.COULD_NOT_CONNECT
    assert rules.failure_reason(None, "something new") == rules.FailureReason.UNCLASSIFIED
    assert rules.failure_label("request_timeout") == "No answer within 2 seconds"
    assert rules.failure_label("new_reason") == "new_reason"
    assert rules.verify_reason(None) == "OK"
    assert rules.verify_reason(rules.FailureReason.REQUEST_TIMEOUT) == "REQUEST_TIMEOUT"


def test_redelivery_only_when_on_and_bounded():
    assert rules.redelivery_delay(1, redelivery_on=False) is None
    delays = [rules.redelivery_delay(n, redelivery_on=True) for n in range(1, rules.MAX_DELIVERY_ATTEMPTS)]
    assert delays == list(rules.REDELIVERY_DELAYS)
    assert delays == sorted(delays)  # backs off
    assert rules.redelivery_delay(rules.MAX_DELIVERY_ATTEMPTS, redelivery_on=True) is None


def test_reply_token_lives_a_minute_after_each_delivery_within_twenty_minutes_of_the_event():
    issued = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)
    assert rules.REPLY_TOKEN_TTL == timedelta(minutes=1)
    assert rules.reply_token_expiry_on_delivery(issued, issued + timedelta(minutes=5)) == \
        issued + timedelta(minutes=6)
    assert rules.reply_token_expiry_on_delivery(issued, issued + timedelta(minutes=19, seconds=30)) == \
        issued + timedelta(minutes=20)
