"""Package numbers, counting and the account-timezone month (R-MSG-02..05)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
    assert charge == 4 * max(0, used - rules.included_messages(package))
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
