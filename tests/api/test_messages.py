"""POST /v2/bot/message/{push,multicast,broadcast,reply} and the quota and delivery-count reads
over HTTP: LINE's status codes and bodies, retry keys (409 with the accepted request id), 429 over
the monthly limit (R-MSG-05), and nothing stored for a refused request."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.billing.models import MessageUsage
from openoa.core.access import PersonActor
from openoa.friends import service as friends
from openoa.messaging.models import Delivery, Send
from openoa.webhooks import service as webhooks
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends

AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header "
                          "is valid."}
TEXT = {"type": "text", "text": "Hello"}
KEY = "123e4567-e89b-12d3-a456-426614174000"
SENDS = {"push": {"to": "U" + "0" * 32, "messages": [TEXT]}, "multicast": {"to": ["U" + "0" * 32], "messages": [TEXT]},
         "broadcast": {"messages": [TEXT]}, "reply": {"replyToken": "x", "messages": [TEXT]}}


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


def _sends(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Send)) or 0


def _friend(session: Session, bot: Bot) -> tuple[int, str]:
    person = factories.person(session)
    return person.id, factories.friend(session, person, bot.account).user_id


@pytest.mark.parametrize("send", SENDS)
def test_sends_refuse_a_missing_or_wrong_token(client: TestClient, send: str):
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        answer = client.post(f"/v2/bot/message/{send}", json=SENDS[send], headers=headers)
        assert (answer.status_code, answer.json()) == (401, AUTH_FAILED)


def test_push_answers_sent_messages_and_delivers_to_the_friend(client: TestClient, bot: Bot, session: Session):
    person_id, to = _friend(session, bot)
    answer = client.post("/v2/bot/message/push", headers=bot.auth,
                         json={"to": to, "messages": [TEXT, {"type": "sticker", "packageId": "446",
                                                             "stickerId": "1988"}],
                               "notificationDisabled": False, "customAggregationUnits": ["promo_1"]})
    assert answer.status_code == 200, answer.text
    sent = answer.json()["sentMessages"]
    assert len(sent) == 2 and all(isinstance(m["id"], str) and m["quoteToken"] for m in sent)
    assert session.scalars(select(Delivery.user_id)).all() == [person_id]
    assert client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json() == {"totalUsage": 1}


def test_push_to_another_accounts_user_is_accepted_not_delivered(client: TestClient, bot: Bot, session: Session):
    other = make_bot(session, name="Other")
    _, elsewhere = _friend(session, other)
    answer = client.post("/v2/bot/message/push", headers=bot.auth, json={"to": elsewhere, "messages": [TEXT]})
    assert answer.status_code == 200
    assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json() == {"totalUsage": 0}


def test_push_with_bad_input_names_the_field_and_stores_nothing(client: TestClient, bot: Bot, session: Session):
    _, to = _friend(session, bot)
    cases = [({"to": to, "messages": [{"type": "text", "text": "x" * 5001}]}, "messages[0].text"),
             ({"to": to, "messages": [TEXT] * 6}, "messages"),
             ({"to": "bogus", "messages": [TEXT]}, "to"),
             ({"messages": [TEXT]}, "to"),
             ({"to": to, "messages": [TEXT], "customAggregationUnits": ["a", "b"]}, "customAggregationUnits")]
    for body, prop in cases:
        answer = client.post("/v2/bot/message/push", headers=bot.auth, json=body)
        assert answer.status_code == 400, body
        assert prop in [d["property"] for d in answer.json()["details"]], answer.json()
    assert _sends(session) == 0


def test_retry_key_conflicts_with_the_accepted_request_id_and_original_messages(client: TestClient, bot: Bot,
                                                                               session: Session):
    _, to = _friend(session, bot)
    headers = {**bot.auth, "X-Line-Retry-Key": KEY}
    first = client.post("/v2/bot/message/push", headers=headers, json={"to": to, "messages": [TEXT]})
    again = client.post("/v2/bot/message/push", headers=headers, json={"to": to, "messages": [TEXT]})
    assert (first.status_code, again.status_code) == (200, 409)
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert again.json() == {"message": "The retry key is already accepted",
                            "sentMessages": first.json()["sentMessages"]}
    multi = [client.post("/v2/bot/message/multicast", headers={**bot.auth, "X-Line-Retry-Key": KEY.replace("1", "2")},
                         json={"to": [to], "messages": [TEXT]}) for _ in range(2)]
    assert [m.status_code for m in multi] == [200, 409]
    assert multi[0].json() == {} and "sentMessages" not in multi[1].json()
    assert session.scalar(select(func.count()).select_from(Delivery)) == 2


def test_r_msg_05_broadcast_over_the_monthly_limit_is_429_and_stores_nothing(client: TestClient, bot: Bot,
                                                                            session: Session):
    add_friends(session, bot.account.id, 10)
    session.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, used=495))
    session.flush()
    answer = client.post("/v2/bot/message/broadcast", headers=bot.auth, json={"messages": [TEXT]})
    assert (answer.status_code, answer.json()["message"]) == (429, "You have reached your monthly limit.")
    # Beyond LINE's sentence: what the send needed, what is left, and how to get more (details[]).
    assert answer.json()["details"] == [{
        "property": "messages",
        "message": "This send needs 10 counted messages; 5 are left this month. The Free package cannot send more "
                   "than its 500 a month: an admin can upgrade to Basic or Pro in Settings › Usage and billing."}]
    assert _sends(session) == 0
    assert client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json() == {"totalUsage": 495}


def test_broadcast_and_multicast_answer_empty_objects(client: TestClient, bot: Bot, session: Session):
    _, to = _friend(session, bot)
    assert client.post("/v2/bot/message/broadcast", headers=bot.auth, json={"messages": [TEXT]}).json() == {}
    answer = client.post("/v2/bot/message/multicast", headers=bot.auth, json={"to": [to] * 2, "messages": [TEXT]})
    assert (answer.status_code, answer.json()) == (200, {})
    too_many = client.post("/v2/bot/message/multicast", headers=bot.auth,
                           json={"to": ["U" + "0" * 32] * 501, "messages": [TEXT]})
    assert too_many.status_code == 400 and too_many.json()["details"][0]["property"] == "to"


def test_reply_token_is_single_use_not_counted_and_refuses_a_retry_key(client: TestClient, bot: Bot,
                                                                      session: Session):
    person_id, _ = _friend(session, bot)
    token = webhooks.issue_reply_token(session, bot.account.id, person_id)
    session.flush()
    body = {"replyToken": token, "messages": [TEXT]}
    keyed = client.post("/v2/bot/message/reply", headers={**bot.auth, "X-Line-Retry-Key": KEY}, json=body)
    assert keyed.status_code == 400
    answer = client.post("/v2/bot/message/reply", headers=bot.auth, json=body)
    assert answer.status_code == 200 and len(answer.json()["sentMessages"]) == 1
    reused = client.post("/v2/bot/message/reply", headers=bot.auth, json=body)
    assert (reused.status_code, reused.json()) == (400, {"message": "Invalid reply token"})
    assert client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json() == {"totalUsage": 0}


def test_quota_and_delivery_counts(client: TestClient, bot: Bot, session: Session):
    _, to = _friend(session, bot)
    blocker, blocked_to = _friend(session, bot)
    friends.block(session, PersonActor(blocker), bot.account.id)
    session.flush()
    assert client.get("/v2/bot/message/quota", headers=bot.auth).json() == {"type": "limited", "value": 500}
    client.post("/v2/bot/message/push", headers=bot.auth, json={"to": to, "messages": [TEXT]})
    client.post("/v2/bot/message/push", headers=bot.auth, json={"to": blocked_to, "messages": [TEXT]})
    day = "20260115"  # FakeClock: 2026-01-15 03:00 UTC
    assert client.get(f"/v2/bot/message/delivery/push?date={day}", headers=bot.auth).json() == {
        "status": "ready", "success": 1}
    assert client.get(f"/v2/bot/message/delivery/broadcast?date={day}", headers=bot.auth).json() == {
        "status": "ready", "success": 0}
    bad = client.get("/v2/bot/message/delivery/push?date=2026-01-15", headers=bot.auth)
    assert bad.status_code == 400
