"""The job runner across real worker processes: a worker killed mid-job, and two workers
sharing a batch. Workers run tests/core/worker_process.py on the system clock, so jobs
here are queued with a ``run_at`` from the system clock too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from openoa.core.clock import SystemClock
from openoa.core.db import Database
from openoa.core.jobs import DONE, RUNNING, Job, enqueue
from tests.core.worker_process import job_effects

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


def due_now() -> dict[str, object]:
    return {"run_at": SystemClock().now() - timedelta(seconds=1)}


class WorkerProcesses:
    """Starts worker processes on one database; kills whatever is left after the test."""

    def __init__(self, url: str, flags: Path) -> None:
        self.url, self.flags = url, flags
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, *names: str, lease: float = 1.0, batch: int = 10) -> list[subprocess.Popen[bytes]]:
        """Launch one worker per name together, and wait until every one is ready to claim."""
        started = []
        for name in names:
            with open(self.flags / f"{name}.log", "wb") as log:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "tests.core.worker_process", "--url", self.url, "--name", name,
                     "--flags", str(self.flags), "--lease", str(lease), "--batch", str(batch),
                     "--poll", "0.1"],
                    cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.procs[name] = proc
            started.append(proc)
        for name, proc in zip(names, started, strict=True):
            wait_until(lambda: (self.flags / f"ready-{name}").exists() or proc.poll() is not None,  # noqa: B023
                       30, f"worker {name} to start")
            assert proc.poll() is None, f"worker {name} exited early:\n{self.output(name)}"
        return started

    def output(self, name: str) -> str:
        return (self.flags / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str) -> int:
        proc = self.procs[name]
        proc.send_signal(signal.SIGTERM)
        return proc.wait(15)

    def kill_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def workers(scratch_database_url: str, tmp_path: Path) -> Iterator[WorkerProcesses]:
    flags = tmp_path / "flags"
    flags.mkdir()
    procs = WorkerProcesses(scratch_database_url, flags)
    yield procs
    procs.kill_all()


def job_row(db: Database, job_id: int) -> Job:
    with db.scope() as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


def effects(db: Database) -> list[tuple[str, str]]:
    with db.scope() as session:
        return [(r.key, r.worker) for r in session.execute(select(job_effects.c.key, job_effects.c.worker))]


def test_worker_killed_mid_job_is_finished_exactly_once_by_another(scratch_db: Database, workers: WorkerProcesses) -> None:
    (workers.flags / "hold").touch()
    with scratch_db.scope() as session:
        job_id = enqueue(session, "test.effect", {"key": "crash"}, **due_now()).id  # type: ignore[arg-type]

    [first] = workers.start("first", lease=1.0)
    wait_until(lambda: (workers.flags / "started-crash").exists(), 20, "the job to start in the first worker")
    os.kill(first.pid, signal.SIGKILL)  # mid-job: its effect is written but not committed
    first.wait(10)
    (workers.flags / "hold").unlink()

    row = job_row(scratch_db, job_id)
    assert (row.state, row.attempts, row.locked_by) == (RUNNING, 1, "first")
    assert effects(scratch_db) == [], "the killed worker's transaction must not have committed"

    workers.start("second", lease=1.0)
    wait_until(lambda: job_row(scratch_db, job_id).state == DONE, 20,
               f"the second worker to finish the job once the lease expired\n{workers.output('second')}")
    assert workers.stop("second") == 0, workers.output("second")

    row = job_row(scratch_db, job_id)
    assert (row.state, row.attempts, row.locked_by) == (DONE, 2, None)
    assert effects(scratch_db) == [("crash", "second")]


def test_two_workers_share_a_batch_of_200_jobs_and_run_each_exactly_once(scratch_db: Database, workers: WorkerProcesses) -> None:
    # Claims use FOR UPDATE SKIP LOCKED on PostgreSQL (SQLite's single writer serialises them).
    workers.start("left", "right", lease=30)
    with scratch_db.scope() as session:
        for n in range(200):
            enqueue(session, "test.effect", {"key": f"job-{n}", "pause": 0.01}, **due_now())  # type: ignore[arg-type]

    def done() -> int:
        with scratch_db.scope() as session:
            return int(session.scalar(select(func.count()).select_from(Job).where(Job.state == DONE)) or 0)

    wait_until(lambda: done() == 200, 60, "all 200 jobs to be done")
    assert workers.stop("left") == 0 and workers.stop("right") == 0

    rows = effects(scratch_db)
    assert len(rows) == 200
    assert {key for key, _ in rows} == {f"job-{n}" for n in range(200)}
    with scratch_db.scope() as session:
        # (Each worker also queued the housekeeping job for an hour from now: not run, 0 attempts.)
        assert set(session.scalars(select(Job.attempts).where(Job.name != "jobs.prune"))) == {1}
    by_worker = {name: sum(1 for _, w in rows if w == name) for name in ("left", "right")}
    if scratch_db.dialect == "postgresql":
        # SKIP LOCKED lets both claim at once. On SQLite the writers take turns through SQLite's
        # busy handler, which retries at growing intervals: a worker whose jobs hold the write
        # lock most of the time may do them all (seen once in CI), and nothing is lost by it.
        assert by_worker["left"] > 0 and by_worker["right"] > 0, f"both workers should have taken jobs: {by_worker}"
