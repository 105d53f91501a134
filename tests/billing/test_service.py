"""Usage and billing on a real database: the dashboard's numbers (R-BILL-01), package changes and
when they count (R-BILL-02), the additional-message limit and its ceiling (R-MSG-04), the audit,
and that a refused change changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.rules import Role
from openoa.billing import service as billing
from openoa.billing.models import BillingChange, MessageUsage
from openoa.core.access import BusinessActor, StaffActor
from openoa.core.clock import FakeClock
from openoa.core.errors import Invalid, NotAllowed, NotFound
from openoa.friends import service as friends
from openoa.messaging import service as messaging
from tests import factories
from tests.accounts.test_service import join, staff
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, context

TEXT = [{"type": "text", "text": "Hello"}]
# 10:00 on April 10th in Bangkok; April 30th 17:00 UTC is 00:00 on May 1st there.
APRIL_10 = datetime(2026, 4, 10, 3, 0, tzinfo=UTC)
MAY_1_BANGKOK = datetime(2026, 4, 30, 17, 0, tzinfo=UTC)


@pytest.fixture
def bot(session: Session, clock: FakeClock) -> Bot:
    clock.set(datetime(2026, 2, 20, tzinfo=UTC))
    made = make_bot(session)
    clock.set(APRIL_10)
    return made


def admin(bot: Bot) -> BusinessActor:
    return BusinessActor(bot.owner.id)


def use(session: Session, bot: Bot, year: int, month: int, day: int, used: int) -> None:
    session.add(MessageUsage(account_id=bot.account.id, year=year, month=month, day=day, used=used))
    session.flush()


def friends_of(session: Session, bot: Bot, count: int) -> list[str]:
    """``count`` new friends' user IDs as the bot sees them."""
    return [friends.scoped_user_id(session, bot.account.provider_id, uid)
            for uid in add_friends(session, bot.account.id, count)]


def changes(session: Session, bot: Bot) -> list[tuple[str, str, str]]:
    rows = session.scalars(select(BillingChange).where(BillingChange.account_id == bot.account.id)
                           .order_by(BillingChange.id)).all()
    return [(c.term, c.from_value, c.to_value) for c in rows]


def test_r_bill_01_dashboard_counts_this_month_by_day_and_bills_past_months(session: Session, bot: Bot):
    billing.change_package(session, admin(bot), bot.account.id, "basic")
    billing.set_additional_limit(session, admin(bot), bot.account.id, "20000")
    use(session, bot, 2026, 3, 31, 450)  # March was Free until April's upgrade: billed Free
    use(session, bot, 2026, 4, 2, 9_000)
    use(session, bot, 2026, 4, 9, 7_000)
    out = billing.dashboard(session, admin(bot), bot.account.id)
    assert (out.year, out.month, out.package, out.used, out.included) == (2026, 4, "basic", 16_000, 15_000)
    assert (out.additional_used, out.additional_limit, out.monthly_limit, out.remaining) == (1_000, 20_000, 35_000,
                                                                                            19_000)
    assert out.this_month.total_satang == 1_280_00 + 1_000 * 4
    assert [(d.day.day, d.used) for d in out.daily if d.used] == [(2, 9_000), (9, 7_000)]
    assert len(out.daily) == 10  # April 1st..10th
    # 9 days and 10 hours of April's 30 gone; the pace projects past the limit, which caps it.
    assert out.projected_used == 35_000
    assert [(m.year, m.month, m.package, m.used, m.total_satang) for m in out.history] == [
        (2026, 3, "free", 450, 0), (2026, 2, "free", 0, 0)]  # the account was made in February
    assert out.history[0].invoice_number.endswith("-202603")
    assert [(c.term, c.from_value, c.to_value, c.changed_by) for c in out.changes] == [
        ("additional_limit", "0", "20000", "Brand Owner"), ("package", "free", "basic", "Brand Owner")]


def test_r_bill_01_dashboard_and_quota_consumption_agree_to_the_message(session: Session, bot: Bot):
    people = friends_of(session, bot, 7)
    for n, person in enumerate(people):
        messaging.push(session, context(session, bot), request_id=f"r{n}", to=person, messages=TEXT)
    out = billing.dashboard(session, admin(bot), bot.account.id)
    assert out.used == messaging.quota_consumption(session, context(session, bot)) == 7
    assert out.monthly_limit == messaging.message_quota(session, context(session, bot)) == 500


