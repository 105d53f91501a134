"""Staff decide badges (R-ACC-03): approve an application → blue, reject → stays gray,
a decision is made once, premium (green) is granted by staff only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import OfficialAccount, VerificationApplication
from openoa.accounts.schemas import ApplicationOut
from openoa.core import web_sessions
from openoa.core.access import BusinessActor
from tests import factories
from tests.web.staff.conftest import form, staff_login


def _badge(session: Session, account: OfficialAccount) -> str:
    return str(session.scalar(select(OfficialAccount.badge).where(OfficialAccount.id == account.id)))


def _status(session: Session, application: ApplicationOut) -> str:
    return str(session.scalar(select(VerificationApplication.status)
                              .where(VerificationApplication.id == application.id)))


@pytest.fixture
def acc(session: Session) -> OfficialAccount:
    return factories.account(session, factories.business(session, name="Nok Owner"), name="Cafe Aroi")


@pytest.fixture
def application(session: Session, acc: OfficialAccount) -> ApplicationOut:
    return accounts.apply_for_verification(session, BusinessActor(acc.created_by), acc.id,
                                           applicant_name="Nok Owner", applicant_email="nok@cafe.example",
                                           business_name="Cafe Aroi Co., Ltd.", website="https://cafe.example")


def test_r_acc_03_anonymous_cannot_decide_or_grant(client: TestClient, session: Session, acc, application) -> None:
    response = form(client, f"/staff/applications/{application.id}/decision", {"decision": "approve"})
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")
    assert client.post(f"/staff/api/applications/{application.id}/decision",
                       json={"decision": "approve"}).status_code == 401
    assert client.post(f"/staff/api/accounts/{acc.id}/premium").status_code == 401
    assert form(client, f"/staff/accounts/{acc.id}/premium", {}).status_code == 303
    assert _status(session, application) == "pending" and _badge(session, acc) == "gray"


def test_r_acc_03_the_account_admin_cannot_decide_its_own_application(
        client: TestClient, session: Session, acc, application) -> None:
    token = web_sessions.start(session, web_sessions.BUSINESS, acc.created_by, days=1)
    client.cookies.set("oa_console", token)
    assert client.post(f"/staff/api/applications/{application.id}/decision",
                       json={"decision": "approve"}).status_code == 401
    assert client.post(f"/staff/api/accounts/{acc.id}/premium").status_code == 401
    response = form(client, f"/staff/applications/{application.id}/decision", {"decision": "approve"})
    assert response.headers["location"].startswith("/staff/login")
    assert _status(session, application) == "pending" and _badge(session, acc) == "gray"


def test_r_acc_03_staff_see_the_applicants_reference_number(client: TestClient, staff, application) -> None:
    staff_login(client)
    page = client.get("/staff")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert application.reference_number in page.text
    assert "Cafe Aroi" in page.text and "nok@cafe.example" in page.text and "Cafe Aroi Co., Ltd." in page.text
    assert f'action="/staff/applications/{application.id}/decision"' in page.text
    listed = client.get("/staff/api/applications").json()
    assert [(a["reference_number"], a["status"], a["badge"]) for a in listed] == [
        (application.reference_number, "pending", "gray")]


def test_r_acc_03_approving_makes_the_badge_blue(client: TestClient, session: Session, staff, acc,
                                                 application) -> None:
    staff_login(client)
    response = form(client, f"/staff/applications/{application.id}/decision", {"decision": "approve"})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff?status=pending&notice=approved"
    after = client.get(response.headers["location"])
    assert "Application approved" in after.text
    assert application.reference_number not in after.text  # no longer waiting
    assert _badge(session, acc) == "blue" and _status(session, application) == "approved"

    approved = client.get("/staff?status=approved")
    assert application.reference_number in approved.text and 'status-approved">Approved<' in approved.text
    assert f'action="/staff/applications/{application.id}/decision"' not in approved.text
    listed = client.get("/staff/api/applications", params={"status": "approved"}).json()
    assert [(a["reference_number"], a["badge"]) for a in listed] == [(application.reference_number, "blue")]
    # The admin sees the outcome on their own account too.
    seen = accounts.account_applications(session, BusinessActor(acc.created_by), acc.id)
    assert [(a.reference_number, a.status) for a in seen] == [(application.reference_number, "approved")]


def test_r_acc_03_rejecting_leaves_the_badge_gray(client: TestClient, session: Session, staff, acc,
                                                  application) -> None:
    staff_login(client)
    response = client.post(f"/staff/api/applications/{application.id}/decision", json={"decision": "reject"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["badge"]) == ("rejected", "gray")
    assert _badge(session, acc) == "gray" and _status(session, application) == "rejected"
    assert application.reference_number in client.get("/staff?status=rejected").text
    assert client.get("/staff/api/applications").json() == []


def test_r_acc_03_rejecting_by_form_leaves_the_badge_gray(client: TestClient, session: Session, staff, acc,
                                                          application) -> None:
    staff_login(client)
    response = form(client, f"/staff/applications/{application.id}/decision",
                    {"decision": "reject", "status": "all"})
    assert response.headers["location"] == "/staff?status=all&notice=rejected"
    page = client.get(response.headers["location"])
    assert "Application rejected" in page.text and 'status-rejected">Rejected<' in page.text
    assert _badge(session, acc) == "gray"


def test_r_acc_03_an_application_is_decided_once(client: TestClient, session: Session, staff, acc,
                                                 application) -> None:
    staff_login(client)
    assert client.post(f"/staff/api/applications/{application.id}/decision",
                       json={"decision": "approve"}).status_code == 200
    again = form(client, f"/staff/applications/{application.id}/decision", {"decision": "reject"})
    assert again.status_code == 409
    assert "This application was already approved." in again.text and 'role="alert"' in again.text
    api = client.post(f"/staff/api/applications/{application.id}/decision", json={"decision": "reject"})
    assert api.status_code == 409
    assert api.json() == {"message": "This application was already approved.",
                          "details": [{"message": "This application was already approved.",
                                       "property": "status"}]}
    assert _badge(session, acc) == "blue" and _status(session, application) == "approved"


def test_r_acc_03_unknown_application_or_decision_is_refused(client: TestClient, session: Session, staff,
                                                              application) -> None:
    staff_login(client)
    assert client.post("/staff/api/applications/999999/decision", json={"decision": "approve"}).status_code == 404
    assert form(client, "/staff/applications/999999/decision", {"decision": "approve"}).status_code == 404
    bad = client.post(f"/staff/api/applications/{application.id}/decision", json={"decision": "maybe"})
    assert bad.status_code == 400 and bad.json()["details"][0]["property"] == "decision"
    assert form(client, f"/staff/applications/{application.id}/decision", {"decision": "maybe"}).status_code == 400
    assert client.get("/staff/api/applications", params={"status": "lost"}).status_code == 400
    assert _status(session, application) == "pending"


def test_r_acc_03_staff_grant_premium_green(client: TestClient, session: Session, staff, acc) -> None:
    other = factories.account(session, name="Town Hall")
    staff_login(client)
    page = client.get("/staff/accounts", params={"q": "aroi"})
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert '<label for="f-q">' in page.text
    assert acc.basic_id in page.text and other.basic_id not in page.text
    assert f'action="/staff/accounts/{acc.id}/premium"' in page.text

    response = form(client, f"/staff/accounts/{acc.id}/premium", {"q": "aroi"})
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/accounts?q=aroi&notice=premium"
    after = client.get(response.headers["location"])
    assert "Premium granted" in after.text
    assert f'action="/staff/accounts/{acc.id}/premium"' not in after.text
    assert _badge(session, acc) == "green"

    granted = client.post(f"/staff/api/accounts/{other.id}/premium")
    assert granted.status_code == 200 and granted.json()["badge"] == "green"
    assert _badge(session, other) == "green"
    found = client.get("/staff/api/accounts", params={"q": other.basic_id}).json()
    assert [(a["basic_id"], a["badge"]) for a in found] == [(other.basic_id, "green")]
    assert client.post("/staff/api/accounts/999999/premium").status_code == 404


def test_r_acc_03_approval_never_lowers_a_premium_account(client: TestClient, session: Session, staff, acc,
                                                          application) -> None:
    staff_login(client)
    client.post(f"/staff/api/accounts/{acc.id}/premium")
    client.post(f"/staff/api/applications/{application.id}/decision", json={"decision": "approve"})
    assert _badge(session, acc) == "green"
