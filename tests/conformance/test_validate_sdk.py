"""The validate endpoints driven only through `linebot.v3.messaging.MessagingApi`: every message
kind the SDK builds passes all five, and bad content comes back as the SDK's ApiException with
LINE's error body (R-MSG-01)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    ErrorResponse,
    ImageMessage,
    MessagingApi,
    TextMessage,
    ValidateMessageRequest,
)
from linebot.v3.messaging.exceptions import UnauthorizedException

from tests.conformance.conftest import LiveServer, SdkBot, make_bot
from tests.messaging.test_rules import SDK_EXAMPLES

SENDS = ("push", "reply", "multicast", "narrowcast", "broadcast")


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Validate Cafe")


@pytest.fixture
def messaging(live_server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=live_server.url, access_token=bot.token)) as client:
        yield MessagingApi(client)


def validate(messaging: MessagingApi, send: str, request: ValidateMessageRequest) -> None:
    getattr(messaging, f"validate_{send}")(request)


@pytest.mark.parametrize("send", SENDS)
def test_every_kind_the_sdk_builds_validates_on_every_send(messaging: MessagingApi, send: str):
    examples = list(SDK_EXAMPLES.values())
    for start in range(0, len(examples), 5):
        request = ValidateMessageRequest(messages=examples[start:start + 5])
        answer = getattr(messaging, f"validate_{send}_with_http_info")(request)
        assert answer.status_code == 200 and answer.data is None
        assert answer.headers["x-line-request-id"]


@pytest.mark.parametrize("send", SENDS)
def test_bad_content_is_an_api_exception_with_line_details(messaging: MessagingApi, send: str):
    # The SDK does not check text length or URLs itself, so these reach the server.
    request = ValidateMessageRequest(messages=[
        TextMessage(text="x" * 5001),
        ImageMessage(original_content_url="http://example.com/a.jpg", preview_image_url="https://example.com/p.jpg")])
    with pytest.raises(ApiException) as caught:
        validate(messaging, send, request)
    assert caught.value.status == 400
    error = ErrorResponse.from_json(caught.value.body)
    assert error.message == "The request body has 2 error(s)"
    assert [(d.var_property, d.message) for d in error.details] == [
        ("messages[0].text", "Length must be between 0 and 5000"),
        ("messages[1].originalContentUrl", "Must be an HTTPS URL")]


def test_a_wrong_token_is_unauthorized(live_server: LiveServer):
    with ApiClient(Configuration(host=live_server.url, access_token="not-a-token")) as client:
        with pytest.raises(UnauthorizedException):
            MessagingApi(client).validate_push(ValidateMessageRequest(messages=[TextMessage(text="hi")]))
