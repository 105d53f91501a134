"""Packages and monthly message quotas (R-MSG-02..05): the one place the numbers live.

Money is integer satang (1 THB = 100 satang), never floats. A month runs from 00:00 on the
1st in the account's timezone, not UTC (R-MSG-04).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from openoa.accounts.rules import FEATURE_GATES, Feature, Package

INCLUDED_MESSAGES: dict[str, int] = {Package.FREE: 500, Package.BASIC: 15_000, Package.PRO: 35_000}
# Monthly fees of LINE Official Account Thailand's packages (lineforbusiness.com/th), VAT excluded.
PACKAGE_FEE_SATANG: dict[str, int] = {Package.FREE: 0, Package.BASIC: 1_280_00, Package.PRO: 1_780_00}
PACKAGE_LABELS: dict[str, str] = {Package.FREE: "Free", Package.BASIC: "Basic", Package.PRO: "Pro"}
# Cheapest first: moving right is an upgrade (applies at once), left a downgrade (next month).
PACKAGE_ORDER = (Package.FREE, Package.BASIC, Package.PRO)
ADDITIONAL_MESSAGE_SATANG = 4  # 0.04 THB; 400 THB per 10,000
# Who may buy additional messages is the shared feature gate's answer (R-MSG-04).
PACKAGES_WITH_ADDITIONAL_MESSAGES: frozenset[str] = (FEATURE_GATES[Feature.ADDITIONAL_MESSAGES].packages
                                                     or frozenset(Package))

# R-MSG-02: which kinds of send consume the monthly quota.
# ("broadcast" is what the Broadcast API stores; "console_broadcast" the console's composer.)
COUNTED_SENDS = frozenset({"broadcast", "targeted_broadcast", "step", "push", "multicast",
                           "api_broadcast", "narrowcast", "console_broadcast"})
NOT_COUNTED_SENDS = frozenset({"chat", "auto_response", "ai_response", "greeting", "away", "reply"})


# The most additional messages an admin may allow until staff raise the account's ceiling on an
# inquiry (R-MSG-04): 100,000 (4,000 THB a month).
DEFAULT_ADDITIONAL_LIMIT_CEILING = 100_000
# No ceiling staff set goes above this: it keeps a month's charge far inside what integers and
# invoices carry, and a typo (an extra zero or three) from becoming a bill.
MAX_ADDITIONAL_LIMIT_CEILING = 100_000_000


def is_counted(send_kind: str) -> bool:
    """Whether a send of this kind consumes the monthly quota (R-MSG-02)."""
    if send_kind in COUNTED_SENDS:
        return True
    if send_kind in NOT_COUNTED_SENDS:
        return False
    raise ValueError(f"unknown send kind {send_kind!r}")


def included_messages(package: str) -> int:
    return INCLUDED_MESSAGES[Package(package)]


def may_send_additional(package: str) -> bool:
    """Free accounts stop at their included messages; Basic and Pro may buy more (R-MSG-04)."""
    return Package(package) in PACKAGES_WITH_ADDITIONAL_MESSAGES



def monthly_limit(package: str, additional_limit: int) -> int:
    """Counted messages allowed this month: included, plus the admin's additional limit where allowed."""
    if additional_limit < 0:
        raise ValueError("an additional-message limit cannot be negative")
    extra = additional_limit if may_send_additional(package) else 0
    return included_messages(package) + extra


def remaining(package: str, additional_limit: int, used: int) -> int:
    """Counted messages still allowed this month (never below zero)."""
    return max(0, monthly_limit(package, additional_limit) - used)


def fits(package: str, additional_limit: int, used: int, recipients: int) -> bool:
    """A counted send fits whole, or it is refused whole (R-MSG-05)."""
    return recipients <= remaining(package, additional_limit, used)


def over_quota_explanation(package: str, remaining_messages: int, needed: int) -> str:
    """What a refused counted send tells its sender: what it needed, what is left, how to get more."""
    asked = f"This send needs {needed:,} counted message{'s' if needed != 1 else ''}; "
    left = f"{remaining_messages:,} {'is' if remaining_messages == 1 else 'are'} left this month. "
    if not may_send_additional(package):
        return asked + left + ("The Free package cannot send more than its 500 a month: an admin can upgrade to "
                               "Basic or Pro in Settings › Usage and billing.")
    return asked + left + ("An admin can raise the additional-message limit in Settings › Usage and billing, "
                           "up to the ceiling set for this account.")


def additional_used(package: str, used: int) -> int:
    """Messages beyond the package's included ones; none on a package that cannot buy them."""
    if not may_send_additional(package):
        return 0
    return max(0, used - included_messages(package))


