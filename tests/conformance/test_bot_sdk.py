"""Bot info, profiles and follower IDs driven only through `linebot.v3.messaging.MessagingApi`:
typed models with the right values, LINE's refusals as the SDK's exceptions (R-FRD-04/05,
R-ACC-03 / API)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    BotInfoResponse,
    Configuration,
    GetFollowersResponse,
    MessagingApi,
    UserProfileResponse,
)

from tests.conformance.conftest import LiveServer, SdkBot, make_bot, make_friend


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Blue Noodles", badge="blue")


@pytest.fixture(scope="module")
def friend_ids(live_server: LiveServer, bot: SdkBot) -> list[str]:
    return [make_friend(live_server, bot, name) for name in ("Somchai", "Nok")]


def api(server: LiveServer, token: str) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=server.url, access_token=token)) as client:
        yield MessagingApi(client)


@pytest.fixture
def messaging(live_server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    yield from api(live_server, bot.token)


def test_get_bot_info(messaging: MessagingApi, bot: SdkBot):
    info = messaging.get_bot_info()
    assert isinstance(info, BotInfoResponse)
    assert (info.user_id, info.basic_id, info.display_name) == (bot.bot_user_id, bot.basic_id, bot.display_name)
    assert (info.chat_mode, info.mark_as_read_mode, info.premium_id, info.picture_url) == (
        "chat", "manual", None, None)
    answer = messaging.get_bot_info_with_http_info()
    assert answer.status_code == 200 and answer.headers["x-line-request-id"]


def test_get_profile_of_a_friend(messaging: MessagingApi, friend_ids: list[str]):
    profile = messaging.get_profile(friend_ids[1])
    assert isinstance(profile, UserProfileResponse)
    assert (profile.display_name, profile.user_id, profile.status_message) == ("Nok", friend_ids[1], None)


def test_r_frd_05_another_account_s_user_raises_404(live_server: LiveServer, messaging: MessagingApi):
    other = make_bot(live_server, "Other Noodles")
    theirs = make_friend(live_server, other, "Pim")
    with pytest.raises(ApiException) as refused:
        messaging.get_profile(theirs)
    assert refused.value.status == 404
    assert refused.value.body == '{"message":"Not found"}'


def test_get_followers_pages_through_every_friend(messaging: MessagingApi, friend_ids: list[str]):
    everyone = messaging.get_followers()
    assert isinstance(everyone, GetFollowersResponse)
    assert (everyone.user_ids, everyone.next) == (friend_ids, None)
    first = messaging.get_followers(limit=1)
    assert first.user_ids == friend_ids[:1] and first.next
    rest = messaging.get_followers(start=first.next, limit=1)
    assert (rest.user_ids, rest.next) == (friend_ids[1:], None)


def test_r_acc_03_a_gray_account_s_followers_raise_403(live_server: LiveServer):
    gray = make_bot(live_server, "Gray Noodles")
    for messaging in api(live_server, gray.token):
        with pytest.raises(ApiException) as refused:
            messaging.get_followers()
    assert refused.value.status == 403
    assert "not available for your account" in refused.value.body
