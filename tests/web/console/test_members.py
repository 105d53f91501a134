"""Console members and invitation links over HTTP (R-ACC-04): admins manage the team;
every other role is refused by the route itself, and single-use links stay single-use."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, Invitation, Membership, OfficialAccount
from tests import factories
from tests.web.console.conftest import NON_ADMIN_ROLES, form, invite_token, login, member, token_of


def _role(session: Session, account: OfficialAccount, bid: BusinessId) -> str | None:
    return session.scalar(select(Membership.role).where(Membership.account_id == account.id,
                                                        Membership.business_id == bid.id))


def _invitations(session: Session, account: OfficialAccount) -> int:
    return int(session.scalar(select(func.count()).select_from(Invitation)
                              .where(Invitation.account_id == account.id)) or 0)


# ---------------------------------------------------------------- anonymous and outsiders first

def test_anonymous_cannot_reach_members(client: TestClient, session: Session, owner: BusinessId,
                                        acc: OfficialAccount) -> None:
    page = client.get(f"/console/accounts/{acc.id}/members", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/console/login?next=/console/accounts/{acc.id}/members"
    assert client.get(f"/console/api/accounts/{acc.id}/members").status_code == 401
    assert client.post(f"/console/api/accounts/{acc.id}/invitations", json={"role": "admin"}).status_code == 401
    assert client.put(f"/console/api/accounts/{acc.id}/members/{owner.id}",
                      json={"role": "operator"}).status_code == 401
    assert client.delete(f"/console/api/accounts/{acc.id}/members/{owner.id}").status_code == 401
    assert _invitations(session, acc) == 0 and _role(session, acc, owner) == "admin"


def test_r_acc_04_non_member_gets_not_found(client: TestClient, session: Session, owner: BusinessId,
                                            acc: OfficialAccount, outsider: BusinessId) -> None:
    login(client, outsider.email)
    base = f"/console/accounts/{acc.id}"
    assert client.get(f"{base}/members").status_code == 404
    assert form(client, f"{base}/invitations", {"role": "admin"}).status_code == 404
    assert form(client, f"{base}/members/{owner.id}/role", {"role": "operator"}).status_code == 404
    assert form(client, f"{base}/members/{owner.id}/remove", {}).status_code == 404
    api = f"/console/api/accounts/{acc.id}"
    assert client.get(f"{api}/members").status_code == 404
    assert client.get(f"{api}/invitations").status_code == 404
    assert client.post(f"{api}/invitations", json={"role": "admin"}).status_code == 404
    assert client.put(f"{api}/members/{owner.id}", json={"role": "operator"}).status_code == 404
    assert client.delete(f"{api}/members/{owner.id}").status_code == 404
    assert _invitations(session, acc) == 0 and _role(session, acc, owner) == "admin"


# ---------------------------------------------------------------- role refusals (R-ACC-04)

@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_only_admins_open_members(client: TestClient, session: Session, owner: BusinessId,
                                           acc: OfficialAccount, role: str) -> None:
    bid = member(session, acc, owner, role)
    login(client, bid.email)
    page = client.get(f"/console/accounts/{acc.id}/members")
    assert page.status_code == 403 and "Only admins can manage members." in page.text
    api = client.get(f"/console/api/accounts/{acc.id}/members")
    assert api.status_code == 403 and api.json()["message"] == "Only admins can manage members."
    assert client.get(f"/console/api/accounts/{acc.id}/invitations").status_code == 403


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_operators_cannot_invite_or_make_anyone_admin(client: TestClient, session: Session,
                                                               owner: BusinessId, acc: OfficialAccount,
                                                               role: str) -> None:
    bid = member(session, acc, owner, role)
    before = _invitations(session, acc)
    login(client, bid.email)
    assert form(client, f"/console/accounts/{acc.id}/invitations", {"role": "admin"}).status_code == 403
    assert client.post(f"/console/api/accounts/{acc.id}/invitations", json={"role": "admin"}).status_code == 403
    assert client.post(f"/console/api/accounts/{acc.id}/members", json={"role": "operator"}).status_code == 403
    promote = client.put(f"/console/api/accounts/{acc.id}/members/{bid.id}", json={"role": "admin"})
    assert promote.status_code == 403
    assert form(client, f"/console/accounts/{acc.id}/members/{bid.id}/role", {"role": "admin"}).status_code == 403
    assert client.delete(f"/console/api/accounts/{acc.id}/members/{owner.id}").status_code == 403
    assert form(client, f"/console/accounts/{acc.id}/members/{owner.id}/remove", {}).status_code == 403
    assert _invitations(session, acc) == before
    assert _role(session, acc, bid) == role and _role(session, acc, owner) == "admin"


# ---------------------------------------------------------------- admins manage the team

def test_r_acc_04_admin_sees_members_with_role_labels(client: TestClient, session: Session, owner: BusinessId,
                                                      acc: OfficialAccount) -> None:
    member(session, acc, owner, "operator_no_broadcasts", name="Ploy")
    login(client, owner.email)
    page = client.get(f"/console/accounts/{acc.id}/members")
    assert page.status_code == 200
    assert "Nok Owner" in page.text and "Ploy" in page.text
    assert "Operator (no broadcasts)" in page.text and 'for="role-' in page.text
    api = client.get(f"/console/api/accounts/{acc.id}/members").json()
    assert [(m["display_name"], m["role"]) for m in api] == [("Nok Owner", "admin"),
                                                              ("Ploy", "operator_no_broadcasts")]


def test_r_acc_04_invitation_link_is_shown_once_and_joins_with_its_role(
        client: TestClient, other_client: TestClient, session: Session, owner: BusinessId,
        acc: OfficialAccount) -> None:
    login(client, owner.email)
    created = form(client, f"/console/accounts/{acc.id}/invitations", {"role": "operator_no_insights"})
    assert created.status_code == 201
    assert "shown only this once" in created.text and "Operator (no insights)" in created.text
    url = created.text.split('id="invite-url" type="text" readonly value="', 1)[1].split('"', 1)[0]
    assert url.startswith("http://testserver/console/invitations/")
    members_page = client.get(f"/console/accounts/{acc.id}/members").text
    assert "Not used yet" in members_page
    assert url not in members_page  # only the hash is kept

    path = url.removeprefix("http://testserver")
    anonymous = other_client.get(path, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == f"/console/login?next={path}"
    joiner = factories.business(session, name="Joiner")
    back = form(other_client, "/console/login", {"email": joiner.email, "password": factories.PASSWORD,
                                                 "next": path})
    assert back.headers["location"] == path
    landing = other_client.get(path)
    assert landing.status_code == 200
    assert "Cafe Aroi" in landing.text and "Operator (no insights)" in landing.text
    preview = other_client.get(f"/console/api/invitations/{token_of(url)}").json()
    assert preview["role"] == "operator_no_insights" and preview["account"]["id"] == acc.id

    accepted = form(other_client, path, {})
    assert accepted.status_code == 303 and accepted.headers["location"] == "/console?notice=joined"
    assert "You joined the account." in other_client.get(accepted.headers["location"]).text
    assert _role(session, acc, joiner) == "operator_no_insights"
    assert other_client.get(f"/console/accounts/{acc.id}").status_code == 200

    reused = other_client.get(path)
    assert reused.status_code == 400 and "not valid or was already used" in reused.text
    stranger = factories.business(session, name="Late")
    login(other_client, stranger.email)
    again = form(other_client, path, {})
    assert again.status_code == 400 and "already used" in again.text
    api_again = other_client.post(f"/console/api/invitations/{token_of(url)}/accept")
    assert api_again.status_code == 400 and api_again.json()["details"][0]["property"] == "token"
    assert _role(session, acc, stranger) is None


def test_r_acc_04_api_invite_and_accept(client: TestClient, other_client: TestClient, session: Session,
                                        owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    invited = client.post(f"/console/api/accounts/{acc.id}/invitations", json={"role": "chat_operator"})
    assert invited.status_code == 201
    body = invited.json()
    assert body["role"] == "chat_operator" and body["url"] and body["used"] is False
    listed = client.get(f"/console/api/accounts/{acc.id}/invitations").json()
    assert [(i["id"], i["url"]) for i in listed] == [(body["id"], None)]
    joiner = factories.business(session)
    login(other_client, joiner.email)
    joined = other_client.post(f"/console/api/invitations/{token_of(body['url'])}/accept")
    assert joined.status_code == 200 and joined.json()["id"] == acc.id
    assert _role(session, acc, joiner) == "chat_operator"
    assert client.get(f"/console/api/accounts/{acc.id}/invitations").json()[0]["used"] is True


def test_r_acc_04_expired_invitation_is_refused_and_writes_nothing(client: TestClient, session: Session,
                                                                   owner: BusinessId, acc: OfficialAccount,
                                                                   clock) -> None:  # type: ignore[no-untyped-def]
    token = invite_token(session, acc, owner, "operator")
    joiner = factories.business(session)
    clock.advance(days=8)
    login(client, joiner.email)
    page = client.get(f"/console/invitations/{token}")
    assert page.status_code == 400 and "This invitation link has expired." in page.text
    assert form(client, f"/console/invitations/{token}", {}).status_code == 400
    api = client.post(f"/console/api/invitations/{token}/accept")
    assert api.status_code == 400 and "expired" in api.json()["message"]
    assert client.get(f"/console/api/invitations/{token}").status_code == 400
    assert _role(session, acc, joiner) is None


def test_accepting_twice_as_a_member_is_a_conflict(client: TestClient, session: Session, owner: BusinessId,
                                                   acc: OfficialAccount) -> None:
    token = invite_token(session, acc, owner, "operator")
    login(client, owner.email)
    response = form(client, f"/console/invitations/{token}", {})
    assert response.status_code == 409 and "already a member" in response.text
    assert _role(session, acc, owner) == "admin"


def test_invite_with_unknown_role_is_refused_next_to_the_field(client: TestClient, session: Session,
                                                                owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    response = form(client, f"/console/accounts/{acc.id}/invitations", {"role": "owner"})
    assert response.status_code == 400 and 'id="f-role-error"' in response.text
    assert client.post(f"/console/api/accounts/{acc.id}/invitations", json={"role": "boss"}).status_code == 400
    assert _invitations(session, acc) == 0


def test_r_acc_04_admin_changes_roles_and_removes_members(client: TestClient, session: Session,
                                                          owner: BusinessId, acc: OfficialAccount) -> None:
    first = member(session, acc, owner, "operator", name="First")
    second = member(session, acc, owner, "chat_operator", name="Second")
    login(client, owner.email)
    changed = form(client, f"/console/accounts/{acc.id}/members/{first.id}/role", {"role": "admin"})
    assert changed.status_code == 303
    assert "role was changed." in client.get(changed.headers["location"]).text
    assert client.put(f"/console/api/accounts/{acc.id}/members/{second.id}",
                      json={"role": "operator_no_broadcasts"}).status_code == 204
    removed = form(client, f"/console/accounts/{acc.id}/members/{first.id}/remove", {})
    assert removed.headers["location"] == f"/console/accounts/{acc.id}/members?notice=member-removed"
    assert client.delete(f"/console/api/accounts/{acc.id}/members/{second.id}").status_code == 204
    assert _role(session, acc, first) is None and _role(session, acc, second) is None
    assert client.delete(f"/console/api/accounts/{acc.id}/members/{second.id}").status_code == 404


def test_r_acc_04_the_last_admin_stays(client: TestClient, session: Session, owner: BusinessId,
                                       acc: OfficialAccount) -> None:
    login(client, owner.email)
    demote = form(client, f"/console/accounts/{acc.id}/members/{owner.id}/role", {"role": "operator"})
    assert demote.status_code == 400 and "The account needs at least one admin." in demote.text
    leave = client.delete(f"/console/api/accounts/{acc.id}/members/{owner.id}")
    assert leave.status_code == 400 and leave.json()["message"] == "The last admin cannot be removed."
    assert _role(session, acc, owner) == "admin"


def test_an_admin_who_leaves_goes_back_to_the_list(client: TestClient, session: Session, owner: BusinessId,
                                                   acc: OfficialAccount) -> None:
    second_admin = member(session, acc, owner, "admin")
    login(client, second_admin.email)
    left = form(client, f"/console/accounts/{acc.id}/members/{second_admin.id}/remove", {})
    assert left.headers["location"] == "/console?notice=member-removed"
    assert client.get(f"/console/accounts/{acc.id}/members").status_code == 404
