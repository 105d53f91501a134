"""The direct routes (push, multicast, reply: api/direct.py) answer exactly like FastAPI's would —
token first, LINE's error body for a bad body located at the field, headers read, the OpenAPI
document unchanged — and refuse, when made, an endpoint whose parameters they cannot read."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import Depends, Header, Query, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.api import deps
from openoa.api.direct import DirectRoute
from openoa.channels.schemas import BotContext
from openoa.messaging.models import Send
from tests import factories
from tests.api.bots import Bot, make_bot

DIRECT = ("push", "multicast", "reply")
TEXT = {"type": "text", "text": "Hello"}


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


def _post(client: TestClient, send: str, body: bytes, headers: dict[str, str]) -> Any:
    return client.post(f"/v2/bot/message/{send}", content=body,
                       headers=headers | {"Content-Type": "application/json"})


@pytest.mark.parametrize("send", DIRECT)
def test_a_wrong_token_is_refused_before_the_body_is_read(client: TestClient, send: str):
    answer = _post(client, send, b'{"messages": [', {"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 401
    assert answer.headers["x-line-request-id"]


@pytest.mark.parametrize("send", DIRECT)
def test_broken_json_is_a_400_with_lines_body(client: TestClient, bot: Bot, session: Session, send: str):
    answer = _post(client, send, b'{"messages": [', bot.auth)
    assert answer.status_code == 400
    body = answer.json()
    assert body["message"] == "The request body has 1 error(s)"
    assert body["details"][0]["property"] == "body" and "JSON" in body["details"][0]["message"]
    assert answer.headers["x-line-request-id"]
    assert session.scalar(select(func.count()).select_from(Send)) == 0


def test_field_errors_name_the_property(client: TestClient, bot: Bot):
    answer = client.post("/v2/bot/message/multicast", headers=bot.auth,
                         json={"to": [], "messages": [TEXT], "notificationDisabled": "often"})
    assert answer.status_code == 400
    assert sorted(d["property"] for d in answer.json()["details"]) == ["notificationDisabled", "to"]
    missing = client.post("/v2/bot/message/push", headers=bot.auth, json={"messages": [TEXT]})
    assert [d["property"] for d in missing.json()["details"]] == ["to"]


def test_the_retry_key_header_is_read(client: TestClient, bot: Bot, session: Session):
    to = factories.friend(session, factories.person(session), bot.account).user_id
    headers = bot.auth | {"X-Line-Retry-Key": "123e4567-e89b-12d3-a456-426614174000"}
    first = client.post("/v2/bot/message/push", headers=headers, json={"to": to, "messages": [TEXT]})
    again = client.post("/v2/bot/message/push", headers=headers, json={"to": to, "messages": [TEXT]})
    assert (first.status_code, again.status_code) == (200, 409)
    assert again.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert again.json()["sentMessages"] == first.json()["sentMessages"]


def test_the_answer_is_the_response_model_without_nones(client: TestClient, bot: Bot, session: Session):
    to = factories.friend(session, factories.person(session), bot.account).user_id
    answer = client.post("/v2/bot/message/push", headers=bot.auth,
                         json={"to": to, "messages": [{"type": "sticker", "packageId": "446", "stickerId": "1988"},
                                                      {"type": "location", "title": "Shop", "address": "Bangkok",
                                                       "latitude": 13.75, "longitude": 100.5}]})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    sent = answer.json()["sentMessages"]
    assert "quoteToken" in sent[0] and "quoteToken" not in sent[1]  # a location has no quote token


def test_openapi_still_documents_the_direct_routes(client: TestClient):
    spec = client.get("/openapi.json").json()
    push = spec["paths"]["/v2/bot/message/push"]["post"]
    assert push["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/PushRequest")
    assert push["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SentMessages")
    assert {p["name"] for p in push["parameters"]} == {"X-Line-Retry-Key"}


class _Body(BaseModel):
    text: str


async def _readable(request: Request, body: _Body, bot: Annotated[BotContext, Depends(deps.bot)],
                    key: Annotated[str | None, Header(alias="X-Key")] = None) -> Any:
    return {}


async def _with_query(body: _Body, page: Annotated[int, Query()]) -> Any:
    return {}


async def _with_other_dependency(body: _Body, who: Annotated[str, Depends(lambda: "x")]) -> Any:
    return {}


async def _without_body(request: Request) -> Any:
    return {}


def _blocking(body: _Body) -> Any:
    return {}


def test_a_direct_route_takes_the_parameters_it_can_read():
    DirectRoute("/x", _readable, methods=["POST"])


@pytest.mark.parametrize("endpoint", [_with_query, _with_other_dependency, _without_body, _blocking])
def test_a_direct_route_refuses_an_endpoint_it_cannot_serve(endpoint: Any):
    with pytest.raises(TypeError, match="direct route"):
        DirectRoute("/x", endpoint, methods=["POST"])
