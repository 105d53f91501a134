"""Groups and rooms driven only through `MessagingApi`: summary, member count, member IDs and a
member's profile (members who posted, R-FRD-04), leaving; another account's bot gets
`NotFoundException`. People, the group and its posts are made with the real services on the
server's database, as the Chat app makes them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    GroupMemberCountResponse,
    GroupSummaryResponse,
    GroupUserProfileResponse,
    MembersIdsResponse,
    MessagingApi,
)
from linebot.v3.messaging.exceptions import NotFoundException

from openoa.accounts.models import OfficialAccount
from openoa.core.access import PersonActor
from openoa.friends.service import scoped_user_id
from openoa.groups import service as groups
from tests.conformance.conftest import LiveServer, SdkBot, make_bot


@dataclass
class GroupScene:
    group_id: str
    room_id: str
    poster_id: str


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Group Bot")


@pytest.fixture(scope="module")
def scene(live_server: LiveServer, bot: SdkBot) -> GroupScene:
    somchai = live_server.cli("user", "create", "--name", "Somchai")["id"]
    live_server.cli("user", "create", "--name", "Nok", "--email", "nok.groups@example.com")
    live_server.cli("friend", "add", "--account", bot.basic_id, "--user", str(somchai))
    db = live_server.database()
    try:
        with db.scope() as session:
            actor = PersonActor(int(somchai))
            group = groups.create_group(session, actor, "Lunch club").chat_id
            room = groups.create_group(session, actor, "").chat_id
            for chat_id in (group, room):
                groups.invite_account(session, actor, chat_id, bot.basic_id)
                groups.post_text(session, actor, chat_id, "hello")
            groups.add_member(session, actor, group, "nok.groups@example.com")
            account = session.get(OfficialAccount, bot.account_id)
            assert account is not None
            poster = scoped_user_id(session, account.provider_id, int(somchai))
    finally:
        db.engine.dispose()
    return GroupScene(group_id=group, room_id=room, poster_id=poster)


def api(server: LiveServer, token: str) -> Iterator[MessagingApi]:
    with ApiClient(Configuration(host=server.url, access_token=token)) as client:
        yield MessagingApi(client)


@pytest.fixture
def messaging(live_server: LiveServer, bot: SdkBot) -> Iterator[MessagingApi]:
    yield from api(live_server, bot.token)


def test_group_summary_count_ids_and_profile(messaging: MessagingApi, scene: GroupScene):
    summary = messaging.get_group_summary(scene.group_id)
    assert isinstance(summary, GroupSummaryResponse)
    assert (summary.group_id, summary.group_name) == (scene.group_id, "Lunch club")
    count = messaging.get_group_member_count(scene.group_id)
    assert isinstance(count, GroupMemberCountResponse) and count.count == 2
    ids = messaging.get_group_members_ids(scene.group_id)
    assert isinstance(ids, MembersIdsResponse) and ids.member_ids == [scene.poster_id] and ids.next is None
    profile = messaging.get_group_member_profile(scene.group_id, scene.poster_id)
    assert isinstance(profile, GroupUserProfileResponse)
    assert (profile.display_name, profile.user_id) == ("Somchai", scene.poster_id)


def test_room_count_ids_and_profile(messaging: MessagingApi, scene: GroupScene):
    assert messaging.get_room_member_count(scene.room_id).count == 1
    assert messaging.get_room_members_ids(scene.room_id).member_ids == [scene.poster_id]
    assert messaging.get_room_member_profile(scene.room_id, scene.poster_id).display_name == "Somchai"


def test_another_account_s_bot_gets_not_found(live_server: LiveServer, scene: GroupScene):
    outsider = make_bot(live_server, "Outsider Bot")
    with ApiClient(Configuration(host=live_server.url, access_token=outsider.token)) as client:
        other = MessagingApi(client)
        calls = [(other.get_group_summary, (scene.group_id,)), (other.get_group_member_count, (scene.group_id,)),
                 (other.get_group_members_ids, (scene.group_id,)),
                 (other.get_group_member_profile, (scene.group_id, scene.poster_id)),
                 (other.leave_group, (scene.group_id,)), (other.get_room_member_count, (scene.room_id,)),
                 (other.leave_room, (scene.room_id,))]
        for call, args in calls:
            with pytest.raises(NotFoundException):
                call(*args)


def test_leave_group_and_room(messaging: MessagingApi, scene: GroupScene):
    assert messaging.leave_group_with_http_info(scene.group_id).status_code == 200
    assert messaging.leave_room_with_http_info(scene.room_id).status_code == 200
    with pytest.raises(NotFoundException):
        messaging.get_group_summary(scene.group_id)
