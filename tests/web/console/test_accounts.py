"""Console account pages over HTTP: list, create (R-ACC-02), home with add-friend tools
(R-GAIN-01), settings and verification (R-ACC-03), each refused as R-ACC-04 says."""

from __future__ import annotations

import io

import pytest
import segno
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount, VerificationApplication
from openoa.core.access import PersonActor
from openoa.core.images import MAX_UPLOAD_BYTES
from openoa.friends import service as friends
from tests import factories
from tests.web.console.conftest import NON_ADMIN_ROLES, form, login, member, png

ACCOUNT_PAGES = ["", "/settings", "/qr.png", "/qr.svg"]
ACCOUNT_APIS = ["", "/settings", "/verification"]


def _accounts_of(session: Session, owner: BusinessId) -> int:
    return int(session.scalar(select(func.count()).select_from(OfficialAccount)
                              .where(OfficialAccount.created_by == owner.id)) or 0)


# ---------------------------------------------------------------- anonymous and outsiders first

def test_anonymous_is_sent_to_login_from_every_account_page(client: TestClient, acc: OfficialAccount) -> None:
    for suffix in ACCOUNT_PAGES:
        response = client.get(f"/console/accounts/{acc.id}{suffix}", follow_redirects=False)
        assert response.status_code == 303, suffix
        assert response.headers["location"].startswith(f"/console/login?next=/console/accounts/{acc.id}")
    for suffix in ACCOUNT_APIS:
        assert client.get(f"/console/api/accounts/{acc.id}{suffix}").status_code == 401
    assert client.get("/console/api/accounts").status_code == 401
    assert client.post("/console/api/accounts", json={"display_name": "Sneaky"}).status_code == 401
    assert client.patch(f"/console/api/accounts/{acc.id}", json={"display_name": "Hacked"}).status_code == 401
    assert form(client, f"/console/accounts/{acc.id}/settings",
                {"display_name": "Hacked"}).headers["location"].startswith("/console/login")


def test_r_acc_04_non_member_gets_not_found_never_a_hint(client: TestClient, session: Session,
                                                        acc: OfficialAccount, outsider: BusinessId) -> None:
    login(client, outsider.email)
    missing = acc.id + 10_000
    for suffix in ACCOUNT_PAGES:
        real = client.get(f"/console/accounts/{acc.id}{suffix}")
        ghost = client.get(f"/console/accounts/{missing}{suffix}")
        assert real.status_code == ghost.status_code == 404, suffix
        assert "Cafe Aroi" not in real.text
    for suffix in ACCOUNT_APIS:
        real = client.get(f"/console/api/accounts/{acc.id}{suffix}")
        assert real.status_code == 404
        assert real.json() == client.get(f"/console/api/accounts/{missing}{suffix}").json()
    assert client.patch(f"/console/api/accounts/{acc.id}", json={"display_name": "Hacked"}).status_code == 404
    assert form(client, f"/console/accounts/{acc.id}/settings", {"display_name": "Hacked"}).status_code == 404
    assert client.post(f"/console/api/accounts/{acc.id}/image",
                       files={"image": ("a.png", png(), "image/png")}).status_code == 404
    assert client.post(f"/console/api/accounts/{acc.id}/verification", json={
        "applicant_name": "X", "applicant_email": "x@example.com", "business_name": "X"}).status_code == 404
    assert "Cafe Aroi" not in client.get("/console").text
    assert [a["display_name"] for a in client.get("/console/api/accounts").json()] == ["Other Shop"]
    session.expire_all()
    assert session.get(OfficialAccount, acc.id).display_name == "Cafe Aroi"
    assert session.scalar(select(func.count()).select_from(VerificationApplication)) == 0


# ---------------------------------------------------------------- list and create (R-ACC-02)

def test_r_acc_02_create_account_with_image(client: TestClient, session: Session, owner: BusinessId) -> None:
    login(client, owner.email)
    page = client.get("/console/accounts/new")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in page.text
    response = form(client, "/console/accounts/new", {"display_name": "Noodle Bar"},
                    files={"image": ("logo.png", png((900, 500)), "image/png")})
    assert response.status_code == 303
    home = client.get(response.headers["location"])
    assert home.status_code == 200
    assert "The account was created." in home.text
    account = session.scalar(select(OfficialAccount).where(OfficialAccount.display_name == "Noodle Bar"))
    assert account is not None and account.profile_image
    for shown in (account.basic_id, "Unverified", "badge-gray", "Free", "Asia/Bangkok",
                  f'src="/media/{account.profile_image}"', 'alt="Profile image of Noodle Bar"'):
        assert shown in home.text, shown
    stored = client.get(f"/media/{account.profile_image}")
    assert Image.open(io.BytesIO(stored.content)).size == (640, 356)  # re-encoded, bounded
    listing = client.get("/console")
    assert "Noodle Bar" in listing.text and f'href="/console/accounts/{account.id}"' in listing.text


