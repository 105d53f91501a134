"""`openoa worker`: a job worker for scale-out, stopped gracefully by SIGTERM or Ctrl+C."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Annotated

import typer

from openoa.cli.runtime import current_settings, err, out, refusals
from openoa.core.db import Database
from openoa.core.jobs import Worker, default_runners
from openoa.modules import load_job_modules


def worker(
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Jobs claimed per round trip.")] = 10,
    runners: Annotated[int | None, typer.Option(
        min=1, max=16, help="Job loops run side by side [default: 2 on PostgreSQL, 1 on SQLite].")] = None,
) -> None:
    """Claim and run background jobs until SIGTERM or SIGINT; the jobs in hand are finished first."""
    settings = current_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with refusals():
        db = Database.from_url(settings.resolved_database_url)
    load_job_modules()
    count = runners or default_runners(db.dialect)
    first = Worker(db, batch=batch, lease_seconds=settings.job_lease_seconds, poll_seconds=settings.worker_poll_seconds)
    loops = [first] + [Worker(db, name=f"{first.name}-{n}", batch=batch, lease_seconds=settings.job_lease_seconds,
                              poll_seconds=settings.worker_poll_seconds) for n in range(2, count + 1)]

    def stop(signum: int, _frame: FrameType | None) -> None:
        err.print(f"{signal.Signals(signum).name}: stopping after the jobs in hand…")
        for loop in loops:
            loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    out.print(f"Worker [bold]{first.name}[/bold] running ({count} loop{'s' if count > 1 else ''}, batch {batch}); "
              "SIGTERM or Ctrl+C stops it.")
    others = [threading.Thread(target=loop.run, name=loop.name, daemon=True) for loop in loops[1:]]
    try:
        for thread in others:
            thread.start()
        with refusals():
            first.run()
    finally:
        for loop in loops:
            loop.stop()
        for thread in others:
            thread.join()
        db.engine.dispose()
    out.print(f"Worker {first.name} stopped.")