def additional_charge_satang(package: str, used: int) -> int:
    """What the additional messages of a month cost, in satang (4 each)."""
    return additional_used(package, used) * ADDITIONAL_MESSAGE_SATANG


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    def start(self, timezone: str) -> datetime:
        """00:00 on the 1st in ``timezone``, as UTC."""
        return datetime(self.year, self.month, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def end(self, timezone: str) -> datetime:
        """The start of the next month: months are half-open [start, end)."""
        return self.next().start(timezone)


def month_of(moment: datetime, timezone: str) -> Month:
    """The billing month ``moment`` falls in, read on the account's wall clock."""
    local = moment.astimezone(ZoneInfo(timezone))
    return Month(local.year, local.month)


def parse_period(period: str) -> Month | None:
    """``YYYYMM`` (as invoice numbers end) as a month, or None when it is not one."""
    if len(period) != 6 or not period.isascii() or not period.isdigit() or not 1 <= int(period[4:]) <= 12:
        return None
    return Month(int(period[:4]), int(period[4:]))


def month_days(month: Month) -> int:
    """How many days ``month`` has."""
    return (date(month.next().year, month.next().month, 1) - timedelta(days=1)).day


def day_of(moment: datetime, timezone: str) -> date:
    """The calendar day ``moment`` falls on in the account's timezone (daily use is counted by it)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


# ---------------------------------------------------------------- package changes (R-BILL-02)

def is_package(value: str) -> bool:
    return value in PACKAGE_ORDER


def is_upgrade(current: str, requested: str) -> bool:
    """Whether ``requested`` is a dearer package than ``current``."""
    return PACKAGE_ORDER.index(Package(requested)) > PACKAGE_ORDER.index(Package(current))


def change_takes_effect(current: str, requested: str, now: datetime, timezone: str) -> datetime:
    """When a package change applies: an upgrade at once, a downgrade at 00:00 on the next 1st in the
    account's timezone (R-BILL-02), so a month never loses messages it was sold."""
    if is_upgrade(current, requested):
        return now
    return month_of(now, timezone).end(timezone)


@dataclass(frozen=True)
class Terms:
    """An account's billing terms as they stand at a moment."""

    package: str
    next_package: str | None
    next_package_from: datetime | None
    additional_limit: int


def terms_in_force(package: str, next_package: str | None, next_from: datetime | None, additional_limit: int,
                   moment: datetime) -> Terms:
    """The terms at ``moment``: once a scheduled downgrade's month has begun it is the package, and
    a package that cannot buy additional messages has no limit for them."""
    if next_package is not None and next_from is not None and next_from <= moment:
        package, next_package, next_from = next_package, None, None
    return Terms(package, next_package, next_from, additional_limit if may_send_additional(package) else 0)


def package_of_month(initial: str, changes: list[tuple[datetime, str]], month: Month, timezone: str) -> str:
    """The package a month is billed at: the one in force at its last moment. Upgrades apply
    mid-month and downgrades only at a month's start, so that is the dearest the month had.
    ``changes``: (effective from, package) of every change that was not cancelled."""
    end = month.end(timezone)
    package = initial
    for effective_from, to_package in sorted(changes):
        if effective_from < end:
            package = to_package
    return package


# ---------------------------------------------------------------- the additional-message limit

def parse_additional_limit(raw: object) -> int | str:
    """The limit as a whole number of messages (typed in a form, or any JSON value), or a sentence
    saying what is wrong with it."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif not isinstance(raw, str):
        return "Enter a whole number of messages, like 10000."
    else:
        text = raw.strip().replace(",", "")
        if not text:
            return "Enter the number of additional messages."
        if not text.lstrip("-").isdigit() or not text.isascii():
            return "Enter a whole number of messages, like 10000."
        value = int(text)
    if value < 0:
        return "The limit cannot be negative."
    return value


def additional_limit_problem(package: str, value: int, ceiling: int) -> str | None:
    """Why an admin may not set ``value`` as the additional-message limit, or None (R-MSG-04)."""
    if not may_send_additional(package):
        return ("The Free package cannot send additional messages, so its limit cannot be changed. "
                "Upgrade to Basic or Pro first.")
    if value < 0:
        return "The limit cannot be negative."
    if value > ceiling:
        return (f"The limit can be at most {ceiling:,} messages, the ceiling set for this account. "
                "To go higher, send an inquiry to platform staff.")
    return None


def ceiling_problem(value: int) -> str | None:
    """Why staff may not set ``value`` as an account's ceiling, or None."""
    if value < 0:
        return "The ceiling cannot be negative."
    if value > MAX_ADDITIONAL_LIMIT_CEILING:
        return f"The ceiling can be at most {MAX_ADDITIONAL_LIMIT_CEILING:,} messages."
    return None


# ---------------------------------------------------------------- a month's bill (R-BILL-01)

@dataclass(frozen=True)
class Statement:
    """What a month costs: the package fee plus its additional messages, in satang."""

    month: Month
    package: str
    used: int
    included: int
    additional_used: int
    fee_satang: int
    additional_satang: int

    @property
    def total_satang(self) -> int:
        return self.fee_satang + self.additional_satang


def statement(month: Month, package: str, used: int) -> Statement:
    """The month's bill for ``used`` counted messages on ``package``."""
    if used < 0:
        raise ValueError("used messages cannot be negative")
    return Statement(month=month, package=package, used=used, included=included_messages(package),
                     additional_used=additional_used(package, used), fee_satang=PACKAGE_FEE_SATANG[Package(package)],
                     additional_satang=additional_charge_satang(package, used))


def projected_use(used: int, now: datetime, month: Month, timezone: str, limit: int) -> int:
    """Counted messages the month ends with if sending goes on at its pace so far, never above
    what the limit allows (or what was already used). Integer arithmetic: no float creeps into a bill."""
    start, end = month.start(timezone), month.end(timezone)
    elapsed = int((min(max(now, start), end) - start).total_seconds())
    if elapsed <= 0 or used == 0:
        return used
    whole = int((end - start).total_seconds())
    paced = -(-used * whole // elapsed)  # ceiling division
    return max(used, min(paced, limit))


def thb(satang: int) -> str:
    """Satang as baht for people: ``128000`` → ``1,280.00``."""
    sign = "-" if satang < 0 else ""
    baht, rest = divmod(abs(satang), 100)
    return f"{sign}{baht:,}.{rest:02d}"
