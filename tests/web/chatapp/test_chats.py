"""The Chat app's chats over HTTP: the inbox and a conversation (pages and JSON), the composer's
forms and their errors next to each field, action taps, unsend, the person's own media, and who
may open what."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.chat.models import PersonMessage
from openoa.core.access import SYSTEM
from openoa.messaging import service as messaging
from openoa.users.models import User
from openoa.webhooks.models import WebhookEvent
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.chat.conftest import MP4, png_bytes
from tests.messaging.crowd import context

CAROUSEL = {"type": "template", "altText": "Our menu", "template": {"type": "carousel", "columns": [
    {"text": "Pad thai", "actions": [{"type": "postback", "label": "Order", "data": "order=padthai"},
                                     {"type": "datetimepicker", "label": "Book", "data": "book", "mode": "date"}]}]}}


@pytest.fixture
def bot(session: Session) -> Bot:
    made = make_bot(session, name="Echo Bot")
    channels.set_response_mode(session, SYSTEM, made.account.id, "bot")
    return made


@pytest.fixture
def chatting(me: TestClient, bot: Bot) -> TestClient:
    """``me`` (Mali) with the bot's account added."""
    assert me.post("/app/api/friends", json={"basic_id": bot.account.basic_id, "path": "search"}).status_code == 201
    return me


def mali(session: Session) -> User:
    return session.scalars(select(User).where(User.email == "mali@example.com")).one()


def push(session: Session, bot: Bot, *messages: dict) -> None:
    from openoa.friends.service import scoped_user_id

    to = scoped_user_id(session, bot.account.provider_id, mali(session).id)
    messaging.push(session, context(session, bot), request_id=f"r{len(messages)}-{id(messages)}", to=to,
                   messages=list(messages))


def stored(session: Session) -> list[PersonMessage]:
    return list(session.scalars(select(PersonMessage).order_by(PersonMessage.id)))


def chat_url(bot: Bot, tail: str = "") -> str:
    return f"/app/chats/{bot.account.basic_id}{tail}"


# ------------------------------------------------------------------ who may open what

def test_chats_anonymous_redirects_to_login_and_json_is_401(client: TestClient, bot: Bot):
    for path in ("/app/chats", chat_url(bot)):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/app/login?next=")
    assert client.get("/app/api/chats").status_code == 401
    assert client.post(f"/app/api/chats/{bot.account.basic_id}/messages",
                       json={"type": "text", "text": "hi"}).status_code == 401


def test_a_non_friend_gets_404_and_cannot_post(me: TestClient, bot: Bot, session: Session):
    assert me.get(chat_url(bot)).status_code == 404
    assert me.get(f"/app/api/chats/{bot.account.basic_id}/messages").status_code == 404
    response = me.post(chat_url(bot, "/messages"), data={"kind": "text", "text": "hi"}, follow_redirects=False)
    assert response.status_code == 404
    assert me.post(chat_url(bot, "/actions"), data={"action_type": "postback", "data": "x"}).status_code == 404
    assert stored(session) == []


def test_after_blocking_posting_is_403(chatting: TestClient, bot: Bot, session: Session):
    assert chatting.post(f"/app/api/friends/{bot.account.id}/block").status_code == 200
    response = chatting.post(f"/app/api/chats/{bot.account.basic_id}/messages", json={"type": "text", "text": "hi"})
    assert response.status_code == 403 and "Unblock" in response.json()["message"]
    assert chatting.post(chat_url(bot, "/messages"), data={"kind": "text", "text": "hi"}).status_code == 403
    assert stored(session) == []


def test_another_persons_media_url_is_404(chatting: TestClient, other_client: TestClient, bot: Bot,
                                          session: Session):
    sent = chatting.post(f"/app/api/chats/{bot.account.basic_id}/media", data={"kind": "image"},
                         files={"file": ("p.png", png_bytes(), "image/png")})
    assert sent.status_code == 201, sent.text
    url = chat_url(bot, f"/content/{sent.json()['id']}")
    own = chatting.get(url)
    assert own.status_code == 200 and own.headers["content-type"] == "image/png"
    assert chatting.get(url + "/preview").headers["content-type"] == "image/jpeg"
    other_client.post("/app/api/signup", json={"email": "pim@example.com", "password": factories.PASSWORD,
                                               "display_name": "Pim"})
    assert other_client.get(url).status_code == 404  # not a friend of the account
    other_client.post("/app/api/friends", json={"basic_id": bot.account.basic_id, "path": "search"})
    assert other_client.get(url).status_code == 404  # a friend, but not their message
    assert other_client.get(f"/media/{stored(session)[0].content_key}").status_code == 404


