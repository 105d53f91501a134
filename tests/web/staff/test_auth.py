"""Who gets into the Staff console: staff only, never a Business ID or a Chat-app person (R-ACC-03)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.core import web_sessions
from openoa.core.web_sessions import WebSession
from openoa.trust.models import StaffMember
from tests import factories
from tests.web.staff.conftest import STAFF_EMAIL, form, staff_login

WRONG = "The email or password is incorrect."


def _staff_sessions(session: Session, staff: StaffMember) -> int:
    return int(session.scalar(select(func.count()).select_from(WebSession).where(
        WebSession.subject == web_sessions.STAFF, WebSession.subject_id == staff.id)) or 0)


def test_r_acc_03_anonymous_visitor_is_sent_to_the_staff_login(client: TestClient) -> None:
    for path in ("/staff", "/staff/accounts"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/staff/login?next={path}"


def test_r_acc_03_anonymous_json_is_401_with_the_line_error_body(client: TestClient) -> None:
    for method, path in (("get", "/staff/api/applications"), ("get", "/staff/api/accounts"),
                         ("post", "/staff/api/accounts/1/premium")):
        response = getattr(client, method)(path)
        assert response.status_code == 401
        assert response.json() == {"message": "Log in to the Staff console first."}


def test_r_acc_03_a_business_id_session_is_not_staff(client: TestClient, session: Session, staff) -> None:
    owner = factories.business(session)
    # One session of the owner's own, one whose subject ID equals the staff member's: neither is staff.
    for subject_id in (owner.id, staff.id):
        token = web_sessions.start(session, web_sessions.BUSINESS, subject_id, days=1)
        for cookie in ("oa_console", "oa_staff"):  # its own cookie, or smuggled into the staff one
            client.cookies.clear()
            client.cookies.set(cookie, token)
            assert client.get("/staff", follow_redirects=False).headers["location"].startswith("/staff/login")
            assert client.get("/staff/api/applications").status_code == 401


def test_r_acc_03_a_chat_app_session_is_not_staff(client: TestClient, session: Session, staff) -> None:
    person = factories.person(session)
    for subject_id in (person.id, staff.id):
        token = web_sessions.start(session, web_sessions.USER, subject_id, days=1)
        for cookie in ("oa_app", "oa_staff"):
            client.cookies.clear()
            client.cookies.set(cookie, token)
            assert client.get("/staff", follow_redirects=False).headers["location"].startswith("/staff/login")
            assert client.get("/staff/api/accounts").status_code == 401


def test_r_acc_03_staff_login_page_has_labelled_fields(client: TestClient) -> None:
    page = client.get("/staff/login")
    assert page.status_code == 200
    assert '<label for="f-email">' in page.text and '<label for="f-password">' in page.text
    assert page.text.count("<h1") == 1


def test_r_acc_03_staff_login_form_opens_the_console(client: TestClient, session: Session, staff) -> None:
    response = form(client, "/staff/login", {"email": STAFF_EMAIL.upper(), "password": factories.PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    assert "oa_staff" in response.cookies
    assert _staff_sessions(session, staff) == 1
    page = client.get("/staff", follow_redirects=False)
    assert page.status_code == 200 and "Verification applications" in page.text
    # Logged in already: the login page sends staff on.
    assert client.get("/staff/login", follow_redirects=False).headers["location"] == "/staff"


def test_r_acc_03_staff_login_follows_next_but_never_offsite(client: TestClient, staff) -> None:
    response = form(client, "/staff/login", {"email": STAFF_EMAIL, "password": factories.PASSWORD,
                                             "next": "/staff/accounts"})
    assert response.headers["location"] == "/staff/accounts"
    client.cookies.delete("oa_staff")
    response = form(client, "/staff/login", {"email": STAFF_EMAIL, "password": factories.PASSWORD,
                                             "next": "//evil.example/staff"})
    assert response.headers["location"] == "/staff"


def test_r_acc_03_wrong_password_is_refused_next_to_the_field(client: TestClient, session: Session, staff) -> None:
    response = form(client, "/staff/login", {"email": STAFF_EMAIL, "password": "not-the-password-1"})
    assert response.status_code == 400
    assert 'id="f-password-error"' in response.text and WRONG in response.text
    assert f'value="{STAFF_EMAIL}"' in response.text and "not-the-password-1" not in response.text
    assert "oa_staff" not in response.cookies
    assert _staff_sessions(session, staff) == 0
    # An unknown email reads the same, so the form does not tell who is staff.
    unknown = form(client, "/staff/login", {"email": "nobody@staff.example", "password": factories.PASSWORD})
    assert unknown.status_code == 400 and WRONG in unknown.text

    api = client.post("/staff/api/login", json={"email": STAFF_EMAIL, "password": "not-the-password-1"})
    assert api.status_code == 400
    assert api.json()["details"] == [{"message": WRONG, "property": "password"}]


def test_r_acc_03_a_business_id_cannot_log_in_to_the_staff_console(client: TestClient, session: Session) -> None:
    owner = factories.business(session, email="owner@example.com")
    response = client.post("/staff/api/login", json={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "oa_staff" not in response.cookies


def test_r_acc_03_staff_login_is_rate_limited(client: TestClient, settings, staff) -> None:
    for _ in range(settings.login_attempts_per_window):
        client.post("/staff/api/login", json={"email": STAFF_EMAIL, "password": "wrong-password-1"})
    response = client.post("/staff/api/login", json={"email": STAFF_EMAIL, "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response.headers


def test_r_acc_03_json_login_and_logout(client: TestClient, session: Session, staff) -> None:
    response = client.post("/staff/api/login", json={"email": STAFF_EMAIL, "password": factories.PASSWORD})
    assert response.json() == {"id": staff.id, "email": STAFF_EMAIL, "display_name": "Pat Staff"}
    assert client.get("/staff/api/applications").status_code == 200
    assert client.post("/staff/api/logout").status_code == 204
    assert _staff_sessions(session, staff) == 0
    assert client.get("/staff/api/applications").status_code == 401


def test_r_acc_03_logout_form_ends_the_session(client: TestClient, session: Session, staff) -> None:
    staff_login(client)
    response = form(client, "/staff/logout", {})
    assert response.status_code == 303 and response.headers["location"] == "/staff/login?notice=logged-out"
    assert _staff_sessions(session, staff) == 0
    assert "You are logged out." in client.get("/staff/login?notice=logged-out").text
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_r_acc_03_staff_forms_need_the_csrf_token(client: TestClient, staff) -> None:
    token = client.headers.pop("X-CSRF-Token")
    response = client.post("/staff/login", data={"email": STAFF_EMAIL, "password": factories.PASSWORD},
                           follow_redirects=False)
    client.headers["X-CSRF-Token"] = token
    assert response.status_code == 403
    assert "oa_staff" not in response.cookies
