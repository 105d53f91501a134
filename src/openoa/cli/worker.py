"""`openoa worker`: a job worker for scale-out, stopped gracefully by SIGTERM or Ctrl+C."""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import Annotated

import typer

from openoa.cli.runtime import current_settings, err, out, refusals
from openoa.core.db import Database
from openoa.core.jobs import Worker
from openoa.modules import load_job_modules


def worker(
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Jobs claimed per round trip.")] = 10,
) -> None:
    """Claim and run background jobs until SIGTERM or SIGINT; the job in hand is finished first."""
    settings = current_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with refusals():
        db = Database.from_url(settings.resolved_database_url)
    load_job_modules()
    loop = Worker(db, batch=batch, lease_seconds=settings.job_lease_seconds,
                  poll_seconds=settings.worker_poll_seconds)

    def stop(signum: int, _frame: FrameType | None) -> None:
        err.print(f"{signal.Signals(signum).name}: stopping after the job in hand…")
        loop.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    out.print(f"Worker [bold]{loop.name}[/bold] running (batch {batch}); SIGTERM or Ctrl+C stops it.")
    try:
        with refusals():
            loop.run()
    finally:
        db.engine.dispose()
    out.print(f"Worker {loop.name} stopped.")
