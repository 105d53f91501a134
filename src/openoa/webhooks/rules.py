"""Rules of webhooks as LINE sends them: the endpoint URL, the signature, the envelope and
event objects, reply-token lifetimes, delivery timeouts, failure reasons and redelivery."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from openoa.core.errors import Invalid

USER_AGENT = "LineBotWebhook/2.0"
CONTENT_TYPE = "application/json; charset=utf-8"
SIGNATURE_HEADER = "X-Line-Signature"

# LINE counts a bot that has not answered within 2 seconds as a request_timeout.
DELIVERY_TIMEOUT_SECONDS = 2.0
# "Verify" waits as long as a real delivery would: a bot that passes it also keeps up with events.
TEST_TIMEOUT_SECONDS = DELIVERY_TIMEOUT_SECONDS

MAX_ENDPOINT_LENGTH = 500
# A bot developer runs the bot next to OpenOA while building it; LINE itself wants https.
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# A reply token is single-use and lives one minute after the webhook (LINE); a redelivered
# webhook gives it another minute, but never past 20 minutes after the event.
REPLY_TOKEN_TTL = timedelta(minutes=1)
REDELIVERED_REPLY_TOKEN_LIMIT = timedelta(minutes=20)

# With redelivery on, a failed delivery is sent again after each of these waits, then given up.
REDELIVERY_DELAYS = (timedelta(seconds=5), timedelta(seconds=30), timedelta(minutes=2),
                     timedelta(minutes=5), timedelta(minutes=10))
MAX_DELIVERY_ATTEMPTS = 1 + len(REDELIVERY_DELAYS)

ACTIVE = "active"


class FailureReason(StrEnum):
    """Why a delivery failed, in the words of LINE's webhook error statistics."""

    COULD_NOT_CONNECT = "could_not_connect"
    REQUEST_TIMEOUT = "request_timeout"
    ERROR_STATUS_CODE = "error_status_code"
    UNCLASSIFIED = "unclassified"


FAILURE_LABELS = {
    FailureReason.COULD_NOT_CONNECT: "Could not connect",
    FailureReason.REQUEST_TIMEOUT: "No answer within 2 seconds",
    FailureReason.ERROR_STATUS_CODE: "Answered with an error status",
    FailureReason.UNCLASSIFIED: "Other error",
}


def failure_label(reason: str) -> str:
    """A failure reason in words for the console; an unknown one as it is."""
    try:
        return FAILURE_LABELS[FailureReason(reason)]
    except ValueError:
        return reason


def check_endpoint(url: str, *, field: str = "endpoint") -> str:
    """The webhook URL, stripped; https with a host, ≤ 500 characters (http only to this machine)."""
    url = (url or "").strip()
    if not url:
        raise Invalid(field=field, reason="Enter the webhook URL.")
    if len(url) > MAX_ENDPOINT_LENGTH:
        raise Invalid(field=field, reason=f"The webhook URL must be at most {MAX_ENDPOINT_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (a bad port raises here)
    except ValueError as exc:
        raise Invalid(field=field, reason="Enter a valid URL, like https://bot.example.com/callback.") from exc
    if not host or any(c.isspace() for c in url):
        raise Invalid(field=field, reason="Enter a valid URL, like https://bot.example.com/callback.")
    if parts.scheme == "https" or (parts.scheme == "http" and host in LOCAL_HOSTS):
        return url
    raise Invalid(field=field, reason="The webhook URL must start with https:// "
                                      "(http:// only for a bot on this machine: 127.0.0.1 or localhost).")


def signature(channel_secret: str, body: bytes) -> str:
    """``X-Line-Signature``: base64 of HMAC-SHA256 over the raw body, keyed by the channel secret."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def envelope(destination: str, events: list[dict[str, Any]]) -> bytes:
    """The body POSTed to the bot, serialised once: the signature covers exactly these bytes."""
    return json.dumps({"destination": destination, "events": events},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def request_headers(channel_secret: str, body: bytes) -> dict[str, str]:
    return {"Content-Type": CONTENT_TYPE, "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(channel_secret, body)}


def as_delivered(event: dict[str, Any], *, is_redelivery: bool) -> dict[str, Any]:
    """The stored event with its ``deliveryContext``: the only part a redelivery changes."""
    return {**event, "deliveryContext": {"isRedelivery": is_redelivery}}


def timestamp_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def user_source(user_id: str) -> dict[str, str]:
    return {"type": "user", "userId": user_id}


def follow_event(*, user_id: str, reply_token: str, is_unblocked: bool) -> dict[str, Any]:
    """A person added the account (``isUnblocked`` false) or unblocked it (true)."""
    return {"type": "follow", "source": user_source(user_id), "replyToken": reply_token,
            "follow": {"isUnblocked": is_unblocked}}


def unfollow_event(*, user_id: str) -> dict[str, Any]:
    """A person blocked the account; there is no one to reply to."""
    return {"type": "unfollow", "source": user_source(user_id)}


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300


def failure_reason(status_code: int | None, transport_failure: str | None) -> FailureReason | None:
    """None when the bot answered 2xx; otherwise why the delivery failed."""
    if status_code is None:
        try:
            return FailureReason(transport_failure or FailureReason.UNCLASSIFIED)
        except ValueError:
            return FailureReason.UNCLASSIFIED
    return None if is_success(status_code) else FailureReason.ERROR_STATUS_CODE


def redelivery_delay(attempt: int, *, redelivery_on: bool) -> timedelta | None:
    """How long to wait before sending again after failed ``attempt`` (1-based); None: give up."""
    if not redelivery_on or attempt >= MAX_DELIVERY_ATTEMPTS:
        return None
    return REDELIVERY_DELAYS[attempt - 1]


def reply_token_expiry_on_delivery(issued_at: datetime, delivered_at: datetime) -> datetime:
    """A token is good for a minute after each delivery of its event (a late worker or a
    redelivery does not eat into it), and never past 20 minutes after the event."""
    return min(delivered_at + REPLY_TOKEN_TTL, issued_at + REDELIVERED_REPLY_TOKEN_LIMIT)


def verify_reason(reason: FailureReason | None) -> str:
    """The ``reason`` of LINE's test-endpoint answer: OK, or the failure in capitals."""
    return "OK" if reason is None else reason.value.upper()


def message_event(*, user_id: str, reply_token: str, message: dict[str, Any]) -> dict[str, Any]:
    """A person sent the account a message; ``message`` is LINE's message content object."""
    return {"type": "message", "source": user_source(user_id), "replyToken": reply_token, "message": message}


def postback_event(*, user_id: str, reply_token: str, data: str,
                   params: dict[str, str] | None = None) -> dict[str, Any]:
    """A person tapped a postback or datetime-picker action; ``params`` only for the picker."""
    postback: dict[str, Any] = {"data": data}
    if params:
        postback["params"] = params
    return {"type": "postback", "source": user_source(user_id), "replyToken": reply_token, "postback": postback}


def unsend_event(*, user_id: str, message_id: str) -> dict[str, Any]:
    """A person unsent a message: the bot should drop what it kept of it. Nothing to reply to."""
    return {"type": "unsend", "source": user_source(user_id), "unsend": {"messageId": message_id}}
