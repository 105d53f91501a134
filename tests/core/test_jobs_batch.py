"""Batch jobs: a Worker hands every claimed job of a batch-registered name to one call (topped
up past its claim size), finishes the successes together, fenced by (worker, attempt) like a
single job, and retries a failed one alone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from openoa.core import jobs
from openoa.core.db import Database
from openoa.core.jobs import (
    DONE,
    FAILED,
    LOST,
    QUEUED,
    Claimed,
    Job,
    Worker,
    claim,
    enqueue,
    run_claimed_batch,
)

calls: list[list[str]] = []
failing: set[str] = set()


@jobs.batch_job("test.batched", size=25)
def batched(db: Database, claimed: list[Claimed]) -> dict[int, str]:
    calls.append([item.payload["key"] for item in claimed])
    return {item.id: "refused" for item in claimed if item.payload["key"] in failing}


@jobs.job("test.batched")
def one_batched(db: Database, *, key: str) -> None:
    calls.append([key])


@jobs.job("test.single")
def single(db: Database, *, key: str) -> None:
    calls.append([f"single {key}"])


def _reset() -> None:
    calls.clear()
    failing.clear()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def run_until(worker: Worker, monkeypatch: pytest.MonkeyPatch,
              stop_when: Callable[[dict[str, Any], list[Claimed]], bool]) -> None:
    """Run ``worker`` in this thread until a claim (its keyword arguments, what it took) meets ``stop_when``."""
    original = jobs.claim

    def watched(*args: Any, **kwargs: Any) -> list[Claimed]:
        claimed = original(*args, **kwargs)
        if stop_when(kwargs, claimed):
            worker.stop()
        return claimed

    monkeypatch.setattr(jobs, "claim", watched)
    worker.run()


def states(db: Database) -> dict[str, str]:
    """The test's jobs by key (a Worker also queues the housekeeping job, which has none)."""
    with db.scope() as session:
        return {job.payload["key"]: job.state for job in session.scalars(select(Job)) if "key" in job.payload}


def test_worker_runs_a_batch_names_jobs_together_topped_up_past_its_claim(scratch_db: Database) -> None:
    _reset()
    with scratch_db.scope() as session:
        enqueue(session, "test.single", {"key": "first"})
        for n in range(30):
            enqueue(session, "test.batched", {"key": str(n)})
    worker = Worker(scratch_db, batch=10, poll_seconds=0.05)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: set(states(scratch_db).values()) == {DONE})
    finally:
        worker.stop()
        thread.join(10)
    assert calls[0] == ["single first"]
    # Claimed 10 (one single, nine batched), topped up to the batch size of 25, then the rest.
    assert [len(c) for c in calls[1:]] == [25, 5]
    assert sorted(int(k) for c in calls[1:] for k in c) == list(range(30))


