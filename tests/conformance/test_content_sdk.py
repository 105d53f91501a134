"""Content, the loading animation and mark-as-read driven only through the official SDK
(`MessagingApiBlob.get_message_content`, `get_message_content_preview`,
`get_message_content_transcoding_by_message_id`, `MessagingApi.show_loading_animation`,
`mark_messages_as_read`, `mark_messages_as_read_by_token`): the bytes a person sent, the status
codes that pick the SDK's deserializers (202 for loading), and 404 for another account's bot."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    ChatReference,
    Configuration,
    MarkMessagesAsReadByTokenRequest,
    MarkMessagesAsReadRequest,
    MessagingApi,
    MessagingApiBlob,
    ShowLoadingAnimationRequest,
)
from linebot.v3.messaging.exceptions import NotFoundException
from sqlalchemy import select

from openoa.chat import bot as chat_bot
from openoa.chat import service as chat
from openoa.chat.models import Conversation
from openoa.core.access import PersonActor
from openoa.integrations.storage import LocalStorage, use_storage
from tests.api.person_messages import sent
from tests.conformance.conftest import LiveServer, SdkBot, make_bot
from tests.web.console.conftest import png


@dataclass
class Friend:
    user_pk: int
    user_id: str


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Photo Cafe")


@pytest.fixture(scope="module")
def other(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Other Cafe")


@pytest.fixture(scope="module")
def friend(live_server: LiveServer, bot: SdkBot) -> Friend:
    user = live_server.cli("user", "create", "--name", "Somchai")
    added = live_server.cli("friend", "add", "--account", bot.basic_id, "--user", str(user["id"]))
    return Friend(user_pk=int(user["id"]), user_id=str(added["user_id"]))


def client(server: LiveServer, token: str) -> Iterator[ApiClient]:
    with ApiClient(Configuration(host=server.url, access_token=token)) as api_client:
        yield api_client


@pytest.fixture
def bot_client(live_server: LiveServer, bot: SdkBot) -> Iterator[ApiClient]:
    yield from client(live_server, bot.token)


def person_sends(server: LiveServer, bot: SdkBot, friend: Friend, **kw) -> str:  # type: ignore[no-untyped-def]
    """A message from ``friend`` stored in the server's database and media folder; its message ID."""
    db = server.database()
    try:
        with db.scope() as session:
            return sent(session, account_id=bot.account_id, user_id=friend.user_pk,
                        storage=LocalStorage(server.data_dir / "media"), **kw).message_id
    finally:
        db.engine.dispose()


def conversation(server: LiveServer, bot: SdkBot, friend: Friend) -> Conversation | None:
    db = server.database()
    try:
        with db.scope() as session:
            return session.scalar(select(Conversation).where(Conversation.account_id == bot.account_id,
                                                             Conversation.user_id == friend.user_pk))
    finally:
        db.engine.dispose()


def test_get_message_content_returns_the_bytes_the_person_sent(live_server: LiveServer, bot: SdkBot,
                                                              friend: Friend, bot_client: ApiClient):
    picture = png((300, 200), "blue")
    db = live_server.database()
    try:  # sent as the Chat app sends it, into the server's own media folder
        with db.scope() as session:
            use_storage(LocalStorage(live_server.data_dir / "media"))
            message_id = chat.send_media(session, PersonActor(friend.user_pk), bot.basic_id, "image", picture).id
    finally:
        use_storage(None)
        db.engine.dispose()
    blob = MessagingApiBlob(bot_client)
    assert bytes(blob.get_message_content(message_id)) == picture
    answer = blob.get_message_content_with_http_info(message_id)
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    preview = bytes(blob.get_message_content_preview(message_id))
    assert preview[:2] == b"\xff\xd8"  # the JPEG preview the Chat app made


def test_transcoding_of_a_video_has_succeeded(live_server: LiveServer, bot: SdkBot, friend: Friend,
                                              bot_client: ApiClient):
    message_id = person_sends(live_server, bot, friend, type="video", data=png(), content_type="video/mp4",
                              preview=png((8, 8)))
    status = MessagingApiBlob(bot_client).get_message_content_transcoding_by_message_id(message_id)
    assert status.status == "succeeded"


def test_another_account_s_bot_gets_not_found(live_server: LiveServer, bot: SdkBot, other: SdkBot,
                                              friend: Friend):
    message_id = person_sends(live_server, bot, friend, type="image", data=png(), content_type="image/png")
    for api_client in client(live_server, other.token):
        blob = MessagingApiBlob(api_client)
        with pytest.raises(NotFoundException) as refused:
            blob.get_message_content(message_id)
        assert refused.value.status == 404
        with pytest.raises(NotFoundException):
            blob.get_message_content_preview(message_id)
        with pytest.raises(ApiException) as refused:
            MessagingApi(api_client).show_loading_animation(ShowLoadingAnimationRequest(chatId=friend.user_id))
        assert refused.value.status == 400


def test_show_loading_animation_is_accepted(live_server: LiveServer, bot: SdkBot, friend: Friend,
                                            bot_client: ApiClient):
    messaging = MessagingApi(bot_client)
    answer = messaging.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(chatId=friend.user_id, loadingSeconds=10))
    assert answer.status_code == 202 and answer.headers["x-line-request-id"]
    messaging.show_loading_animation(ShowLoadingAnimationRequest(chatId=friend.user_id))
    assert conversation(live_server, bot, friend).loading_until is not None


def test_mark_messages_as_read_by_user_and_by_token(live_server: LiveServer, bot: SdkBot, friend: Friend,
                                                    bot_client: ApiClient):
    first = person_sends(live_server, bot, friend)
    person_sends(live_server, bot, friend)
    messaging = MessagingApi(bot_client)
    messaging.mark_messages_as_read(MarkMessagesAsReadRequest(chat=ChatReference(userId=friend.user_id)))
    newest = conversation(live_server, bot, friend).account_read_message_id
    assert newest > 0
    answer = messaging.mark_messages_as_read_by_token_with_http_info(
        MarkMessagesAsReadByTokenRequest(markAsReadToken=chat_bot.mark_as_read_token(first)))
    assert answer.status_code == 200
    assert conversation(live_server, bot, friend).account_read_message_id == newest  # never backwards
