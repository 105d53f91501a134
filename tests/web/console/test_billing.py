"""The console's Usage and billing dashboard over HTTP (R-BILL-01/02, R-MSG-04): the month's
figures, the chart, past invoices, package changes and the additional-message limit, with bad
input shown next to its field and nothing changed. Admins only (R-ACC-04); the JSON twins
answer and refuse the same."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.billing.models import MessageUsage
from openoa.core.clock import FakeClock
from openoa.friends import service as friends
from tests.api.bots import make_bot
from tests.messaging.crowd import add_friends
from tests.web.console.conftest import NON_ADMIN_ROLES, form, login, member

REFUSAL = "Only admins can manage billing."


def _page(account: OfficialAccount) -> str:
    return f"/console/accounts/{account.id}/billing"


def _api(account: OfficialAccount) -> str:
    return f"/console/api/accounts/{account.id}/billing"


def _stored(session: Session, account: OfficialAccount) -> OfficialAccount:
    session.expire_all()
    return session.get_one(OfficialAccount, account.id)


def test_anonymous_and_outsiders_never_see_the_bill(client: TestClient, session: Session, acc: OfficialAccount,
                                                    outsider: BusinessId) -> None:
    page = client.get(_page(acc), follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/console/login")
    assert client.get(_api(acc)).status_code == 401
    login(client, outsider.email)
    assert client.get(_page(acc)).status_code == 404
    assert form(client, _page(acc) + "/package", {"package": "pro"}).status_code == 404
    assert client.put(_api(acc) + "/package", json={"package": "pro"}).status_code == 404
    assert _stored(session, acc).package == "free"


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_r_acc_04_only_admins_see_and_change_billing(client: TestClient, session: Session, owner: BusinessId,
                                                     acc: OfficialAccount, role: str) -> None:
    login(client, member(session, acc, owner, role).email)
    page = client.get(_page(acc))
    assert page.status_code == 403 and REFUSAL in page.text
    assert form(client, _page(acc) + "/package", {"package": "pro"}).status_code == 403
    assert form(client, _page(acc) + "/limit", {"additional_limit": "10"}).status_code == 403
    assert client.get(_api(acc)).json()["message"] == REFUSAL
    assert client.put(_api(acc) + "/additional-limit", json={"additional_limit": 10}).status_code == 403
    assert _stored(session, acc).package == "free"
    nav = client.get(f"/console/accounts/{acc.id}" if role != "chat_operator" else "/console").text
    assert "Usage and billing" not in nav


def test_r_bill_01_the_dashboard_shows_the_month_its_days_and_why_free_cannot_buy_more(
        client: TestClient, session: Session, owner: BusinessId, acc: OfficialAccount, clock: FakeClock) -> None:
    clock.set(datetime(2026, 1, 20, 5, 0, tzinfo=UTC))
    session.add_all([MessageUsage(account_id=acc.id, year=2026, month=1, day=3, used=120),
                     MessageUsage(account_id=acc.id, year=2026, month=1, day=19, used=7)])
    session.flush()
    login(client, owner.email)
    page = client.get(_page(acc))
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    assert "Messages sent this month" in text and "January 2026" in text
    assert "<dt>Counted messages used</dt><dd>127</dd>" in text
    assert "<dt>Left this month</dt><dd>373</dd>" in text
    assert 'aria-current="page">Usage and billing</a>' in text
    assert "The Free package cannot send additional messages" in text  # shown, not hidden
    assert 'name="additional_limit"' not in text
    assert text.count('class="chart-bar"') == 20  # January 1st..20th
    assert "<title>Jan 3: 120</title>" in text
    board = client.get(_api(acc)).json()
    assert (board["used"], board["remaining"], board["can_change_limit"]) == (127, 373, False)
    # Gated features are listed with why they are closed, never silently left out (one shared gate).
    assert "Follower IDs in the Messaging API</strong>: needs a verified (blue) or premium (green) badge; this " \
           "account is unverified (gray)." in text
    gates = {f["feature"]: f for f in board["features"]}
    assert set(gates) == {"additional_messages", "follower_ids_api"}  # features OpenOA has; the rest wait
    assert not gates["additional_messages"]["available"] and not gates["follower_ids_api"]["available"]


def test_r_bill_02_upgrade_then_set_a_limit_then_schedule_a_downgrade(
        client: TestClient, session: Session, owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    upgraded = form(client, _page(acc) + "/package", {"package": "basic"})
    assert upgraded.status_code == 303 and upgraded.headers["location"].endswith("notice=saved#package")
    assert _stored(session, acc).package == "basic"
    assert form(client, _page(acc) + "/limit", {"additional_limit": "20,000"}).status_code == 303
    assert _stored(session, acc).additional_message_limit == 20_000
    assert form(client, _page(acc) + "/package", {"package": "free"}).status_code == 303
    stored = _stored(session, acc)
    assert (stored.package, stored.next_package) == ("basic", "free")
    text = re.sub(r"\s+", " ", client.get(_page(acc)).text)
    assert "It moves to <strong>Free</strong> on 1 February 2026." in text
    assert "When (Asia/Bangkok)" in text and "2026-02-01 00:00" in text  # counts from midnight, local time
    assert "Nok Owner" in text and "Additional-message limit" in text  # the audit, with who
    statement = re.sub(r"\s+", " ", client.get(_page(acc) + "/invoices/202601").text)
    assert "Statement so far" in statement and "Basic package, monthly fee" in statement
    assert "<th scope=\"row\" colspan=\"3\">Total, VAT excluded</th><td class=\"num\"><strong>1,280.00</strong>" \
        in statement
    assert client.get(_api(acc) + "/invoices/202601").json()["final"] is False
    assert client.get(_page(acc) + "/invoices/202512").status_code == 404
    assert {f["feature"]: f["available"] for f in client.get(_api(acc)).json()["features"]}["additional_messages"]
    moved = client.put(_api(acc) + "/package", json={"package": "basic"}).json()
    assert moved == {"package": "basic", "next_package": None, "next_package_from": None}


@pytest.mark.parametrize(("raw", "says"), [("-5", "The limit cannot be negative."),
                                           ("3.5", "Enter a whole number of messages, like 10000."),
                                           ("100001", "at most 100,000 messages")])
def test_r_msg_04_a_bad_limit_is_shown_next_to_its_field_and_nothing_changes(
        client: TestClient, session: Session, owner: BusinessId, acc: OfficialAccount, raw: str, says: str) -> None:
    login(client, owner.email)
    form(client, _page(acc) + "/package", {"package": "pro"})
    form(client, _page(acc) + "/limit", {"additional_limit": "500"})
    page = form(client, _page(acc) + "/limit", {"additional_limit": raw})
    assert page.status_code == 400
    error = re.search(r'<p class="error" id="f-additional_limit-error" role="alert">([^<]*)</p>', page.text)
    assert error is not None and says in error.group(1)
    assert f'value="{raw}"' in page.text  # what was typed is shown again
    assert _stored(session, acc).additional_message_limit == 500
    refused = client.put(_api(acc) + "/additional-limit", json={"additional_limit": -1})
    assert refused.status_code == 400 and refused.json()["details"][0]["property"] == "additional_limit"
    for wrong in (True, 12.5, "lots", None, [1]):  # the rule's words, never a coercion (true is not 1)
        refused = client.put(_api(acc) + "/additional-limit", json={"additional_limit": wrong})
        assert refused.json()["details"] == [{"property": "additional_limit",
                                              "message": "Enter a whole number of messages, like 10000."}], wrong


def test_bad_package_and_a_limit_on_free_are_refused_with_the_rule(client: TestClient, session: Session,
                                                                   owner: BusinessId, acc: OfficialAccount) -> None:
    login(client, owner.email)
    page = form(client, _page(acc) + "/package", {"package": "platinum"})
    assert page.status_code == 400 and "Choose Free, Basic or Pro." in page.text
    page = form(client, _page(acc) + "/limit", {"additional_limit": "100"})
    assert page.status_code == 400 and "Upgrade to Basic or Pro first." in page.text
    assert client.put(_api(acc) + "/package", json={"package": "free"}).json()["details"] == [
        {"message": "The account is already on Free.", "property": "package"}]
    stored = _stored(session, acc)
    assert (stored.package, stored.additional_message_limit) == ("free", 0)


def test_r_msg_04_the_month_rolls_over_at_midnight_in_the_accounts_timezone_and_both_views_agree(
        client: TestClient, session: Session, clock: FakeClock) -> None:
    bot = make_bot(session)
    people = [friends.scoped_user_id(session, bot.account.provider_id, uid)
              for uid in add_friends(session, bot.account.id, 3)]
    midnight = datetime(2026, 1, 31, 17, 0, tzinfo=UTC)  # February 1st, 00:00 in Bangkok; still January in UTC

    def push(to: str) -> None:
        answer = client.post("/v2/bot/message/push", headers=bot.auth,
                             json={"to": to, "messages": [{"type": "text", "text": "Hi"}]})
        assert answer.status_code == 200, answer.text

    def views() -> tuple[int, int, int]:
        board = client.get(_api(bot.account)).json()
        consumption = client.get("/v2/bot/message/quota/consumption", headers=bot.auth).json()["totalUsage"]
        return board["month"], board["used"], consumption

    clock.set(midnight - timedelta(microseconds=1))
    login(client, bot.owner.email)  # a console session made at this time
    push(people[0])
    push(people[1])
    assert views() == (1, 2, 2)
    clock.set(midnight)
    assert views() == (2, 0, 0)
    push(people[2])
    assert views() == (2, 1, 1)
    january = client.get(_api(bot.account)).json()["history"][0]
    assert (january["month"], january["used"]) == (1, 2)
