"""Helpers for the Manager console's HTTP tests: members with a role, logins, images."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.core.access import BusinessActor
from tests import factories

NON_ADMIN_ROLES = ["operator", "operator_no_broadcasts", "operator_no_insights", "chat_operator"]


def login(client: TestClient, email: str, password: str = factories.PASSWORD) -> None:
    """Log ``client`` in to the console through the JSON endpoint (the same cookie as the form)."""
    response = client.post("/console/api/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text


def form(client: TestClient, path: str, data: dict[str, str], *, files=None):  # type: ignore[no-untyped-def]
    """Post an HTML form the way a browser does: the CSRF token rides in the form, not a header."""
    token = client.headers.pop("X-CSRF-Token")
    try:
        return client.post(path, data={"csrf_token": token, **data}, files=files, follow_redirects=False)
    finally:
        client.headers["X-CSRF-Token"] = token


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def invite_token(session: Session, account: OfficialAccount, admin: BusinessId, role: str) -> str:
    _, url = accounts.invite_member(session, BusinessActor(admin.id), account.id, role=role)
    return token_of(url)


def member(session: Session, account: OfficialAccount, admin: BusinessId, role: str, *,
           name: str = "Team Member") -> BusinessId:
    """A new Business ID that joined ``account`` with ``role`` through a real invitation."""
    bid = factories.business(session, name=name)
    accounts.accept_invitation(session, BusinessActor(bid.id), invite_token(session, account, admin, role))
    return bid


def png(size: tuple[int, int] = (40, 40), colour: str = "green") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def owner(session: Session) -> BusinessId:
    return factories.business(session, name="Nok Owner")


@pytest.fixture
def acc(session: Session, owner: BusinessId) -> OfficialAccount:
    return factories.account(session, owner, name="Cafe Aroi")


@pytest.fixture
def outsider(session: Session) -> BusinessId:
    """A Business ID with an account of its own, but no membership in ``acc``."""
    bid = factories.business(session, name="Other Brand")
    factories.account(session, bid, name="Other Shop")
    return bid
