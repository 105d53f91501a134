"""The console's webhook page over HTTP: the URL and switches, "Verify" against a real bot on
loopback, and the log of failed deliveries. Admins only (R-ACC-04); the JSON twins answer
the same and refuse the same."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.channels import service as channels
from openoa.channels.models import Channel
from openoa.core.access import BusinessActor
from openoa.core.jobs import run_due_jobs
from openoa.webhooks import jobs as _jobs  # noqa: F401  (registers webhooks.deliver)
from tests import factories
from tests.web.console.conftest import NON_ADMIN_ROLES, form, login, member
from tests.webhooks.receiver import Receiver, closed_port_url

REFUSAL = "Only admins can see and change the Messaging API settings."


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bot = Receiver().start()
    yield bot
    bot.stop()


def _page(account: OfficialAccount) -> str:
    return f"/console/accounts/{account.id}/webhook"


def _api(account: OfficialAccount) -> str:
    return f"/console/api/accounts/{account.id}/webhook"


def _stored(session: Session, account: OfficialAccount) -> Channel:
    session.expire_all()
    return channels.channel_of(session, account.id)


# ---------------------------------------------------------------- anonymous and outsiders first

def test_anonymous_cannot_reach_the_webhook_settings(client: TestClient, session: Session,
                                                     acc: OfficialAccount) -> None:
    page = client.get(_page(acc), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == f"/console/login?next={_page(acc)}"
    for path in ("", "/verify"):
        posted = form(client, _page(acc) + path, {"webhook_url": "https://evil.example.com/"})
        assert posted.status_code == 303 and posted.headers["location"].startswith("/console/login")
    assert client.get(_api(acc)).status_code == 401
    assert client.patch(_api(acc), json={"webhook_url": "https://evil.example.com/"}).status_code == 401
    assert client.post(_api(acc) + "/verify").status_code == 401
    assert _stored(session, acc).webhook_url is None


def test_a_non_member_gets_not_found(client: TestClient, session: Session, acc: OfficialAccount,
                                     outsider: BusinessId) -> None:
    login(client, outsider.email)
    assert client.get(_page(acc)).status_code == 404
    assert form(client, _page(acc), {"webhook_url": "https://evil.example.com/", "use_webhook": "on"}
                ).status_code == 404
    assert client.patch(_api(acc), json={"webhook_url": "https://evil.example.com/"}).status_code == 404
    assert client.post(_api(acc) + "/verify").status_code == 404
    assert _stored(session, acc).webhook_url is None


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_only_admins_open_the_webhook_settings(client: TestClient, session: Session, owner: BusinessId,
                                                        acc: OfficialAccount, role: str) -> None:
    login(client, member(session, acc, owner, role).email)
    page = client.get(_page(acc))
    assert page.status_code == 403 and REFUSAL in page.text
    assert form(client, _page(acc), {"webhook_url": "https://evil.example.com/"}).status_code == 403
    assert form(client, _page(acc) + "/verify", {}).status_code == 403
    assert client.get(_api(acc)).json()["message"] == REFUSAL
    assert client.patch(_api(acc), json={"use_webhook": True}).status_code == 403
    assert client.post(_api(acc) + "/verify").status_code == 403
    assert _stored(session, acc).webhook_url is None


# ---------------------------------------------------------------- the admin's page

def test_admin_saves_the_url_and_switches(client: TestClient, session: Session, owner: BusinessId,
                                          acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = client.get(_page(acc))
    assert page.status_code == 200
    assert "<h1>Webhook</h1>" in page.text and "No failed deliveries" in page.text
    assert "Chat mode" in page.text  # a new account answers chats itself (R-CHT-01)
    saved = form(client, _page(acc), {"webhook_url": "https://bot.example.com/callback", "use_webhook": "on",
                                      "webhook_redelivery": "on"})
    assert saved.status_code == 303 and saved.headers["location"] == _page(acc) + "?notice=saved"
    channel = _stored(session, acc)
    assert (channel.webhook_url, channel.use_webhook, channel.webhook_redelivery) == \
        ("https://bot.example.com/callback", True, True)
    shown = client.get(saved.headers["location"]).text
    assert 'value="https://bot.example.com/callback"' in shown
    assert re.search(r'id="f-use_webhook"[^>]*checked', shown)
    # Unchecked switches are sent as nothing: the form turns them off.
    form(client, _page(acc), {"webhook_url": "https://bot.example.com/callback"})
    channel = _stored(session, acc)
    assert (channel.use_webhook, channel.webhook_redelivery) == (False, False)


def test_a_bad_url_is_shown_next_to_its_field_and_nothing_is_saved(client: TestClient, session: Session,
                                                                    owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    answer = form(client, _page(acc), {"webhook_url": "http://bot.example.com/callback", "use_webhook": "on"})
    assert answer.status_code == 400
    assert re.search(r'id="f-webhook_url"[^>]*aria-invalid="true"', answer.text)
    assert 'id="f-webhook_url-error"' in answer.text and "https://" in answer.text
    assert 'value="http://bot.example.com/callback"' in answer.text  # what they typed is kept
    channel = _stored(session, acc)
    assert (channel.webhook_url, channel.use_webhook) == (None, False)
    api = client.patch(_api(acc), json={"webhook_url": "ftp://bot.example.com/"})
    assert api.status_code == 400 and api.json()["details"][0]["property"] == "webhook_url"


def test_bot_mode_with_a_url_says_events_go_out(client: TestClient, session: Session, owner: BusinessId,
                                                acc: OfficialAccount) -> None:
    channels.set_response_mode(session, BusinessActor(owner.id), acc.id, "bot")
    login(client, owner.email)
    client.patch(_api(acc), json={"webhook_url": "https://bot.example.com/callback"})
    body = client.get(_api(acc)).json()
    assert body["response_mode"] == "bot" and body["use_webhook"] is True and body["webhooks_go_out"] is True
    assert "Events are being sent" in client.get(_page(acc)).text


def test_verify_shows_what_the_bot_answered(client: TestClient, session: Session, owner: BusinessId,
                                            acc: OfficialAccount, receiver: Receiver) -> None:
    receiver.secret = _stored(session, acc).channel_secret
    login(client, owner.email)
    form(client, _page(acc), {"webhook_url": receiver.url, "use_webhook": "on"})
    ok = form(client, _page(acc) + "/verify", {})
    assert ok.status_code == 200 and "Success." in ok.text and "status code 200" in ok.text
    receiver.answers = [(404, 0)]
    failed = form(client, _page(acc) + "/verify", {})
    assert "Failed: ERROR_STATUS_CODE" in failed.text and "status code 404" in failed.text
    assert len(receiver.received) == 2 and all(r.signature_ok and r.events == [] for r in receiver.received)
    api = client.post(_api(acc) + "/verify").json()
    assert (api["success"], api["statusCode"], api["reason"]) == (True, 200, "OK")


def test_verify_without_a_saved_url_asks_for_one(client: TestClient, owner: BusinessId,
                                                 acc: OfficialAccount) -> None:
    login(client, owner.email)
    answer = form(client, _page(acc) + "/verify", {})
    assert answer.status_code == 409
    assert re.search(r'id="f-webhook_url"[^>]*aria-invalid="true"', answer.text)
    assert "Save a webhook URL first" in answer.text
    assert client.post(_api(acc) + "/verify").json()["details"][0]["property"] == "webhook_url"


def test_failed_deliveries_are_listed_with_their_reason(client: TestClient, db, session: Session,
                                                        owner: BusinessId, acc: OfficialAccount) -> None:
    channels.set_response_mode(session, BusinessActor(owner.id), acc.id, "bot")
    login(client, owner.email)
    client.patch(_api(acc), json={"webhook_url": closed_port_url()})
    factories.friend(session, factories.person(session), acc)
    session.flush()
    run_due_jobs(db)
    [failure] = client.get(_api(acc)).json()["failures"]
    assert (failure["event_type"], failure["reason"], failure["attempt"]) == ("follow", "could_not_connect", 1)
    assert len(failure["webhook_event_id"]) == 26 and failure["status_code"] is None
    page = client.get(_page(acc)).text
    assert "Could not connect" in page and failure["webhook_event_id"] in page
    assert "No failed deliveries" not in page
