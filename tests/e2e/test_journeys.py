"""The foundation's journeys in Chromium, on a phone for the person and a desktop for the brand.

axe-core runs on every page the journey visits; serious or critical findings fail it.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import assert_accessible

pytestmark = pytest.mark.e2e
PASSWORD = "tom-yum-2026!"


def stat(page, label: str) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator(f"dl.stats dt:text-is('{label}') + dd").inner_text().replace(",", ""))


def test_r_frd_02_r_frd_03_brand_and_person_friend_then_block(live_server, new_page):
    brand = new_page("desktop")
    # The brand signs up for a Business ID and creates an account.
    brand.goto(live_server.url + "/")
    assert_accessible(brand)
    brand.get_by_role("link", name="Manager console").click()
    brand.goto(live_server.url + "/console/signup")
    assert_accessible(brand)
    brand.get_by_label("Email").fill("owner@aroi.example")
    brand.get_by_label("Your name").fill("Nok")
    brand.get_by_label("Password").fill(PASSWORD)
    brand.get_by_role("button", name="Sign up").click()
    brand.wait_for_url(re.compile(r"/console/?(\?.*)?$"))
    assert_accessible(brand)
    brand.goto(live_server.url + "/console/accounts/new")
    assert_accessible(brand)
    brand.get_by_label("Account name").fill("Cafe Aroi")
    brand.get_by_role("button", name="Create account").click()
    brand.wait_for_url(re.compile(r"/console/accounts/\d+(\?.*)?$"))
    assert_accessible(brand)
    home_url = brand.url.split("?")[0]
    assert stat(brand, "Friends") == 0 and stat(brand, "Target reach") == 0
    # The QR code and the add-friend link are on the home page.
    qr = brand.locator("img.qr").first
    assert qr.is_visible() and qr.get_attribute("alt")
    add_link = brand.locator("a[href*='/add/@']").first.get_attribute("href")
    assert add_link and re.search(r"/add/@[0-9]{3}[a-z]{5}", add_link)

    # A person opens the add-friend link on a phone, signs up and adds the account.
    person = new_page("phone")
    person.goto(add_link)
    assert_accessible(person)
    assert person.get_by_text("Cafe Aroi").first.is_visible()
    person.get_by_role("link", name="Create an account").click()
    assert_accessible(person)
    person.get_by_label("Email").fill("somchai@person.example")
    person.get_by_label("Display name").fill("Somchai")
    person.get_by_label("Password").fill(PASSWORD)
    person.get_by_role("button", name="Sign up").click()
    person.wait_for_url(re.compile(r"/add/@"))
    person.get_by_role("button", name="Add friend").click()
    person.wait_for_url(re.compile(r"/app"))
    assert_accessible(person)
    assert person.get_by_text("Cafe Aroi").first.is_visible()

    # The brand's home shows one friend reached.
    brand.goto(home_url)
    assert stat(brand, "Friends") == 1
    assert stat(brand, "Target reach") == 1

    # The person blocks the account; the brand's target reach drops to 0.
    person.get_by_role("button", name=re.compile("^Block")).first.click()
    person.wait_for_load_state()
    assert person.get_by_role("button", name=re.compile("^Unblock")).first.is_visible()
    assert_accessible(person)
    brand.goto(home_url)
    assert stat(brand, "Target reach") == 0
    assert stat(brand, "Blocks") == 1
    assert stat(brand, "Friends") == 1


def fact(page, label: str) -> str:  # type: ignore[no-untyped-def]
    return str(page.locator(f"dl.facts dt:text-is('{label}') + dd").inner_text())


@pytest.mark.parametrize("kind", ["phone", "desktop"])
def test_r_bill_01_r_bill_02_r_msg_04_admin_upgrades_sets_a_limit_and_schedules_a_downgrade(
        live_server, new_page, kind):
    brand = new_page(kind)
    brand.goto(live_server.url + "/console/signup")
    brand.get_by_label("Email").fill(f"billing-{kind}@aroi.example")
    brand.get_by_label("Your name").fill("Nok")
    brand.get_by_label("Password").fill(PASSWORD)
    brand.get_by_role("button", name="Sign up").click()
    brand.wait_for_url(re.compile(r"/console/?(\?.*)?$"))
    brand.goto(live_server.url + "/console/accounts/new")
    brand.get_by_label("Account name").fill("Cafe Bill")
    brand.get_by_role("button", name="Create account").click()
    brand.wait_for_url(re.compile(r"/console/accounts/\d+(\?.*)?$"))
    brand.get_by_role("link", name="Usage and billing").click()
    brand.wait_for_url(re.compile(r"/billing$"))
    assert_accessible(brand)
    assert fact(brand, "Included in Free") == "500" and fact(brand, "Left this month") == "500"
    # Free cannot buy more: the page says why instead of hiding the setting.
    assert brand.get_by_text("The Free package cannot send additional messages").is_visible()
    assert brand.get_by_role("img", name=re.compile("Counted messages per day")).is_visible()

    brand.get_by_label("Choose a package").select_option("basic")
    brand.get_by_role("button", name="Change package").click()
    brand.wait_for_url(re.compile(r"notice=saved#package$"))
    assert fact(brand, "Included in Basic") == "15,000" and fact(brand, "Charge so far") == "1,280.00 THB"

    # A limit above the ceiling is shown next to the field, with what was typed; then a good one.
    limit = brand.get_by_label("Additional messages allowed each month")
    limit.fill("250000")
    brand.get_by_role("button", name="Save limit").click()
    brand.wait_for_load_state()
    assert_accessible(brand)
    assert brand.locator("#f-additional_limit-error").inner_text().startswith("The limit can be at most 100,000")
    assert brand.get_by_label("Additional messages allowed each month").input_value() == "250000"
    brand.get_by_label("Additional messages allowed each month").fill("20000")
    brand.get_by_role("button", name="Save limit").click()
    brand.wait_for_url(re.compile(r"notice=saved#limit$"))
    assert fact(brand, "Additional-message limit") == "20,000" and fact(brand, "Left this month") == "35,000"

    # A downgrade waits for the next month, and the page says when.
    brand.get_by_label("Choose a package").select_option("free")
    brand.get_by_role("button", name="Change package").click()
    brand.wait_for_url(re.compile(r"notice=saved#package$"))
    assert re.match(r"It moves to Free on 1 \w+ \d{4}\.", brand.locator("p.pending").inner_text())
    assert fact(brand, "Included in Basic") == "15,000"
    assert_accessible(brand)


def test_r_acc_05_internet_explorer_sees_the_unsupported_page(live_server, browser):
    ctx = browser.new_context(user_agent="Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko")
    page = ctx.new_page()
    page.goto(live_server.url + "/console")
    assert page.get_by_role("heading", name="This browser is not supported").is_visible()
    ctx.close()
