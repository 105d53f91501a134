"""The blob host's message content (GET /v2/bot/message/{id}/content, /preview, /transcoding):
the bytes a person sent, only to the bot of the account they sent them to (R-FRD-04/05)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.chat import service as chat
from openoa.core import clock
from openoa.core.access import PersonActor
from openoa.integrations.storage import LocalStorage
from openoa.users.models import User
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.api.person_messages import sent
from tests.web.console.conftest import png

NOT_FOUND = {"message": "Not found"}


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


@pytest.fixture
def somchai(session: Session, bot: Bot) -> User:
    person = factories.person(session, name="Somchai")
    factories.friend(session, person, bot.account)
    return person


def test_content_needs_a_token(client: TestClient, bot: Bot, somchai: User, session: Session,
                               storage: LocalStorage):
    photo = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=png(),
                 content_type="image/png", storage=storage)
    for suffix in ("", "/preview", "/transcoding"):
        answer = client.get(f"/v2/bot/message/{photo.message_id}/content{suffix}")
        assert answer.status_code == 401, suffix


def test_r_frd_05_another_account_s_bot_gets_404_for_every_content_path(client: TestClient, bot: Bot,
                                                                        somchai: User, session: Session,
                                                                        storage: LocalStorage):
    photo = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=png(),
                 content_type="image/png", preview=png((10, 10)), storage=storage)
    clip = sent(session, account_id=bot.account.id, user_id=somchai.id, type="video", content_type="video/mp4",
                preview=png((10, 10)), storage=storage)
    clip.content_key = photo.content_key  # stored: only the owner may learn so
    session.flush()
    other = make_bot(session, name="Other Cafe")
    for path in (f"{photo.message_id}/content", f"{photo.message_id}/content/preview",
                 f"{clip.message_id}/content/transcoding"):
        answer = client.get(f"/v2/bot/message/{path}", headers=other.auth)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), path
        assert answer.headers["x-line-request-id"]
    for unknown in ("123456789012345678", "nonsense"):
        answer = client.get(f"/v2/bot/message/{unknown}/content", headers=bot.auth)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


def test_content_returns_the_exact_bytes_with_their_media_type(client: TestClient, bot: Bot, somchai: User,
                                                               session: Session, storage: LocalStorage):
    picture = png((64, 48), "red")
    photo = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=picture,
                 content_type="image/png", storage=storage)
    answer = client.get(f"/v2/bot/message/{photo.message_id}/content", headers=bot.auth)
    assert answer.status_code == 200
    assert answer.content == picture
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["x-line-request-id"]


def test_preview_of_an_image_without_its_own_preview_is_the_image(client: TestClient, bot: Bot, somchai: User,
                                                                  session: Session, storage: LocalStorage):
    picture, small = png((64, 48), "red"), png((8, 6), "red")
    plain = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=picture,
                 content_type="image/png", storage=storage)
    with_preview = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=picture,
                        content_type="image/png", preview=small, storage=storage)
    assert client.get(f"/v2/bot/message/{plain.message_id}/content/preview", headers=bot.auth).content == picture
    answer = client.get(f"/v2/bot/message/{with_preview.message_id}/content/preview", headers=bot.auth)
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (200, small, "image/png")


def test_text_has_no_content_and_cannot_be_previewed_or_transcoded(client: TestClient, bot: Bot, somchai: User,
                                                                   session: Session):
    text = sent(session, account_id=bot.account.id, user_id=somchai.id)
    assert client.get(f"/v2/bot/message/{text.message_id}/content", headers=bot.auth).status_code == 404
    answer = client.get(f"/v2/bot/message/{text.message_id}/content/preview", headers=bot.auth)
    assert (answer.status_code, answer.json()) == (400, {"message": "The content can not be previewed"})
    answer = client.get(f"/v2/bot/message/{text.message_id}/content/transcoding", headers=bot.auth)
    assert (answer.status_code, answer.json()) == (400, {"message": "The content can not be transcoded"})


def test_transcoding_of_a_stored_video_or_audio_has_succeeded(client: TestClient, bot: Bot, somchai: User,
                                                              session: Session, storage: LocalStorage):
    for kind, media_type in (("video", "video/mp4"), ("audio", "audio/mp4")):
        message = sent(session, account_id=bot.account.id, user_id=somchai.id, type=kind, data=png(),
                       content_type=media_type, storage=storage)
        answer = client.get(f"/v2/bot/message/{message.message_id}/content/transcoding", headers=bot.auth)
        assert (answer.status_code, answer.json()) == (200, {"status": "succeeded"}), kind
    image = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=png(),
                 content_type="image/png", storage=storage)
    assert client.get(f"/v2/bot/message/{image.message_id}/content/transcoding",
                      headers=bot.auth).status_code == 400


def test_unsent_content_is_gone(client: TestClient, bot: Bot, somchai: User, session: Session,
                                storage: LocalStorage):
    photo = sent(session, account_id=bot.account.id, user_id=somchai.id, type="image", data=png(),
                 content_type="image/png", preview=png((8, 8)), storage=storage)
    photo.unsent_at = clock.now()
    session.flush()
    for suffix in ("", "/preview"):
        answer = client.get(f"/v2/bot/message/{photo.message_id}/content{suffix}", headers=bot.auth)
        assert (answer.status_code, answer.json()) == (410, {"message": "The content is gone"}), suffix


def test_a_photo_sent_in_the_chat_app_is_the_bot_s_content_and_preview(client: TestClient, bot: Bot,
                                                                      somchai: User, session: Session,
                                                                      storage: LocalStorage):
    picture = png((300, 200), "purple")
    item = chat.send_media(session, PersonActor(somchai.id), bot.account.basic_id, "image", picture)
    answer = client.get(f"/v2/bot/message/{item.id}/content", headers=bot.auth)
    assert (answer.status_code, answer.content, answer.headers["content-type"]) == (200, picture, "image/png")
    preview = client.get(f"/v2/bot/message/{item.id}/content/preview", headers=bot.auth)
    assert preview.status_code == 200 and preview.headers["content-type"] == "image/jpeg"
    assert preview.content[:2] == b"\xff\xd8" and preview.content != picture
