"""The access matrix (R-ACC-04): through every account route of the Manager console, a member
of another account gets 404 (never learning the account exists) and each role is refused
exactly what its permissions withhold. A guard fails when a new account route is added
without being listed here."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from openoa.accounts.rules import Permission, Role, role_allows
from openoa.billing import service as billing
from openoa.core.access import BusinessActor
from openoa.web.app import create_app  # noqa: F401  (the app fixture builds it)
from tests import factories
from tests.api.assertion_keys import public_jwk_json
from tests.web.console.conftest import login, member

P = Permission
PERIOD = "202601"  # FakeClock starts on 2026-01-15
# (method, path, permission, kind of body). {a} = account id, {m} = a member's Business ID,
# {p} = a billing month (YYYYMM): the one the test's clock is in.
ACCOUNT_ROUTES: list[tuple[str, str, Permission, str]] = [
    ("GET", "/console/accounts/{a}", P.HOME, "none"),
    ("GET", "/console/api/accounts/{a}", P.HOME, "none"),
    ("GET", "/console/accounts/{a}/qr.png", P.HOME, "none"),
    ("GET", "/console/accounts/{a}/qr.svg", P.HOME, "none"),
    ("GET", "/console/accounts/{a}/settings", P.SETTINGS, "none"),
    ("POST", "/console/accounts/{a}/settings", P.SETTINGS, "settings_form"),
    ("GET", "/console/api/accounts/{a}/settings", P.SETTINGS, "none"),
    ("PATCH", "/console/api/accounts/{a}", P.SETTINGS, "settings_json"),
    ("POST", "/console/api/accounts/{a}/image", P.SETTINGS, "image"),
    ("POST", "/console/accounts/{a}/verification", P.VERIFICATION, "verification_form"),
    ("POST", "/console/api/accounts/{a}/verification", P.VERIFICATION, "verification_json"),
    ("GET", "/console/api/accounts/{a}/verification", P.SETTINGS, "none"),
    ("GET", "/console/accounts/{a}/members", P.MEMBERS, "none"),
    ("POST", "/console/accounts/{a}/invitations", P.MEMBERS, "role_form"),
    ("POST", "/console/accounts/{a}/members/{m}/role", P.MEMBERS, "role_form"),
    ("POST", "/console/accounts/{a}/members/{m}/remove", P.MEMBERS, "form"),
    ("GET", "/console/api/accounts/{a}/members", P.MEMBERS, "none"),
    ("POST", "/console/api/accounts/{a}/members", P.MEMBERS, "role_json"),
    ("PUT", "/console/api/accounts/{a}/members/{m}", P.MEMBERS, "role_json"),
    ("DELETE", "/console/api/accounts/{a}/members/{m}", P.MEMBERS, "none"),
    ("GET", "/console/api/accounts/{a}/invitations", P.MEMBERS, "none"),
    ("POST", "/console/api/accounts/{a}/invitations", P.MEMBERS, "role_json"),
    ("GET", "/console/accounts/{a}/messaging-api", P.MESSAGING_API, "none"),
    ("POST", "/console/accounts/{a}/messaging-api/token", P.MESSAGING_API, "form"),
    ("POST", "/console/accounts/{a}/messaging-api/secret", P.MESSAGING_API, "form"),
    ("POST", "/console/accounts/{a}/messaging-api/response-mode", P.MESSAGING_API, "response_mode_form"),
    ("POST", "/console/accounts/{a}/messaging-api/group-chats", P.MESSAGING_API, "group_chats_form"),
    ("GET", "/console/api/accounts/{a}/channel", P.MESSAGING_API, "none"),
    ("POST", "/console/api/accounts/{a}/channel/token", P.MESSAGING_API, "none"),
    ("POST", "/console/api/accounts/{a}/channel/secret", P.MESSAGING_API, "none"),
    ("PUT", "/console/api/accounts/{a}/channel/response-mode", P.MESSAGING_API, "response_mode_json"),
    ("PUT", "/console/api/accounts/{a}/channel/group-chats", P.MESSAGING_API, "group_chats_json"),
    ("GET", "/console/accounts/{a}/webhook", P.MESSAGING_API, "none"),
    ("POST", "/console/accounts/{a}/webhook", P.MESSAGING_API, "form"),
    ("POST", "/console/accounts/{a}/webhook/verify", P.MESSAGING_API, "form"),
    ("GET", "/console/api/accounts/{a}/webhook", P.MESSAGING_API, "none"),
    ("PATCH", "/console/api/accounts/{a}/webhook", P.MESSAGING_API, "settings_json"),
    ("POST", "/console/api/accounts/{a}/webhook/verify", P.MESSAGING_API, "none"),
    ("POST", "/console/api/accounts/{a}/channel/assertion-keys", P.MESSAGING_API, "assertion_key_json"),
    ("GET", "/console/accounts/{a}/broadcasts", P.BROADCASTS, "none"),
    ("POST", "/console/accounts/{a}/broadcasts", P.BROADCASTS, "broadcast_form"),
    ("GET", "/console/api/accounts/{a}/broadcasts", P.BROADCASTS, "none"),
    ("POST", "/console/api/accounts/{a}/broadcasts", P.BROADCASTS, "broadcast_json"),
    ("GET", "/console/accounts/{a}/billing", P.BILLING, "none"),
    ("POST", "/console/accounts/{a}/billing/package", P.BILLING, "package_form"),
    ("POST", "/console/accounts/{a}/billing/limit", P.BILLING, "limit_form"),
    ("GET", "/console/api/accounts/{a}/billing", P.BILLING, "none"),
    ("GET", "/console/accounts/{a}/billing/invoices/{p}", P.BILLING, "none"),
    ("GET", "/console/api/accounts/{a}/billing/invoices/{p}", P.BILLING, "none"),
    ("PUT", "/console/api/accounts/{a}/billing/package", P.BILLING, "package_json"),
    ("PUT", "/console/api/accounts/{a}/billing/additional-limit", P.BILLING, "limit_json"),
]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "red").save(out, format="PNG")
    return out.getvalue()


def _call(client, method: str, path: str, kind: str):  # type: ignore[no-untyped-def]
    kwargs: dict = {"follow_redirects": False}
    token = client.headers["X-CSRF-Token"]
    if kind == "settings_form":
        kwargs["data"] = {"csrf_token": token, "display_name": "Renamed", "status_message": "hi"}
    elif kind == "settings_json":
        kwargs["json"] = {"display_name": "Renamed"}
    elif kind == "image":
        kwargs["files"] = {"image": ("a.png", _png(), "image/png")}
    elif kind == "verification_form":
        kwargs["data"] = {"csrf_token": token, "applicant_name": "Nok", "applicant_email": "nok@example.com",
                          "business_name": "Aroi Co., Ltd."}
    elif kind == "verification_json":
        kwargs["json"] = {"applicant_name": "Nok", "applicant_email": "nok@example.com",
                          "business_name": "Aroi Co., Ltd."}
    elif kind == "role_form":
        kwargs["data"] = {"csrf_token": token, "role": "operator"}
    elif kind == "role_json":
        kwargs["json"] = {"role": "operator"}
    elif kind == "form":
        kwargs["data"] = {"csrf_token": token}
    elif kind == "response_mode_form":
        kwargs["data"] = {"csrf_token": token, "response_mode": "bot"}
    elif kind == "response_mode_json":
        kwargs["json"] = {"response_mode": "bot"}
    elif kind == "group_chats_form":
        kwargs["data"] = {"csrf_token": token}  # the switch left off
    elif kind == "group_chats_json":
        kwargs["json"] = {"join_group_chats": False}
    elif kind == "broadcast_form":
        kwargs["data"] = {"csrf_token": token, "text": "Hello"}
    elif kind == "broadcast_json":
        kwargs["json"] = {"text": "Hello"}
    elif kind == "package_form":
        kwargs["data"] = {"csrf_token": token, "package": "pro"}
    elif kind == "package_json":
        kwargs["json"] = {"package": "pro"}
    elif kind == "limit_form":
        kwargs["data"] = {"csrf_token": token, "additional_limit": "10"}
    elif kind == "limit_json":
        kwargs["json"] = {"additional_limit": 10}
    elif kind == "assertion_key_json":
        kwargs["json"] = {"public_key": public_jwk_json()}
    return client.request(method, path, **kwargs)


def _account_routes_in_app(app) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    def walk(routes):  # type: ignore[no-untyped-def]
        for r in routes:
            if hasattr(r, "methods") and hasattr(r, "path"):
                for m in r.methods:
                    yield m, r.path
            elif hasattr(r, "original_router"):
                yield from walk(r.original_router.routes)
            elif hasattr(r, "routes"):
                yield from walk(r.routes)

    found = set()
    for method, path in walk(app.router.routes):
        if path.startswith("/console") and "{account_id}" in path and method != "HEAD":
            found.add((method, path.replace("{account_id}", "{a}").replace("{business_id}", "{m}")
                      .replace("{period}", "{p}")))
    return found


def test_r_acc_04_every_account_route_is_in_the_matrix(app):
    listed = {(m, p) for m, p, _, _ in ACCOUNT_ROUTES}
    assert _account_routes_in_app(app) == listed


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """Account B with an admin, a member of every other role and a victim to act on; and
    account A whose admin is the outsider."""
    owner = factories.business(session, name="B Owner")
    b = factories.account(session, owner, name="Shop B")
    billing.change_package(session, BusinessActor(owner.id), b.id, "basic")  # so an admin may set a limit
    roles = {Role.ADMIN: owner}
    for role in Role:
        if role != Role.ADMIN:
            roles[role] = member(session, b, owner, role, name=f"B {role.value}"[:50])
    victim = member(session, b, owner, Role.OPERATOR, name="B victim")
    outsider = factories.business(session, name="A Owner")
    a = factories.account(session, outsider, name="Shop A")
    session.flush()
    return {"b": b, "a": a, "roles": roles, "victim": victim, "outsider": outsider}


@pytest.mark.parametrize("method,path,permission,kind", ACCOUNT_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ACCOUNT_ROUTES])
def test_r_acc_04_member_of_another_account_gets_not_found(client, world, method, path, permission, kind):
    login(client, world["outsider"].email)
    target = path.format(a=world["b"].id, m=world["victim"].id, p=PERIOD)
    answer = _call(client, method, target, kind)
    assert answer.status_code == 404, (target, answer.status_code, answer.text[:200])
    missing = _call(client, method, path.format(a=999_999, m=world["victim"].id, p=PERIOD), kind)
    assert missing.status_code == 404
    if target.startswith("/console/api/"):
        assert answer.json() == missing.json()  # the same body: existence never leaks
    else:
        assert "Shop B" not in answer.text


@pytest.mark.parametrize("method,path,permission,kind", ACCOUNT_ROUTES,
                         ids=[f"{m} {p}" for m, p, _, _ in ACCOUNT_ROUTES])
def test_r_acc_04_each_role_gets_exactly_its_permissions(client, world, method, path, permission, kind):
    target = path.format(a=world["b"].id, m=world["victim"].id, p=PERIOD)
    # Admin last: its allowed call may remove the victim the other roles aim at.
    for role in [r for r in Role if r != Role.ADMIN] + [Role.ADMIN]:
        client.cookies.delete("oa_console")
        login(client, world["roles"][role].email)
        answer = _call(client, method, target, kind)
        if role_allows(role, permission):
            assert answer.status_code < 400 or answer.status_code == 409, (role, target, answer.text[:300])
        else:
            assert answer.status_code == 403, (role, target, answer.status_code)
            assert re.search(r"role|admin", answer.text, re.I)


def test_r_acc_04_staff_routes_refuse_console_and_chat_app_sessions(client, world, session):
    login(client, world["roles"][Role.ADMIN].email)
    person = factories.person(session)
    session.flush()
    client.post("/app/api/login", json={"email": person.email, "password": factories.PASSWORD})
    assert client.get("/staff/api/applications").status_code == 401
    assert client.post(f"/staff/api/accounts/{world['b'].id}/premium").status_code == 401
    assert client.put(f"/staff/api/accounts/{world['b'].id}/ceiling",
                      json={"additional_limit_ceiling": 10**6}).status_code == 401
    page = client.get("/staff", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/staff/login")


def test_r_frd_04_a_person_cannot_block_an_account_they_did_not_add(client, world, session):
    person = factories.person(session)
    session.flush()
    client.post("/app/api/login", json={"email": person.email, "password": factories.PASSWORD})
    answer = client.post(f"/app/api/friends/{world['b'].id}/block")
    nowhere = client.post("/app/api/friends/999999/block")
    assert answer.status_code == nowhere.status_code == 400
    assert answer.json() == nowhere.json()
