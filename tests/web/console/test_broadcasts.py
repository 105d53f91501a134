"""The console's Broadcasts page over HTTP: send now to every friend or a maximum volume, bad
input shown next to its field, a broadcast that does not fit refused with what is left and how to
get more (R-MSG-05), roles without broadcasts refused (R-ACC-04); the JSON twins the same."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.billing.models import MessageUsage
from openoa.messaging.models import Send
from tests.messaging.crowd import add_friends
from tests.web.console.conftest import form, login, member


def _page(account: OfficialAccount) -> str:
    return f"/console/accounts/{account.id}/broadcasts"


def _api(account: OfficialAccount) -> str:
    return f"/console/api/accounts/{account.id}/broadcasts"


def _sends(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Send)) or 0


def test_an_admin_broadcasts_and_sees_it_in_the_list(client: TestClient, session: Session, owner: BusinessId,
                                                     acc: OfficialAccount) -> None:
    add_friends(session, acc.id, 12)
    login(client, owner.email)
    page = client.get(_page(acc))
    assert page.status_code == 200 and "<dt>Target reach</dt><dd>12</dd>" in re.sub(r"\s+", " ", page.text)
    sent = form(client, _page(acc), {"text": "Two for one on Friday", "max_recipients": ""})
    assert sent.status_code == 303 and sent.headers["location"].endswith("notice=broadcast-sent#recent")
    listed = client.get(sent.headers["location"]).text
    assert "Your broadcast is on its way." in listed and "Two for one on Friday" in listed
    api = client.post(_api(acc), json={"text": "And Saturday", "max_recipients": 5})
    assert api.status_code == 202 and (api.json()["target_count"], api.json()["max_recipients"]) == (5, 5)


def test_bad_input_is_shown_next_to_its_field_with_what_was_typed(client: TestClient, session: Session,
                                                                  owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = form(client, _page(acc), {"text": "Hi \U000F0001 there", "max_recipients": "-3"})
    assert page.status_code == 400
    text_error = re.search(r'<p class="error" id="f-text-error" role="alert">([^<]*)</p>', page.text)
    cap_error = re.search(r'<p class="error" id="f-max_recipients-error" role="alert">([^<]*)</p>', page.text)
    assert text_error and text_error.group(1).startswith("Character 4 (U+F0001")
    assert cap_error and cap_error.group(1) == "The maximum must be at least 1 person."
    assert "Hi \U000F0001 there</textarea>" in page.text and 'value="-3"' in page.text
    refused = client.post(_api(acc), json={"text": ""})
    assert refused.status_code == 400 and refused.json()["details"] == [
        {"message": "Write the message.", "property": "text"}]
    assert _sends(session) == 0


def test_r_msg_05_a_broadcast_that_does_not_fit_says_how_many_are_left_and_how_to_get_more(
        client: TestClient, session: Session, owner: BusinessId, acc: OfficialAccount) -> None:
    add_friends(session, acc.id, 30)
    session.add(MessageUsage(account_id=acc.id, year=2026, month=1, day=1, used=490))
    session.flush()
    login(client, owner.email)
    page = form(client, _page(acc), {"text": "Hello all", "max_recipients": ""})
    assert page.status_code == 429
    assert ("Not sent. This send needs 30 counted messages; 10 are left this month. The Free package cannot send "
            "more than its 500 a month: an admin can upgrade to Basic or Pro in Settings › Usage and billing.") in page.text
    assert "Hello all</textarea>" in page.text
    api = client.post(_api(acc), json={"text": "Hello all"})
    assert api.status_code == 429 and api.json()["message"] == "You have reached your monthly limit."
    assert _sends(session) == 0
    # With a maximum volume it goes to as many as fit.
    capped = client.post(_api(acc), json={"text": "Hello some", "max_recipients": 25}).json()
    assert (capped["target_count"], capped["max_recipients"]) == (10, 25)


@pytest.mark.parametrize("role", ["operator_no_broadcasts", "chat_operator"])
def test_r_acc_04_roles_without_broadcasts_are_refused(client: TestClient, session: Session, owner: BusinessId,
                                                       acc: OfficialAccount, role: str) -> None:
    login(client, member(session, acc, owner, role).email)
    page = client.get(_page(acc))
    assert page.status_code == 403 and "Your role does not allow broadcasts." in page.text
    assert form(client, _page(acc), {"text": "Hi"}).status_code == 403
    assert client.post(_api(acc), json={"text": "Hi"}).status_code == 403
    assert _sends(session) == 0
