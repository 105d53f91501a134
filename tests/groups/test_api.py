"""Groups and rooms through the Messaging API: summary, member count, member IDs and profiles of
members who posted (R-FRD-04), and leaving — never for an account that is not in the group."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.core.access import PersonActor
from openoa.friends import service as friends
from openoa.groups import rules
from openoa.groups import service as groups
from tests import factories
from tests.api.bots import make_bot
from tests.groups.conftest import Scene, events

NOT_FOUND = {"message": "Not found"}


def _paths(chat_id: str, user_id: str, kind: str = "group") -> list[tuple[str, str]]:
    paths = [("GET", f"/v2/bot/{kind}/{chat_id}/members/count"), ("GET", f"/v2/bot/{kind}/{chat_id}/members/ids"),
             ("GET", f"/v2/bot/{kind}/{chat_id}/member/{user_id}"), ("POST", f"/v2/bot/{kind}/{chat_id}/leave")]
    return ([("GET", f"/v2/bot/group/{chat_id}/summary")] if kind == "group" else []) + paths


def test_group_endpoints_need_a_token(client: TestClient, scene: Scene):
    for method, path in _paths(scene.chat_id, "U" + "0" * 32):
        assert client.request(method, path).status_code == 401, path


def test_r_frd_05_a_bot_whose_account_is_not_in_the_group_gets_404_everywhere(client: TestClient, scene: Scene,
                                                                            session: Session):
    groups.post_text(session, scene.somchai_actor, scene.chat_id, "hi")
    somchai_id = friends.scoped_user_id(session, scene.bot.account.provider_id, scene.somchai.id)
    outsider = make_bot(session, name="Outsider")
    for bot in (scene.bot, outsider):  # not invited yet, and another account altogether
        for method, path in _paths(scene.chat_id, somchai_id):
            answer = client.request(method, path, headers=bot.auth)
            assert (answer.status_code, answer.json()) == (404, NOT_FOUND), (bot.account.id, path)
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    for method, path in _paths(scene.chat_id, somchai_id):
        assert client.request(method, path, headers=outsider.auth).status_code == 404, path
    # A group's ID is not a room's.
    assert client.get(f"/v2/bot/room/{scene.chat_id}/members/count", headers=scene.bot.auth).status_code == 404


def test_summary_and_count_of_a_group_the_account_is_in(client: TestClient, scene: Scene, session: Session):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/summary", headers=scene.bot.auth)
    assert (answer.status_code, answer.json()) == (200, {"groupId": scene.chat_id, "groupName": "Lunch club"})
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/members/count", headers=scene.bot.auth)
    assert answer.json() == {"count": 2}


def test_r_frd_04_member_ids_and_profiles_only_of_members_who_posted(client: TestClient, scene: Scene,
                                                                   session: Session):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    provider = scene.bot.account.provider_id
    somchai_id = friends.scoped_user_id(session, provider, scene.somchai.id)
    nok_id = friends.scoped_user_id(session, provider, scene.nok.id)
    assert client.get(f"/v2/bot/group/{scene.chat_id}/members/ids",
                      headers=scene.bot.auth).json() == {"memberIds": []}
    groups.post_text(session, scene.nok_actor, scene.chat_id, "hello")
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/members/ids", headers=scene.bot.auth)
    assert answer.json() == {"memberIds": [nok_id]}
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/member/{nok_id}", headers=scene.bot.auth)
    assert (answer.status_code, answer.json()) == (200, {"displayName": "Nok", "userId": nok_id})
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/member/{somchai_id}", headers=scene.bot.auth)
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)  # has not posted


def test_member_ids_come_100_a_page_with_next(client: TestClient, scene: Scene, session: Session):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    for n in range(rules.MEMBER_IDS_PAGE + 1):
        person = factories.person(session, name=f"P{n}")
        groups.add_member(session, scene.somchai_actor, scene.chat_id, person.email or "")
        groups.post_text(session, PersonActor(person.id), scene.chat_id, "hi")
    first = client.get(f"/v2/bot/group/{scene.chat_id}/members/ids", headers=scene.bot.auth).json()
    assert len(first["memberIds"]) == 100 and first["next"]
    second = client.get(f"/v2/bot/group/{scene.chat_id}/members/ids", params={"start": first["next"]},
                        headers=scene.bot.auth).json()
    assert len(second["memberIds"]) == 1 and "next" not in second
    assert not set(first["memberIds"]) & set(second["memberIds"])
    answer = client.get(f"/v2/bot/group/{scene.chat_id}/members/ids", params={"start": "bogus"},
                        headers=scene.bot.auth)
    assert answer.status_code == 400


def test_the_account_leaves_a_group_and_its_bot_gets_leave(client: TestClient, scene: Scene, session: Session):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    answer = client.post("/v2/bot/group/not-an-id/leave", headers=scene.bot.auth)
    assert answer.status_code == 400
    answer = client.post(f"/v2/bot/group/{scene.chat_id}/leave", headers=scene.bot.auth)
    assert (answer.status_code, answer.json()) == (200, {})
    assert [e["type"] for e in events(session, scene.bot.account.id)] == ["join", "leave"]
    assert groups.group_page(session, scene.somchai_actor, scene.chat_id).accounts == []
    assert client.post(f"/v2/bot/group/{scene.chat_id}/leave", headers=scene.bot.auth).status_code == 404


def test_room_endpoints_work_for_rooms(client: TestClient, scene: Scene, session: Session):
    room = groups.create_group(session, scene.somchai_actor, "")
    groups.invite_account(session, scene.somchai_actor, room.chat_id, scene.bot.account.basic_id)
    groups.post_text(session, scene.somchai_actor, room.chat_id, "hi")
    somchai_id = friends.scoped_user_id(session, scene.bot.account.provider_id, scene.somchai.id)
    auth = scene.bot.auth
    assert client.get(f"/v2/bot/room/{room.chat_id}/members/count", headers=auth).json() == {"count": 1}
    assert client.get(f"/v2/bot/room/{room.chat_id}/members/ids", headers=auth).json() == {"memberIds": [somchai_id]}
    assert client.get(f"/v2/bot/room/{room.chat_id}/member/{somchai_id}", headers=auth).json()["displayName"] == \
        "Somchai"
    assert client.get(f"/v2/bot/group/{room.chat_id}/summary", headers=auth).status_code == 404
    assert client.post(f"/v2/bot/room/{room.chat_id}/leave", headers=auth).json() == {}
    assert [e["source"] for e in events(session, scene.bot.account.id)][-1] == {"type": "room",
                                                                                "roomId": room.chat_id}
