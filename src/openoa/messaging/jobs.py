"""The ``messaging.fan_out`` job: a broadcast's delivery rows, one chunk per unit of work.

Each chunk commits its rows, the usage they settle and the send's checkpoint together, so a
worker killed at any point resumes from the last committed chunk and writes no one twice.
"""

from __future__ import annotations

from openoa.core.db import Database
from openoa.core.jobs import job
from openoa.messaging import service


@job(service.FAN_OUT_JOB)
def fan_out(db: Database, *, send_id: int, chunk_size: int = service.CHUNK_SIZE) -> None:
    """Deliver send ``send_id`` to every reachable friend up to its fixed bound, chunk by chunk."""
    more = True
    while more:
        with db.scope() as session:
            more = service.fan_out_step(session, send_id, chunk_size)
