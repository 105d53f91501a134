"""Fixed-window rate limits in the database, with windows moved by the fake clock."""

from __future__ import annotations

import pytest

from openoa.core.db import Database
from openoa.core.errors import RateLimited
from openoa.core.ratelimit import LocalWindows, hit

WINDOW = 900


def test_hits_up_to_the_limit_pass_and_the_next_is_refused(db: Database) -> None:
    for _ in range(3):
        hit(db, "login:ip:1", limit=3, window_seconds=WINDOW)
    with pytest.raises(RateLimited) as refused:
        hit(db, "login:ip:1", limit=3, window_seconds=WINDOW)
    assert refused.value.retry_after == WINDOW  # the fake clock starts on a window boundary


def test_refusal_lasts_until_the_window_boundary_exactly(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        hit(db, "k", limit=2, window_seconds=WINDOW)
    clock.advance(seconds=WINDOW - 1)
    with pytest.raises(RateLimited) as refused:
        hit(db, "k", limit=2, window_seconds=WINDOW)
    assert refused.value.retry_after == 1
    clock.advance(seconds=1)
    hit(db, "k", limit=2, window_seconds=WINDOW)
    hit(db, "k", limit=2, window_seconds=WINDOW)
    with pytest.raises(RateLimited):
        hit(db, "k", limit=2, window_seconds=WINDOW)


def test_windows_are_fixed_not_sliding(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(seconds=WINDOW - 1)
    hit(db, "k", limit=1, window_seconds=WINDOW)
    clock.advance(seconds=1)  # a new window: the hit a second ago no longer counts
    hit(db, "k", limit=1, window_seconds=WINDOW)


def test_keys_are_counted_separately(db: Database) -> None:
    hit(db, "login:email:a@example.com", limit=1, window_seconds=WINDOW)
    hit(db, "login:email:b@example.com", limit=1, window_seconds=WINDOW)
    with pytest.raises(RateLimited):
        hit(db, "login:email:a@example.com", limit=1, window_seconds=WINDOW)


def test_a_hit_counts_even_when_the_callers_transaction_rolls_back(scratch_db: Database) -> None:
    with pytest.raises(ValueError), scratch_db.scope():
        hit(scratch_db, "login:ip:2", limit=1, window_seconds=WINDOW)
        raise ValueError("the login was refused")
    with pytest.raises(RateLimited):
        hit(scratch_db, "login:ip:2", limit=1, window_seconds=WINDOW)


def test_local_windows_refuse_past_the_limit_until_the_window_ends(clock) -> None:  # type: ignore[no-untyped-def]
    windows = LocalWindows()
    for _ in range(2):
        windows.hit("channel:1:POST /v2/bot/message/push", limit=2, window_seconds=1)
    windows.hit("channel:2:POST /v2/bot/message/push", limit=2, window_seconds=1)  # another channel's own count
    with pytest.raises(RateLimited) as refused:
        windows.hit("channel:1:POST /v2/bot/message/push", limit=2, window_seconds=1)
    assert refused.value.retry_after == 1
    clock.advance(seconds=1)
    windows.hit("channel:1:POST /v2/bot/message/push", limit=2, window_seconds=1)


def test_local_windows_sweep_ended_windows_instead_of_growing(clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    windows = LocalWindows()
    monkeypatch.setattr(LocalWindows, "SWEEP_AT", 10)
    for n in range(10):
        windows.hit(f"k{n}", limit=5, window_seconds=1)
    clock.advance(seconds=2)
    windows.hit("fresh", limit=5, window_seconds=1)
    assert len(windows._counts) == 1
