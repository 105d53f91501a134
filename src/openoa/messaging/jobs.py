"""The fan-out jobs of a broadcast or narrowcast: ``messaging.fan_out`` starts the send (fixes its
targets and cuts it into chunks) and queues one ``messaging.fan_out_chunk`` per chunk.

Each chunk commits its rows, the usage they settle, its checkpoint and the send's progress
together, so a worker killed at any point leaves whole chunks done or not done, and workers
(one process's loops or several processes on PostgreSQL) share one send's chunks.
"""

from __future__ import annotations

import traceback

from openoa.core.db import Database
from openoa.core.jobs import Claimed, batch_job, job
from openoa.core.settings import get_settings
from openoa.messaging import service

# Small enough that two workers claiming in turn both get chunks of one send.
CHUNKS_PER_BATCH = 4


@job(service.FAN_OUT_JOB)
def fan_out(db: Database, *, send_id: int, chunk_size: int | None = None) -> None:
    """Start send ``send_id``: its targets, its random pick and its chunks (``OPENOA_FAN_OUT_CHUNK_SIZE``
    friends each unless given), each queued as a job."""
    with db.scope() as session:
        service.start_fan_out(session, send_id, chunk_size or get_settings().fan_out_chunk_size)


@job(service.FAN_OUT_CHUNK_JOB)
def fan_out_chunk(db: Database, *, chunk_id: int) -> None:
    """Deliver one chunk of a send to its reachable friends (a replay writes nothing)."""
    with db.scope() as session:
        service.fan_out_chunk(session, chunk_id)


@batch_job(service.FAN_OUT_CHUNK_JOB, size=CHUNKS_PER_BATCH)
def fan_out_chunks(db: Database, claimed: list[Claimed]) -> dict[int, str]:
    """Several chunks one after another, each in its own transaction, their jobs settled together:
    a million friends are a hundred chunks, and a round trip per job to mark it done showed in B1."""
    errors = {}
    for item in claimed:
        try:
            fan_out_chunk(db, **item.payload)
        except Exception:  # the others go on; this one is retried with back-off
            errors[item.id] = traceback.format_exc(limit=5)
    return errors
