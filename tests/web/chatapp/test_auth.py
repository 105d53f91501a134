"""Chat-app sign-up, login and logout: pages and JSON, rate limits and CSRF."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.web.chatapp.conftest import PASSWORD

WRONG = "The email or password is incorrect."


def sign_up_form(client: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"email": "nok@example.com", "password": PASSWORD, "display_name": "Nok", **fields}
    return client.post("/app/signup", data=data, follow_redirects=False)


# ------------------------------------------------------------------ anonymous

def test_anonymous_pages_redirect_to_the_chat_app_login(client):
    for path in ("/app", "/app/find", "/app/profile"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/app/login?next=")
    for path in ("/app/logout", "/app/profile", "/app/find", "/app/friends/1/block", "/app/friends/1/unblock"):
        response = client.post(path, data={}, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/app/login")


def test_anonymous_json_gets_401(client):
    calls = [("get", "/app/api/me", None), ("patch", "/app/api/me", {"display_name": "X"}),
             ("get", "/app/api/friends", None), ("post", "/app/api/friends", {"basic_id": "@123abcde"}),
             ("post", "/app/api/friends/1/block", None), ("post", "/app/api/friends/1/unblock", None),
             ("get", "/app/api/accounts/@123abcde", None), ("post", "/app/api/logout", None)]
    for method, path, body in calls:
        response = client.request(method, path, json=body)
        assert response.status_code == 401, path
        assert response.json()["message"] == "Log in to the Chat app first."
    upload = client.post("/app/api/me/image", files={"image": ("a.png", b"x", "image/png")})
    assert upload.status_code == 401


def test_login_and_signup_pages_render_with_labelled_fields(client):
    for path in ("/app/login", "/app/signup"):
        page = client.get(path)
        assert page.status_code == 200
        assert page.text.count("<h1>") == 1
        assert '<label for="f-email">' in page.text and '<label for="f-password">' in page.text
        assert 'name="csrf_token"' in page.text
        assert "/static/chatapp.css" in page.text


# ------------------------------------------------------------------ sign up

def test_signup_page_creates_the_account_and_logs_in(client):
    response = sign_up_form(client)
    assert response.status_code == 303 and response.headers["location"] == "/app"
    assert "oa_app" in response.cookies
    me = client.get("/app/api/me").json()
    assert me["email"] == "nok@example.com" and me["display_name"] == "Nok"
    assert client.get("/app").status_code == 200


def test_signup_page_follows_a_safe_next_only(client, other_client):
    response = sign_up_form(client, next="/add/@123abcde?src=qr")
    assert response.status_code == 303
    assert response.headers["location"] == "/add/@123abcde?src=qr"
    response = sign_up_form(other_client, email="evil@example.com", next="//evil.example/")
    assert response.headers["location"] == "/app"


def test_signup_refuses_a_duplicate_email_next_to_the_field(client, other_client):
    assert sign_up_form(client).status_code == 303
    response = sign_up_form(other_client, email="NOK@example.com", display_name="Another")
    assert response.status_code == 409
    assert 'id="f-email-error"' in response.text and "already exists" in response.text
    assert 'value="Another"' in response.text  # the form keeps what was typed…
    assert PASSWORD not in response.text       # …but never the password
    assert "oa_app" not in response.cookies


def test_signup_refuses_a_weak_password(client):
    response = sign_up_form(client, password="short")
    assert response.status_code == 400
    assert 'id="f-password-error"' in response.text and "at least 8 characters" in response.text
    assert client.get("/app/api/me").status_code == 401


def test_api_signup_sets_the_session_cookie(client):
    response = client.post("/app/api/signup", json={"email": "api@example.com", "password": PASSWORD,
                                                    "display_name": "Api"})
    assert response.status_code == 201
    assert response.json()["email"] == "api@example.com"
    assert "oa_app" in response.cookies
    assert client.get("/app/api/me").json()["display_name"] == "Api"


def test_api_signup_refusals_name_the_field(client):
    body = {"email": "api@example.com", "password": PASSWORD, "display_name": "Api"}
    assert client.post("/app/api/signup", json=body).status_code == 201
    duplicate = client.post("/app/api/signup", json=body)
    assert duplicate.status_code == 409
    assert duplicate.json()["details"] == [{"message": "An account with this email already exists.",
                                            "property": "email"}]
    weak = client.post("/app/api/signup", json={**body, "email": "b@example.com", "password": "password"})
    assert weak.status_code == 400 and weak.json()["details"][0]["property"] == "password"


def test_11th_signup_attempt_from_one_address_is_rate_limited(client):
    for n in range(10):
        response = client.post("/app/api/signup", json={"email": f"p{n}@example.com", "password": "weak",
                                                        "display_name": "P"})
        assert response.status_code == 400
    response = client.post("/app/api/signup", json={"email": "p11@example.com", "password": PASSWORD,
                                                    "display_name": "P"})
    assert response.status_code == 429 and "Retry-After" in response.headers
    page = sign_up_form(client)
    assert page.status_code == 429 and "Too many attempts" in page.text


# ------------------------------------------------------------------ log in / log out

def test_login_page_logs_in_and_follows_next(me, other_client):
    response = other_client.post("/app/login", data={"email": "mali@example.com", "password": PASSWORD,
                                                     "next": "/add/@123abcde?src=poster"},
                                 follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/add/@123abcde?src=poster"
    assert other_client.get("/app/api/me").json()["display_name"] == "Mali"


def test_login_page_keeps_next_in_the_form(client):
    page = client.get("/app/login", params={"next": "/add/@123abcde?src=qr"})
    assert 'name="next" value="/add/@123abcde?src=qr"' in page.text
    assert "/app/signup?next=%2Fadd%2F%40123abcde%3Fsrc%3Dqr" in page.text


def test_wrong_password_and_unknown_email_get_the_same_message(me, other_client):
    wrong = other_client.post("/app/login", data={"email": "mali@example.com", "password": "wrong-pass-1"})
    unknown = other_client.post("/app/login", data={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 400
    assert WRONG in wrong.text and WRONG in unknown.text
    assert 'value="nobody@example.com"' in unknown.text
    api_wrong = other_client.post("/app/api/login", json={"email": "mali@example.com", "password": "wrong-pass-1"})
    api_unknown = other_client.post("/app/api/login", json={"email": "nobody@example.com", "password": PASSWORD})
    assert api_wrong.status_code == api_unknown.status_code == 400
    assert api_wrong.json() == api_unknown.json()
    assert api_wrong.json()["message"] == WRONG
    assert other_client.get("/app/api/me").status_code == 401


def test_api_login_sets_the_same_cookie_as_the_page(me, other_client):
    response = other_client.post("/app/api/login", json={"email": "mali@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["display_name"] == "Mali"
    assert "oa_app" in response.cookies
    assert other_client.get("/app/profile").status_code == 200


def test_11th_login_attempt_is_rate_limited(client):
    for _ in range(10):
        assert client.post("/app/login", data={"email": "x@example.com", "password": "nope-123"}).status_code == 400
    page = client.post("/app/login", data={"email": "x@example.com", "password": "nope-123"})
    assert page.status_code == 429
    assert "Too many attempts" in page.text and "Retry-After" in page.headers


def test_11th_api_login_attempt_is_rate_limited(client):
    for _ in range(10):
        response = client.post("/app/api/login", json={"email": "x@example.com", "password": "nope-123"})
        assert response.status_code == 400
    response = client.post("/app/api/login", json={"email": "x@example.com", "password": "nope-123"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0


def test_logout_page_ends_the_session(me):
    token = me.cookies["oa_app"]
    response = me.post("/app/logout", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/app/login"
    assert me.get("/app/api/me").status_code == 401
    me.cookies.set("oa_app", token)  # the old token no longer opens anything
    assert me.get("/app/api/me").status_code == 401


def test_api_logout_ends_the_session(me):
    token = me.cookies["oa_app"]
    assert me.post("/app/api/logout").status_code == 204
    me.cookies.set("oa_app", token)
    assert me.get("/app/api/me").status_code == 401


# ------------------------------------------------------------------ CSRF

def test_writes_without_the_csrf_token_are_refused(app, me):
    bare = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    bare.get("/app/login")  # has the CSRF cookie, but sends no token
    assert bare.post("/app/api/login", json={"email": "mali@example.com", "password": PASSWORD}).status_code == 403
    assert bare.post("/app/login", data={"email": "mali@example.com", "password": PASSWORD}).status_code == 403
    assert bare.post("/app/api/signup", json={"email": "z@example.com", "password": PASSWORD,
                                              "display_name": "Z"}).status_code == 403
    bare.cookies.set("oa_app", me.cookies["oa_app"])
    assert bare.patch("/app/api/me", json={"display_name": "Hacked"}).status_code == 403
    assert bare.post("/app/logout").status_code == 403
    assert me.get("/app/api/me").json()["display_name"] == "Mali"


def test_the_login_form_carries_its_own_csrf_token(app, me):
    browser = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    page = browser.get("/app/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = browser.post("/app/login", data={"csrf_token": token, "email": "mali@example.com",
                                                "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 303
