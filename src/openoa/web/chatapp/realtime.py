"""The catch-up poller: messages written by another process (a separate ``openoa worker``, the
CLI, another server) reach this process's open sockets within about a second.

Publishing after commit only reaches listeners in the writing process. So, while sockets are
open here, one task per process reads the new ids of ``deliveries`` and ``person_messages``
every second (two primary-key range scans, limited to the people online here) and publishes
the same notices. Writes made here are told twice; a notice only means "fetch", so the second
costs an empty fetch.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from openoa.chat import service as chat
from openoa.core.db import Database
from openoa.core.pubsub import hub, person_topic

log = logging.getLogger("openoa.web.realtime")
INTERVAL_SECONDS = 1.0
_PREFIX = person_topic(0)[:-1]

_task: asyncio.Task[None] | None = None


def _online_people() -> set[int]:
    return {int(topic[len(_PREFIX):]) for topic in hub.online() if topic.startswith(_PREFIX)}


async def _run(db: Database) -> None:
    marks = await run_in_threadpool(chat.newest_ids, db)
    while True:
        await asyncio.sleep(INTERVAL_SECONDS)
        people = _online_people()
        if not people:
            # No one listens: stop; the next socket starts a poller from the then-newest ids.
            return
        try:
            marks, reached = await run_in_threadpool(chat.reached_since, db, marks, people)
        except Exception:  # a database hiccup must not end live updates for everyone
            log.exception("realtime catch-up failed; trying again")
            continue
        for account_id, user_id in reached:
            hub.publish(person_topic(user_id), {"type": "messages", "accountId": account_id})


def ensure_catch_up(db: Database) -> None:
    """Start this process's poller if it is not running (called as a socket opens)."""
    global _task
    if db.is_shared_connection:
        # A test's rolled-back transaction: no other process can write into it, and a poll on
        # another thread would interleave its savepoints with the request's on one connection.
        return
    loop = asyncio.get_running_loop()
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _task = loop.create_task(_run(db))
