"""The unit of work: Database.scope commits at its end and runs on-commit hooks only then."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from openoa.accounts.models import BusinessId
from openoa.core import clock
from openoa.core.db import Database, on_commit
from tests.core.worker_process import job_effects


def committed_effects(db: Database) -> int:
    """Rows visible from another connection: what has really been committed."""
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(job_effects)).scalar_one())


def test_on_commit_hook_runs_after_the_commit_not_before(scratch_db: Database) -> None:
    seen: list[int] = []
    with scratch_db.scope() as session:
        session.execute(insert(job_effects).values(key="k", worker="w"))
        on_commit(session, lambda: seen.append(committed_effects(scratch_db)))
        assert seen == []
    assert seen == [1], "the hook ran once, and saw the committed row"


def test_on_commit_hooks_are_dropped_on_rollback(scratch_db: Database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), scratch_db.scope() as session:
        session.execute(insert(job_effects).values(key="k", worker="w"))
        on_commit(session, lambda: ran.append("hook"))
        raise RuntimeError("the use case failed")
    assert ran == []
    assert committed_effects(scratch_db) == 0
    with scratch_db.scope():
        pass
    assert ran == [], "a dropped hook does not come back with the next unit of work"


def test_on_commit_hooks_are_dropped_when_the_commit_itself_fails(scratch_db: Database) -> None:
    ran: list[str] = []

    def business(email: str) -> BusinessId:
        return BusinessId(email=email, display_name="Dup", created_at=clock.now())

    with pytest.raises(IntegrityError), scratch_db.scope() as session:
        session.add_all([business("dup@example.com"), business("dup@example.com")])
        on_commit(session, lambda: ran.append("hook"))
    assert ran == []


def test_on_commit_hooks_run_in_the_order_registered(db: Database) -> None:
    ran: list[int] = []
    hooks: list[Callable[[], None]] = [lambda n=n: ran.append(n) for n in range(3)]  # type: ignore[misc]
    with db.scope() as session:
        for hook in hooks:
            on_commit(session, hook)
    assert ran == [0, 1, 2]


def test_scope_rolls_back_everything_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError), db.scope() as session:
        session.add(BusinessId(email="gone@example.com", display_name="Gone", created_at=clock.now()))
        session.flush()
        raise RuntimeError
    with db.scope() as session:
        assert session.scalar(select(BusinessId).where(BusinessId.email == "gone@example.com")) is None


def test_the_checkpointer_moves_the_write_ahead_log_into_the_file(scratch_db: Database) -> None:
    """What the server's commits no longer do themselves (WalCheckpointer): every frame the
    log holds is in the database file after one round, while other connections stay open."""
    if scratch_db.dialect != "sqlite":
        assert scratch_db.start_checkpointer() is None
        return
    for n in range(200):
        with scratch_db.scope() as session:
            session.execute(text("PRAGMA wal_autocheckpoint=0"))  # these commits leave the log alone
            session.execute(insert(job_effects).values(key=f"k{n}", worker="w" * 500))
    checkpointer = scratch_db.start_checkpointer()
    assert checkpointer is not None
    try:
        in_log, moved = checkpointer.checkpoint()
    finally:
        checkpointer.stop()
    assert in_log > 0 and moved == in_log
    assert committed_effects(scratch_db) == 200


def test_no_checkpointer_for_a_tests_shared_connection(db: Database) -> None:
    assert db.start_checkpointer() is None
