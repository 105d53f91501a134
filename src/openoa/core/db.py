"""Engine, sessions and the transaction boundary; the only module that commits.

A request, a job and a CLI command each open one :func:`Database.scope`; services only
``flush()``. Work that must happen after the data is safe (realtime events, waking the
worker) is registered with :func:`on_commit` and runs only if the commit succeeds.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger("openoa.db")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


BUSY_TIMEOUT_MS = 30_000
_NO_WAIT = "openoa_no_wait"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, must emit BEGIN: pysqlite defers it until the first write,
    # which breaks SAVEPOINTs and lets a read transaction fail when it later upgrades to write.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.close()


class WriterBusy(Exception):
    """A unit of work that must not wait found SQLite's write lock taken."""


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: SQLite has one writer, and a deferred
    # transaction that read first cannot upgrade once another writer committed (WAL).
    # On the driver's connection: through Core, this one statement cost more than the unit
    # of work it opens on the Messaging API's hot path (B2).
    driver = connection.connection.driver_connection
    if not connection.get_execution_options().get(_NO_WAIT):
        driver.execute("BEGIN IMMEDIATE")
        return
    driver.execute("PRAGMA busy_timeout=0")
    try:
        driver.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:  # another process is writing
        raise WriterBusy() from exc
    finally:
        driver.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for our two dialects (SQLite WAL + FKs; PostgreSQL via psycopg 3)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, **kwargs)


_HOOKS_KEY = "openoa_on_commit"


def on_commit(session: Session, hook: Callable[[], None]) -> None:
    """Run ``hook`` after ``session``'s transaction commits; dropped on rollback."""
    session.info.setdefault(_HOOKS_KEY, []).append(hook)


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def _writer_turn(engine: Engine) -> threading.RLock | None:
    """One lock per SQLite file for this process's units of work (None for other databases).

    Every SQLite transaction here takes the write lock (BEGIN IMMEDIATE); threads that wait in
    SQLite's busy handler sleep in growing steps, so under load a few waited seconds. Waiting
    on a Python lock instead hands the turn over the moment the writer commits.
    """
    if engine.dialect.name != "sqlite":
        return None
    key = str(engine.url)
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.RLock())


