"""Every page of the three surfaces, on a phone and on a desktop: no serious or critical axe-core
finding, nothing wider than the screen, and one <h1>."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e
DEMO_PASSWORD = "openoa-demo-1"


def log_in(page, base: str, path: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + path)
    page.locator("form:has(button:text-is('Log in'))").first.get_by_label("Email").fill(email)
    page.locator("form:has(button:text-is('Log in'))").first.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).first.click()
    page.wait_for_load_state()


def check(page, url: str) -> None:  # type: ignore[no-untyped-def]
    answer = page.goto(url)
    assert answer is not None and answer.status < 400, (url, answer and answer.status)
    assert page.locator("h1").count() == 1, f"{url} should have exactly one h1"
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{url} scrolls sideways by {overflow}px"
    assert_accessible(page)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_public_and_login_pages(live_server, new_page, kind):
    page = new_page(kind)
    for path in ("/", "/console/login", "/console/signup", "/console/password/forgot", "/app/login",
                 "/app/signup", "/staff/login", "/dev/mailbox"):
        check(page, live_server.url + path)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_manager_console_pages(live_server, new_page, kind):
    page = new_page(kind)
    log_in(page, live_server.url, "/console/login", "admin@demo.openoa")
    check(page, live_server.url + "/console")
    account = re.search(r"/console/accounts/(\d+)", page.content()).group(1)  # type: ignore[union-attr]
    for path in (f"/console/accounts/{account}", f"/console/accounts/{account}/members",
                 f"/console/accounts/{account}/settings", "/console/accounts/new", "/console/password",
                 f"/console/accounts/{account}/messaging-api", f"/console/accounts/{account}/webhook",
                 f"/console/accounts/{account}/billing", f"/console/accounts/{account}/broadcasts"):
        check(page, live_server.url + path)
    # This month's statement, reached by the link the billing page offers.
    page.goto(f"{live_server.url}/console/accounts/{account}/billing")
    statement = page.get_by_role("link", name="This month's statement so far").get_attribute("href")
    check(page, live_server.url + str(statement))


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_chat_app_pages(live_server, new_page, kind):
    page = new_page(kind)
    log_in(page, live_server.url, "/app/login", "somchai@demo.openoa")
    for path in ("/app", "/app/find", "/app/profile", "/app/groups"):
        check(page, live_server.url + path)
    page.goto(live_server.url + "/app")
    basic_id = re.search(r"@[0-9]{3}[a-z]{5}", page.content())
    assert basic_id, "the demo person follows an account"
    check(page, f"{live_server.url}/add/{basic_id.group(0)}?src=qr")
    for path in ("/app/chats", f"/app/chats/{basic_id.group(0)}"):
        check(page, live_server.url + path)


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_staff_console_pages(live_server, new_page, kind):
    page = new_page(kind)
    log_in(page, live_server.url, "/staff/login", "staff@demo.openoa")
    for path in ("/staff", "/staff/accounts", "/staff?status=all"):
        check(page, live_server.url + path)
