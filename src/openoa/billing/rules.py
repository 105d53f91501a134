"""Packages and monthly message quotas (R-MSG-02..05): the one place the numbers live.

Money is integer satang (1 THB = 100 satang), never floats. A month runs from 00:00 on the
1st in the account's timezone, not UTC (R-MSG-04).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openoa.accounts.rules import Package

INCLUDED_MESSAGES: dict[str, int] = {Package.FREE: 500, Package.BASIC: 15_000, Package.PRO: 35_000}
ADDITIONAL_MESSAGE_SATANG = 4  # 0.04 THB; 400 THB per 10,000
PACKAGES_WITH_ADDITIONAL_MESSAGES = frozenset({Package.BASIC, Package.PRO})

# R-MSG-02: which kinds of send consume the monthly quota.
COUNTED_SENDS = frozenset({"broadcast", "targeted_broadcast", "step", "push", "multicast",
                           "api_broadcast", "narrowcast"})
NOT_COUNTED_SENDS = frozenset({"chat", "auto_response", "ai_response", "greeting", "away", "reply"})


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


def additional_used(package: str, used: int) -> int:
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
