"""Package numbers, counting and the account-timezone month (R-MSG-02..05)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openoa.accounts.rules import package_in_force
from openoa.billing import rules

TIMEZONES = ["Asia/Bangkok", "Asia/Tokyo", "UTC", "America/Los_Angeles", "Pacific/Kiritimati",
             "Pacific/Pago_Pago", "Asia/Kathmandu", "Europe/London"]


def test_r_msg_04_package_numbers():
    assert rules.included_messages("free") == 500
    assert rules.included_messages("basic") == 15_000
    assert rules.included_messages("pro") == 35_000
    assert rules.ADDITIONAL_MESSAGE_SATANG == 4
    assert rules.additional_charge_satang("pro", 35_000 + 10_000) == 400_00  # 400 THB per 10,000


def test_r_msg_04_free_cannot_send_additional_messages():
    assert not rules.may_send_additional("free")
    assert rules.monthly_limit("free", additional_limit=10_000) == 500
    assert rules.monthly_limit("basic", additional_limit=10_000) == 25_000
    with pytest.raises(ValueError):
        rules.monthly_limit("pro", additional_limit=-1)


@pytest.mark.parametrize("kind", ["broadcast", "targeted_broadcast", "step", "push", "multicast",
                                  "api_broadcast", "narrowcast"])
def test_r_msg_02_counted_sends(kind):
    assert rules.is_counted(kind)


@pytest.mark.parametrize("kind", ["chat", "auto_response", "ai_response", "greeting", "away", "reply"])
def test_r_msg_02_sends_that_are_never_counted(kind):
    assert not rules.is_counted(kind)


def test_r_msg_02_an_unknown_send_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        rules.is_counted("carrier_pigeon")


def test_r_msg_05_a_counted_send_fits_whole_or_not_at_all():
    assert rules.fits("free", 0, used=490, recipients=10)
    assert not rules.fits("free", 0, used=490, recipients=11)
    assert rules.remaining("free", 0, used=600) == 0


@given(package=st.sampled_from(["free", "basic", "pro"]), used=st.integers(0, 10**7),
       limit=st.integers(0, 10**6))
def test_r_msg_04_charge_is_exact_satang_for_messages_beyond_the_package(package, used, limit):
    charge = rules.additional_charge_satang(package, used)
    assert isinstance(charge, int) and charge >= 0
    assert charge == (0 if package == "free" else 4 * max(0, used - rules.included_messages(package)))
    assert rules.remaining(package, limit, used) + min(used, rules.monthly_limit(package, limit)) \
        == rules.monthly_limit(package, limit)


def test_r_msg_04_month_starts_at_midnight_on_the_first_in_the_account_timezone():
    # 2026-01-31 17:30 UTC is already February 1st, 00:30 in Bangkok (UTC+7).
    moment = datetime(2026, 1, 31, 17, 30, tzinfo=UTC)
    assert rules.month_of(moment, "Asia/Bangkok") == rules.Month(2026, 2)
    assert rules.month_of(moment, "UTC") == rules.Month(2026, 1)
    assert rules.Month(2026, 2).start("Asia/Bangkok") == datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
    assert rules.Month(2026, 12).next() == rules.Month(2027, 1)


@given(moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 1),
                           timezones=st.just(UTC)),
       timezone=st.sampled_from(TIMEZONES))
def test_r_msg_04_every_moment_lies_in_exactly_its_month(moment, timezone):
    month = rules.month_of(moment, timezone)
    assert month.start(timezone) <= moment < month.end(timezone)
    assert rules.month_of(month.start(timezone), timezone) == month
    assert rules.month_of(month.end(timezone) - timedelta(microseconds=1), timezone) == month


# ---------------------------------------------------------------- package changes (R-BILL-02)

def test_r_bill_02_an_upgrade_applies_at_once_a_downgrade_at_the_next_first_in_the_account_timezone():
    now = datetime(2026, 3, 31, 16, 59, tzinfo=UTC)  # 23:59 on March 31st in Bangkok
    assert rules.change_takes_effect("free", "pro", now, "Asia/Bangkok") == now
    assert rules.change_takes_effect("basic", "pro", now, "Asia/Bangkok") == now
    assert rules.change_takes_effect("pro", "basic", now, "Asia/Bangkok") == datetime(2026, 3, 31, 17, 0, tzinfo=UTC)
    # One minute later it is April there: the downgrade waits for May.
    later = now + timedelta(minutes=1)
    assert rules.change_takes_effect("pro", "free", later, "Asia/Bangkok") == datetime(2026, 4, 30, 17, 0, tzinfo=UTC)
    assert rules.change_takes_effect("pro", "free", later, "UTC") == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)


def test_r_bill_02_the_package_in_force_switches_at_the_scheduled_moment_exactly():
    switch = datetime(2026, 4, 30, 17, 0, tzinfo=UTC)
    assert package_in_force("pro", "free", switch, switch - timedelta(microseconds=1)) == "pro"
    assert package_in_force("pro", "free", switch, switch) == "free"
    assert package_in_force("pro", None, None, switch) == "pro"


def test_r_bill_02_a_month_is_billed_at_the_package_in_force_at_its_end():
    tz = "Asia/Bangkok"
    april, may = rules.Month(2026, 4), rules.Month(2026, 5)
    upgrade_mid_april = (datetime(2026, 4, 10, tzinfo=UTC), "pro")
    downgrade_in_may = (may.start(tz), "basic")
    changes = [upgrade_mid_april, downgrade_in_may]
    assert rules.package_of_month("free", changes, rules.Month(2026, 3), tz) == "free"
    assert rules.package_of_month("free", changes, april, tz) == "pro"  # the dearest the month had
    assert rules.package_of_month("free", changes, may, tz) == "basic"


@given(current=st.sampled_from(["free", "basic", "pro"]), requested=st.sampled_from(["free", "basic", "pro"]),
       moment=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2098, 12, 1), timezones=st.just(UTC)),
       timezone=st.sampled_from(TIMEZONES))
def test_r_bill_02_no_change_ever_takes_messages_from_a_month_already_begun(current, requested, moment, timezone):
    starts = rules.change_takes_effect(current, requested, moment, timezone)
    if rules.is_upgrade(current, requested):
        assert starts == moment
    else:  # exactly the start of the next month on the account's wall clock
        assert starts == rules.month_of(moment, timezone).end(timezone)
        assert rules.month_of(starts, timezone) == rules.month_of(moment, timezone).next()


# ---------------------------------------------------------------- the additional-message limit (R-MSG-04)

def test_r_msg_04_the_limit_is_a_whole_non_negative_number_within_the_ceiling():
    assert rules.parse_additional_limit("10,000") == 10_000
    assert rules.parse_additional_limit(" 0 ") == 0
    assert rules.parse_additional_limit("-5") == "The limit cannot be negative."
    for bad in ("", "1.5", "ten", "1e3", "١٠"):  # the last: Arabic-Indic digits
        assert isinstance(rules.parse_additional_limit(bad), str), bad
    assert rules.additional_limit_problem("pro", 100_000, ceiling=100_000) is None
    assert "at most 100,000" in rules.additional_limit_problem("pro", 100_001, ceiling=100_000)
    assert "inquiry" in rules.additional_limit_problem("basic", 100_001, ceiling=100_000)
    assert "Free package" in rules.additional_limit_problem("free", 0, ceiling=100_000)
    assert rules.ceiling_problem(rules.MAX_ADDITIONAL_LIMIT_CEILING + 1) is not None
    assert rules.ceiling_problem(-1) == "The ceiling cannot be negative."


# ---------------------------------------------------------------- a month's bill (R-BILL-01)

def test_r_bill_01_a_month_costs_the_package_fee_plus_4_satang_per_additional_message():
    bill = rules.statement(rules.Month(2026, 4), "basic", used=15_000 + 12_345)
    assert (bill.fee_satang, bill.additional_used, bill.additional_satang) == (1_280_00, 12_345, 49_380)
    assert bill.total_satang == 177_380
    assert rules.thb(bill.total_satang) == "1,773.80"
    assert rules.statement(rules.Month(2026, 4), "free", used=500).total_satang == 0


@given(package=st.sampled_from(["free", "basic", "pro"]), used=st.integers(0, 10**8))
def test_r_bill_01_a_bill_is_exact_integer_satang(package, used):
    bill = rules.statement(rules.Month(2026, 1), package, used)
    beyond = 0 if package == "free" else max(0, used - {"basic": 15_000, "pro": 35_000}[package])
    assert bill.total_satang == {"free": 0, "basic": 128_000, "pro": 178_000}[package] + 4 * beyond
    baht, satang = rules.thb(bill.total_satang).replace(",", "").split(".")
    assert int(baht) * 100 + int(satang) == bill.total_satang


def test_r_bill_01_projection_follows_the_pace_and_never_passes_the_limit():
    tz, month = "UTC", rules.Month(2026, 4)  # 30 days
    tenth = datetime(2026, 4, 11, tzinfo=UTC)  # 10 of 30 days gone
    assert rules.projected_use(1_000, tenth, month, tz, limit=35_000) == 3_000
    assert rules.projected_use(20_000, tenth, month, tz, limit=35_000) == 35_000
    assert rules.projected_use(0, tenth, month, tz, limit=35_000) == 0
    assert rules.projected_use(40_000, tenth, month, tz, limit=35_000) == 40_000  # never below what was used


def test_r_msg_05_a_refusal_says_what_was_needed_what_is_left_and_how_to_get_more():
    free = rules.over_quota_explanation("free", 3, 12)
    assert free.startswith("This send needs 12 counted messages; 3 are left this month.")
    assert "upgrade to Basic or Pro" in free
    assert "raise the additional-message limit" in rules.over_quota_explanation("pro", 1, 1)
    assert "1 counted message; 1 is left" in rules.over_quota_explanation("pro", 1, 1)
