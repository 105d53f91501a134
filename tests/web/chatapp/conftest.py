"""Fixtures of the Chat app tests: a logged-in person, official accounts to find, images to upload."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests import factories

PASSWORD = factories.PASSWORD


def png_bytes(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (6, 199, 85)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def png() -> bytes:
    return png_bytes()


@pytest.fixture
def me(client: TestClient) -> TestClient:
    """``client``, signed up and logged in to the Chat app as Mali."""
    response = client.post("/app/api/signup", json={"email": "mali@example.com", "password": PASSWORD,
                                                    "display_name": "Mali"})
    assert response.status_code == 201, response.text
    return client


@pytest.fixture
def owner(session):  # type: ignore[no-untyped-def]
    return factories.business(session)


@pytest.fixture
def cafe(session, owner):  # type: ignore[no-untyped-def]
    """An official account people can find and add."""
    return factories.account(session, owner, name="Cafe Aroi")
