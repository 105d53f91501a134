"""What a bot reads over HTTP: its own info, a friend's public profile (R-FRD-04) and the follower
IDs of verified and premium accounts (R-ACC-03 / API), never anyone of another account (R-FRD-05)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.channels import service as channels
from openoa.core.access import SYSTEM, BusinessActor, PersonActor
from openoa.core.clock import FakeClock
from openoa.friends import service as friends
from openoa.users import service as users
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.web.console.conftest import png

AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header "
                          "is valid."}
NOT_FOUND = {"message": "Not found"}
NOT_AVAILABLE = {"message": "Access to this API is not available for your account"}


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session, badge="blue")


def test_bot_info_refuses_missing_wrong_revoked_and_expired_tokens(client: TestClient, bot: Bot, session: Session,
                                                                   clock: FakeClock):
    short = client.post("/v2/oauth/accessToken", data={"grant_type": "client_credentials",
                                                       "client_id": bot.channel_id,
                                                       "client_secret": bot.channel_secret}).json()
    headers_cases = [{}, {"Authorization": "Bearer nonsense"}, {"Authorization": bot.token},
                     {"Authorization": f"Basic {bot.token}"}]
    for headers in headers_cases:
        answer = client.get("/v2/bot/info", headers=headers)
        assert (answer.status_code, answer.json()) == (401, AUTH_FAILED), headers
        assert answer.headers["x-line-request-id"]
    channels.issue_long_lived_token(session, SYSTEM, bot.account.id)  # the reissue revokes the old one
    session.flush()
    assert client.get("/v2/bot/info", headers=bot.auth).json() == AUTH_FAILED
    clock.advance(days=30)
    assert client.get("/v2/bot/info", headers={"Authorization": f"Bearer {short['access_token']}"}).status_code == 401


def test_bot_info_describes_the_account_and_its_response_mode(client: TestClient, bot: Bot, session: Session):
    answer = client.get("/v2/bot/info", headers=bot.auth)
    assert answer.status_code == 200
    assert answer.json() == {"userId": bot.bot_user_id, "basicId": bot.account.basic_id,
                             "displayName": "Cafe Aroi", "chatMode": "chat", "markAsReadMode": "manual"}
    channels.set_response_mode(session, SYSTEM, bot.account.id, "bot")
    accounts.update_account(session, BusinessActor(bot.owner.id), bot.account.id, image=png())
    session.flush()
    body = client.get("/v2/bot/info", headers=bot.auth).json()
    assert (body["chatMode"], body["markAsReadMode"]) == ("bot", "auto")
    assert re.fullmatch(r"http://testserver/media/[0-9a-f]{64}\.png", body["pictureUrl"])
    assert client.get(body["pictureUrl"]).status_code == 200


# ---------------------------------------------------------------- profile (R-FRD-04/05)

def test_r_frd_04_profile_needs_a_token_and_an_unknown_id_is_not_found(client: TestClient, bot: Bot):
    assert client.get("/v2/bot/profile/Uffffffffffffffffffffffffffffffff").status_code == 401
    answer = client.get("/v2/bot/profile/Uffffffffffffffffffffffffffffffff", headers=bot.auth)
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)


def test_r_frd_04_a_friend_s_public_profile_and_nothing_private(client: TestClient, bot: Bot, session: Session,
                                                               storage):  # type: ignore[no-untyped-def]
    person = factories.person(session, name="Somchai", gender="male", birth_year=1990, area="th_01")
    users.update_profile(session, PersonActor(person.id), status_message="Hungry", image=png(), storage=storage)
    user_id = factories.friend(session, person, bot.account).user_id
    answer = client.get(f"/v2/bot/profile/{user_id}", headers=bot.auth)
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("displayName", "userId", "statusMessage")} == {
        "displayName": "Somchai", "userId": user_id, "statusMessage": "Hungry"}
    assert body["pictureUrl"].startswith("http://testserver/media/")
    assert set(body) == {"displayName", "userId", "statusMessage", "pictureUrl"}  # no gender, age, area, email


def test_r_frd_05_users_of_other_accounts_are_not_found(client: TestClient, bot: Bot, session: Session):
    other = make_bot(session, name="Other Shop")
    person = factories.person(session)
    theirs = factories.friend(session, person, other.account).user_id
    stranger = factories.person(session)
    stranger_elsewhere = factories.friend(session, stranger, other.account).user_id
    # The same person, a friend of both: each account sees its own ID, and only that one works.
    ours = factories.friend(session, person, bot.account).user_id
    assert ours != theirs
    assert client.get(f"/v2/bot/profile/{ours}", headers=bot.auth).status_code == 200
    for foreign in (theirs, stranger_elsewhere, other.bot_user_id):
        answer = client.get(f"/v2/bot/profile/{foreign}", headers=bot.auth)
        assert (answer.status_code, answer.json()) == (404, NOT_FOUND), foreign
    assert client.get(f"/v2/bot/profile/{theirs}", headers=other.auth).status_code == 200


def test_r_frd_04_a_friend_who_blocked_the_account_is_not_found(client: TestClient, bot: Bot, session: Session):
    person = factories.person(session)
    user_id = factories.friend(session, person, bot.account).user_id
    friends.block(session, PersonActor(person.id), bot.account.id)
    session.flush()
    answer = client.get(f"/v2/bot/profile/{user_id}", headers=bot.auth)
    assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
    friends.unblock(session, PersonActor(person.id), bot.account.id)
    session.flush()
    assert client.get(f"/v2/bot/profile/{user_id}", headers=bot.auth).status_code == 200


# ---------------------------------------------------------------- follower IDs (R-ACC-03 / API)

def test_r_acc_03_followers_need_a_token_and_a_blue_or_green_badge(client: TestClient, session: Session):
    gray = make_bot(session, name="Gray Shop")
    green = make_bot(session, name="Green Shop", badge="green")
    factories.friend(session, factories.person(session), gray.account)
    assert client.get("/v2/bot/followers/ids").status_code == 401
    answer = client.get("/v2/bot/followers/ids", headers=gray.auth)
    assert (answer.status_code, answer.json()) == (403, NOT_AVAILABLE)
    assert answer.headers["x-line-request-id"]
    assert client.get("/v2/bot/followers/ids", headers=green.auth).json() == {"userIds": []}


def test_followers_are_current_unblocked_friends_of_this_account_only(client: TestClient, bot: Bot,
                                                                      session: Session):
    other = make_bot(session, name="Other Shop", badge="blue")
    people = [factories.person(session, name=f"P{i}") for i in range(4)]
    ids = [factories.friend(session, p, bot.account).user_id for p in people]
    factories.friend(session, factories.person(session), other.account)
    friends.block(session, PersonActor(people[1].id), bot.account.id)
    people[2].active = False
    session.flush()
    answer = client.get("/v2/bot/followers/ids", headers=bot.auth)
    assert answer.status_code == 200
    assert answer.json() == {"userIds": [ids[0], ids[3]]}


def test_followers_come_in_pages_with_an_opaque_next(client: TestClient, bot: Bot, session: Session):
    ids = [factories.friend(session, factories.person(session), bot.account).user_id for _ in range(5)]
    seen: list[str] = []
    pages = 0
    params: dict[str, object] = {"limit": 2}
    while True:
        body = client.get("/v2/bot/followers/ids", headers=bot.auth, params=params).json()
        pages += 1
        assert len(body["userIds"]) <= 2
        seen += body["userIds"]
        if "next" not in body:
            break
        assert not body["next"].isdigit()
        params = {"limit": 2, "start": body["next"]}
    assert (seen, pages) == (ids, 3)
    assert len(client.get("/v2/bot/followers/ids", headers=bot.auth).json()["userIds"]) == 5  # default 300


@pytest.mark.parametrize("params,prop", [({"limit": 0}, "limit"), ({"limit": 1001}, "limit"),
                                         ({"limit": "many"}, "limit"), ({"start": "garbage!"}, "start")])
def test_followers_refuse_bad_paging(client: TestClient, bot: Bot, params, prop):  # type: ignore[no-untyped-def]
    answer = client.get("/v2/bot/followers/ids", headers=bot.auth, params=params)
    assert answer.status_code == 400, answer.text
    assert answer.json()["details"][0]["property"] == prop


def test_a_page_of_1000_followers_is_the_maximum(client: TestClient, bot: Bot, session: Session):
    assert client.get("/v2/bot/followers/ids", headers=bot.auth, params={"limit": 1000}).status_code == 200