class Database:
    """Sessions for one database. Tests build it on a connection in an outer transaction."""

    def __init__(self, engine: Engine, *, bind: Any = None) -> None:
        self.engine = engine
        self._turn = _writer_turn(engine) if bind is None else None
        self._shared = bind is not None
        if bind is not None:
            # Tests: everything joins the test's transaction; our commits become savepoints.
            self._factory = sessionmaker(bind=bind, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
        else:
            self._factory = sessionmaker(bind=engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_shared_connection(self) -> bool:
        """True for a test's Database bound to one connection: no other process sees its writes."""
        return self._shared

    @contextmanager
    def scope(self, *, wait: bool = True) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back on error, then runs on-commit hooks.

        ``wait=False`` (SQLite, from an event loop) raises :class:`WriterBusy` at once instead of
        waiting when another thread or process is writing.
        """
        if self._turn is not None and not self._turn.acquire(blocking=wait):
            raise WriterBusy()
        try:
            session = self._factory()
            try:
                if not wait and self.dialect == "sqlite":
                    session.connection(execution_options={_NO_WAIT: True})
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                session.info.pop(_HOOKS_KEY, None)
                raise
            finally:
                hooks = session.info.pop(_HOOKS_KEY, [])
                session.close()
        finally:
            if self._turn is not None:
                self._turn.release()
        for hook in hooks:
            hook()


    def start_checkpointer(self) -> WalCheckpointer | None:
        """Checkpoint this SQLite file's write-ahead log on a thread of its own (None: nothing to do)."""
        path = self.engine.url.database
        if self.dialect != "sqlite" or self._shared or not path or path == ":memory:":
            return None
        checkpointer = WalCheckpointer(path)
        checkpointer.start()
        return checkpointer


# How often the server moves SQLite's write-ahead log into the database file.
CHECKPOINT_SECONDS = 0.25


class WalCheckpointer:
    """Moves SQLite's write-ahead log into the database file every ``CHECKPOINT_SECONDS``, so the
    server's commits rarely do it themselves: the commit that takes the log past SQLite's
    1,000-page mark copies it back, fsync included, on the committing thread — the event loop,
    for the Messaging API's sends (B2). PASSIVE: it never waits for readers or writers, and
    SQLite's own automatic checkpoint stays on as the safety net.
    """

    def __init__(self, path: str, interval: float = CHECKPOINT_SECONDS) -> None:
        self.path = path
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="openoa-wal-checkpointer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def checkpoint(self) -> tuple[int, int]:
        """One PASSIVE checkpoint: (frames in the log, frames of it now in the database file)."""
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            _busy, in_log, moved = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            connection.close()
        return in_log, moved

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.checkpoint()
            except sqlite3.Error as exc:  # a busy or vanished file: the next round tries again
                log.debug("WAL checkpoint skipped: %s", exc)


T = TypeVar("T")
_ON_THREAD = object()
# How long units on the event loop wait, in short sleeps, for another writer before the
# writer thread (which may block) takes them.
BUSY_PATIENCE_SECONDS = 0.05
BUSY_RETRY_SECONDS = 0.001
_Unit = tuple[Callable[[Session], Any], "Future[Any]"]


class GroupWriter:
    """A thread that runs small units of work for an event loop, several to a transaction.

    On SQLite writes take turns anyway, and a commit costs more than a push's statements: the
    units queued while one transaction ran share the next one and its commit. A unit's caller
    hears only after that commit. If any unit of a group raises, the group is rolled back and
    its units run again one transaction each, so a refused unit undoes only itself — a unit
    must therefore touch nothing but the database.
    """

    def __init__(self, db: Database, *, most: int = 64, name: str = "openoa-writer") -> None:
        self._db = db
        self._most = most
        self._queue: queue.SimpleQueue[_Unit | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        self._waiting: list[tuple[Callable[[Session], Any], asyncio.Future[Any]]] = []

    async def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` for a coroutine: on the event loop itself, with the other units that
        arrived in the same turn of the loop, when the write lock is free; else on the thread.

        The loop is the cheaper place: SQLite lets go of the GIL on every statement, and a
        thread that must win it back from a busy event loop each time waited longer than it
        worked. A unit never waits for the lock on the loop (another writer is waited for
        in short sleeps, then handed to the thread), so the loop never stalls.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._waiting.append((work, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._run_waiting, loop.time() + BUSY_PATIENCE_SECONDS)
        outcome = await future
        if outcome is _ON_THREAD:
            return await asyncio.wrap_future(self.submit(work))
        return outcome  # type: ignore[no-any-return]

    def _run_waiting(self, patience_until: float) -> None:
        loop = asyncio.get_running_loop()
        group, self._waiting = [unit for unit in self._waiting if not unit[1].cancelled()], []
        if not group:
            return
        try:
            results = self._in_one_transaction([work for work, _ in group], wait=False)
        except WriterBusy:
            if loop.time() < patience_until:  # try again shortly, with whatever arrives meanwhile
                self._waiting = group + self._waiting
                if len(self._waiting) == len(group):
                    loop.call_later(BUSY_RETRY_SECONDS, self._run_waiting, patience_until)
                return
            for _, future in group:
                future.set_result(_ON_THREAD)
            return
        if results is None:  # a refusal or a failed commit: each unit alone decides
            for work, future in group:
                self._alone_here(work, future)
            return
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)

    def _alone_here(self, work: Callable[[Session], Any], future: asyncio.Future[Any]) -> None:
        try:
            with self._db.scope(wait=False) as session:
                result = work(session)
        except WriterBusy:
            future.set_result(_ON_THREAD)
        except Exception as exc:  # the caller's to handle
            future.set_exception(exc)
        else:
            future.set_result(result)

    def submit(self, work: Callable[[Session], T]) -> Future[T]:
        """Queue ``work``; the future completes after the transaction that ran it commits."""
        future: Future[T] = Future()
        self._queue.put((work, future))
        return future

    def close(self) -> None:
        """Finish what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            unit = self._queue.get()
            if unit is None:
                return
            group = [unit]
            while len(group) < self._most:
                try:
                    unit = self._queue.get_nowait()
                except queue.Empty:
                    break
                if unit is None:
                    self._queue.put(None)  # stop after this group
                    break
                group.append(unit)
            live = [(work, future) for work, future in group if future.set_running_or_notify_cancel()]
            if len(live) > 1 and self._together(live):
                continue
            for work, future in live:
                self._alone(work, future)

    def _together(self, group: list[_Unit]) -> bool:
        results = self._in_one_transaction([work for work, _ in group], wait=True)
        if results is None:  # a refusal or a failed commit: each unit on its own decides
            return False
        for (_, future), result in zip(group, results, strict=True):
            future.set_result(result)
        return True

    def _in_one_transaction(self, works: list[Callable[[Session], Any]], *, wait: bool) -> list[Any] | None:
        """Every unit's result once their shared transaction committed; None when one raised or
        the commit failed (nothing kept). ``WriterBusy`` (``wait=False``) reaches the caller."""
        results: list[Any] = []
        committed: list[bool] = []
        try:
            with self._db.scope(wait=wait) as session:
                on_commit(session, lambda: committed.append(True))
                results = [work(session) for work in works]
        except WriterBusy:
            raise
        except Exception:
            if not committed:
                return None
            log.exception("an on-commit hook failed after a group of units committed")
        return results

    def _alone(self, work: Callable[[Session], Any], future: Future[Any]) -> None:
        try:
            with self._db.scope() as session:
                result = work(session)
        except BaseException as exc:  # the caller's to handle, on the event loop
            future.set_exception(exc)
        else:
            future.set_result(result)


def migrations_dir() -> Path:
    """The Alembic folder at the project root (beside ``src/``)."""
    return Path(__file__).resolve().parents[3] / "migrations"


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with the Alembic migrations."""
    from alembic import command

    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)
