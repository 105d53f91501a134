"""Friends in the Chat app: the list with block/unblock (R-FRD-03), Find, the public add-friend
URL with its friend paths (R-FRD-02), and their JSON endpoints."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from openoa.accounts.service import account_home
from openoa.core.access import SYSTEM
from openoa.friends.models import Friendship
from openoa.friends.rules import FriendPath
from openoa.users.models import User
from tests import factories
from tests.web.chatapp.conftest import png_bytes


def recorded_path(session, account_id: int, email: str = "mali@example.com") -> str | None:  # type: ignore[no-untyped-def]
    return session.scalar(select(Friendship.friend_path).join(User, User.id == Friendship.user_id)
                          .where(Friendship.account_id == account_id, User.email == email))


def reach(session, account_id: int) -> int:  # type: ignore[no-untyped-def]
    return account_home(session, SYSTEM, account_id).target_reach  # type: ignore[return-value]


def add(client, basic_id: str, path: str = "search"):  # type: ignore[no-untyped-def]
    return client.post("/app/api/friends", json={"basic_id": basic_id, "path": path})


# ------------------------------------------------------------------ friends list

def test_friends_list_anonymous_redirects_to_login(client):
    response = client.get("/app", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/login?next=/app"
    assert client.get("/app/api/friends").status_code == 401


def test_friends_list_starts_empty_and_points_to_find(me):
    page = me.get("/app")
    assert page.status_code == 200
    assert "You have not added any official accounts yet." in page.text
    assert 'href="/app/find"' in page.text
    assert me.get("/app/api/friends").json() == []


def test_friends_list_shows_added_accounts_with_their_image_and_block_buttons(session, owner, me):
    cafe = factories.account(session, owner, name="Cafe Aroi", image=png_bytes())
    add(me, cafe.basic_id)
    page = me.get("/app").text
    assert "Cafe Aroi" in page and cafe.basic_id in page
    image_url = me.get("/app/api/friends").json()[0]["profile_image_url"]
    assert image_url == f"/media/{cafe.profile_image}"
    assert f'src="{image_url}" alt="Profile image of Cafe Aroi"' in page
    assert f'action="/app/friends/{cafe.id}/block"' in page
    assert me.get(image_url).status_code == 200


def test_r_frd_03_blocking_from_the_list_marks_it_and_removes_it_from_target_reach(session, cafe, me):
    add(me, cafe.basic_id)
    assert reach(session, cafe.id) == 1
    response = me.post(f"/app/friends/{cafe.id}/block", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/app?notice=blocked&account={cafe.id}"
    assert reach(session, cafe.id) == 0
    page = me.get(response.headers["location"]).text
    assert "You blocked Cafe Aroi." in page
    assert "Blocked" in page and f'action="/app/friends/{cafe.id}/unblock"' in page
    assert f'action="/app/friends/{cafe.id}/block"' not in page
    assert me.get("/app/api/friends").json()[0]["blocked"] is True

    response = me.post(f"/app/friends/{cafe.id}/unblock", follow_redirects=False)
    assert response.headers["location"] == f"/app?notice=unblocked&account={cafe.id}"
    assert reach(session, cafe.id) == 1
    assert "You unblocked Cafe Aroi." in me.get(response.headers["location"]).text
    assert me.get("/app/api/friends").json()[0]["blocked"] is False


def test_blocking_an_account_that_is_not_a_friend_is_refused(session, cafe, me):
    response = me.post(f"/app/friends/{cafe.id}/block", follow_redirects=False)
    assert response.status_code == 400
    assert "You can only block or unblock accounts you have added as friends." in response.text
    assert 'class="alert alert-error"' in response.text
    api = me.post(f"/app/api/friends/{cafe.id}/block")
    assert api.status_code == 400
    assert api.json()["details"] == [{"message": "You can only block or unblock accounts you have added as friends.",
                                      "property": "account_id"}]
    assert me.post("/app/api/friends/999999/unblock").status_code == 400


def test_another_persons_friendship_cannot_be_blocked_by_me(session, cafe, me, other_client):
    other_client.post("/app/api/signup", json={"email": "k@example.com", "password": factories.PASSWORD,
                                               "display_name": "Kiet"})
    assert add(other_client, cafe.basic_id).status_code == 201
    assert me.post(f"/app/api/friends/{cafe.id}/block").status_code == 400
    assert reach(session, cafe.id) == 1
    assert other_client.get("/app/api/friends").json()[0]["blocked"] is False


def test_blocking_twice_and_unblocking_a_friend_not_blocked_are_conflicts(session, cafe, me):
    add(me, cafe.basic_id)
    unblock = me.post(f"/app/friends/{cafe.id}/unblock", follow_redirects=False)
    assert unblock.status_code == 409 and "Cafe Aroi is not blocked." in unblock.text
    assert me.post(f"/app/friends/{cafe.id}/block", follow_redirects=False).status_code == 303
    again = me.post(f"/app/friends/{cafe.id}/block", follow_redirects=False)
    assert again.status_code == 409 and "You have already blocked Cafe Aroi." in again.text
    api = me.post(f"/app/api/friends/{cafe.id}/block")
    assert api.status_code == 409 and api.json()["message"] == "You have already blocked Cafe Aroi."
    assert reach(session, cafe.id) == 0


def test_r_frd_03_block_and_unblock_json_change_target_reach(session, cafe, me):
    add(me, cafe.basic_id)
    blocked = me.post(f"/app/api/friends/{cafe.id}/block")
    assert blocked.status_code == 200 and blocked.json()["blocked"] is True
    assert reach(session, cafe.id) == 0
    home = account_home(session, SYSTEM, cafe.id)
    assert (home.friends, home.blocks) == (1, 1)
    unblocked = me.post(f"/app/api/friends/{cafe.id}/unblock")
    assert unblocked.status_code == 200 and unblocked.json()["blocked"] is False
    assert reach(session, cafe.id) == 1


# ------------------------------------------------------------------ find

def test_find_anonymous_redirects_to_login(client, cafe):
    response = client.get(f"/app/find?basic_id={cafe.basic_id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/app/login?next=")
    assert client.get(f"/app/api/accounts/{cafe.basic_id}").status_code == 401


@pytest.mark.parametrize("typed", ["with_at", "without_at", "upper"])
def test_find_shows_the_account_card_with_or_without_the_at(me, cafe, typed):
    query = {"with_at": cafe.basic_id, "without_at": cafe.basic_id[1:], "upper": cafe.basic_id.upper()}[typed]
    page = me.get("/app/find", params={"basic_id": query})
    assert page.status_code == 200
    assert "Cafe Aroi" in page.text and cafe.basic_id in page.text and "Unverified" in page.text
    assert "Add friend" in page.text


def test_find_unknown_basic_id_says_so_next_to_the_field(me):
    page = me.get("/app/find", params={"basic_id": "@000zzzzz"})
    assert page.status_code == 404
    assert 'id="f-basic_id-error"' in page.text and "No account has the ID @000zzzzz." in page.text
    assert re.search(r'id="f-basic_id"[^>]*aria-invalid="true"', page.text)
    blank = me.get("/app/find", params={"basic_id": " "})
    assert blank.status_code == 400 and "Enter a basic ID" in blank.text
    assert me.get("/app/find").status_code == 200


def test_adding_from_find_records_the_search_path(session, me, cafe):
    response = me.post("/app/find", data={"basic_id": cafe.basic_id}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/app?notice=added&account={cafe.id}"
    assert "Cafe Aroi is now your friend." in me.get(response.headers["location"]).text
    assert recorded_path(session, cafe.id) == FriendPath.SEARCH
    page = me.get("/app/find", params={"basic_id": cafe.basic_id}).text
    assert "Cafe Aroi is already your friend." in page


def test_adding_from_find_twice_or_unknown_says_so(me, cafe):
    me.post("/app/find", data={"basic_id": cafe.basic_id})
    again = me.post("/app/find", data={"basic_id": cafe.basic_id}, follow_redirects=False)
    assert again.status_code == 409 and "Cafe Aroi is already your friend." in again.text
    assert 'id="f-basic_id-error"' in again.text
    unknown = me.post("/app/find", data={"basic_id": "@000zzzzz"}, follow_redirects=False)
    assert unknown.status_code == 404 and "No account has the ID @000zzzzz." in unknown.text


def test_api_account_card_by_basic_id(me, cafe):
    for typed in (cafe.basic_id, cafe.basic_id[1:]):
        response = me.get(f"/app/api/accounts/{typed}")
        assert response.status_code == 200
        card = response.json()
        assert card["id"] == cafe.id and card["display_name"] == "Cafe Aroi"
        assert card["is_friend"] is False and card["badge"] == "gray"
    unknown = me.get("/app/api/accounts/@000zzzzz")
    assert unknown.status_code == 404 and unknown.json() == {"message": "No account has the ID @000zzzzz."}


# ------------------------------------------------------------------ public add-friend URL

def test_add_url_shows_the_public_card_to_visitors_with_login_that_comes_back(client, cafe):
    page = client.get(f"/add/{cafe.basic_id}?src=qr")
    assert page.status_code == 200
    assert "Add Cafe Aroi as a friend" in page.text and cafe.basic_id in page.text
    back = f"%2Fadd%2F%40{cafe.basic_id[1:]}%3Fsrc%3Dqr"
    assert f'href="/app/login?next={back}"' in page.text
    assert f'href="/app/signup?next={back}"' in page.text
    assert "<form method=\"post\" action=\"/add/" not in page.text


def test_add_url_visitor_logs_in_and_adds_with_the_qr_path(session, client, cafe):
    factories.person(session, email="mali@example.com", name="Mali")
    page = client.get(f"/add/{cafe.basic_id}?src=qr").text
    login_url = re.search(r'href="(/app/login\?next=[^"]+)"', page).group(1)  # type: ignore[union-attr]
    login_page = client.get(login_url).text
    next_value = re.search(r'name="next" value="([^"]+)"', login_page).group(1)  # type: ignore[union-attr]
    assert next_value == f"/add/{cafe.basic_id}?src=qr"
    login = client.post("/app/login", data={"email": "mali@example.com", "password": factories.PASSWORD,
                                            "next": next_value}, follow_redirects=False)
    assert login.headers["location"] == next_value
    card = client.get(next_value).text
    assert f'action="/add/{cafe.basic_id}?src=qr"' in card
    added = client.post(next_value, follow_redirects=False)
    assert added.status_code == 303 and added.headers["location"] == f"/app?notice=added&account={cafe.id}"
    assert recorded_path(session, cafe.id) == FriendPath.QR


def test_add_url_post_anonymous_redirects_to_login(client, cafe):
    response = client.post(f"/add/{cafe.basic_id}?src=poster", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/app/login?next=")


@pytest.mark.parametrize("src", ["qr", "url", "button", "poster", "share", "profile", "ad"])
def test_r_frd_02_add_url_records_the_friend_path_of_its_src(session, me, cafe, src):
    response = me.post(f"/add/{cafe.basic_id}?src={src}", follow_redirects=False)
    assert response.status_code == 303
    assert recorded_path(session, cafe.id) == src


@pytest.mark.parametrize("src", [None, "", "billboard"])
def test_r_frd_02_add_url_without_a_known_src_records_the_url_path(session, me, cafe, src):
    url = f"/add/{cafe.basic_id}" + (f"?src={src}" if src is not None else "")
    assert me.post(url, follow_redirects=False).status_code == 303
    assert recorded_path(session, cafe.id) == FriendPath.URL


def test_r_frd_02_every_friend_path_is_recorded_through_the_api(session, owner, me):
    for path in FriendPath:
        acc = factories.account(session, owner, name=f"Shop {path.value}")
        response = add(me, acc.basic_id, path.value)
        assert response.status_code == 201
        assert response.json()["friend_path"] == path.value
        assert recorded_path(session, acc.id) == path.value


def test_add_url_for_a_friend_says_so_without_an_error(me, cafe):
    add(me, cafe.basic_id)
    page = me.get(f"/add/{cafe.basic_id}?src=qr")
    assert page.status_code == 200
    assert "Cafe Aroi is already your friend." in page.text
    again = me.post(f"/add/{cafe.basic_id}?src=qr", follow_redirects=False)
    assert again.status_code == 409
    assert "Cafe Aroi is already your friend." in again.text and 'class="alert alert-error"' in again.text


def test_add_url_re_adding_a_blocked_account_unblocks_it(session, me, cafe):
    add(me, cafe.basic_id)
    me.post(f"/app/api/friends/{cafe.id}/block")
    page = me.get(f"/add/{cafe.basic_id}").text
    assert "Adding it again unblocks it." in page
    assert me.post(f"/add/{cafe.basic_id}", follow_redirects=False).status_code == 303
    assert reach(session, cafe.id) == 1


def test_add_url_of_an_unknown_basic_id_is_not_found(client, me):
    assert client.get("/add/@000zzzzz").status_code == 404


def test_api_add_friend_refusals(session, me, cafe):
    assert add(me, cafe.basic_id, "qr").status_code == 201
    twice = add(me, cafe.basic_id, "qr")
    assert twice.status_code == 409
    assert twice.json()["details"] == [{"message": "Cafe Aroi is already your friend.", "property": "basic_id"}]
    unknown = add(me, "@000zzzzz")
    assert unknown.status_code == 404
    other = factories.account(session, name="Noodle Bar")
    bad_path = add(me, other.basic_id, "telepathy")
    assert bad_path.status_code == 400 and bad_path.json()["details"][0]["property"] == "path"
    assert recorded_path(session, other.id) is None
    assert reach(session, cafe.id) == 1


def test_r_frd_04_account_cards_carry_no_personal_attributes(me, cafe):
    add(me, cafe.basic_id)
    private = {"email", "gender", "birth_year", "area", "os"}
    assert not private & set(me.get(f"/app/api/accounts/{cafe.basic_id}").json())
    assert not private & set(me.get("/app/api/friends").json()[0])


def test_chat_app_endpoints_are_documented(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/app/api/signup", "/app/api/login", "/app/api/logout", "/app/api/me", "/app/api/me/image",
                 "/app/api/friends", "/app/api/friends/{account_id}/block", "/app/api/friends/{account_id}/unblock",
                 "/app/api/accounts/{basic_id}"):
        assert path in paths, path
    assert "/app" not in paths and "/add/{basic_id}" not in paths
