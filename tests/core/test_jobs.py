"""The job runner's in-process API on the test database, with time moved by the fake clock."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from openoa.core import jobs
from openoa.core.db import Database
from openoa.core.jobs import (
    DONE,
    FAILED,
    QUEUED,
    RUNNING,
    Job,
    backoff_seconds,
    claim,
    enqueue,
    run_claimed,
    run_due_jobs,
)

ran: list[dict[str, Any]] = []
failures: Counter[str] = Counter()


@jobs.job("test.record")
def record(db: Database, **payload: Any) -> None:
    ran.append(payload)


@jobs.job("test.flaky")
def flaky(db: Database, *, key: str, fail_times: int) -> None:
    """Fails its first ``fail_times`` runs, then succeeds."""
    ran.append({"key": key})
    if failures[key] < fail_times:
        failures[key] += 1
        raise RuntimeError(f"boom {failures[key]}")


@pytest.fixture(autouse=True)
def _fresh_records() -> None:
    ran.clear()
    failures.clear()


def add_job(db: Database, name: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
    with db.scope() as session:
        return enqueue(session, name, payload, **kw).id


def job_row(db: Database, job_id: int) -> Job:
    with db.scope() as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


def test_style_7a_job_enqueued_in_a_rolled_back_transaction_leaves_no_row(db: Database) -> None:
    jobs._wake.clear()
    with pytest.raises(RuntimeError), db.scope() as session:
        enqueue(session, "test.record", {"n": 1})
        raise RuntimeError("the use case failed after queueing")
    with db.scope() as session:
        assert session.scalars(select(Job).where(Job.name == "test.record")).all() == []
    assert not jobs._wake.is_set(), "the worker must not be woken for a job that was never committed"
    assert run_due_jobs(db) == 0
    assert ran == []


def test_committed_job_runs_exactly_once(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    jobs._wake.clear()
    job_id = add_job(db, "test.record", {"n": 1})
    assert jobs._wake.is_set(), "committing a job wakes the local worker"
    clock.advance(seconds=5)
    assert run_due_jobs(db) == 1
    assert ran == [{"n": 1}]
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.locked_by, row.lease_until) == (DONE, 1, None, None)
    assert row.finished_at == clock.now()
    assert run_due_jobs(db) == 0
    assert ran == [{"n": 1}]


def test_job_scheduled_for_later_waits_for_its_run_at(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(db, "test.record", {"n": 2}, run_at=clock.now() + timedelta(minutes=10))
    clock.advance(minutes=9, seconds=59)
    assert run_due_jobs(db) == 0
    clock.advance(seconds=1)
    assert run_due_jobs(db) == 1
    assert job_row(db, job_id).state == DONE


def test_failed_job_retries_with_back_off_and_fails_after_max_attempts(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(db, "test.flaky", {"key": "a", "fail_times": 99}, max_attempts=3)

    assert run_due_jobs(db) == 1
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.locked_by) == (QUEUED, 1, None)
    assert "boom 1" in (row.last_error or "")
    assert row.run_at == clock.now() + timedelta(seconds=backoff_seconds(1))

    clock.advance(seconds=backoff_seconds(1) - 1)
    assert run_due_jobs(db) == 0, "not due before the back-off has passed"
    clock.advance(seconds=1)
    assert run_due_jobs(db) == 1
    row = job_row(db, job_id)
    assert (row.state, row.attempts) == (QUEUED, 2)
    assert row.run_at == clock.now() + timedelta(seconds=backoff_seconds(2))

    clock.advance(seconds=backoff_seconds(2) - 1)
    assert run_due_jobs(db) == 0
    clock.advance(seconds=1)
    assert run_due_jobs(db) == 1
    row = job_row(db, job_id)
    assert (row.state, row.attempts) == (FAILED, 3)
    assert row.finished_at == clock.now()
    assert "boom 3" in (row.last_error or "")

    clock.advance(hours=2)
    assert run_due_jobs(db) == 0, "a failed job is never picked up again"
    assert len(ran) == 3


def test_job_that_fails_then_succeeds_ends_done(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(db, "test.flaky", {"key": "b", "fail_times": 2}, max_attempts=5)
    for attempt in (1, 2):
        run_due_jobs(db)
        clock.advance(seconds=backoff_seconds(attempt))
    assert run_due_jobs(db) == 1
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.last_error is not None) == (DONE, 3, True)


def test_back_off_doubles_and_is_capped_at_an_hour() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert backoff_seconds(12) == 3600
    assert backoff_seconds(40) == 3600


def test_unregistered_job_fails_without_retrying(db: Database) -> None:
    job_id = add_job(db, "test.nobody_registered_this")
    assert run_due_jobs(db) == 1
    row = job_row(db, job_id)
    assert row.state == FAILED and "no job registered" in (row.last_error or "")


def test_leased_job_is_not_claimed_twice_before_the_lease_expires(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    add_job(db, "test.record", {"n": 3})
    assert len(claim(db, "w1", lease_seconds=60)) == 1
    clock.advance(seconds=59)
    assert claim(db, "w2", lease_seconds=60) == []


def test_expired_lease_is_claimed_by_another_worker_and_the_late_completion_is_refused(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(db, "test.record", {"n": 4})
    [first] = claim(db, "w1", lease_seconds=60)
    assert first.attempt == 1

    clock.advance(seconds=61)  # w1 is presumed dead
    [second] = claim(db, "w2", lease_seconds=60)
    assert (second.id, second.attempt) == (job_id, 2)
    assert run_claimed(db, second, "w2") == DONE
    finished = clock.now()

    clock.advance(seconds=30)
    # w1 was only slow; it finishes after losing the lease and is told so
    assert run_claimed(db, first, "w1") == jobs.LOST
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.finished_at) == (DONE, 2, finished)


def test_completion_is_fenced_by_attempt_for_the_same_worker_name(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    # run_due_jobs uses one worker name ("inline") everywhere, so only the attempt tells
    # a stale report from the current one.
    job_id = add_job(db, "test.flaky", {"key": "c", "fail_times": 1})
    [stale] = claim(db, "inline", lease_seconds=60)
    clock.advance(seconds=61)
    [current] = claim(db, "inline", lease_seconds=60)
    assert current.attempt == 2

    run_claimed(db, stale, "inline")  # fails, but its report must not requeue attempt 2
    row = job_row(db, job_id)
    assert (row.state, row.attempts, row.locked_by, row.last_error) == (RUNNING, 2, "inline", None)

    assert run_claimed(db, current, "inline") == DONE
    assert job_row(db, job_id).state == DONE


def test_expired_lease_past_max_attempts_fails_without_running(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    job_id = add_job(db, "test.record", {"n": 5}, max_attempts=1)
    claim(db, "w1", lease_seconds=60)
    clock.advance(seconds=61)
    [again] = claim(db, "w2", lease_seconds=60)
    assert run_claimed(db, again, "w2") == FAILED
    row = job_row(db, job_id)
    assert (row.state, row.attempts) == (FAILED, 2)
    assert "too many attempts" in (row.last_error or "")
    assert ran == []


def test_claim_takes_due_jobs_oldest_first_up_to_the_limit(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    first = add_job(db, "test.record", {"n": 1})
    clock.advance(seconds=1)
    second = add_job(db, "test.record", {"n": 2})
    add_job(db, "test.record", {"n": 3}, run_at=clock.now() + timedelta(hours=1))
    clock.advance(seconds=1)
    third = add_job(db, "test.record", {"n": 4})
    assert [c.id for c in claim(db, "w1", limit=2)] == [first, second]
    assert [c.id for c in claim(db, "w1", limit=10)] == [third]


def test_a_stopping_worker_hands_unstarted_jobs_back_at_once(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    first, second = add_job(db, "test.record", {"n": 1}), add_job(db, "test.record", {"n": 2})
    claimed = claim(db, "w1", lease_seconds=60)
    assert [c.id for c in claimed] == [first, second]
    assert jobs.release(db, "w1", [second]) == 1
    assert jobs.release(db, "w2", [first]) == 0  # only the holder can release
    row = job_row(db, second)
    assert (row.state, row.attempts, row.locked_by) == (QUEUED, 0, None)
    [again] = claim(db, "w2", lease_seconds=60)  # no lease to wait out
    assert (again.id, again.attempt) == (second, 1)


def test_a_claim_costs_the_same_whatever_the_length_of_the_queue(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    """A claim walks the index and stops after its batch: with the two due states OR-ed in one
    WHERE, SQLite collected and sorted the whole queue for every claim. Counted in SQLite's own
    VM steps (deterministic), not seconds."""
    if db.dialect != "sqlite":
        pytest.skip("SQLite's VM step counter")
    from sqlalchemy import insert

    def steps_of_one_claim() -> int:
        counted = [0]
        with db.scope() as session:
            driver = session.connection().connection.driver_connection
        driver.set_progress_handler(lambda: counted.__setitem__(0, counted[0] + 1) or 0, 10)
        try:
            assert len(claim(db, "w", limit=10)) == 10
        finally:
            driver.set_progress_handler(None, 10)
        return counted[0]

    def queue(count: int) -> None:
        now = clock.now()
        with db.scope() as session:
            session.execute(insert(Job), [{"name": "test.record", "payload": {}, "state": QUEUED, "run_at": now,
                                           "attempts": 0, "max_attempts": 10, "created_at": now}
                                          for _ in range(count)])

    queue(100)
    short = steps_of_one_claim()
    queue(5_000)
    long = steps_of_one_claim()
    assert long < short * 2, (short, long)


def test_recurring_jobs_are_queued_once_and_each_run_queues_the_next(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    queued = jobs.queue_recurring(db)
    assert "jobs.prune" in queued
    assert jobs.queue_recurring(db) == []  # already queued: not twice
    with db.scope() as session:
        row = session.scalars(select(Job).where(Job.name == "jobs.prune")).one()
        assert row.run_at == clock.now() + timedelta(hours=1)
    assert run_due_jobs(db) == 0  # not due for an hour
    clock.advance(hours=1)
    run_due_jobs(db)
    with db.scope() as session:
        runs = session.scalars(select(Job).where(Job.name == "jobs.prune").order_by(Job.id)).all()
        assert [(r.state, r.run_at) for r in runs] == [(DONE, clock.now()), (QUEUED, clock.now() + timedelta(hours=1))]


def test_finished_jobs_are_deleted_after_their_retention_and_nothing_else(db: Database, clock,  # type: ignore[no-untyped-def]
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "PRUNE_CHUNK", 2)  # several chunks
    with db.scope() as session:
        for n in range(5):
            enqueue(session, "test.record", {"n": n})
        enqueue(session, "test.record", {"n": "later"}, run_at=clock.now() + timedelta(days=30))
    run_due_jobs(db)
    with db.scope() as session:
        fourth = next(job.id for job in session.scalars(select(Job)) if job.payload["n"] == 4)
        session.execute(update(Job).where(Job.id == fourth).values(state=FAILED))
    clock.advance(days=14, seconds=1)
    with db.scope() as session:
        enqueue(session, "test.record", {"n": "fresh"})
    run_due_jobs(db)  # "fresh" finishes now: within its retention
    assert jobs.delete_finished_jobs(db, older_than=clock.now() - timedelta(days=14)) == 5
    with db.scope() as session:
        left = {str(job.payload["n"]): job.state for job in session.scalars(select(Job))}
    assert left == {"later": QUEUED, "fresh": DONE}


def test_twin_runs_of_a_recurring_job_merge_back_into_one_series(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    """Two workers may each queue a run (they check at the same moment); the next runs are one."""
    with db.scope() as session:
        for _ in range(2):
            enqueue(session, "jobs.prune", run_at=clock.now())
    assert run_due_jobs(db) == 2
    with db.scope() as session:
        queued = session.scalars(select(Job).where(Job.name == "jobs.prune", Job.state == QUEUED)).all()
    assert [job.run_at for job in queued] == [clock.now() + timedelta(hours=1)]