# ------------------------------------------------------------------ pages

def test_inbox_lists_chats_with_r_msg_06_previews_and_unread_counts(chatting: TestClient, bot: Bot,
                                                                    session: Session):
    page = chatting.get("/app/chats")
    assert page.status_code == 200 and "Echo Bot" in page.text and "No messages yet" in page.text
    push(session, bot, {"type": "text", "text": "Hi $", "emojis": [
        {"index": 3, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}]}, CAROUSEL)
    page = chatting.get("/app/chats")
    assert "Our menu" in page.text and re.search(r'class="badge badge-green unread">2<', page.text)
    [row] = chatting.get("/app/api/chats").json()
    assert (row["basic_id"], row["last_message"], row["unread_count"]) == (bot.account.basic_id, "Our menu", 2)
    chatting.get(chat_url(bot))
    assert chatting.get("/app/api/chats").json()[0]["unread_count"] == 0


def test_chat_page_shows_history_through_the_message_macro_and_a_composer(chatting: TestClient, bot: Bot,
                                                                          session: Session):
    push(session, bot, {"type": "text", "text": "Welcome!"}, CAROUSEL)
    page = chatting.get(chat_url(bot))
    assert page.status_code == 200
    assert page.text.count("<h1") == 1 and "Welcome!" in page.text and "Pad thai" in page.text
    assert f'action="{chat_url(bot, "/actions")}"' in page.text
    for label in ('for="f-text"', 'for="f-file"', 'for="f-latitude"', 'for="f-longitude"', "Moon: thumbs up"):
        assert label in page.text
    assert '<script type="module" src="/static/chat.js">' in page.text


def test_text_form_posts_redirects_back_and_shows_the_message(chatting: TestClient, bot: Bot, session: Session):
    response = chatting.post(chat_url(bot, "/messages"), data={"kind": "text", "text": "hello"},
                             follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == chat_url(bot, "#latest")
    assert [m.body for m in stored(session)] == [{"text": "hello"}]
    assert "hello" in chatting.get(chat_url(bot)).text
    assert session.scalar(select(WebhookEvent.type).where(WebhookEvent.type == "message")) == "message"


def test_fetch_submissions_get_204_instead_of_a_redirect(chatting: TestClient, bot: Bot, session: Session):
    response = chatting.post(chat_url(bot, "/messages"), data={"kind": "sticker", "sticker": "446:1988"},
                             headers={"X-Requested-With": "fetch"})
    assert response.status_code == 204
    assert stored(session)[0].body["stickerId"] == "1988"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"kind": "text", "text": ""}, "text", "Enter a message."),
    ({"kind": "text", "text": "x" * 5001}, "text", "A message can be at most 5,000 characters."),
    ({"kind": "location", "latitude": "95", "longitude": "100"}, "latitude",
     "The latitude must be between -90 and 90."),
    ({"kind": "location", "latitude": "13", "longitude": "far"}, "longitude", "Enter the longitude as a number."),
])
def test_bad_input_rerenders_with_the_message_next_to_the_field(chatting: TestClient, bot: Bot, session: Session,
                                                                 data, field, message):
    response = chatting.post(chat_url(bot, "/messages"), data=data)
    assert response.status_code == 400
    assert f'<p class="error" id="f-{field}-error" role="alert">{message}</p>' in response.text
    assert re.search(rf'id="f-{field}"[^>]*aria-invalid="true"', response.text)
    assert stored(session) == []


@pytest.mark.parametrize(("kind", "upload", "message"), [
    ("image", ("notes.txt", b"plain words", "text/plain"), "This is not a PNG, JPEG, GIF or WebP image we can read."),
    ("video", ("clip.mp4", b"not a video at all", "video/mp4"), "Upload an MP4, MOV or WebM video."),
    ("image", ("big.png", b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), "image/png"), "The file is larger than 10 MB."),
])
def test_bad_file_type_or_size_rerenders_at_the_file_field(chatting: TestClient, bot: Bot, session: Session,
                                                           kind, upload, message):
    response = chatting.post(chat_url(bot, "/media"), data={"kind": kind}, files={"file": upload})
    assert response.status_code == 400
    assert f'<p class="error" id="f-file-error" role="alert">{message}</p>' in response.text
    assert "<details id=\"composer-attach\" class=\"composer-more\" open>" in response.text
    assert stored(session) == []