def test_r_acc_02_create_account_without_image_and_over_json(client: TestClient, owner: BusinessId) -> None:
    login(client, owner.email)
    assert form(client, "/console/accounts/new", {"display_name": "Plain"},
                files={"image": ("", b"", "application/octet-stream")}).status_code == 303
    created = client.post("/console/api/accounts", json={"display_name": "Json Shop"})
    assert created.status_code == 201
    body = created.json()
    assert body["basic_id"].startswith("@") and body["badge"] == "gray" and body["package"] == "free"
    assert body["timezone"] == "Asia/Bangkok" and body["role"] == "admin" and body["profile_image_url"] is None
    assert body["add_friend_url"] == f"http://testserver/add/{body['basic_id']}"
    image = client.post(f"/console/api/accounts/{body['id']}/image", files={"image": ("a.png", png(), "image/png")})
    assert image.status_code == 200 and image.json()["profile_image_url"].startswith("/media/")
    names = [a["display_name"] for a in client.get("/console/api/accounts").json()]
    assert sorted(names) == ["Json Shop", "Plain"]


@pytest.mark.parametrize(("upload", "message"), [
    (b"\x89PNG" + b"0" * MAX_UPLOAD_BYTES, "The image is larger than 5 MB."),
    (b"%PDF-1.4 not a picture", "This file is not an image we can read."),
])
def test_r_acc_02_refused_upload_leaves_no_account(client: TestClient, session: Session, owner: BusinessId,
                                                    upload: bytes, message: str) -> None:
    login(client, owner.email)
    response = form(client, "/console/accounts/new", {"display_name": "Half Made"},
                    files={"image": ("pic.png", upload, "image/png")})
    assert response.status_code == 400
    assert 'id="f-image-error"' in response.text and message in response.text
    assert 'value="Half Made"' in response.text
    assert _accounts_of(session, owner) == 0
    assert client.get("/console/api/accounts").json() == []


def test_r_acc_02_account_name_is_checked(client: TestClient, session: Session, owner: BusinessId) -> None:
    login(client, owner.email)
    blank = form(client, "/console/accounts/new", {"display_name": "  "})
    assert blank.status_code == 400 and "Enter the account name." in blank.text
    long = client.post("/console/api/accounts", json={"display_name": "x" * 21})
    assert long.status_code == 400 and long.json()["details"][0]["property"] == "display_name"
    assert _accounts_of(session, owner) == 0


# ---------------------------------------------------------------- home (R-ACC-04, R-GAIN-01)

def test_account_home_shows_friends_target_reach_and_blocks(client: TestClient, session: Session,
                                                           owner: BusinessId, acc: OfficialAccount) -> None:
    stays, leaves = factories.person(session, name="Stays"), factories.person(session, name="Leaves")
    factories.friend(session, stays, acc)
    factories.friend(session, leaves, acc)
    friends.block(session, PersonActor(leaves.id), acc.id)
    login(client, owner.email)
    page = client.get(f"/console/accounts/{acc.id}")
    assert page.status_code == 200
    assert '<dl class="stats">' in page.text
    for label, value in (("Friends", 2), ("Target reach", 1), ("Blocks", 1)):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in page.text
    api = client.get(f"/console/api/accounts/{acc.id}").json()
    assert (api["friends"], api["target_reach"], api["blocks"]) == (2, 1, 1)
    assert api["account"]["basic_id"] == acc.basic_id and api["role"] == "admin"


