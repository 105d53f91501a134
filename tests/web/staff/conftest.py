"""Helpers for the Staff console's HTTP tests: a staff member, logins, browser-like forms."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.core.access import SYSTEM
from openoa.trust import service as trust
from openoa.trust.models import StaffMember
from tests import factories

STAFF_EMAIL = "pat@staff.example"


def staff_login(client: TestClient, email: str = STAFF_EMAIL, password: str = factories.PASSWORD) -> None:
    """Log ``client`` in to the Staff console through the JSON endpoint (the same cookie as the form)."""
    response = client.post("/staff/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text


def form(client: TestClient, path: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Post an HTML form the way a browser does: the CSRF token rides in the form, not a header."""
    token = client.headers.pop("X-CSRF-Token")
    try:
        return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
    finally:
        client.headers["X-CSRF-Token"] = token


@pytest.fixture
def staff(session: Session) -> StaffMember:
    return trust.create_staff(session, SYSTEM, email=STAFF_EMAIL, password=factories.PASSWORD,
                              display_name="Pat Staff")