def test_a_failed_job_of_a_batch_is_retried_alone_and_the_rest_finish(scratch_db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    _reset()
    failing.add("b")
    with scratch_db.scope() as session:
        for key in "abc":
            enqueue(session, "test.batched", {"key": key}, max_attempts=2)
    held = claim(scratch_db, "w1", limit=10)
    assert run_claimed_batch(scratch_db, held, "w1") == {held[0].id: DONE, held[1].id: QUEUED, held[2].id: DONE}
    assert states(scratch_db) == {"a": DONE, "b": QUEUED, "c": DONE}
    with scratch_db.scope() as session:
        retry = session.scalar(select(Job).where(Job.payload["key"].as_string() == "b"))
        assert retry is not None and retry.last_error == "refused" and retry.run_at > clock.now()

    clock.advance(seconds=60)
    again = claim(scratch_db, "w1", limit=10)
    assert [item.payload["key"] for item in again] == ["b"]
    assert run_claimed_batch(scratch_db, again, "w1") == {again[0].id: FAILED}  # its last attempt
    assert calls == [["a", "b", "c"], ["b"]]


def test_a_batch_finishing_after_its_lease_passed_on_is_lost_not_done(scratch_db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    _reset()
    with scratch_db.scope() as session:
        enqueue(session, "test.batched", {"key": "x"})
    stale = claim(scratch_db, "w-old", limit=10, lease_seconds=5)
    clock.advance(seconds=10)
    fresh = claim(scratch_db, "w-new", limit=10)
    assert [item.id for item in fresh] == [item.id for item in stale]
    assert run_claimed_batch(scratch_db, stale, "w-old") == {stale[0].id: LOST}
    assert states(scratch_db) == {"x": "running"}
    assert run_claimed_batch(scratch_db, fresh, "w-new") == {fresh[0].id: DONE}


def test_claim_by_name_takes_only_that_names_jobs(scratch_db: Database) -> None:
    with scratch_db.scope() as session:
        enqueue(session, "test.single", {"key": "s"})
        enqueue(session, "test.batched", {"key": "b"})
    assert [item.name for item in claim(scratch_db, "w", limit=10, name="test.batched")] == ["test.batched"]


events: list[str] = []


class _Sending:
    """A batch body's work in flight: completes when the test says so."""

    def __init__(self, db: Database, keys: list[str], failed: dict[int, str]) -> None:
        self.db, self.keys, self.failed = db, keys, failed

    def complete(self, settle: jobs.Settle) -> None:
        events.append(f"complete {self.keys[0]}..{self.keys[-1]}")
        with self.db.scope() as session:
            settle(session, self.failed)


@jobs.batch_job("test.in_flight", size=10)
def in_flight(db: Database, claimed: list[Claimed]) -> _Sending:
    keys = [item.payload["key"] for item in claimed]
    events.append(f"start {keys[0]}..{keys[-1]}")
    return _Sending(db, keys, {item.id: "refused" for item in claimed if item.payload["key"] in failing})


@jobs.job("test.in_flight")
def one_in_flight(db: Database, *, key: str) -> None:
    events.append(f"alone {key}")


def test_a_batch_in_flight_is_completed_after_the_next_batch_started(scratch_db: Database) -> None:
    """The network time of one batch overlaps the next batch's database work: the Worker starts
    batch n+1 before it completes batch n, completes the last one when nothing else is due, and
    every job ends as its body said."""
    _reset()
    events.clear()
    failing.add("k13")
    with scratch_db.scope() as session:
        for n in range(10, 40):
            enqueue(session, "test.in_flight", {"key": f"k{n}"}, max_attempts=1)
    worker = Worker(scratch_db, batch=10, poll_seconds=0.05)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: len(events) >= 6)
        wait_until(lambda: QUEUED not in states(scratch_db).values() and "running" not in states(scratch_db).values())
    finally:
        worker.stop()
        thread.join(10)
    assert events[:6] == ["start k10..k19", "start k20..k29", "complete k10..k19",
                          "start k30..k39", "complete k20..k29", "complete k30..k39"]
    final = states(scratch_db)
    assert final.pop("k13") == FAILED and set(final.values()) == {DONE}
    assert worker._held == set()


def test_a_stopping_worker_completes_the_batch_in_flight(scratch_db: Database,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _reset()
    events.clear()
    with scratch_db.scope() as session:
        for n in range(10, 20):
            enqueue(session, "test.in_flight", {"key": f"k{n}"})
    worker = Worker(scratch_db, batch=10, poll_seconds=5)
    run_until(worker, monkeypatch, lambda _asked, _claimed: any(e.startswith("start") for e in events))
    assert events == ["start k10..k19", "complete k10..k19"]
    assert set(states(scratch_db).values()) == {DONE}


class _Broken:
    def __init__(self, db: Database, *, settles: bool) -> None:
        self.db, self.settles = db, settles

    def complete(self, settle: jobs.Settle) -> None:
        with self.db.scope() as session:
            if self.settles:
                settle(session, {})
                raise RuntimeError("the recording transaction failed")


@jobs.batch_job("test.breaks_after_settling", size=10)
def breaks_after_settling(db: Database, claimed: list[Claimed]) -> _Broken:
    return _Broken(db, settles=True)


@jobs.batch_job("test.never_settles", size=10)
def never_settles(db: Database, claimed: list[Claimed]) -> _Broken:
    return _Broken(db, settles=False)


def test_a_batch_whose_recording_fails_is_retried_not_done(scratch_db: Database) -> None:
    """The jobs' states commit with what the batch recorded: a recording that fails after settling
    leaves no job done — each goes back to the queue with the error."""
    with scratch_db.scope() as session:
        for n in range(3):
            enqueue(session, "test.breaks_after_settling", {"key": str(n)})
    held = claim(scratch_db, "w", limit=10, name="test.breaks_after_settling")
    assert set(run_claimed_batch(scratch_db, held, "w").values()) == {QUEUED}
    with scratch_db.scope() as session:
        rows = session.scalars(select(Job)).all()
        assert {row.state for row in rows} == {QUEUED}
        assert all("the recording transaction failed" in (row.last_error or "") for row in rows)


def test_a_batch_that_completes_without_settling_is_retried(scratch_db: Database) -> None:
    with scratch_db.scope() as session:
        enqueue(session, "test.never_settles", {"key": "a"})
    held = claim(scratch_db, "w", limit=10, name="test.never_settles")
    assert list(run_claimed_batch(scratch_db, held, "w").values()) == [QUEUED]
    with scratch_db.scope() as session:
        assert "without settling" in (session.scalars(select(Job)).one().last_error or "")


def test_after_a_full_batch_the_worker_claims_a_whole_batch_at_once(scratch_db: Database,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """No top-up round trip while a batch name's jobs keep coming; back to the usual claim after."""
    _reset()
    with scratch_db.scope() as session:
        for n in range(60):
            enqueue(session, "test.batched", {"key": str(n)})
    worker = Worker(scratch_db, batch=5, poll_seconds=5)
    asked: list[tuple[int, str | None]] = []

    def nothing_left(claim_asked: dict[str, Any], claimed: list[Claimed]) -> bool:
        asked.append((claim_asked["limit"], claim_asked.get("name")))
        return not claimed and claim_asked.get("name") is None

    run_until(worker, monkeypatch, nothing_left)
    assert asked == [(5, None), (20, "test.batched"), (25, None), (25, None), (15, "test.batched"), (5, None)]
    assert [len(c) for c in calls] == [25, 25, 10]
    assert set(states(scratch_db).values()) == {DONE}
