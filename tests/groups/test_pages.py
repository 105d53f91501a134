"""Groups in the Chat app (R-CHT-02): the pages and their JSON twins. Anonymous visitors go to the
login page (401 on JSON), a non-member gets 404 for every group route, forms re-render with the
error next to the field, and successful posts redirect (303)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM, PersonActor
from openoa.groups import service as groups
from openoa.users.models import User
from tests import factories
from tests.api.bots import make_bot
from tests.api.notices import heard
from tests.groups.conftest import events

PASSWORD = factories.PASSWORD


def login(client: TestClient, email: str) -> TestClient:
    answer = client.post("/app/api/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code in (200, 204), answer.text
    return client


@pytest.fixture
def group(session: Session) -> str:
    """Somchai's "Lunch club", with Nok in it; Somchai is a friend of Noodle Bot."""
    somchai = factories.person(session, name="Somchai", email="somchai@example.com")
    factories.person(session, name="Nok", email="nok@example.com")
    factories.person(session, name="Stranger", email="stranger@example.com")
    bot = make_bot(session, name="Noodle Bot")
    factories.friend(session, somchai, bot.account)
    chat_id = groups.create_group(session, PersonActor(somchai.id), "Lunch club").chat_id
    groups.add_member(session, PersonActor(somchai.id), chat_id, "nok@example.com")
    return chat_id


def _routes(chat_id: str) -> list[tuple[str, str, dict[str, str] | None]]:
    return [("GET", f"/app/groups/{chat_id}", None), ("POST", f"/app/groups/{chat_id}/posts", {"text": "hi"}),
            ("POST", f"/app/groups/{chat_id}/members", {"email": "stranger@example.com"}),
            ("POST", f"/app/groups/{chat_id}/accounts", {"basic_id": "@000aaaaa"}),
            ("POST", f"/app/groups/{chat_id}/posts/100000000000000001/actions",
             {"action_type": "postback", "data": "x"}),
            ("POST", f"/app/groups/{chat_id}/leave", {})]


def _api_routes(chat_id: str) -> list[tuple[str, str, dict[str, str] | None]]:
    return [("GET", f"/app/api/groups/{chat_id}", None), ("POST", f"/app/api/groups/{chat_id}/posts", {"text": "hi"}),
            ("POST", f"/app/api/groups/{chat_id}/members", {"email": "stranger@example.com"}),
            ("POST", f"/app/api/groups/{chat_id}/accounts", {"basic_id": "@000aaaaa"}),
            ("POST", f"/app/api/groups/{chat_id}/posts/100000000000000001/actions",
             {"action_type": "postback", "data": "x"}),
            ("POST", f"/app/api/groups/{chat_id}/leave", None)]