def test_video_upload_by_form(chatting: TestClient, bot: Bot, session: Session):
    response = chatting.post(chat_url(bot, "/media"), data={"kind": "video", "duration": "2500"},
                             files={"file": ("clip.mp4", MP4, "video/mp4")}, follow_redirects=False)
    assert response.status_code == 303
    assert stored(session)[0].body == {"contentProvider": {"type": "line"}, "duration": 2500}


def test_action_taps_become_postbacks_or_messages(chatting: TestClient, bot: Bot, session: Session):
    response = chatting.post(chat_url(bot, "/actions"), data={"action_type": "postback", "data": "order=padthai",
                                                              "display_text": ""}, follow_redirects=False)
    assert response.status_code == 303
    picked = chatting.post(chat_url(bot, "/actions"), data={"action_type": "datetimepicker", "data": "book",
                                                            "mode": "date", "date": "2026-12-24"},
                           follow_redirects=False)
    assert picked.status_code == 303
    said = chatting.post(f"/app/api/chats/{bot.account.basic_id}/actions",
                         json={"action_type": "message", "text": "Yes please"})
    assert said.status_code == 204
    postbacks = [e.payload["postback"] for e in session.scalars(
        select(WebhookEvent).where(WebhookEvent.type == "postback").order_by(WebhookEvent.id))]
    assert postbacks == [{"data": "order=padthai"}, {"data": "book", "params": {"date": "2026-12-24"}}]
    assert [m.body for m in stored(session)] == [{"text": "Yes please"}]


def test_a_bad_picker_value_is_shown_above_the_composer(chatting: TestClient, bot: Bot):
    response = chatting.post(chat_url(bot, "/actions"), data={"action_type": "datetimepicker", "data": "b",
                                                              "mode": "time", "time": "25:99"})
    assert response.status_code == 400 and '<div class="alert alert-error" role="alert">Choose a time.</div>' in \
        response.text


def test_unsend_by_form_hides_the_message(chatting: TestClient, bot: Bot, session: Session):
    sent = chatting.post(f"/app/api/chats/{bot.account.basic_id}/messages", json={"type": "text", "text": "oops"})
    assert sent.status_code == 201 and sent.json()["message"]["text"] == "oops"
    message_id = sent.json()["id"]
    response = chatting.post(chat_url(bot, f"/messages/{message_id}/unsend"), follow_redirects=False)
    assert response.status_code == 303
    page = chatting.get(chat_url(bot)).text
    assert "oops" not in page and "You unsent a message" in page


def test_json_conversation_pages_and_items_fragment(chatting: TestClient, bot: Bot, session: Session):
    chatting.post(f"/app/api/chats/{bot.account.basic_id}/messages",
                  json={"type": "location", "latitude": 13.7, "longitude": 100.5, "title": "Siam"})
    page = chatting.get(f"/app/api/chats/{bot.account.basic_id}/messages").json()
    assert [i["message"]["type"] for i in page["items"]] == ["location"]
    push(session, bot, {"type": "text", "text": "Got it"})
    fragment = chatting.get(chat_url(bot, "/items"), params={"after": page["after"]})
    assert fragment.status_code == 200 and "Got it" in fragment.text and "Siam" not in fragment.text
    assert 'class="chat-entry chat-entry-out"' in fragment.text
    assert chatting.get(f"/app/api/chats/{bot.account.basic_id}/messages", params={"after": "zzz"}).status_code == 400
    assert chatting.get("/app/api/stickers").json()[0] == {"package_id": "446", "sticker_id": "1988",
                                                           "name": "Moon: thumbs up"}


def test_chat_endpoints_appear_in_openapi(client: TestClient):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/app/api/chats", "/app/api/chats/{basic_id}/messages", "/app/api/chats/{basic_id}/media",
                 "/app/api/chats/{basic_id}/actions"):
        assert path in paths