def test_r_bill_02_an_upgrade_applies_at_once_and_is_audited(session: Session, bot: Bot):
    out = billing.change_package(session, admin(bot), bot.account.id, "pro")
    assert (out.package, out.next_package) == ("pro", None)
    assert messaging.message_quota(session, context(session, bot)) == 35_000
    change = session.scalar(select(BillingChange))
    assert (change.business_id, change.created_at, change.effective_from) == (bot.owner.id, APRIL_10, APRIL_10)


def test_r_bill_02_a_downgrade_waits_for_00_00_on_the_1st_in_the_accounts_timezone(
        session: Session, bot: Bot, clock: FakeClock):
    billing.change_package(session, admin(bot), bot.account.id, "pro")
    billing.set_additional_limit(session, admin(bot), bot.account.id, 5_000)
    out = billing.change_package(session, admin(bot), bot.account.id, "free")
    assert (out.package, out.next_package, out.next_package_from) == ("pro", "free", MAY_1_BANGKOK)
    clock.set(MAY_1_BANGKOK - timedelta(microseconds=1))
    assert messaging.message_quota(session, context(session, bot)) == 40_000
    clock.set(MAY_1_BANGKOK)  # sends read the package in force before billing tidies the row
    assert messaging.message_quota(session, context(session, bot)) == 500
    board = billing.dashboard(session, admin(bot), bot.account.id)
    assert (board.package, board.next_package, board.additional_limit) == ("free", None, 0)
    account = session.get_one(OfficialAccount, bot.account.id)
    assert account.package == "pro"  # reading writes nothing; the next change settles the row first
    billing.change_package(session, admin(bot), bot.account.id, "basic")
    assert (account.package, account.next_package, account.additional_message_limit) == ("basic", None, 0)
    assert changes(session, bot)[-2:] == [("additional_limit", "5000", "0"), ("package", "free", "basic")]
    assert billing.dashboard(session, admin(bot), bot.account.id).changes[1].changed_by == "System"


def test_r_bill_02_choosing_the_current_package_calls_off_a_scheduled_downgrade(session: Session, bot: Bot):
    billing.change_package(session, admin(bot), bot.account.id, "pro")
    billing.change_package(session, admin(bot), bot.account.id, "basic")
    out = billing.change_package(session, admin(bot), bot.account.id, "pro")
    assert (out.package, out.next_package) == ("pro", None)
    scheduled = session.scalars(select(BillingChange).where(BillingChange.to_value == "basic")).one()
    assert scheduled.cancelled_at == APRIL_10 and scheduled.cancelled_by == bot.owner.id
    with pytest.raises(Invalid) as same:
        billing.change_package(session, admin(bot), bot.account.id, "pro")
    assert same.value.by_field() == {"package": "The account is already on Pro."}


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.OPERATOR_NO_BROADCASTS, Role.CHAT_OPERATOR])
def test_r_acc_04_only_admins_change_the_package_or_the_limit(session: Session, bot: Bot, role: str):
    member = BusinessActor(join(session, bot.account, bot.owner, role).id)
    with pytest.raises(NotAllowed):
        billing.change_package(session, member, bot.account.id, "pro")
    with pytest.raises(NotAllowed):
        billing.set_additional_limit(session, member, bot.account.id, 10)
    with pytest.raises(NotAllowed):
        billing.dashboard(session, member, bot.account.id)
    outsider = BusinessActor(factories.business(session).id)
    with pytest.raises(NotFound):
        billing.change_package(session, outsider, bot.account.id, "pro")
    assert session.get_one(OfficialAccount, bot.account.id).package == "free"
    assert changes(session, bot) == []


def test_r_msg_04_free_cannot_change_the_limit_and_the_page_says_why(session: Session, bot: Bot):
    with pytest.raises(Invalid) as refused:
        billing.set_additional_limit(session, admin(bot), bot.account.id, "1000")
    assert "Free package cannot send additional messages" in refused.value.by_field()["additional_limit"]
    out = billing.dashboard(session, admin(bot), bot.account.id)
    assert not out.can_change_limit and "Upgrade to Basic or Pro" in out.limit_refusal


@pytest.mark.parametrize(("raw", "says"), [("-1", "cannot be negative"), ("12.5", "whole number"),
                                           ("lots", "whole number"), ("100001", "at most 100,000")])