def test_r_gain_01_home_offers_url_qr_code_and_button(client: TestClient, owner: BusinessId,
                                                      acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(f"/console/accounts/{acc.id}").text
    url = f"http://testserver/add/{acc.basic_id}"
    assert f'<a href="{url}">{url}</a>' in page
    assert f'readonly value="{url}"' in page
    assert f"&lt;a href=&#34;{url}?src=button&#34;&gt;Add friend&lt;/a&gt;" in page
    assert f'src="/console/accounts/{acc.id}/qr.svg"' in page and "QR code that adds" in page

    expected = io.BytesIO()
    segno.make(f"{url}?src=qr", error="m").save(expected, kind="png", scale=10, border=4)
    qr = client.get(f"/console/accounts/{acc.id}/qr.png")
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png"
    assert qr.content == expected.getvalue()  # the code encodes the ?src=qr link
    svg = client.get(f"/console/accounts/{acc.id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content
    download = client.get(f"/console/accounts/{acc.id}/qr.png?download=1")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert acc.basic_id.lstrip("@") in download.headers["content-disposition"]


def test_r_acc_04_operator_without_insights_sees_no_figures(client: TestClient, session: Session,
                                                            owner: BusinessId, acc: OfficialAccount) -> None:
    factories.friend(session, factories.person(session), acc)
    narrowed = member(session, acc, owner, "operator_no_insights")
    login(client, narrowed.email)
    page = client.get(f"/console/accounts/{acc.id}")
    assert page.status_code == 200
    assert 'class="stats"' not in page.text
    assert "does not include insights, so friend figures are hidden" in page.text
    api = client.get(f"/console/api/accounts/{acc.id}").json()
    assert api["can_see_insights"] is False and api["friends"] is None and api["target_reach"] is None


def test_r_acc_04_chat_operator_cannot_open_home_or_settings(client: TestClient, session: Session,
                                                            owner: BusinessId, acc: OfficialAccount) -> None:
    chat = member(session, acc, owner, "chat_operator")
    login(client, chat.email)
    listing = client.get("/console")
    assert "Cafe Aroi" in listing.text and f'href="/console/accounts/{acc.id}"' not in listing.text
    for suffix in ("", "/qr.png"):
        refused = client.get(f"/console/accounts/{acc.id}{suffix}")
        assert refused.status_code == 403
    assert "Your role only gives access to chats." in client.get(f"/console/accounts/{acc.id}").text
    api = client.get(f"/console/api/accounts/{acc.id}")
    assert api.status_code == 403 and api.json()["message"] == "Your role only gives access to chats."
    settings = client.get(f"/console/accounts/{acc.id}/settings")
    assert settings.status_code == 403 and "Your role does not allow changing account settings." in settings.text
    assert client.get(f"/console/api/accounts/{acc.id}/settings").status_code == 403
    assert form(client, f"/console/accounts/{acc.id}/settings", {"display_name": "Chatty"}).status_code == 403
    assert client.patch(f"/console/api/accounts/{acc.id}", json={"display_name": "Chatty"}).status_code == 403
    session.expire_all()
    assert session.get(OfficialAccount, acc.id).display_name == "Cafe Aroi"


def test_r_acc_04_nav_shows_only_what_the_role_allows(client: TestClient, other_client: TestClient,
                                                      session: Session, owner: BusinessId,
                                                      acc: OfficialAccount) -> None:
    operator = member(session, acc, owner, "operator")
    login(client, owner.email)
    admin_page = client.get(f"/console/accounts/{acc.id}").text
    for link in ("", "/members", "/settings"):
        assert f'href="/console/accounts/{acc.id}{link}"' in admin_page
    login(other_client, operator.email)
    operator_page = other_client.get(f"/console/accounts/{acc.id}").text
    assert f'href="/console/accounts/{acc.id}/settings"' in operator_page
    assert f'href="/console/accounts/{acc.id}/members"' not in operator_page
    # Hidden is not the protection: the route itself refuses.
    assert other_client.get(f"/console/accounts/{acc.id}/members").status_code == 403


# ---------------------------------------------------------------- settings

def test_settings_edit_profile(client: TestClient, session: Session, owner: BusinessId,
                               acc: OfficialAccount) -> None:
    operator = member(session, acc, owner, "operator")
    login(client, operator.email)
    page = client.get(f"/console/accounts/{acc.id}/settings")
    assert page.status_code == 200 and 'value="Cafe Aroi"' in page.text
    response = form(client, f"/console/accounts/{acc.id}/settings",
                    {"display_name": "Cafe Aroi Mak", "status_message": "Open 8-20"},
                    files={"image": ("new.png", png(colour="red"), "image/png")})
    assert response.status_code == 303
    assert "Your changes were saved." in client.get(response.headers["location"]).text
    home = client.get(f"/console/api/accounts/{acc.id}").json()["account"]
    assert home["display_name"] == "Cafe Aroi Mak" and home["status_message"] == "Open 8-20"
    assert home["profile_image_url"].startswith("/media/")
    patched = client.patch(f"/console/api/accounts/{acc.id}", json={"status_message": "Closed Mondays"})
    assert patched.status_code == 200
    assert patched.json()["status_message"] == "Closed Mondays" and patched.json()["display_name"] == "Cafe Aroi Mak"


def test_settings_refusals_change_nothing(client: TestClient, session: Session, owner: BusinessId,
                                          acc: OfficialAccount) -> None:
    login(client, owner.email)
    response = form(client, f"/console/accounts/{acc.id}/settings",
                    {"display_name": "A name far too long for LINE", "status_message": "New words"},
                    files={"image": ("big.png", b"0" * (MAX_UPLOAD_BYTES + 1), "image/png")})
    assert response.status_code == 400
    assert 'id="f-display_name-error"' in response.text and 'id="f-image-error"' in response.text
    assert "New words" in response.text  # what was typed comes back
    image = client.post(f"/console/api/accounts/{acc.id}/image", files={"image": ("x.txt", b"hello", "text/plain")})
    assert image.status_code == 400 and image.json()["details"][0]["property"] == "image"
    session.expire_all()
    saved = session.get(OfficialAccount, acc.id)
    assert (saved.display_name, saved.status_message, saved.profile_image) == ("Cafe Aroi", "", None)


# ---------------------------------------------------------------- verification (R-ACC-03)

APPLICATION = {"applicant_name": "Nok", "applicant_email": "nok@example.com", "business_name": "Aroi Co.",
               "website": "https://aroi.example"}


def test_r_acc_03_admin_applies_and_sees_the_reference_number(client: TestClient, session: Session,
                                                              owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(f"/console/accounts/{acc.id}/settings")
    assert f'action="/console/accounts/{acc.id}/verification"' in page.text
    response = form(client, f"/console/accounts/{acc.id}/verification", APPLICATION)
    assert response.status_code == 303
    application = session.scalar(select(VerificationApplication).where(VerificationApplication.account_id == acc.id))
    assert application is not None
    after = client.get(response.headers["location"]).text
    assert application.reference_number in after and "Pending" in after
    assert "An application is already under review" in after
    listed = client.get(f"/console/api/accounts/{acc.id}/verification").json()
    assert [a["reference_number"] for a in listed] == [application.reference_number]
    again = client.post(f"/console/api/accounts/{acc.id}/verification", json=APPLICATION)
    assert again.status_code == 409


def test_r_acc_03_api_apply_and_bad_input(client: TestClient, session: Session, owner: BusinessId,
                                          acc: OfficialAccount) -> None:
    login(client, owner.email)
    bad = form(client, f"/console/accounts/{acc.id}/verification",
               {**APPLICATION, "applicant_email": "nope", "website": "aroi.example"})
    assert bad.status_code == 400
    assert 'id="f-applicant_email-error"' in bad.text and 'id="f-website-error"' in bad.text
    assert 'value="Aroi Co."' in bad.text
    assert session.scalar(select(func.count()).select_from(VerificationApplication)) == 0
    created = client.post(f"/console/api/accounts/{acc.id}/verification", json=APPLICATION)
    assert created.status_code == 201
    assert created.json()["reference_number"] and created.json()["status"] == "pending"


@pytest.mark.parametrize("role", ["operator", "operator_no_broadcasts", "operator_no_insights"])
def test_r_acc_04_only_admins_apply_for_verification(client: TestClient, session: Session, owner: BusinessId,
                                                     acc: OfficialAccount, role: str) -> None:
    operator = member(session, acc, owner, role)
    login(client, operator.email)
    page = client.get(f"/console/accounts/{acc.id}/settings")
    assert page.status_code == 200
    assert "Only admins can apply for verification." in page.text and 'name="applicant_name"' not in page.text
    refused = form(client, f"/console/accounts/{acc.id}/verification", APPLICATION)
    assert refused.status_code == 403 and "Only admins can apply for verification." in refused.text
    api = client.post(f"/console/api/accounts/{acc.id}/verification", json=APPLICATION)
    assert api.status_code == 403
    assert client.get(f"/console/api/accounts/{acc.id}/settings").json()["can_apply"] is False
    assert session.scalar(select(func.count()).select_from(VerificationApplication)) == 0


def test_every_non_admin_role_is_listed_with_its_label(client: TestClient, session: Session,
                                                       owner: BusinessId, acc: OfficialAccount) -> None:
    roles = {role: member(session, acc, owner, role, name=f"M {role}") for role in NON_ADMIN_ROLES}
    login(client, roles["operator_no_broadcasts"].email)
    assert "Your role: Operator (no broadcasts)" in client.get("/console").text


def test_r_frd_02_home_charts_friends_by_friend_path(client: TestClient, session: Session, owner: BusinessId,
                                                     acc: OfficialAccount) -> None:
    for path in ("qr", "qr", "qr", "search", "url"):
        factories.friend(session, factories.person(session), acc, path=path)
    session.flush()
    login(client, owner.email)
    home = client.get(f"/console/api/accounts/{acc.id}").json()
    assert home["friend_paths"] == [{"path": "qr", "friends": 3}, {"path": "search", "friends": 1},
                                    {"path": "url", "friends": 1}]
    page = client.get(f"/console/accounts/{acc.id}").text
    assert '<progress max="5" value="3"' in page and "QR code" in page


def test_r_acc_04_friend_path_chart_is_hidden_from_roles_without_insights(
        client: TestClient, session: Session, owner: BusinessId, acc: OfficialAccount) -> None:
    factories.friend(session, factories.person(session), acc, path="qr")
    no_insights = member(session, acc, owner, "operator_no_insights")
    session.flush()
    login(client, no_insights.email)
    home = client.get(f"/console/api/accounts/{acc.id}").json()
    assert home["friend_paths"] is None and home["friends"] is None
    assert "<progress" not in client.get(f"/console/accounts/{acc.id}").text
