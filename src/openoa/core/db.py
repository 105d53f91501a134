"""Engine, sessions and the transaction boundary; the only module that commits.

A request, a job and a CLI command each open one :func:`Database.scope`; services only
``flush()``. Work that must happen after the data is safe (realtime events, waking the
worker) is registered with :func:`on_commit` and runs only if the commit succeeds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, must emit BEGIN: pysqlite defers it until the first write,
    # which breaks SAVEPOINTs and lets a read transaction fail when it later upgrades to write.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: SQLite has one writer, and a deferred
    # transaction that read first cannot upgrade once another writer committed (WAL).
    connection.exec_driver_sql("BEGIN IMMEDIATE")


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
    def scope(self) -> Iterator[Session]:
        """One unit of work: commits at the end, rolls back on error, then runs on-commit hooks."""
        if self._turn is not None:
            self._turn.acquire()
        try:
            session = self._factory()
            try:
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
