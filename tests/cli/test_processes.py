"""`openoa serve` and `openoa worker` as real processes: serve migrates before it listens;
a worker runs due jobs and stops gracefully on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect, select

from openoa.core.clock import SystemClock
from openoa.core.db import Database, upgrade
from openoa.core.jobs import DONE, Job, default_runners, enqueue

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)


class Openoa:
    """Starts `python -m openoa.cli …` processes on one data dir; kills what is left after the test."""

    def __init__(self, tmp: Path) -> None:
        self.data_dir = tmp / "var"
        self.url = f"sqlite:///{self.data_dir / 'openoa.db'}"
        self.procs: list[subprocess.Popen[str]] = []

    def start(self, *args: str) -> subprocess.Popen[str]:
        env = {**os.environ, "OPENOA_DATA_DIR": str(self.data_dir), "OPENOA_DATABASE_URL": self.url,
               "OPENOA_WORKER_POLL_SECONDS": "0.1"}
        env.pop("OPENOA_SMTP_HOST", None)
        proc = subprocess.Popen([sys.executable, "-m", "openoa.cli", *args], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


@pytest.fixture
def openoa(tmp_path: Path) -> Iterator[Openoa]:
    runner = Openoa(tmp_path)
    yield runner
    runner.stop()


def test_serve_migrates_first_then_serves_and_stops_on_sigterm(openoa: Openoa) -> None:
    port = _free_port()
    server = openoa.start("serve", "--port", str(port), "--no-worker")

    def answering() -> bool:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    _wait_until(answering, 60, "the server to answer")
    db = Database.from_url(openoa.url)
    with db.engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    db.engine.dispose()
    assert {"alembic_version", "official_accounts", "friendships", "jobs"} <= tables
    assert httpx.get(f"http://127.0.0.1:{port}/staff", timeout=5, follow_redirects=False).status_code == 303
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    # Uvicorn shuts down gracefully, then re-raises the signal so the exit status tells how it ended.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output and "Traceback" not in output
    assert f"http://127.0.0.1:{port}" in output and "no job worker" in output


def test_serve_runs_the_embedded_worker_by_default(openoa: Openoa) -> None:
    upgrade(openoa.url)
    db = Database.from_url(openoa.url)
    with db.scope() as s:
        job_id = enqueue(s, "mail.send", {"to": "pim@example.com", "subject": "Hello", "body": "Hi"},
                         run_at=SystemClock().now() - timedelta(seconds=1)).id
    server = openoa.start("serve", "--port", str(_free_port()))

    def done() -> bool:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        with db.scope() as s:
            return s.scalar(select(Job.state).where(Job.id == job_id)) == DONE

    _wait_until(done, 60, "the embedded worker to run the job")
    db.engine.dispose()
    server.send_signal(signal.SIGTERM)
    output, _ = server.communicate(timeout=30)
    assert "with the job worker inside" in output


def test_serve_refuses_a_port_out_of_range(openoa: Openoa) -> None:
    proc = openoa.start("serve", "--port", "70000")
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2 and "--port" in output and "Traceback" not in output


@pytest.mark.parametrize(("stop_with", "runners"), [(signal.SIGTERM, None), (signal.SIGINT, 3)])
def test_worker_runs_due_jobs_and_stops_gracefully(openoa: Openoa, stop_with: signal.Signals,
                                                   runners: int | None) -> None:
    upgrade(openoa.url)
    db = Database.from_url(openoa.url)
    # The worker runs on the system clock; the test's fake clock is earlier, so queue by the real one.
    with db.scope() as s:
        job_id = enqueue(s, "mail.send", {"to": "pim@example.com", "subject": "Hello", "body": "Hi"},
                         run_at=SystemClock().now() - timedelta(seconds=1)).id
    worker = openoa.start("worker", "--batch", "5", *(["--runners", str(runners)] if runners else []))

    def done() -> bool:
        assert worker.poll() is None, worker.stdout.read() if worker.stdout else ""
        with db.scope() as s:
            return s.scalar(select(Job.state).where(Job.id == job_id)) == DONE

    _wait_until(done, 60, "the worker to run the job")
    assert list((openoa.data_dir / "outbox").glob("*.json")), "the mail went to the local outbox"
    worker.send_signal(stop_with)
    output, _ = worker.communicate(timeout=30)
    db.engine.dispose()
    assert worker.returncode == 0, output
    assert "stopping after the jobs in hand" in output and "stopped." in output
    expected = runners or default_runners(db.dialect)
    assert f"({expected} loop{'s' if expected > 1 else ''}, batch 5)" in output
    assert "Traceback" not in output
