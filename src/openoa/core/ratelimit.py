"""Fixed-window rate limits: in the database, so every server process shares them (logins,
sign-ups), or in one process's memory where a database write per request would cost more than
the request itself (the Messaging API's per-second limits)."""

from __future__ import annotations

import threading
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


class LocalWindows:
    """Fixed-window counters in this process's memory; thread-safe; old windows are dropped."""

    # Past this many live counters, windows that have ended are swept.
    SWEEP_AT = 50_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}

    def hit(self, key: str, *, limit: int, window_seconds: int) -> None:
        """Count one request for ``key``; raise :class:`RateLimited` past ``limit`` per window."""
        epoch = int(clock.now().timestamp())
        start = epoch - epoch % window_seconds
        with self._lock:
            count, _ = self._counts.get((key, start), (0, 0))
            count += 1
            self._counts[(key, start)] = (count, start + window_seconds)
            if len(self._counts) > self.SWEEP_AT:
                self._counts = {k: v for k, v in self._counts.items() if v[1] > epoch}
        if count > limit:
            raise RateLimited(retry_after=start + window_seconds - epoch)