def test_r_msg_04_a_bad_limit_is_refused_naming_the_rule_and_nothing_changes(
        session: Session, bot: Bot, raw: str, says: str):
    billing.change_package(session, admin(bot), bot.account.id, "basic")
    billing.set_additional_limit(session, admin(bot), bot.account.id, "300")
    with pytest.raises(Invalid) as refused:
        billing.set_additional_limit(session, admin(bot), bot.account.id, raw)
    assert says in refused.value.by_field()["additional_limit"]
    assert session.get_one(OfficialAccount, bot.account.id).additional_message_limit == 300
    assert len(changes(session, bot)) == 2


def test_r_msg_04_staff_raise_the_ceiling_and_lowering_it_brings_the_limit_down(session: Session, bot: Bot):
    billing.change_package(session, admin(bot), bot.account.id, "pro")
    with pytest.raises(Invalid):
        billing.set_additional_limit(session, admin(bot), bot.account.id, 250_000)
    officer = staff(session)
    billing.set_limit_ceiling(session, officer, bot.account.id, "500,000")
    assert billing.set_additional_limit(session, admin(bot), bot.account.id, 250_000) == 250_000
    billing.set_limit_ceiling(session, officer, bot.account.id, 50_000)
    out = billing.dashboard(session, admin(bot), bot.account.id)
    assert (out.additional_limit_ceiling, out.additional_limit) == (50_000, 50_000)
    assert out.changes[0].changed_by == "Staff: Staff"
    assert changes(session, bot)[-2:] == [("limit_ceiling", "500000", "50000"),
                                           ("additional_limit", "250000", "50000")]


def test_r_msg_04_only_staff_set_a_ceiling(session: Session, bot: Bot):
    with pytest.raises(NotFound):
        billing.set_limit_ceiling(session, admin(bot), bot.account.id, 1_000_000)
    with pytest.raises(NotFound):
        billing.set_limit_ceiling(session, staff(session), 10**9, 1_000)
    with pytest.raises(Invalid):
        billing.set_limit_ceiling(session, StaffActor(1), bot.account.id, "-3")
    assert session.get_one(OfficialAccount, bot.account.id).additional_limit_ceiling == 100_000


def test_r_msg_04_month_use_is_the_sum_of_its_days_and_a_new_month_starts_at_zero(
        session: Session, bot: Bot, clock: FakeClock):
    people = friends_of(session, bot, 3)
    messaging.push(session, context(session, bot), request_id="a", to=people[0], messages=TEXT)
    clock.advance(days=1)
    messaging.multicast(session, context(session, bot), request_id="b", to=people[1:], messages=TEXT)
    rows = session.execute(select(MessageUsage.day, MessageUsage.used).order_by(MessageUsage.day)).all()
    assert [tuple(r) for r in rows] == [(10, 1), (11, 2)]
    clock.set(MAY_1_BANGKOK)
    assert messaging.quota_consumption(session, context(session, bot)) == 0
    assert session.scalar(select(func.sum(MessageUsage.used))) == 3


def test_r_bill_01_a_months_invoice_is_final_once_it_is_over_and_a_statement_before(session: Session, bot: Bot):
    billing.change_package(session, admin(bot), bot.account.id, "pro")
    use(session, bot, 2026, 3, 5, 300)
    use(session, bot, 2026, 4, 1, 35_000 + 250)
    march = billing.invoice(session, admin(bot), bot.account.id, "202603")
    assert (march.final, march.statement.package, march.statement.total_satang) == (True, "free", 0)
    assert (march.first_day.isoformat(), march.last_day.isoformat()) == ("2026-03-01", "2026-03-31")
    april = billing.invoice(session, admin(bot), bot.account.id, "202604")
    assert (april.final, april.statement.package, april.statement.additional_used) == (False, "pro", 250)
    assert april.statement.total_satang == 1_780_00 + 250 * 4
    for period in ("202601", "202605", "2026-4", "202613", "abcdef"):  # before the account, ahead, not a month
        with pytest.raises(NotFound):
            billing.invoice(session, admin(bot), bot.account.id, period)
    operator = BusinessActor(join(session, bot.account, bot.owner, Role.OPERATOR).id)
    with pytest.raises(NotAllowed):
        billing.invoice(session, operator, bot.account.id, "202603")
