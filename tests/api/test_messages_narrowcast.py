"""POST /v2/bot/message/narrowcast and GET /v2/bot/message/progress/narrowcast over HTTP: 202 `{}`
with the request id progress is read by, LINE's 400/403/429 bodies naming the property, retry
keys, and progress that only this account sees, for 14 days."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.billing.models import MessageUsage
from openoa.core.clock import FakeClock
from openoa.core.jobs import Job
from openoa.core.settings import Settings
from openoa.messaging.models import Send
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, add_people, deliver

AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header "
                          "is valid."}
TEXT = {"type": "text", "text": "Hello"}
KEY = "123e4567-e89b-12d3-a456-426614174000"
LINE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


def _stored(session: Session) -> tuple[int, int]:
    return (session.scalar(select(func.count()).select_from(Send)) or 0,
            session.scalar(select(func.count()).select_from(Job)) or 0)


def _narrowcast(client: TestClient, bot: Bot, body: dict, **headers: str):  # type: ignore[no-untyped-def,type-arg]
    return client.post("/v2/bot/message/narrowcast", headers={**bot.auth, **headers}, json=body)


def test_narrowcast_and_progress_refuse_a_missing_or_wrong_token(client: TestClient):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        sent = client.post("/v2/bot/message/narrowcast", json={"messages": [TEXT]}, headers=headers)
        read = client.get("/v2/bot/message/progress/narrowcast?requestId=x", headers=headers)
        assert (sent.status_code, sent.json(), read.status_code, read.json()) == (401, AUTH_FAILED, 401, AUTH_FAILED)


def test_narrowcast_is_202_and_its_progress_is_read_by_the_request_id(client: TestClient, bot: Bot,
                                                                      session: Session):
    add_friends(session, bot.account.id, 3)
    answer = _narrowcast(client, bot, {"messages": [TEXT], "limit": {"max": 2, "upToRemainingQuota": False,
                                                                    "forbidPartialDelivery": False}})
    assert (answer.status_code, answer.json()) == (202, {})
    request_id = answer.headers["x-line-request-id"]
    waiting = client.get(f"/v2/bot/message/progress/narrowcast?requestId={request_id}", headers=bot.auth)
    assert waiting.status_code == 200 and set(waiting.json()) == {"phase", "acceptedTime"}
    assert waiting.json()["phase"] == "waiting" and LINE_TIME.fullmatch(waiting.json()["acceptedTime"])
    send_id = session.scalar(select(Send.id).where(Send.request_id == request_id))
    deliver(session, send_id)
    done = client.get(f"/v2/bot/message/progress/narrowcast?requestId={request_id}", headers=bot.auth).json()
    assert {k: done[k] for k in ("phase", "successCount", "failureCount", "targetCount")} == {
        "phase": "succeeded", "successCount": 2, "failureCount": 0, "targetCount": 2}
    assert LINE_TIME.fullmatch(done["completedTime"]) and "errorCode" not in done
    assert client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json() == {"totalUsage": 2}


def test_progress_of_another_accounts_or_an_old_request_is_404(client: TestClient, bot: Bot, session: Session,
                                                               clock: FakeClock):
    other = make_bot(session, name="Other")
    request_id = _narrowcast(client, bot, {"messages": [TEXT]}).headers["x-line-request-id"]
    url = f"/v2/bot/message/progress/narrowcast?requestId={request_id}"
    assert client.get(url, headers=other.auth).status_code == 404
    assert client.get(url, headers=bot.auth).status_code == 200
    clock.advance(days=14)
    assert client.get(url, headers=bot.auth).status_code == 404
    missing = client.get("/v2/bot/message/progress/narrowcast", headers=bot.auth)
    assert missing.status_code == 400 and missing.json()["details"][0]["property"] == "requestId"


def test_bad_targeting_is_400_naming_the_property_and_stores_nothing(client: TestClient, bot: Bot,
                                                                     session: Session):
    add_friends(session, bot.account.id, 120)
    cases = [
        ({"filter": {"demographic": {"type": "operator", "and": [
            {"type": "gender", "oneOf": ["male"]}, {"type": "age", "gte": "age_40", "lt": "age_20"}]}}},
         "filter.demographic.and[1].gte"),
        ({"recipient": {"type": "audience", "audienceGroupId": 99}}, "recipient.audienceGroupId"),
        ({"recipient": {"type": "redelivery", "requestId": "nope"}}, "recipient.requestId"),
        ({"limit": {"max": 0}}, "limit.max"),
        ({"messages": []}, "messages"),
    ]
    for body, prop in cases:
        answer = _narrowcast(client, bot, {"messages": [TEXT], **body})
        assert answer.status_code == 400, body
        assert prop in [d["property"] for d in answer.json()["details"]], answer.json()
    audience = _narrowcast(client, bot, {"messages": [TEXT], "recipient": {"type": "audience", "audienceGroupId": 99}})
    assert audience.json() == {"message": "Invalid audience group id: 99", "details": [
        {"message": "Invalid audience group id: 99", "property": "recipient.audienceGroupId"}]}
    forbid = _narrowcast(client, bot, {"messages": [TEXT], "limit": {"forbidPartialDelivery": True}})
    assert forbid.json()["message"] == "The option forbidPartialDelivery must be used with upToRemainingQuota."
    assert _stored(session) == (0, 0)


def test_r_brd_01_attributes_under_100_reach_are_403(client: TestClient, bot: Bot, session: Session):
    add_people(session, bot.account.id, [{"gender": "female"}] * 99)
    answer = _narrowcast(client, bot, {"messages": [TEXT],
                                       "filter": {"demographic": {"type": "gender", "oneOf": ["female"]}}})
    assert (answer.status_code, answer.json()) == (403, {"message": "Your account does not have enough friends"})
    assert _stored(session) == (0, 0)


def test_r_msg_05_narrowcast_over_the_monthly_limit_is_429_and_stores_nothing(client: TestClient, bot: Bot,
                                                                             session: Session):
    add_friends(session, bot.account.id, 10)
    session.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, used=495))
    session.flush()
    answer = _narrowcast(client, bot, {"messages": [TEXT]})
    assert (answer.status_code, answer.json()["message"]) == (429, "You have reached your monthly limit.")
    assert answer.json()["details"][0]["message"].startswith("This send needs 10 counted messages; 5 are left")
    assert _stored(session) == (0, 0)
    fits = _narrowcast(client, bot, {"messages": [TEXT], "limit": {"upToRemainingQuota": True}})
    assert fits.status_code == 202


def test_narrowcast_retry_key_conflicts_with_the_accepted_request_id(client: TestClient, bot: Bot,
                                                                     session: Session):
    add_friends(session, bot.account.id, 2)
    first = _narrowcast(client, bot, {"messages": [TEXT]}, **{"X-Line-Retry-Key": KEY})
    again = _narrowcast(client, bot, {"messages": [TEXT]}, **{"X-Line-Retry-Key": KEY})
    assert (first.status_code, again.status_code) == (202, 409)
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.json() == {"message": "The retry key is already accepted"}
    assert _stored(session) == (1, 1)


def test_narrowcast_is_limited_per_hour_like_broadcast(client: TestClient, bot: Bot, session: Session,
                                                       settings: Settings):
    add_friends(session, bot.account.id, 1)
    settings.api_rate_broadcast_per_hour = 2
    answers = [_narrowcast(client, bot, {"messages": [TEXT]}).status_code for _ in range(3)]
    assert answers == [202, 202, 429]
    # Its own counter: a broadcast of the same channel is still allowed this hour.
    assert client.post("/v2/bot/message/broadcast", headers=bot.auth, json={"messages": [TEXT]}).status_code == 200
