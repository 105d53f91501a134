"""A job worker in its own process, for the crash and concurrency tests of the job runner.

``python -m tests.core.worker_process --url URL --name NAME --lease 1 --flags DIR`` runs
:class:`openoa.core.jobs.Worker` on that database with a short lease, after registering
``test.effect``: a job that writes one ``job_effects`` row in its own transaction and,
while the file ``DIR/hold`` exists, waits before committing — so a test can ``kill -9``
the process with the job's transaction open. SIGTERM stops the worker cleanly.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from openoa.core.db import Database
from openoa.core.jobs import Worker, job

# Kept off Base.metadata: the table exists only in the tests' scratch databases.
effects_metadata = MetaData()
job_effects = Table(
    "job_effects", effects_metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(40), nullable=False),
    Column("worker", String(40), nullable=False),
)

_flags: Path | None = None
_worker_name = ""


@job("test.effect")
def write_effect(db: Database, *, key: str, pause: float = 0.0) -> None:
    """Insert the effect row; hold the transaction open while the test's hold file exists."""
    with db.scope() as session:
        session.execute(insert(job_effects).values(key=key, worker=_worker_name))
        if _flags is not None and (_flags / "hold").exists():
            (_flags / f"started-{key}").write_text(_worker_name)
            while (_flags / "hold").exists():
                time.sleep(0.02)
        if pause:
            time.sleep(pause)


def main(argv: list[str] | None = None) -> None:
    global _flags, _worker_name
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--flags", required=True, type=Path)
    parser.add_argument("--lease", type=float, default=1.0)
    parser.add_argument("--poll", type=float, default=0.1)
    parser.add_argument("--batch", type=int, default=10)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{args.name} %(levelname)s %(name)s: %(message)s")

    _flags, _worker_name = args.flags, args.name
    db = Database.from_url(args.url)
    worker = Worker(db, name=args.name, batch=args.batch, lease_seconds=args.lease,
                    poll_seconds=args.poll)

    def stop(*_: Any) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # Connect before saying ready, so the test's clock starts when claiming can.
    with db.engine.connect():
        pass
    (args.flags / f"ready-{args.name}").write_text(str(args.lease))
    worker.run()
    db.engine.dispose()


if __name__ == "__main__":
    main()