def test_anonymous_visitors_are_sent_to_log_in(client: TestClient, group: str):
    answer = client.get("/app/groups", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login")
    for method, path, form in _routes(group):
        answer = client.request(method, path, data=form, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/app/login"), path
    assert client.get("/app/api/groups").status_code == 401
    for method, path, body in _api_routes(group):
        assert client.request(method, path, json=body).status_code == 401, path


def test_r_cht_02_a_non_member_gets_404_on_every_group_route(client: TestClient, group: str, session: Session):
    login(client, "stranger@example.com")
    for method, path, form in _routes(group):
        assert client.request(method, path, data=form, follow_redirects=False).status_code == 404, path
    for method, path, body in _api_routes(group):
        answer = client.request(method, path, json=body)
        assert (answer.status_code, answer.json()) == (404, {"message": "No such group."}), path
    assert client.get("/app/api/groups").json() == []
    seen_by_nok = groups.group_page(session, PersonActor(_user_id(session, "nok@example.com")), group)
    assert seen_by_nok.posts == [] and [m.display_name for m in seen_by_nok.members] == ["Somchai", "Nok"]


def _user_id(session: Session, email: str) -> int:
    return int(session.scalar(select(User.id).where(User.email == email)) or 0)


def test_a_person_creates_a_group_and_lands_on_its_page(client: TestClient, session: Session, group: str):
    login(client, "nok@example.com")
    page = client.get("/app/groups")
    assert page.status_code == 200 and "Lunch club" in page.text
    answer = client.post("/app/groups", data={"name": "Book club"}, follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert re.fullmatch(r"/app/groups/C[0-9a-f]{32}\?notice=created", location)
    page = client.get(location)
    assert page.status_code == 200
    assert "<h1>Book club</h1>" in page.text and "Your group is ready." in page.text
    assert [g["name"] for g in client.get("/app/api/groups").json()] == ["Book club", "Lunch club"]


def test_a_too_long_name_re_renders_the_form_with_the_error_beside_it(client: TestClient, group: str):
    login(client, "nok@example.com")
    answer = client.post("/app/groups", data={"name": "x" * 51})
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in answer.text and "Use at most 50 characters." in answer.text
    assert 'value="' + "x" * 51 + '"' in answer.text
    assert client.post("/app/api/groups", json={"name": "x" * 51}).status_code == 400


def test_members_post_and_see_each_other_s_posts_escaped(client: TestClient, other_client: TestClient,
                                                         group: str):
    login(client, "nok@example.com")
    answer = client.post(f"/app/groups/{group}/posts", data={"text": "<b>noon?</b>"}, follow_redirects=False)
    assert answer.status_code == 303
    login(other_client, "somchai@example.com")
    page = other_client.get(f"/app/groups/{group}")
    assert "&lt;b&gt;noon?&lt;/b&gt;" in page.text and "<b>noon?</b>" not in page.text
    assert "Nok" in page.text
    body = other_client.get(f"/app/api/groups/{group}").json()
    assert [(p["author"], p["message"]["text"], p["mine"]) for p in body["posts"]] == [("Nok", "<b>noon?</b>", False)]
    answer = other_client.post(f"/app/api/groups/{group}/posts", json={"text": "Yes!"})
    assert answer.status_code == 201 and answer.json()["mine"] is True
    empty = client.post(f"/app/groups/{group}/posts", data={"text": "  "})
    assert empty.status_code == 400 and "Write something first." in empty.text


def test_adding_people_and_inviting_an_account_from_the_page(client: TestClient, session: Session, group: str):
    login(client, "somchai@example.com")
    page = client.get(f"/app/groups/{group}")
    assert "Noodle Bot" in page.text  # offered for invitation
    refused = client.post(f"/app/groups/{group}/members", data={"email": "nobody@example.com"})
    assert refused.status_code == 400 and 'aria-invalid="true"' in refused.text
    assert client.post(f"/app/groups/{group}/members", data={"email": "nok@example.com"}).status_code == 409
    answer = client.post(f"/app/groups/{group}/members", data={"email": "stranger@example.com"},
                         follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].endswith("?notice=member")
    basic_id = client.get(f"/app/api/groups/{group}").json()["invitable"][0]["basic_id"]
    answer = client.post(f"/app/groups/{group}/accounts", data={"basic_id": basic_id}, follow_redirects=False)
    assert answer.status_code == 303
    body = client.get(f"/app/api/groups/{group}").json()
    assert [a["display_name"] for a in body["accounts"]] == ["Noodle Bot"] and body["invitable"] == []
    assert [m["display_name"] for m in body["members"]] == ["Somchai", "Nok", "Stranger"]
    account_id = body["accounts"][0]["account_id"]
    assert events(session, account_id) == []  # Chat mode: no webhook events are kept


def test_r_cht_02_inviting_an_account_that_does_not_join_group_chats_shows_why(client: TestClient,
                                                                              session: Session, group: str):
    login(client, "somchai@example.com")
    offered = client.get(f"/app/api/groups/{group}").json()["invitable"][0]
    channels.set_join_group_chats(session, SYSTEM, offered["account_id"], False)
    refused = client.post(f"/app/groups/{group}/accounts", data={"basic_id": offered["basic_id"]})
    assert refused.status_code == 400
    assert re.search(r'<p class="error" id="f-basic_id-error" role="alert">'
                     r'This official account does not join group chats.</p>', refused.text)
    assert 'aria-invalid="true"' in refused.text
    answer = client.post(f"/app/api/groups/{group}/accounts", json={"basic_id": offered["basic_id"]})
    assert answer.status_code == 400 and "This official account does not join group chats." in answer.text
    assert client.get(f"/app/api/groups/{group}").json()["accounts"] == []
    assert events(session, offered["account_id"]) == []


def test_leaving_a_group_hides_it(client: TestClient, group: str):
    login(client, "nok@example.com")
    answer = client.post(f"/app/groups/{group}/leave", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/app/groups?notice=left"
    assert "You left the group." in client.get(answer.headers["location"]).text
    assert client.get(f"/app/groups/{group}").status_code == 404


def test_a_post_tells_every_member_s_open_pages_after_commit(client: TestClient, session: Session, group: str):
    login(client, "nok@example.com")
    somchai = _user_id(session, "somchai@example.com")
    answer, notices = heard(somchai, lambda: client.post(f"/app/api/groups/{group}/posts", json={"text": "hi"}))
    assert answer.status_code == 201
    assert notices == [{"type": "group", "groupId": group}]
    answer, notices = heard(somchai, lambda: client.post(f"/app/api/groups/{group}/posts", json={"text": ""}))
    assert answer.status_code == 400 and notices == []


CAROUSEL = {"type": "template", "altText": "Menu", "template": {"type": "carousel", "columns": [
    {"text": "Khao soi", "actions": [{"type": "postback", "label": "Order", "data": "order=khao-soi"}]},
    {"text": "Pad thai", "actions": [{"type": "message", "label": "Ask", "text": "Is it spicy?"}]}]}}


def _bot_in_group(session: Session, group: str) -> tuple[int, str]:
    """Noodle Bot (Bot mode) joins and posts a carousel; its account id and the post's message id."""
    somchai = session.scalar(select(User).where(User.email == "somchai@example.com"))
    assert somchai is not None
    offered = groups.group_page(session, PersonActor(somchai.id), group).invitable[0]
    channels.set_response_mode(session, SYSTEM, offered.account_id, "bot")
    groups.invite_account(session, PersonActor(somchai.id), group, offered.basic_id)
    posted = groups.post_from_account(session, offered.account_id, group, [CAROUSEL])
    assert posted is not None
    return offered.account_id, posted[0].id


def test_r_cht_02_a_bots_carousel_in_a_group_is_drawn_with_its_actions_and_a_tap_reaches_the_bot(
        client: TestClient, session: Session, group: str):
    account_id, message_id = _bot_in_group(session, group)
    login(client, "nok@example.com")
    page = client.get(f"/app/groups/{group}").text
    action = f"/app/groups/{group}/posts/{message_id}/actions"
    assert 'class="carousel"' in page and "Khao soi" in page and page.count(f'action="{action}"') == 2
    tapped = client.post(action, data={"action_type": "postback", "data": "order=khao-soi"}, follow_redirects=False)
    assert tapped.status_code == 303
    assert events(session, account_id)[-1]["postback"] == {"data": "order=khao-soi"}
    asked = client.post(action, data={"action_type": "message", "text": "Is it spicy?"}, follow_redirects=False)
    assert asked.status_code == 303
    assert events(session, account_id)[-1]["message"]["text"] == "Is it spicy?"
    assert client.get(f"/app/api/groups/{group}").json()["posts"][-1]["message"] == {"type": "text",
                                                                                    "text": "Is it spicy?"}
    assert client.post(f"/app/api/groups/{group}/posts/{message_id}/actions",
                       json={"action_type": "postback", "data": "again"}).status_code == 204
    assert events(session, account_id)[-1]["postback"] == {"data": "again"}


def test_a_group_tap_that_cannot_be_used_shows_why_and_sends_nothing(client: TestClient, session: Session,
                                                                     group: str):
    account_id, message_id = _bot_in_group(session, group)
    before = events(session, account_id)
    login(client, "nok@example.com")
    action = f"/app/groups/{group}/posts/{message_id}/actions"
    odd = client.post(action, data={"action_type": "uri", "data": "x"})
    assert odd.status_code == 400 and 'role="alert">This action cannot be used here.' in odd.text
    long = client.post(action, data={"action_type": "postback", "data": "x" * 301})
    assert long.status_code == 400 and "Postback data can be at most 300 characters." in long.text
    missing = client.post(f"/app/api/groups/{group}/posts/999/actions", json={"action_type": "postback", "data": "x"})
    assert (missing.status_code, missing.json()) == (404, {"message": "No such message."})
    assert events(session, account_id) == before
