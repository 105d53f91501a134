"""Statement builders of the demo data: people, friendships and scoped user IDs, set-based.

Each builder returns one ``INSERT … SELECT`` covering a chunk of rows, so a million people
cost twenty statements per table instead of a million round trips (listmonk's lesson, and
BENCHMARKS.md measured ``executemany`` about three times slower than ``INSERT … SELECT``).

People come from a recursive CTE counting ``n`` through the chunk
(``WITH RECURSIVE seq(n) AS (SELECT first UNION ALL SELECT n + 1 … WHERE n < last)``), which
both SQLite and PostgreSQL run. Their attributes are arithmetic on ``n``, so the same ``n``
always gives the same person. Friendships and scoped IDs read the chunk back from ``users`` by
primary-key range ``(after_user_id, last_user_id]`` rather than assuming which IDs the
database handed out; every range read has an index behind it (named on each builder).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    Insert,
    Select,
    String,
    Text,
    case,
    cast,
    func,
    insert,
    literal,
    null,
    select,
    type_coerce,
)
from sqlalchemy.sql.expression import CTE

from openoa.demo import rules
from openoa.friends.models import Friendship, ScopedUserId
from openoa.users.models import User

# A roll squares an affine step of n modulo the prime P and keeps the high digits:
# ((n·a + b) mod P)² mod P scaled to 0..k-1. Squaring breaks the lattice patterns a purely
# linear (n·a mod P) walk leaves between attributes (blocked people all missing from one
# friend path, say); each attribute has its own (a, b) so attributes do not move together.
# Every intermediate stays below 2^47 for n up to a few million, safe in BIGINT.
_P = 1_000_003
_GENDER, _AGE_A, _AGE_B, _AREA, _OS, _NAME, _JOINED = (
    (618_034, 1), (414_215, 3), (732_053, 5), (141_593, 7), (236_069, 11), (693_149, 13), (302_776, 17))
_PATH, _FOLLOWED, _BLOCKED, _FREE_SHARE = (577_217, 19), (259_921, 23), (847_213, 29), (381_967, 31)

_TWO_YEARS = int(rules.FRIENDS_SINCE.total_seconds())
_ONE_YEAR = 365 * 86_400


def roll(n: ColumnElement[int], salt: tuple[int, int], k: int) -> ColumnElement[int]:
    """A deterministic, evenly spread integer in 0..k-1 for row number ``n``."""
    a, b = salt
    step = (n * a + b) % _P
    return ((step * step) % _P) * k // _P


def _for_account(salt: tuple[int, int], account_id: int) -> tuple[int, int]:
    """The salt shifted per account, so two accounts' friend paths and blocks differ."""
    return salt[0] + account_id, salt[1] + account_id


def weighted(percent: ColumnElement[int], weights: Sequence[tuple[str | None, int]]) -> ColumnElement[str]:
    """The value whose cumulative weight band ``percent`` (0..99) falls in."""
    whens = []
    upper = 0
    for value, weight in weights[:-1]:
        upper += weight
        whens.append((percent < upper, literal(value, String) if value is not None else null()))
    last = weights[-1][0]
    return case(*whens, else_=literal(last, String) if last is not None else null())


def seconds_before(dialect: str, now: datetime, seconds: ColumnElement[int]) -> ColumnElement[datetime]:
    """``now`` minus ``seconds``, as the dialect stores our UTC datetimes."""
    naive = now.astimezone(UTC).replace(tzinfo=None)
    if dialect == "sqlite":
        # SQLAlchemy keeps SQLite datetimes as "YYYY-MM-DD HH:MM:SS.ffffff" text; match it so
        # string comparisons against rows written by Python stay right.
        modifier = literal("-").concat(cast(seconds, String)).concat(" seconds")
        text = func.datetime(literal(naive.strftime("%Y-%m-%d %H:%M:%S")), modifier).concat(".000000")
        return type_coerce(text, DateTime())
    if dialect == "postgresql":
        return literal(naive, DateTime()) - func.make_interval(0, 0, 0, 0, 0, 0, seconds)
    raise ValueError(f"demo data supports sqlite and postgresql, not {dialect}")


def random_scoped_id(dialect: str, n: ColumnElement[int]) -> ColumnElement[str]:
    """``U`` + 32 random lowercase hex digits, made in the database (R-FRD-05)."""
    if dialect == "sqlite":
        return literal("U").concat(func.lower(func.hex(func.randomblob(16))))
    if dialect == "postgresql":
        return literal("U").concat(func.md5(cast(func.random(), Text).concat(cast(n, Text))))
    raise ValueError(f"demo data supports sqlite and postgresql, not {dialect}")


def sequence(first: int, last: int) -> CTE:
    """``seq(n)`` counting ``first``..``last`` inclusive."""
    seq = select(literal(first, BigInteger).label("n")).cte("seq", recursive=True)
    return seq.union_all(select((seq.c.n + 1).label("n")).where(seq.c.n < last))


