"""Console sign-up, login (email and Chat-app account), logout and passwords over HTTP (R-ACC-01)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId
from openoa.core import web_sessions
from openoa.core.db import Database
from openoa.core.jobs import run_due_jobs
from tests import factories
from tests.web.console.conftest import form as _form
from tests.web.console.conftest import login

WRONG = "The email or password is incorrect."


def _business_count(session: Session, email: str) -> int:
    return int(session.scalar(select(func.count()).select_from(BusinessId).where(BusinessId.email == email)) or 0)




# ---------------------------------------------------------------- sign up

def test_r_acc_01_signup_page_has_labelled_fields(client: TestClient) -> None:
    page = client.get("/console/signup")
    assert page.status_code == 200
    for name in ("display_name", "email", "password"):
        assert f'<label for="f-{name}">' in page.text
    assert page.text.count("<h1") == 1


def test_r_acc_01_signup_form_starts_a_console_session(client: TestClient, session: Session) -> None:
    response = _form(client, "/console/signup", {"email": "New@Example.com", "password": "sunny-day-42",
                                                 "display_name": "Pim"})
    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    assert "oa_console" in response.cookies
    assert _business_count(session, "new@example.com") == 1
    me = client.get("/console/api/me").json()
    assert me["email"] == "new@example.com" and me["kind"] == "business"
    assert client.get("/console", follow_redirects=False).status_code == 200


def test_r_acc_01_signup_follows_next_but_never_offsite(client: TestClient) -> None:
    response = _form(client, "/console/signup", {"email": "a@example.com", "password": "sunny-day-42",
                                                 "display_name": "A", "next": "/console/accounts/new"})
    assert response.headers["location"] == "/console/accounts/new"
    response = _form(other := client, "/console/signup", {"email": "b@example.com", "password": "sunny-day-42",
                                                          "display_name": "B", "next": "//evil.example"})
    assert other and response.headers["location"] == "/console"


def test_r_acc_01_signup_duplicate_email_is_refused_next_to_the_field(client: TestClient, session: Session) -> None:
    factories.business(session, email="taken@example.com")
    response = _form(client, "/console/signup", {"email": "TAKEN@example.com", "password": "sunny-day-42",
                                                 "display_name": "Copy"})
    assert response.status_code == 409
    assert 'id="f-email-error"' in response.text
    assert "A Business ID with this email already exists." in response.text
    assert 'value="TAKEN@example.com"' in response.text and "sunny-day-42" not in response.text
    assert "oa_console" not in response.cookies
    assert _business_count(session, "taken@example.com") == 1

    api = client.post("/console/api/signup", json={"email": "taken@example.com", "password": "sunny-day-42",
                                                   "display_name": "Copy"})
    assert api.status_code == 409
    assert api.json()["details"] == [{"message": "A Business ID with this email already exists.",
                                      "property": "email"}]


def test_r_acc_01_signup_weak_password_writes_nothing(client: TestClient, session: Session) -> None:
    response = _form(client, "/console/signup", {"email": "weak@example.com", "password": "password",
                                                 "display_name": "Weak"})
    assert response.status_code == 400
    assert 'id="f-password-error"' in response.text and 'aria-invalid="true"' in response.text
    api = client.post("/console/api/signup", json={"email": "weak@example.com", "password": "short1",
                                                   "display_name": "Weak"})
    assert api.status_code == 400
    assert api.json()["details"][0]["property"] == "password"
    assert _business_count(session, "weak@example.com") == 0


def test_r_acc_01_api_signup_sets_the_session_cookie(client: TestClient) -> None:
    response = client.post("/console/api/signup", json={"email": "api@example.com", "password": "sunny-day-42",
                                                        "display_name": "Api"})
    assert response.status_code == 201
    assert response.json()["email"] == "api@example.com"
    assert client.get("/console/api/me").json()["id"] == response.json()["id"]


def test_signup_is_rate_limited(client: TestClient) -> None:
    for i in range(10):
        r = client.post("/console/api/signup", json={"email": f"bad{i}", "password": "x", "display_name": "x"})
        assert r.status_code == 400
    r = client.post("/console/api/signup", json={"email": "ok@example.com", "password": "sunny-day-42",
                                                 "display_name": "x"})
    assert r.status_code == 429
    assert "Retry-After" in r.headers


# ---------------------------------------------------------------- log in and out

def test_anonymous_console_pages_redirect_to_login(client: TestClient) -> None:
    for path in ("/console", "/console/password", "/console/accounts/new"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login?next=")
    assert client.get("/console/api/me").status_code == 401


def test_r_acc_01_login_form_follows_next(client: TestClient, session: Session) -> None:
    bid = factories.business(session)
    page = client.get("/console/login?next=/console/accounts/new")
    assert 'name="next" value="/console/accounts/new"' in page.text
    response = _form(client, "/console/login", {"email": bid.email, "password": factories.PASSWORD,
                                                "next": "/console/accounts/new"})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/accounts/new"
    assert client.get("/console/api/me").json()["id"] == bid.id
    # Logged in, the login page sends the visitor on.
    assert client.get("/console/login", follow_redirects=False).headers["location"] == "/console"


def test_r_acc_01_wrong_password_and_unknown_email_give_the_same_message(client: TestClient,
                                                                         session: Session) -> None:
    bid = factories.business(session)
    wrong = _form(client, "/console/login", {"email": bid.email, "password": "not-it-123"})
    unknown = _form(client, "/console/login", {"email": "nobody@example.com", "password": "not-it-123"})
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert WRONG in response.text and 'id="f-password-error"' in response.text
        assert "not-it-123" not in response.text
    api_wrong = client.post("/console/api/login", json={"email": bid.email, "password": "not-it-123"})
    api_unknown = client.post("/console/api/login", json={"email": "nobody@example.com", "password": "x"})
    assert api_wrong.status_code == api_unknown.status_code == 400
    assert api_wrong.json() == api_unknown.json()
    assert api_wrong.json()["message"] == WRONG
    assert client.get("/console/api/me").status_code == 401


def test_login_eleventh_attempt_is_rate_limited(client: TestClient, session: Session) -> None:
    bid = factories.business(session)
    for _ in range(10):
        assert _form(client, "/console/login", {"email": bid.email, "password": "guess-123"}).status_code == 400
    # Even the right password is refused once the window is used up.
    blocked = _form(client, "/console/login", {"email": bid.email, "password": factories.PASSWORD})
    assert blocked.status_code == 429
    api = client.post("/console/api/login", json={"email": bid.email, "password": factories.PASSWORD})
    assert api.status_code == 429 and int(api.headers["Retry-After"]) > 0
    assert client.get("/console/api/me").status_code == 401


def test_logout_ends_the_server_session(client: TestClient, session: Session) -> None:
    bid = factories.business(session)
    login(client, bid.email)
    token = client.cookies.get("oa_console")
    response = _form(client, "/console/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?notice=logged-out"
    assert client.get(response.headers["location"]).text.count("You are logged out.") == 1
    # The old cookie is dead on the server, not only forgotten by the browser.
    client.cookies.set("oa_console", token)
    assert client.get("/console/api/me").status_code == 401


def test_api_logout_ends_the_server_session(client: TestClient, session: Session) -> None:
    bid = factories.business(session)
    login(client, bid.email)
    token = client.cookies.get("oa_console")
    assert client.post("/console/api/logout").status_code == 204
    client.cookies.set("oa_console", token)
    assert client.get("/console/api/me").status_code == 401


def test_writes_without_csrf_token_are_refused(app, session: Session) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session)
    bare = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    bare.get("/console/login")  # has the CSRF cookie, but sends no token back
    api = bare.post("/console/api/login", json={"email": bid.email, "password": factories.PASSWORD})
    assert api.status_code == 403
    form = bare.post("/console/login", data={"email": bid.email, "password": factories.PASSWORD},
                     follow_redirects=False)
    assert form.status_code == 403
    assert "The form expired" in form.text
    assert "oa_console" not in form.cookies
    forged = bare.post("/console/login", data={"email": bid.email, "password": factories.PASSWORD,
                                               "csrf_token": "forged.token"}, follow_redirects=False)
    assert forged.status_code == 403


# ---------------------------------------------------------------- with the Chat-app account (R-ACC-01)

def test_r_acc_01_login_with_chat_app_account(client: TestClient, session: Session) -> None:
    person = factories.person(session, email="somchai@example.com", name="Somchai")
    page = client.get("/console/login")
    assert "Log in with your Chat-app account" in page.text
    response = _form(client, "/console/login/chat-app", {"chat_email": "somchai@example.com",
                                                         "chat_password": factories.PASSWORD})
    assert response.status_code == 303
    me = client.get("/console/api/me").json()
    assert me["kind"] == "chat_app" and me["display_name"] == "Somchai"
    again = client.post("/console/api/login/chat-app", json={"email": "somchai@example.com",
                                                              "password": factories.PASSWORD})
    assert again.status_code == 200 and again.json()["id"] == me["id"]
    assert session.scalar(select(func.count()).select_from(BusinessId).where(BusinessId.user_id == person.id)) == 1


def test_r_acc_01_chat_app_login_wrong_password_is_shown_next_to_its_field(client: TestClient,
                                                                            session: Session) -> None:
    factories.person(session, email="somchai@example.com")
    response = _form(client, "/console/login/chat-app", {"chat_email": "somchai@example.com",
                                                         "chat_password": "nope-nope-1"})
    assert response.status_code == 400
    assert 'id="f-chat_password-error"' in response.text and WRONG in response.text
    assert 'value="somchai@example.com"' in response.text
    api = client.post("/console/api/login/chat-app", json={"email": "nobody@example.com", "password": "x"})
    assert api.status_code == 400 and api.json()["message"] == WRONG
    assert session.scalar(select(func.count()).select_from(BusinessId).where(BusinessId.user_id.is_not(None))) == 0


def test_r_acc_01_continue_as_the_chat_app_person_of_this_browser(client: TestClient, session: Session) -> None:
    person = factories.person(session, name="Malee")
    assert "Continue as" not in client.get("/console/login").text
    assert _form(client, "/console/login/continue", {}).headers["location"] == "/console/login"
    assert client.post("/console/api/login/continue").status_code == 401

    client.cookies.set("oa_app", web_sessions.start(session, web_sessions.USER, person.id, days=1))
    page = client.get("/console/login?next=/console/accounts/new")
    assert "Continue as Malee" in page.text
    response = _form(client, "/console/login/continue", {"next": "/console/accounts/new"})
    assert response.status_code == 303 and response.headers["location"] == "/console/accounts/new"
    me = client.get("/console/api/me").json()
    assert me["kind"] == "chat_app" and me["display_name"] == "Malee"
    assert client.post("/console/api/login/continue").json()["id"] == me["id"]


# ---------------------------------------------------------------- change password

def test_r_acc_01_change_password_ends_other_sessions_only(client: TestClient, other_client: TestClient,
                                                          session: Session) -> None:
    bid = factories.business(session)
    login(client, bid.email)
    login(other_client, bid.email)
    assert client.get("/console/password").status_code == 200
    response = _form(client, "/console/password", {"current_password": factories.PASSWORD,
                                                   "new_password": "brand-new-77"})
    assert response.status_code == 303
    assert "Other devices were logged out" in client.get(response.headers["location"]).text
    assert client.get("/console/api/me").status_code == 200
    assert other_client.get("/console/api/me").status_code == 401
    assert other_client.post("/console/api/login", json={"email": bid.email,
                                                         "password": factories.PASSWORD}).status_code == 400
    login(other_client, bid.email, "brand-new-77")


def test_change_password_refusals_change_nothing(client: TestClient, session: Session) -> None:
    bid = factories.business(session)
    login(client, bid.email)
    wrong = _form(client, "/console/password", {"current_password": "not-mine-1", "new_password": "brand-new-77"})
    assert wrong.status_code == 400
    assert 'id="f-current_password-error"' in wrong.text and "The current password is incorrect." in wrong.text
    weak = client.post("/console/api/password", json={"current_password": factories.PASSWORD,
                                                      "new_password": "short"})
    assert weak.status_code == 400 and weak.json()["details"][0]["property"] == "new_password"
    assert client.post("/console/api/password", json={"current_password": factories.PASSWORD,
                                                      "new_password": "brand-new-77"}).status_code == 204
    client.post("/console/api/logout")
    login(client, bid.email, "brand-new-77")


def test_change_password_needs_login_and_is_not_for_chat_app_ids(client: TestClient, session: Session) -> None:
    assert client.post("/console/api/password", json={"current_password": "a",
                                                      "new_password": "b"}).status_code == 401
    factories.person(session, email="p@example.com")
    client.post("/console/api/login/chat-app", json={"email": "p@example.com", "password": factories.PASSWORD})
    assert "change its password in the Chat app" in client.get("/console/password").text
    refused = client.post("/console/api/password", json={"current_password": factories.PASSWORD,
                                                         "new_password": "brand-new-77"})
    assert refused.status_code == 403


# ---------------------------------------------------------------- forgotten password

def _reset_link(mailbox: list[dict[str, str]]) -> str:
    (mail,) = mailbox
    match = re.search(r"http://testserver(/console/password/reset/\S+)", mail["body"])
    assert match, mail["body"]
    return match.group(1)


def test_r_acc_01_forgot_password_answers_the_same_for_unknown_emails(client: TestClient, session: Session,
                                                                     db: Database, mailbox) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session)
    known = _form(client, "/console/password/forgot", {"email": bid.email})
    unknown = _form(client, "/console/password/forgot", {"email": "ghost@example.com"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["location"] == unknown.headers["location"]
    assert "we sent it a link" in client.get(known.headers["location"]).text
    api_known = client.post("/console/api/password/forgot", json={"email": bid.email})
    api_unknown = client.post("/console/api/password/forgot", json={"email": "ghost@example.com"})
    assert api_known.status_code == api_unknown.status_code == 202
    assert api_known.json() == api_unknown.json()
    run_due_jobs(db)
    assert sorted(m["to"] for m in mailbox) == [bid.email, bid.email]


def test_forgot_password_bad_email_is_shown_next_to_the_field(client: TestClient) -> None:
    response = _form(client, "/console/password/forgot", {"email": "not-an-email"})
    assert response.status_code == 400 and 'id="f-email-error"' in response.text


def test_r_acc_01_password_reset_end_to_end(client: TestClient, other_client: TestClient, session: Session,
                                            db: Database, mailbox) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session)
    login(other_client, bid.email)
    assert _form(client, "/console/password/forgot", {"email": bid.email}).status_code == 303
    assert mailbox == []  # mail leaves only from the job
    run_due_jobs(db)
    link = _reset_link(mailbox)

    form = client.get(link)
    assert form.status_code == 200 and 'name="new_password"' in form.text
    weak = _form(client, link, {"new_password": "short"})
    assert weak.status_code == 400 and 'id="f-new_password-error"' in weak.text
    done = _form(client, link, {"new_password": "fresh-start-8"})
    assert done.status_code == 303
    assert done.headers["location"] == "/console/login?notice=password-reset"
    assert "Log in with the new one." in client.get(done.headers["location"]).text

    assert other_client.get("/console/api/me").status_code == 401  # every session ended
    assert client.post("/console/api/login", json={"email": bid.email,
                                                   "password": factories.PASSWORD}).status_code == 400
    login(client, bid.email, "fresh-start-8")

    reused = client.get(link)
    assert reused.status_code == 400 and "already used" in reused.text
    again = _form(client, link, {"new_password": "another-one-9"})
    assert again.status_code == 400 and "already used" in again.text


def test_expired_reset_link_is_refused_clearly(client: TestClient, session: Session, db: Database,
                                               mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session)
    client.post("/console/api/password/forgot", json={"email": bid.email})
    run_due_jobs(db)
    link = _reset_link(mailbox)
    token = link.rsplit("/", 1)[1]
    assert client.get(f"/console/api/password/reset/{token}").status_code == 204
    clock.advance(hours=2)
    page = client.get(link)
    assert page.status_code == 400 and "This reset link has expired." in page.text
    assert 'name="new_password"' not in page.text
    api = client.post("/console/api/password/reset", json={"token": token, "new_password": "fresh-start-8"})
    assert api.status_code == 400 and api.json()["details"][0]["property"] == "token"
    assert client.get(f"/console/api/password/reset/{token}").status_code == 400
    login(client, bid.email)  # the old password still works


def test_api_password_reset_works_once(client: TestClient, session: Session, db: Database,
                                       mailbox) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session)
    client.post("/console/api/password/forgot", json={"email": bid.email})
    run_due_jobs(db)
    token = _reset_link(mailbox).rsplit("/", 1)[1]
    body = {"token": token, "new_password": "fresh-start-8"}
    assert client.post("/console/api/password/reset", json=body).status_code == 204
    reused = client.post("/console/api/password/reset", json={**body, "new_password": "other-pass-9"})
    assert reused.status_code == 400 and "already used" in reused.json()["message"]
    login(client, bid.email, "fresh-start-8")


def test_console_json_endpoints_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path, method in (("/console/api/signup", "post"), ("/console/api/login", "post"),
                         ("/console/api/login/chat-app", "post"), ("/console/api/logout", "post"),
                         ("/console/api/me", "get"), ("/console/api/password", "post"),
                         ("/console/api/password/forgot", "post"), ("/console/api/password/reset", "post"),
                         ("/console/api/accounts", "post"), ("/console/api/accounts/{account_id}", "patch"),
                         ("/console/api/accounts/{account_id}/members/{business_id}", "put"),
                         ("/console/api/accounts/{account_id}/invitations", "post"),
                         ("/console/api/invitations/{token}/accept", "post"),
                         ("/console/api/accounts/{account_id}/verification", "post")):
        assert method in paths[path], (path, method)
    home = paths["/console/api/accounts/{account_id}"]["get"]["responses"]["200"]
    assert home["content"]["application/json"]["schema"]["$ref"].endswith("/HomeOut")
    assert not any(p.startswith("/console/") and "/api/" not in p for p in paths)  # pages stay out
