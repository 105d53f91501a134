"""The Messaging API's webhook endpoint settings over HTTP: get, set (https, ≤ 500 characters,
http only to this machine) and test, with LINE's status codes and error bodies, and answers
the SDK's models accept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from linebot.v3.messaging import GetWebhookEndpointResponse
from linebot.v3.messaging import TestWebhookEndpointResponse as EndpointTestResponse
from linebot.v3.webhooks import CallbackRequest

from openoa.channels import service as channels
from openoa.core.access import BusinessActor
from tests import factories
from tests.webhooks.receiver import Receiver, closed_port_url

ENDPOINT = "/v2/bot/channel/webhook/endpoint"
TEST = "/v2/bot/channel/webhook/test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bot = Receiver().start()
    yield bot
    bot.stop()


@pytest.fixture
def owner(session):  # type: ignore[no-untyped-def]
    return factories.business(session)


@pytest.fixture
def acc(session, owner):  # type: ignore[no-untyped-def]
    return factories.account(session, owner, name="Echo Bot")


@pytest.fixture
def token(session, owner, acc) -> str:  # type: ignore[no-untyped-def]
    return channels.issue_long_lived_token(session, BusinessActor(owner.id), acc.id).access_token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_without_a_token_or_with_a_wrong_one_every_endpoint_is_401(client):
    for method, path in (("GET", ENDPOINT), ("PUT", ENDPOINT), ("POST", TEST)):
        for headers in ({}, _auth("not-a-token"), {"Authorization": "Basic abc"}):
            answer = client.request(method, path, headers=headers, json={"endpoint": "https://x.example.com/"})
            assert answer.status_code == 401, (method, path, headers)
            assert answer.json()["message"].startswith("Authentication failed")


def test_get_before_any_url_is_set_answers_empty_and_inactive(client, token):
    answer = client.get(ENDPOINT, headers=_auth(token))
    assert answer.status_code == 200
    assert answer.json() == {"endpoint": "", "active": False}
    GetWebhookEndpointResponse.from_json(answer.text)


def test_set_then_get_the_endpoint(client, session, token, acc):
    answer = client.put(ENDPOINT, headers=_auth(token), json={"endpoint": "https://bot.example.com/callback"})
    assert answer.status_code == 200 and answer.json() == {}
    got = GetWebhookEndpointResponse.from_json(client.get(ENDPOINT, headers=_auth(token)).text)
    assert got.endpoint == "https://bot.example.com/callback"
    assert got.active is False  # setting the URL does not turn "Use webhook" on
    session.expire_all()
    assert channels.channel_of(session, acc.id).webhook_url == "https://bot.example.com/callback"


def test_a_local_bot_may_use_http_on_loopback(client, token):
    for url in ("http://127.0.0.1:5000/callback", "http://localhost:8080/hook"):
        assert client.put(ENDPOINT, headers=_auth(token), json={"endpoint": url}).status_code == 200


@pytest.mark.parametrize("endpoint", ["http://bot.example.com/callback", "not a url", "",
                                      "https://bot.example.com/" + "a" * 500])
def test_a_bad_endpoint_is_400_naming_the_property_and_changes_nothing(client, token, endpoint):
    client.put(ENDPOINT, headers=_auth(token), json={"endpoint": "https://kept.example.com/"})
    answer = client.put(ENDPOINT, headers=_auth(token), json={"endpoint": endpoint})
    assert answer.status_code == 400
    assert [d["property"] for d in answer.json()["details"]] == ["endpoint"]
    assert client.get(ENDPOINT, headers=_auth(token)).json()["endpoint"] == "https://kept.example.com/"


def test_a_missing_or_mistyped_endpoint_is_400(client, token):
    for body in ({}, {"endpoint": 42}):
        answer = client.put(ENDPOINT, headers=_auth(token), json=body)
        assert answer.status_code == 400
        assert answer.json()["details"][0]["property"] == "endpoint"


def test_a_token_only_reaches_its_own_channel(client, session, token, acc):
    other = factories.account(session, name="Other Bot")
    client.put(ENDPOINT, headers=_auth(token), json={"endpoint": "https://mine.example.com/"})
    session.expire_all()
    assert channels.channel_of(session, other.id).webhook_url is None


def test_test_sends_a_signed_empty_envelope_and_reports_success(client, session, token, acc, receiver):
    receiver.secret = channels.channel_of(session, acc.id).channel_secret
    answer = client.post(TEST, headers=_auth(token), json={"endpoint": receiver.url})
    assert answer.status_code == 200, answer.text
    result = EndpointTestResponse.from_json(answer.text)
    assert (result.success, result.status_code, result.reason, result.detail) == (True, 200, "OK", "200")
    [got] = receiver.received
    assert got.signature_ok and got.events == []
    request = CallbackRequest.from_json(got.raw.decode())
    assert request.destination == channels.channel_of(session, acc.id).bot_user_id


def test_test_uses_the_saved_endpoint_when_none_is_given(client, session, token, acc, receiver):
    receiver.secret = channels.channel_of(session, acc.id).channel_secret
    receiver.answers = [(500, 0)]
    client.put(ENDPOINT, headers=_auth(token), json={"endpoint": receiver.url})
    answer = client.post(TEST, headers=_auth(token))
    result = EndpointTestResponse.from_json(answer.text)
    assert (result.success, result.status_code, result.reason) == (False, 500, "ERROR_STATUS_CODE")
    assert len(receiver.received) == 1 and receiver.received[0].signature_ok


def test_test_of_an_unreachable_bot_has_status_code_zero(client, token):
    answer = client.post(TEST, headers=_auth(token), json={"endpoint": closed_port_url()})
    result = EndpointTestResponse.from_json(answer.text)
    assert (result.success, result.status_code, result.reason) == (False, 0, "COULD_NOT_CONNECT")
    assert "Connection failed" in result.detail


def test_test_without_any_endpoint_is_400(client, token):
    answer = client.post(TEST, headers=_auth(token), json={})
    assert answer.status_code == 400
    assert answer.json()["details"][0]["property"] == "endpoint"


def test_test_refuses_a_bad_endpoint_without_sending(client, token):
    answer = client.post(TEST, headers=_auth(token), json={"endpoint": "http://bot.example.com/"})
    assert answer.status_code == 400
    assert answer.json()["details"][0]["property"] == "endpoint"
