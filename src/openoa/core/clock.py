"""The only source of "now": production reads the system clock, tests move a fake one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to, so expiries are tested exactly."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 15, 3, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> datetime:
        self._now += timedelta(**delta)
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment


_current: Clock = SystemClock()


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _current.now()


def use(clock: Clock) -> Clock:
    """Install ``clock`` as the source of time; returns the previous one so tests can restore it."""
    global _current
    previous, _current = _current, clock
    return previous
