"""The group writer and the unit of work that must not wait, on a database that really commits.

Units queued together share one transaction, on the writer thread (``submit``) or on the event
loop (``run``); a unit that raises undoes only itself; callers hear, and on-commit hooks run,
only after the commit. On SQLite ``scope(wait=False)`` raises WriterBusy at once while another
thread or connection writes, and ``run`` hands such units to the writer thread."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from openoa.core import db as db_module
from openoa.core.db import BUSY_TIMEOUT_MS, Database, GroupWriter, WriterBusy, on_commit
from tests.core.worker_process import job_effects

WAIT = 10  # seconds: only a broken writer ever waits this long


def sqlite_only(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("SQLite's write lock; other databases let writers run together")


@pytest.fixture
def writer(scratch_db: Database) -> Iterator[GroupWriter]:
    writer = GroupWriter(scratch_db, name="test-writer")
    yield writer
    writer.close()


def committed(db: Database) -> list[str]:
    """Keys of the rows visible from another connection: what has really been committed."""
    with db.engine.connect() as conn:
        return sorted(conn.execute(select(job_effects.c.key)).scalars())


def write(key: str, marks: list[Any] | None = None) -> Callable[[Session], str]:
    """A unit that stores ``key``; ``marks`` gets one object per transaction it ran in."""
    def work(session: Session) -> str:
        if marks is not None:
            marks.append(session.info.setdefault("test_transaction", object()))
        session.execute(insert(job_effects).values(key=key, worker="test"))
        return key
    return work


@contextmanager
def another_thread_writing(db: Database) -> Iterator[threading.Event]:
    """Another thread of this process inside ``db.scope()`` (holding SQLite's writer turn), having
    written "holder", until the yielded event is set; it commits then."""
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with db.scope() as session:
            write("holder")(session)
            entered.set()
            assert leave.wait(WAIT)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(WAIT)
        yield leave
    finally:
        leave.set()
        holder.join(WAIT)


def refuse(key: str, error: Exception) -> Callable[[Session], str]:
    """A unit that stores ``key`` and then raises ``error``."""
    def work(session: Session) -> str:
        write(key)(session)
        raise error
    return work


def blocking(key: str, started: threading.Event, release: threading.Event) -> Callable[[Session], str]:
    """A unit that keeps its transaction open until ``release``: the units behind it queue up."""
    def work(session: Session) -> str:
        write(key)(session)
        started.set()
        assert release.wait(WAIT)
        return key
    return work


def queue_behind_a_blocker(writer: GroupWriter, units: list[Callable[[Session], str]],
                           on_done: Callable[[Future[str]], None] | None = None) -> list[Future[str]]:
    """Submit ``units`` while the writer thread is busy, so they form one group; ``on_done`` is
    added to their futures before they can complete."""
    started, release = threading.Event(), threading.Event()
    first = writer.submit(blocking("first", started, release))
    try:
        assert started.wait(WAIT)
        futures = [writer.submit(unit) for unit in units]
        if on_done is not None:
            for future in futures:
                future.add_done_callback(on_done)
    finally:
        release.set()
    assert first.result(WAIT) == "first"
    return futures


# -------------------------------------------------------------------------------- submit


def test_units_queued_together_share_one_transaction_and_are_committed(scratch_db: Database,
                                                                       writer: GroupWriter):
    marks: list[Any] = []
    futures = queue_behind_a_blocker(writer, [write(key, marks) for key in "abc"])

    assert [f.result(WAIT) for f in futures] == ["a", "b", "c"]
    assert len(marks) == 3 and marks[0] is marks[1] is marks[2], "one transaction for the three"
    assert committed(scratch_db) == ["a", "b", "c", "first"]


def test_a_caller_hears_only_after_its_unit_committed(scratch_db: Database, writer: GroupWriter):
    seen: list[list[str]] = []
    heard = threading.Semaphore(0)

    def on_done(_: Future[str]) -> None:
        seen.append(committed(scratch_db))
        heard.release()

    queue_behind_a_blocker(writer, [write("a"), write("b")], on_done)
    assert heard.acquire(timeout=WAIT) and heard.acquire(timeout=WAIT)
    assert seen == [["a", "b", "first"]] * 2


def test_a_refused_unit_in_a_group_undoes_only_itself(scratch_db: Database, writer: GroupWriter):
    error = ValueError("refused")
    futures = queue_behind_a_blocker(writer, [write("a"), refuse("b", error), write("c")])

    assert futures[0].result(WAIT) == "a"
    assert futures[1].exception(WAIT) is error
    assert futures[2].result(WAIT) == "c"
    assert committed(scratch_db) == ["a", "c", "first"]


def test_on_commit_hooks_run_once_after_the_commit_even_when_the_group_was_retried(scratch_db: Database,
                                                                                   writer: GroupWriter):
    hooks: list[tuple[str, list[str]]] = []

    def with_hook(key: str, then: Callable[[Session], str]) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            on_commit(session, lambda: hooks.append((key, committed(scratch_db))))
            return then(session)
        return work

    futures = queue_behind_a_blocker(writer, [with_hook("a", write("a")), with_hook("b", write("b"))])
    for future in futures:
        future.result(WAIT)
    assert hooks == [("a", ["a", "b", "first"]), ("b", ["a", "b", "first"])], "after the group's commit"

    hooks.clear()
    futures = queue_behind_a_blocker(writer, [with_hook("c", write("c")),
                                              with_hook("d", refuse("d", ValueError("refused")))])
    assert futures[0].result(WAIT) == "c"
    assert isinstance(futures[1].exception(WAIT), ValueError)
    assert hooks == [("c", ["a", "b", "c", "first", "first"])], \
        "the rolled-back group's hooks were dropped; the refused unit's never ran"


# -------------------------------------------------------------------------------- run (event loop)


def test_units_of_one_loop_turn_commit_together_on_the_loop(scratch_db: Database, writer: GroupWriter):
    marks: list[Any] = []
    threads: list[int] = []

    def on(key: str) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            threads.append(threading.get_ident())
            return write(key, marks)(session)
        return work

    async def main() -> tuple[list[str], int]:
        results = await asyncio.gather(*(writer.run(on(key)) for key in "abc"))
        return results, threading.get_ident()

    results, loop_thread = asyncio.run(main())
    assert results == ["a", "b", "c"]
    assert threads == [loop_thread] * 3, "on the event loop's thread, not the writer's"
    assert marks[0] is marks[1] is marks[2], "one transaction for the three"
    assert committed(scratch_db) == ["a", "b", "c"]


def test_a_refused_unit_on_the_loop_raises_its_own_error_and_the_others_commit(scratch_db: Database,
                                                                               writer: GroupWriter):
    error = ValueError("refused")

    async def main() -> list[Any]:
        return list(await asyncio.gather(writer.run(write("a")), writer.run(refuse("b", error)),
                                         writer.run(write("c")), return_exceptions=True))

    assert asyncio.run(main()) == ["a", error, "c"]
    assert committed(scratch_db) == ["a", "c"]


def test_a_unit_on_the_loop_calls_its_hooks_after_the_commit(scratch_db: Database, writer: GroupWriter):
    hooks: list[list[str]] = []

    def work(session: Session) -> str:
        on_commit(session, lambda: hooks.append(committed(scratch_db)))
        return write("a")(session)

    assert asyncio.run(writer.run(work)) == "a"
    assert hooks == [["a"]]


def test_a_unit_on_the_loop_goes_to_the_writer_thread_when_another_thread_writes_too_long(
        scratch_db: Database, writer: GroupWriter):
    sqlite_only(scratch_db)
    ran_on: list[int] = []
    saw: list[list[str]] = []

    def work(session: Session) -> str:
        ran_on.append(threading.get_ident())
        saw.append(sorted(session.scalars(select(job_effects.c.key))))
        return write("late")(session)

    async def main(leave: threading.Event) -> tuple[str, int]:
        task = asyncio.ensure_future(writer.run(work))
        # Past the loop's patience; the loop keeps running meanwhile.
        await asyncio.sleep(db_module.BUSY_PATIENCE_SECONDS * 3)
        assert not task.done() and ran_on == [], "nothing ran while the holder writes"
        leave.set()
        return await asyncio.wait_for(task, WAIT), threading.get_ident()

    with another_thread_writing(scratch_db) as leave:
        result, loop_thread = asyncio.run(main(leave))
    assert result == "late"
    assert len(ran_on) == 1 and ran_on[0] != loop_thread, "the writer thread ran it"
    assert saw == [["holder"]], "after the holder committed"
    assert committed(scratch_db) == ["holder", "late"]


# -------------------------------------------------------------------------------- scope(wait=False)


def test_scope_without_waiting_is_busy_while_another_thread_is_in_a_scope(scratch_db: Database):
    sqlite_only(scratch_db)
    with another_thread_writing(scratch_db), pytest.raises(WriterBusy), scratch_db.scope(wait=False) as session:
        write("refused")(session)
    with scratch_db.scope(wait=False) as session:
        write("after")(session)
    assert committed(scratch_db) == ["after", "holder"]


def test_scope_without_waiting_is_busy_at_once_while_another_connection_writes(scratch_db: Database):
    sqlite_only(scratch_db)
    with scratch_db.engine.connect() as conn:
        pooled = conn.connection.driver_connection
    other = sqlite3.connect(scratch_db.engine.url.database or "", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO job_effects (key, worker) VALUES ('other', 'sqlite3')")
        began = time.monotonic()
        with pytest.raises(WriterBusy), scratch_db.scope(wait=False) as session:
            write("refused")(session)
        assert time.monotonic() - began < 1, "no wait for SQLite's busy timeout"
        other.execute("COMMIT")
    finally:
        other.close()

    with scratch_db.scope(wait=False) as session:
        write("after")(session)
        connection = session.connection()
        assert connection.connection.driver_connection is pooled, "the connection that was refused"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == BUSY_TIMEOUT_MS
    assert committed(scratch_db) == ["after", "other"]


def test_scope_without_waiting_simply_runs_when_no_one_writes(scratch_db: Database):
    with scratch_db.scope(wait=False) as session:
        write("a")(session)
    assert committed(scratch_db) == ["a"]
