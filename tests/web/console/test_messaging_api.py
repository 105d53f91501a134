"""The console's Messaging API page over HTTP: channel credentials, the long-lived token shown
once, the secret reissued after a confirmation, and the response mode (R-CHT-01). Admins only
(R-ACC-04); the JSON twins answer the same and refuse the same."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.channels import service as channels
from openoa.channels.models import Channel
from openoa.core.access import SYSTEM
from openoa.core.errors import Unauthenticated
from tests.web.console.conftest import NON_ADMIN_ROLES, form, login, member

REFUSAL = "Only admins can see and change the Messaging API settings."


def _page(account: OfficialAccount) -> str:
    return f"/console/accounts/{account.id}/messaging-api"


def _api(account: OfficialAccount) -> str:
    return f"/console/api/accounts/{account.id}/channel"


def _stored(session: Session, account: OfficialAccount) -> Channel:
    session.expire_all()
    return channels.channel_of(session, account.id)


def _authenticates(session: Session, token: str) -> bool:
    try:
        channels.authenticate_bearer(session, f"Bearer {token}")
    except Unauthenticated:
        return False
    return True


def _shown_token(html: str) -> str:
    match = re.search(r'<textarea id="issued-token"[^>]*>([^<]+)</textarea>', html)
    assert match, "the issued token is on the page"
    return match.group(1).strip()


# ---------------------------------------------------------------- anonymous and outsiders first

def test_anonymous_cannot_reach_messaging_api(client: TestClient, session: Session, acc: OfficialAccount) -> None:
    before = channels.channel_out(_stored(session, acc))
    page = client.get(_page(acc), follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == f"/console/login?next={_page(acc)}"
    for path in ("token", "secret", "response-mode"):
        posted = form(client, f"{_page(acc)}/{path}", {"confirm": "yes", "response_mode": "bot"})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/console/login")
    assert client.get(_api(acc)).status_code == 401
    assert client.post(f"{_api(acc)}/token").status_code == 401
    assert client.post(f"{_api(acc)}/secret").status_code == 401
    assert client.put(f"{_api(acc)}/response-mode", json={"response_mode": "bot"}).status_code == 401
    assert channels.channel_out(_stored(session, acc)) == before


def test_r_acc_04_non_member_gets_not_found(client: TestClient, session: Session, acc: OfficialAccount,
                                            outsider: BusinessId) -> None:
    before = channels.channel_out(_stored(session, acc))
    login(client, outsider.email)
    assert client.get(_page(acc)).status_code == 404
    for path in ("token", "secret", "response-mode"):
        assert form(client, f"{_page(acc)}/{path}", {"confirm": "yes", "response_mode": "bot"}).status_code == 404
    missing = client.get("/console/api/accounts/999999/channel")
    answer = client.get(_api(acc))
    assert answer.status_code == missing.status_code == 404 and answer.json() == missing.json()
    assert client.post(f"{_api(acc)}/token").status_code == 404
    assert client.post(f"{_api(acc)}/secret").status_code == 404
    assert client.put(f"{_api(acc)}/response-mode", json={"response_mode": "bot"}).status_code == 404
    assert "Cafe Aroi" not in client.get(_page(acc)).text
    assert channels.channel_out(_stored(session, acc)) == before


# ---------------------------------------------------------------- role refusals (R-ACC-04)

@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_only_admins_open_messaging_api(client: TestClient, session: Session, owner: BusinessId,
                                                 acc: OfficialAccount, role: str) -> None:
    secret = _stored(session, acc).channel_secret
    bid = member(session, acc, owner, role)
    login(client, bid.email)
    page = client.get(_page(acc))
    assert page.status_code == 403 and REFUSAL in page.text
    assert secret not in page.text
    api = client.get(_api(acc))
    assert api.status_code == 403 and api.json()["message"] == REFUSAL
    for path in ("token", "secret", "response-mode"):
        refused = form(client, f"{_page(acc)}/{path}", {"confirm": "yes", "response_mode": "bot"})
        assert refused.status_code == 403 and REFUSAL in refused.text
    for answer in (client.post(f"{_api(acc)}/token"), client.post(f"{_api(acc)}/secret"),
                   client.put(f"{_api(acc)}/response-mode", json={"response_mode": "bot"})):
        assert answer.status_code == 403 and answer.json()["message"] == REFUSAL
    stored = _stored(session, acc)
    assert (stored.channel_secret, stored.response_mode) == (secret, "chat")
    assert channels.messaging_api_settings(session, SYSTEM, acc.id).long_lived_token_issued_at is None


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_nav_shows_messaging_api_to_admins_only(client: TestClient, session: Session, owner: BusinessId,
                                                         acc: OfficialAccount, role: str) -> None:
    bid = member(session, acc, owner, role)
    login(client, bid.email)
    if role != "chat_operator":  # a chat operator has no account pages with the nav
        assert _page(acc) not in client.get(f"/console/accounts/{acc.id}").text
    client.cookies.delete("oa_console")
    login(client, owner.email)
    assert f'href="{_page(acc)}"' in client.get(f"/console/accounts/{acc.id}").text


# ---------------------------------------------------------------- admins see the credentials

def test_admin_sees_channel_id_bot_user_id_and_secret(client: TestClient, session: Session, owner: BusinessId,
                                                      acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(_page(acc))
    assert page.status_code == 200
    stored = _stored(session, acc)
    assert re.fullmatch(r"[1-9][0-9]{9}", stored.channel_id)
    assert f'id="channel-id" type="text" readonly value="{stored.channel_id}"' in page.text
    assert f'id="bot-user-id" type="text" readonly value="{stored.bot_user_id}"' in page.text
    assert f'id="channel-secret" type="text" readonly value="{stored.channel_secret}"' in page.text
    assert 'aria-current="page">Messaging API</a>' in page.text
    assert f'href="/console/accounts/{acc.id}/webhook"' in page.text
    assert "No long-lived token has been issued yet." in page.text
    api = client.get(_api(acc)).json()
    assert (api["channel_id"], api["channel_secret"], api["bot_user_id"], api["response_mode"]) == (
        stored.channel_id, stored.channel_secret, stored.bot_user_id, "chat")
    assert api["account_id"] == acc.id and api["use_webhook"] is False


# ---------------------------------------------------------------- long-lived token

def test_token_is_shown_once_and_a_reissue_revokes_the_previous_one(client: TestClient, session: Session,
                                                                    owner: BusinessId,
                                                                    acc: OfficialAccount) -> None:
    login(client, owner.email)
    issued = form(client, f"{_page(acc)}/token", {"confirm": "yes"})
    assert issued.status_code == 201
    first = _shown_token(issued.text)
    assert "shown only this once" in issued.text and "only its hash" in issued.text
    assert _authenticates(session, first)

    later = client.get(_page(acc))
    assert first not in later.text and 'id="issued-token"' not in later.text
    assert "Current token issued" in later.text and ">Reissue<span" in later.text

    # Reissue asks first; the question alone changes nothing.
    asked = form(client, f"{_page(acc)}/token", {})
    assert asked.status_code == 200 and "Reissue the channel access token?" in asked.text
    assert 'id="issued-token"' not in asked.text and _authenticates(session, first)

    again = form(client, f"{_page(acc)}/token", {"confirm": "yes"})
    second = _shown_token(again.text)
    assert second != first
    assert _authenticates(session, second) and not _authenticates(session, first)


def test_api_issues_a_token_that_authenticates_and_revokes_the_one_before(client: TestClient, session: Session,
                                                                          owner: BusinessId,
                                                                          acc: OfficialAccount) -> None:
    login(client, owner.email)
    first = client.post(f"{_api(acc)}/token")
    assert first.status_code == 201
    token = first.json()["access_token"]
    context = channels.authenticate_bearer(session, f"Bearer {token}")
    assert context.account_id == acc.id and context.token_kind == "long_lived"
    second = client.post(f"{_api(acc)}/token").json()["access_token"]
    assert _authenticates(session, second) and not _authenticates(session, token)
    assert token not in client.get(_api(acc)).text


# ---------------------------------------------------------------- channel secret

def test_secret_reissue_asks_for_confirmation_then_changes_it(client: TestClient, session: Session,
                                                              owner: BusinessId, acc: OfficialAccount) -> None:
    old = _stored(session, acc).channel_secret
    login(client, owner.email)
    asked = form(client, f"{_page(acc)}/secret", {})
    assert asked.status_code == 200 and "Reissue the channel secret?" in asked.text
    assert 'name="confirm" value="yes"' in asked.text
    assert _stored(session, acc).channel_secret == old

    done = form(client, f"{_page(acc)}/secret", {"confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == f"{_page(acc)}?notice=secret-reissued#secret"
    new = _stored(session, acc).channel_secret
    assert new != old and re.fullmatch(r"[0-9a-f]{32}", new)
    shown = client.get(done.headers["location"])
    assert "A new channel secret was issued." in shown.text and new in shown.text and old not in shown.text


def test_api_reissues_the_secret(client: TestClient, session: Session, owner: BusinessId,
                                 acc: OfficialAccount) -> None:
    old = _stored(session, acc).channel_secret
    login(client, owner.email)
    answer = client.post(f"{_api(acc)}/secret")
    assert answer.status_code == 200
    new = answer.json()["channel_secret"]
    assert new != old and _stored(session, acc).channel_secret == new


# ---------------------------------------------------------------- response mode (R-CHT-01)

def test_r_cht_01_page_explains_chat_or_bot_never_both(client: TestClient, owner: BusinessId,
                                                       acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(_page(acc)).text
    assert "never both" in page
    assert 'id="f-response_mode-chat" name="response_mode" value="chat"' in page
    assert re.search(r'id="f-response_mode-chat"[^>]*checked', page)
    assert not re.search(r'id="f-response_mode-bot"[^>]*checked', page)
    assert "messages, follows, blocks and postbacks become webhook events" in page
    assert "turns on &#34;Use webhook&#34;" in page or 'turns on "Use webhook"' in page


def test_r_cht_01_switching_to_bot_turns_use_webhook_on(client: TestClient, session: Session, owner: BusinessId,
                                                        acc: OfficialAccount) -> None:
    login(client, owner.email)
    saved = form(client, f"{_page(acc)}/response-mode", {"response_mode": "bot"})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{_page(acc)}?notice=saved#response-mode"
    stored = _stored(session, acc)
    assert (stored.response_mode, stored.use_webhook) == ("bot", True)
    page = client.get(saved.headers["location"]).text
    assert "Your changes were saved." in page
    assert re.search(r'id="f-response_mode-bot"[^>]*checked', page)
    assert "Use webhook: <strong>On</strong>" in page

    back = form(client, f"{_page(acc)}/response-mode", {"response_mode": "chat"})
    assert back.status_code == 303 and _stored(session, acc).response_mode == "chat"


def test_r_cht_01_unknown_mode_is_refused_next_to_the_field(client: TestClient, session: Session,
                                                            owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    for bad in ("both", ""):
        refused = form(client, f"{_page(acc)}/response-mode", {"response_mode": bad})
        assert refused.status_code == 400
        assert re.search(r'<p class="error" id="f-response_mode-error" role="alert">Choose Chat or Bot.</p>',
                         refused.text)
        assert 'aria-invalid="true"' in refused.text
        assert not re.search(r'name="response_mode" value="\w+"[^>]*checked', refused.text)
    assert _stored(session, acc).response_mode == "chat"


def test_r_cht_01_api_switches_mode_and_refuses_unknown_ones(client: TestClient, session: Session,
                                                             owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    answer = client.put(f"{_api(acc)}/response-mode", json={"response_mode": "bot"})
    assert answer.status_code == 200
    assert (answer.json()["response_mode"], answer.json()["use_webhook"]) == ("bot", True)
    refused = client.put(f"{_api(acc)}/response-mode", json={"response_mode": "both"})
    assert refused.status_code == 400
    assert refused.json()["details"] == [{"message": "Choose Chat or Bot.", "property": "response_mode"}]
    missing = client.put(f"{_api(acc)}/response-mode", json={})
    assert missing.status_code == 400
    assert [d["property"] for d in missing.json()["details"]] == ["response_mode"]
    assert _stored(session, acc).response_mode == "bot"


# ---------------------------------------------------------------- CSRF

def test_forms_and_api_writes_without_the_csrf_token_are_refused(client: TestClient, session: Session,
                                                                 owner: BusinessId, acc: OfficialAccount) -> None:
    before = channels.channel_out(_stored(session, acc))
    login(client, owner.email)
    token = client.headers.pop("X-CSRF-Token")
    try:
        for path in ("token", "secret", "response-mode"):
            posted = client.post(f"{_page(acc)}/{path}", data={"confirm": "yes", "response_mode": "bot"},
                                 follow_redirects=False)
            assert posted.status_code == 403 and "The form expired" in posted.text
            forged = client.post(f"{_page(acc)}/{path}", follow_redirects=False,
                                 data={"csrf_token": "forged", "confirm": "yes", "response_mode": "bot"})
            assert forged.status_code == 403
        assert client.post(f"{_api(acc)}/token").status_code == 403
        assert client.post(f"{_api(acc)}/secret").status_code == 403
        assert client.put(f"{_api(acc)}/response-mode", json={"response_mode": "bot"}).status_code == 403
    finally:
        client.headers["X-CSRF-Token"] = token
    assert channels.channel_out(_stored(session, acc)) == before
    assert channels.messaging_api_settings(session, SYSTEM, acc.id).long_lived_token_issued_at is None


def test_channel_endpoints_are_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    base = "/console/api/accounts/{account_id}/channel"
    assert "get" in paths[base]
    assert "post" in paths[f"{base}/token"] and "post" in paths[f"{base}/secret"]
    assert "put" in paths[f"{base}/response-mode"]


# ---------------------------------------------------------------- group chats (R-CHT-02)

GROUP_CHATS_SWITCH = r'id="f-join_group_chats" name="join_group_chats" type="checkbox" role="switch"'


def _switched_on(html: str) -> bool:
    match = re.search(r'<input id="f-join_group_chats"[^>]*>', html)
    assert match, "the group chat switch is on the page"
    return " checked" in match.group(0)


def test_r_cht_02_group_chat_writes_refuse_anonymous_visitors_and_outsiders(client: TestClient, session: Session,
                                                                            acc: OfficialAccount,
                                                                            outsider: BusinessId) -> None:
    posted = form(client, f"{_page(acc)}/group-chats", {})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/console/login")
    assert client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": False}).status_code == 401
    login(client, outsider.email)
    assert form(client, f"{_page(acc)}/group-chats", {}).status_code == 404
    assert client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": False}).status_code == 404
    assert _stored(session, acc).join_group_chats is True


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_cht_02_only_admins_change_whether_the_account_joins_group_chats(client: TestClient, session: Session,
                                                                           owner: BusinessId, acc: OfficialAccount,
                                                                           role: str) -> None:
    login(client, member(session, acc, owner, role).email)
    refused = form(client, f"{_page(acc)}/group-chats", {})
    assert refused.status_code == 403 and REFUSAL in refused.text
    answer = client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": False})
    assert answer.status_code == 403 and answer.json()["message"] == REFUSAL
    assert _stored(session, acc).join_group_chats is True


def test_r_cht_02_page_shows_the_group_chat_switch_on_by_default(client: TestClient, owner: BusinessId,
                                                                 acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(_page(acc)).text
    assert GROUP_CHATS_SWITCH in page and _switched_on(page)
    assert '<label for="f-join_group_chats">Allow account to join group chats and multi-person chats</label>' in page
    assert "Turning it off refuses new invitations only: the account stays in the chats it is already in" in \
        " ".join(page.split())
    assert client.get(_api(acc)).json()["join_group_chats"] is True


def test_r_cht_02_the_group_chat_switch_round_trips_through_the_form(client: TestClient, session: Session,
                                                                     owner: BusinessId,
                                                                     acc: OfficialAccount) -> None:
    login(client, owner.email)
    off = form(client, f"{_page(acc)}/group-chats", {})  # an unchecked switch sends nothing
    assert off.status_code == 303
    assert off.headers["location"] == f"{_page(acc)}?notice=saved#group-chats"
    assert _stored(session, acc).join_group_chats is False
    page = client.get(off.headers["location"]).text
    assert "Your changes were saved." in page and not _switched_on(page)

    on = form(client, f"{_page(acc)}/group-chats", {"join_group_chats": "on"})
    assert on.status_code == 303 and _stored(session, acc).join_group_chats is True
    assert _switched_on(client.get(_page(acc)).text)


def test_r_cht_02_a_forged_switch_value_is_refused_next_to_the_field(client: TestClient, session: Session,
                                                                     owner: BusinessId,
                                                                     acc: OfficialAccount) -> None:
    login(client, owner.email)
    refused = form(client, f"{_page(acc)}/group-chats", {"join_group_chats": "maybe"})
    assert refused.status_code == 400
    assert re.search(r'<p class="error" id="f-join_group_chats-error" role="alert">Turn the switch on or off, '
                     r'then save.</p>', refused.text)
    assert re.search(r'<input id="f-join_group_chats"[^>]*aria-invalid="true"', refused.text)
    assert _switched_on(refused.text)  # still what is stored
    assert _stored(session, acc).join_group_chats is True


def test_r_cht_02_group_chat_form_and_api_without_the_csrf_token_are_refused(client: TestClient, session: Session,
                                                                             owner: BusinessId,
                                                                             acc: OfficialAccount) -> None:
    login(client, owner.email)
    token = client.headers.pop("X-CSRF-Token")
    try:
        posted = client.post(f"{_page(acc)}/group-chats", data={}, follow_redirects=False)
        assert posted.status_code == 403 and "The form expired" in posted.text
        forged = client.post(f"{_page(acc)}/group-chats", data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403
        assert client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": False}).status_code == 403
    finally:
        client.headers["X-CSRF-Token"] = token
    assert _stored(session, acc).join_group_chats is True


def test_r_cht_02_api_turns_group_chats_off_and_on(client: TestClient, session: Session, owner: BusinessId,
                                                   acc: OfficialAccount) -> None:
    login(client, owner.email)
    answer = client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": False})
    assert answer.status_code == 200 and answer.json()["join_group_chats"] is False
    assert _stored(session, acc).join_group_chats is False
    missing = client.put(f"{_api(acc)}/group-chats", json={})
    assert missing.status_code == 400
    assert [d["property"] for d in missing.json()["details"]] == ["join_group_chats"]
    assert client.put(f"{_api(acc)}/group-chats", json={"join_group_chats": True}).json()["join_group_chats"] is True
    assert "put" in client.get("/openapi.json").json()["paths"][
        "/console/api/accounts/{account_id}/channel/group-chats"]
