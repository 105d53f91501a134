"""POST /v2/bot/message/validate/{push,reply,multicast,narrowcast,broadcast} over HTTP: LINE's
200 `{}` for good message objects (R-MSG-01), its 400 body naming each bad field, 401 without a
valid token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.messaging import rules
from tests.api.bots import Bot, make_bot
from tests.messaging.test_rules import SDK_EXAMPLES

SENDS = ("push", "reply", "multicast", "narrowcast", "broadcast")
AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header "
                          "is valid."}
TEXT = {"type": "text", "text": "Hello"}


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


def url(send: str) -> str:
    return f"/v2/bot/message/validate/{send}"


@pytest.mark.parametrize("send", SENDS)
def test_validate_refuses_a_missing_or_wrong_token_before_reading_the_body(client: TestClient, send: str):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = client.post(url(send), json={"messages": [{"type": "nonsense"}]}, headers=headers)
        assert (answer.status_code, answer.json()) == (401, AUTH_FAILED)
        assert answer.headers["x-line-request-id"]


def test_validate_refuses_a_revoked_token(client: TestClient, bot: Bot, session: Session):
    channels.issue_long_lived_token(session, SYSTEM, bot.account.id)  # the reissue revokes the old one
    session.flush()
    assert client.post(url("push"), json={"messages": [TEXT]}, headers=bot.auth).status_code == 401


@pytest.mark.parametrize("send", SENDS)
def test_r_msg_01_validate_accepts_good_messages_with_an_empty_object(client: TestClient, bot: Bot, send: str):
    answer = client.post(url(send), json={"messages": [TEXT]}, headers=bot.auth)
    assert (answer.status_code, answer.json()) == (200, {})
    assert answer.headers["x-line-request-id"]


@pytest.mark.parametrize("example", SDK_EXAMPLES.values(), ids=SDK_EXAMPLES.keys())
def test_r_msg_01_validate_accepts_every_kind_the_sdk_builds(client: TestClient, bot: Bot, example):
    answer = client.post(url("push"), json={"messages": [example.to_dict()]}, headers=bot.auth)
    assert (answer.status_code, answer.json()) == (200, {})


@pytest.mark.parametrize("send", SENDS)
def test_r_msg_01_text_over_5000_characters_is_refused_naming_the_field(client: TestClient, bot: Bot, send: str):
    answer = client.post(url(send), json={"messages": [{"type": "text", "text": "x" * (rules.TEXT_MAX + 1)}]},
                         headers=bot.auth)
    assert answer.status_code == 400
    assert answer.json() == {"message": "The request body has 1 error(s)", "details": [
        {"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]}


@pytest.mark.parametrize(("messages", "details"), [
    pytest.param([TEXT] * 6, [{"message": "Size must be between 1 and 5", "property": "messages"}], id="six messages"),
    pytest.param([], [{"message": "Size must be between 1 and 5", "property": "messages"}], id="no message"),
    pytest.param("Hello", [{"message": "Must be an array", "property": "messages"}], id="not a list"),
    pytest.param([TEXT, {"type": "file"}], [
        {"message": "Must be one of the following values: [text, textV2, sticker, image, video, audio, location, "
                    "imagemap, template, flex, coupon]", "property": "messages[1].type"}], id="unknown type"),
    pytest.param([{"type": "sticker", "packageId": "446"}],
                 [{"message": "must be specified", "property": "messages[0].stickerId"}], id="missing field"),
    pytest.param([{"type": "image", "originalContentUrl": "http://example.com/a.jpg",
                   "previewImageUrl": "https://example.com/p.jpg"}],
                 [{"message": "Must be an HTTPS URL", "property": "messages[0].originalContentUrl"}], id="http url"),
    pytest.param([{"type": "text", "text": "$", "emojis": [{"index": 1, "productId": "p", "emojiId": "001"}]}],
                 [{"message": "Must point at a $ character in text", "property": "messages[0].emojis[0].index"}],
                 id="emoji index"),
    pytest.param([TEXT, {"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
        {"type": "message", "label": "a", "text": "a"}, {"type": "message", "label": "b", "text": "b"},
        {"type": "message", "text": "c"}]}}],
                 [{"message": "must be specified", "property": "messages[1].template.actions[2].label"}],
                 id="template action label"),
    pytest.param([{"type": "template", "altText": "a", "template": {"type": "buttons", "text": "t", "actions": [
        {"type": "teleport", "label": "a"}]}}],
                 [{"message": "Must be one of the following values: [postback, message, uri, datetimepicker, "
                              "clipboard]", "property": "messages[0].template.actions[0].type"}],
                 id="unknown action type"),
])
def test_r_msg_01_bad_messages_get_line_details(client: TestClient, bot: Bot, messages, details):
    answer = client.post(url("push"), json={"messages": messages}, headers=bot.auth)
    assert answer.status_code == 400
    assert answer.json() == {"message": f"The request body has {len(details)} error(s)", "details": details}


def test_r_msg_01_every_bad_field_of_a_request_is_reported_at_once(client: TestClient, bot: Bot):
    messages = [{"type": "text", "text": ""}, {"type": "location", "title": "t", "address": "a", "latitude": 91},
                {"type": "audio", "originalContentUrl": "https://example.com/a.m4a", "duration": "60"}]
    answer = client.post(url("broadcast"), json={"messages": messages}, headers=bot.auth)
    assert answer.status_code == 400
    assert answer.json() == {"message": "The request body has 4 error(s)", "details": [
        {"message": "May not be empty", "property": "messages[0].text"},
        {"message": "Must be less than or equal to 90", "property": "messages[1].latitude"},
        {"message": "must be specified", "property": "messages[1].longitude"},
        {"message": "Must be an integer", "property": "messages[2].duration"},
    ]}


def test_validate_needs_a_messages_property_and_json(client: TestClient, bot: Bot):
    missing = client.post(url("reply"), json={"to": "U1"}, headers=bot.auth)
    assert missing.status_code == 400
    assert [d["property"] for d in missing.json()["details"]] == ["messages"]
    broken = client.post(url("reply"), content=b'{"messages": [', headers=bot.auth | {"Content-Type":
                                                                                       "application/json"})
    assert broken.status_code == 400


def test_validate_endpoints_document_line_message_objects(client: TestClient):
    spec = client.get("/openapi.json").json()
    operations = {spec["paths"][url(send)]["post"]["operationId"] for send in SENDS}
    assert operations == {f"validate_{send}" for send in SENDS}
    schemas = spec["components"]["schemas"]
    assert {"TextMessage", "TemplateMessage", "FlexMessage", "PostbackActionInTemplate"} <= set(schemas)
    messages = schemas["ValidateMessageRequest"]["properties"]["messages"]
    assert len(messages["items"]["oneOf"]) == len(rules.MESSAGE_TYPES)
