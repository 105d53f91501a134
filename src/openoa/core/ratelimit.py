"""Fixed-window rate limits kept in the database, so every server process shares them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core import clock
from openoa.core.db import Base, Database, UTCDateTime
from openoa.core.errors import RateLimited


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


def hit(db: Database, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one attempt for ``key``; raise :class:`RateLimited` past ``limit`` per window.

    Counted in its own transaction so a refused login (rolled back) still counts.
    """
    now = clock.now()
    epoch = int(now.timestamp())
    start_ts = epoch - epoch % window_seconds
    start = datetime.fromtimestamp(start_ts, tz=now.tzinfo)
    insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
    stmt = insert(RateLimitCounter).values(key=key, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "window_start"],
        set_={"count": RateLimitCounter.count + 1},
    ).returning(RateLimitCounter.count)
    with db.scope() as session:
        count = session.execute(stmt).scalar_one()
    if count > limit:
        raise RateLimited(retry_after=start_ts + window_seconds - epoch)
