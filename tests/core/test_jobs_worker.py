"""The job Worker loop in threads, on a database that really commits, with the fake clock."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select, text

from openoa.core import jobs
from openoa.core.db import Database
from openoa.core.jobs import DONE, Job, Worker, claim, enqueue

released = threading.Event()
started: list[str] = []
broke_the_table = threading.Event()


@jobs.job("test.wait_for_release")
def wait_for_release(db: Database, *, key: str) -> None:
    started.append(key)
    assert released.wait(15), "the test never released the job"


@jobs.job("test.note")
def note(db: Database, *, key: str) -> None:
    started.append(key)


@jobs.job("test.lose_the_jobs_table")
def lose_the_jobs_table(db: Database) -> None:
    """Make recording this job's outcome fail, as a database outage would."""
    with db.scope() as session:
        session.execute(text("ALTER TABLE jobs RENAME TO jobs_away"))
    broke_the_table.set()


@pytest.fixture(autouse=True)
def _reset() -> None:
    released.clear()
    started.clear()
    broke_the_table.clear()


def wait_until(condition: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def run_worker(scratch_db: Database) -> Iterator[Callable[..., Worker]]:
    """Start Worker loops in threads; each is stopped and joined after the test."""
    running: list[tuple[Worker, threading.Thread]] = []

    def start(**kw: object) -> Worker:
        worker = Worker(scratch_db, **kw)  # type: ignore[arg-type]
        thread = threading.Thread(target=worker.run, name=worker.name, daemon=True)
        thread.start()
        running.append((worker, thread))
        return worker

    yield start
    released.set()
    for worker, thread in running:
        worker.stop()
        thread.join(10)


def rows(db: Database, *ids: int) -> list[Job]:
    with db.scope() as session:
        return list(session.scalars(select(Job).where(Job.id.in_(ids)).order_by(Job.id)))


def test_heartbeat_keeps_the_lease_of_every_job_the_worker_holds(scratch_db: Database, run_worker, clock) -> None:  # type: ignore[no-untyped-def]
    with scratch_db.scope() as session:
        long_job = enqueue(session, "test.wait_for_release", {"key": "long"}).id
        next_in_batch = enqueue(session, "test.note", {"key": "next"}).id
    run_worker(name="w-beat", lease_seconds=0.3, poll_seconds=0.05, batch=10)
    wait_until(lambda: started == ["long"], what="the long job to start")

    clock.advance(seconds=60)  # by the fake clock, both leases have long run out
    wait_until(lambda: all(r.lease_until and r.lease_until > clock.now()
                           for r in rows(scratch_db, long_job, next_in_batch)),
               what="the heartbeat to renew both leases (the running job and the one queued behind it)")
    assert claim(scratch_db, "w-other", lease_seconds=60) == []

    released.set()
    wait_until(lambda: all(r.state == DONE for r in rows(scratch_db, long_job, next_in_batch)),
               what="both jobs to finish")
    assert [r.attempts for r in rows(scratch_db, long_job, next_in_batch)] == [1, 1]
    assert started == ["long", "next"]


def test_worker_survives_a_database_error_while_recording_an_outcome(scratch_db: Database, run_worker, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.ERROR, logger="openoa.jobs")
    with scratch_db.scope() as session:
        enqueue(session, "test.lose_the_jobs_table")
    run_worker(name="w-outage", lease_seconds=30, poll_seconds=0.05)
    assert broke_the_table.wait(10)
    wait_until(lambda: any("claiming jobs failed" in r.getMessage() for r in caplog.records),
               what="the worker to keep polling after the failed update")

    with scratch_db.scope() as session:
        session.execute(text("ALTER TABLE jobs_away RENAME TO jobs"))
        after = enqueue(session, "test.note", {"key": "after the outage"}).id
    wait_until(lambda: rows(scratch_db, after)[0].state == DONE, what="the next job to run")


def test_concurrent_claims_never_hand_out_a_job_twice(scratch_db: Database) -> None:
    with scratch_db.scope() as session:
        ids = {enqueue(session, "test.note", {"key": str(n)}).id for n in range(200)}
    claimed: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []
    gate = threading.Barrier(8)

    def claimer(name: str) -> None:
        try:
            gate.wait()
            while batch := claim(scratch_db, name, limit=5, lease_seconds=600):
                with lock:
                    claimed.extend(c.id for c in batch)
        except BaseException as exc:  # surfaced below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"c{n}",)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(claimed) == len(set(claimed)) == 200
    assert set(claimed) == ids
