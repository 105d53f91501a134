"""Staff set an account's additional-message ceiling from the account search (R-MSG-04): the
admin can then raise the limit up to it; a bad ceiling is shown next to that account's field and
changes nothing; only staff reach it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.billing import service as billing
from openoa.core.access import BusinessActor
from tests import factories
from tests.web.console.conftest import login
from tests.web.staff.conftest import form, staff_login


@pytest.fixture
def acc(session: Session) -> OfficialAccount:
    return factories.account(session, factories.business(session, name="Nok Owner"), name="Cafe Aroi")


def _ceiling(session: Session, account: OfficialAccount) -> int:
    session.expire_all()
    return session.get_one(OfficialAccount, account.id).additional_limit_ceiling


def test_r_msg_04_staff_raise_a_ceiling_and_the_admin_may_then_go_higher(client: TestClient, session: Session,
                                                                         staff, acc) -> None:
    admin = BusinessActor(acc.created_by)
    billing.change_package(session, admin, acc.id, "pro")
    staff_login(client)
    page = client.get("/staff/accounts", params={"q": "aroi"})
    assert f'action="/staff/accounts/{acc.id}/ceiling"' in page.text and 'value="100000"' in page.text
    saved = form(client, f"/staff/accounts/{acc.id}/ceiling", {"additional_limit_ceiling": "1,000,000", "q": "aroi"})
    assert saved.status_code == 303 and saved.headers["location"] == "/staff/accounts?q=aroi&notice=ceiling"
    assert "The additional-message ceiling was saved." in client.get(saved.headers["location"]).text
    assert _ceiling(session, acc) == 1_000_000
    assert billing.set_additional_limit(session, admin, acc.id, 965_000) == 965_000
    assert client.put(f"/staff/api/accounts/{acc.id}/ceiling",
                      json={"additional_limit_ceiling": 2_000_000}).json() == {"additional_limit_ceiling": 2_000_000}


@pytest.mark.parametrize(("raw", "says"), [("-1", "The ceiling cannot be negative."),
                                           ("many", "Enter a whole number of messages, like 10000."),
                                           ("100000001", "The ceiling can be at most 100,000,000 messages.")])
def test_r_msg_04_a_bad_ceiling_is_shown_next_to_its_account_and_nothing_changes(
        client: TestClient, session: Session, staff, acc, raw: str, says: str) -> None:
    staff_login(client)
    page = form(client, f"/staff/accounts/{acc.id}/ceiling", {"additional_limit_ceiling": raw, "q": ""})
    assert page.status_code == 400
    error = re.search(rf'<p class="error" id="f-additional_limit_ceiling-{acc.id}-error" role="alert">([^<]*)</p>',
                      page.text)
    assert error is not None and error.group(1) == says
    assert _ceiling(session, acc) == 100_000


def test_r_acc_04_a_business_id_cannot_set_a_ceiling(client: TestClient, session: Session, acc) -> None:
    owner = session.get_one(OfficialAccount, acc.id).created_by
    login(client, session.get_one(BusinessId, owner).email)
    assert client.put(f"/staff/api/accounts/{acc.id}/ceiling",
                      json={"additional_limit_ceiling": 10**6}).status_code in (401, 403)
    assert _ceiling(session, acc) == 100_000
