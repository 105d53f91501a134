"""The shape of the demo data: its size limits, its logins, and how people's attributes
and friendships are spread (weights in percent, each table summing to 100)."""

from __future__ import annotations

from datetime import timedelta

from openoa.billing.rules import MAX_ADDITIONAL_LIMIT_CEILING

DEFAULT_USERS = 300
MAX_USERS = 1_000_000
# 50,000 rows per statement keeps memory flat and the progress bar moving (BENCHMARKS.md).
CHUNK = 50_000

PASSWORD = "openoa-demo-1"  # noqa: S105 - printed on purpose; a demo must be re-loginable after a rerun
ADMIN_EMAIL = "admin@demo.openoa"
OPERATOR_EMAIL = "operator@demo.openoa"
STAFF_EMAIL = "staff@demo.openoa"
PERSON_EMAIL = "somchai@demo.openoa"

PRO_ACCOUNT_NAME = "Siam Coffee"
FREE_ACCOUNT_NAME = "Baan Noodles"

YOUNGEST_AGE = 15
OLDEST_AGE = 80
FRIENDS_SINCE = timedelta(days=730)  # followed_at is spread over the past two years
BLOCKED_PERCENT = 5
FREE_ACCOUNT_SHARE_PERCENT = 35  # every demo person follows the Pro account, about a third the Free one

FIRST_NAMES = ("Somchai", "Suda", "Niran", "Malee", "Anong", "Kittisak", "Pimchanok", "Wichai",
               "Nattaya", "Arthit", "Ploy", "Chaiya", "Kanya", "Somsak", "Ratana", "Tanawat")

# None means "unknown": sends without targeting still reach people with unknown attributes.
GENDER_WEIGHTS: tuple[tuple[str | None, int], ...] = (("female", 49), ("male", 47), (None, 4))
OS_WEIGHTS: tuple[tuple[str | None, int], ...] = (("android", 58), ("ios", 38), ("other", 4))
# Mostly the eight Thai regions (Bangkok largest), a few people in Japan and Taiwan.
AREA_WEIGHTS: tuple[tuple[str | None, int], ...] = (
    ("th_01", 36), ("th_07", 14), ("th_04", 12), ("th_03", 10), ("th_05", 8), ("th_06", 6),
    ("th_02", 4), ("th_08", 4), ("jp_13", 2), ("jp_27", 1), ("tw_01", 2), ("tw_02", 1),
)
PRO_PATH_WEIGHTS: tuple[tuple[str | None, int], ...] = (
    ("qr", 24), ("url", 18), ("search", 14), ("button", 10), ("profile", 10), ("ad", 12),
    ("poster", 6), ("share", 6),
)
FREE_PATH_WEIGHTS: tuple[tuple[str | None, int], ...] = (
    ("qr", 30), ("poster", 16), ("search", 14), ("url", 12), ("share", 10), ("profile", 8),
    ("button", 6), ("ad", 4),
)


# The big account may send to every friend this many times a month (benchmarks send it a few
# broadcasts in a row); within the platform's largest ceiling.
SENDS_PER_MONTH = 10
LARGEST_LIMIT = MAX_ADDITIONAL_LIMIT_CEILING


def additional_limit(users: int) -> int:
    """The Pro demo account's additional-message limit: room for SENDS_PER_MONTH sends to everyone."""
    return min(LARGEST_LIMIT, max(100_000, SENDS_PER_MONTH * users))


def users_problem(users: int) -> str | None:
    """Why ``users`` is not a size the demo can be built with, or None."""
    if users < 1:
        return "The number of demo users must be at least 1."
    if users > MAX_USERS:
        return f"The number of demo users can be at most {MAX_USERS:,}."
    return None


def chunks(users: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """The (first, last) row numbers, 1-based and inclusive, of each insert statement."""
    return [(first, min(first + size - 1, users)) for first in range(1, users + 1, size)]