def last_user_id() -> Select:
    """The highest user ID so far: the lower bound of the next chunk (primary key, one seek)."""
    return select(func.coalesce(func.max(User.id), 0))


def insert_people(first: int, last: int, *, dialect: str, now: datetime) -> Insert:
    """Demo people ``first``..``last``: no email, no password, varied gender, age, area and OS.

    Ages are the sum of two rolls (a triangle over 15–80, most people in their forties);
    ``created_at`` lies two to three years back, before any of their friendships.
    """
    seq = sequence(first, last)
    n = seq.c.n
    names = case(*[(roll(n, _NAME, len(rules.FIRST_NAMES)) == i, literal(name, String))
                   for i, name in enumerate(rules.FIRST_NAMES)], else_=literal(rules.FIRST_NAMES[0], String))
    span = rules.OLDEST_AGE - rules.YOUNGEST_AGE  # 65 = 32 + 33
    age = rules.YOUNGEST_AGE + roll(n, _AGE_A, span // 2 + 1) + roll(n, _AGE_B, span - span // 2 + 1)
    rows = select(
        names.concat(" ").concat(cast(n, String)).label("display_name"),
        literal("", String).label("status_message"),
        weighted(roll(n, _GENDER, 100), rules.GENDER_WEIGHTS).label("gender"),
        (literal(now.year, BigInteger) - age).label("birth_year"),
        weighted(roll(n, _AREA, 100), rules.AREA_WEIGHTS).label("area"),
        weighted(roll(n, _OS, 100), rules.OS_WEIGHTS).label("os"),
        literal(True).label("active"),
        seconds_before(dialect, now, _TWO_YEARS + roll(n, _JOINED, _ONE_YEAR)).label("created_at"),
    ).select_from(seq)
    return insert(User).from_select(
        ["display_name", "status_message", "gender", "birth_year", "area", "os", "active", "created_at"], rows)


def insert_friendships(account_id: int, *, after_user_id: int, last_user_id: int, dialect: str, now: datetime,
                       paths: Sequence[tuple[str | None, int]], share_percent: int = 100) -> Insert:
    """Friendships of the demo people in ``(after_user_id, last_user_id]`` with one account.

    ``share_percent`` of them follow it; the friend path follows ``paths``; followed_at is
    spread over two years; about ``BLOCKED_PERCENT`` have blocked it (blocked halfway between
    following and now). Reads users by primary-key range; only people without an email
    (demo people) are picked, so a real sign-up that slipped into the range is left alone.
    """
    users = User.__table__
    n = cast(users.c.id, BigInteger)
    followed_ago = roll(n, _for_account(_FOLLOWED, account_id), _TWO_YEARS)
    blocked = roll(n, _for_account(_BLOCKED, account_id), 100) < rules.BLOCKED_PERCENT
    rows = select(
        literal(account_id).label("account_id"),
        users.c.id.label("user_id"),
        weighted(roll(n, _for_account(_PATH, account_id), 100), paths).label("friend_path"),
        blocked.label("blocked"),
        seconds_before(dialect, now, followed_ago).label("followed_at"),
        case((blocked, seconds_before(dialect, now, followed_ago // 2)), else_=null()).label("blocked_at"),
    ).where(users.c.id > after_user_id, users.c.id <= last_user_id, users.c.email.is_(None))
    if share_percent < 100:
        rows = rows.where(roll(n, _FREE_SHARE, 100) < share_percent)
    return insert(Friendship).from_select(
        ["account_id", "user_id", "friend_path", "blocked", "followed_at", "blocked_at"], rows)


def insert_scoped_ids(account_id: int, provider_id: str, *, after_user_id: int, last_user_id: int,
                      dialect: str) -> Insert:
    """A scoped ``U…`` ID under ``provider_id`` for every friend of the account in the range.

    Range-scans uq_friendships_account_id_user_id (account_id, user_id). Rows go in sorted
    by the new ID so the unique index on scoped_id is filled page by page rather than at
    random (about 20 % faster at a million on SQLite). The people are new, so no (provider,
    user) pair exists yet; 128 random bits make a scoped_id clash unlikely enough that the
    unique index refusing the chunk is the right answer if it ever happens.
    """
    f = Friendship.__table__
    scoped_id = random_scoped_id(dialect, f.c.user_id).label("scoped_id")
    rows = (
        select(literal(provider_id, String).label("provider_id"), f.c.user_id, scoped_id)
        .where(f.c.account_id == account_id, f.c.user_id > after_user_id, f.c.user_id <= last_user_id)
        .order_by(scoped_id)
    )
    return insert(ScopedUserId).from_select(["provider_id", "user_id", "scoped_id"], rows)
