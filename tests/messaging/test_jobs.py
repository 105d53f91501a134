"""The ``messaging.fan_out`` job on a real database: chunked, resumable, one delivery per
(send, person), quota settled from the rows written, and a checkpoint never ahead of its rows."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openoa.billing.models import MessageUsage
from openoa.core.access import PersonActor
from openoa.core.db import Database
from openoa.core.jobs import run_due_jobs
from openoa.friends import service as friends
from openoa.messaging import jobs, service
from openoa.messaging.models import Delivery, Send
from openoa.users.models import User
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, context

TEXT = [{"type": "text", "text": "Hello everyone"}]


@pytest.fixture
def bot(db: Database) -> Bot:
    with db.scope() as s:
        made = make_bot(s, name="Big Cafe")
        # Pro: room for a few thousand counted messages.
        made.account.package = "pro"
    return made


def _broadcast(db: Database, bot: Bot, friends_count: int) -> tuple[int, list[int]]:
    with db.scope() as s:
        user_ids = add_friends(s, bot.account.id, friends_count)
        service.broadcast(s, context(s, bot), request_id=f"req-{friends_count}", messages=TEXT)
        send_id = s.scalar(select(Send.id).order_by(Send.id.desc()))
    return send_id, user_ids


def _state(db: Database, send_id: int) -> tuple[int, int, int, str]:
    with db.scope() as s:
        send = s.get_one(Send, send_id)
        rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id)) or 0
        used = s.scalar(select(func.sum(MessageUsage.used))) or 0
        return rows, used, send.cursor, send.status


def test_fan_out_reaches_every_friend_once_in_small_chunks(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 2500)
    jobs.fan_out(db, send_id=send_id, chunk_size=300)
    assert _state(db, send_id) == (2500, 2500, user_ids[-1], "succeeded")
    with db.scope() as s:
        send = s.get_one(Send, send_id)
        assert (send.success_count, send.completed_at is not None) == (2500, True)
        assert sorted(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id))) == user_ids
    jobs.fan_out(db, send_id=send_id, chunk_size=300)  # a finished send runs again as a no-op
    assert _state(db, send_id)[:2] == (2500, 2500)


def test_fan_out_skips_blockers_inactive_people_and_friends_added_after_the_send(db: Database, bot: Bot):
    with db.scope() as s:
        blocker = factories.person(s)
        factories.friend(s, blocker, bot.account)
        friends.block(s, PersonActor(blocker.id), bot.account.id)
    send_id, user_ids = _broadcast(db, bot, 20)
    with db.scope() as s:
        s.get_one(User, user_ids[0]).active = False
        add_friends(s, bot.account.id, 5)  # beyond the bound fixed at acceptance
    jobs.fan_out(db, send_id=send_id, chunk_size=7)
    with db.scope() as s:
        assert sorted(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id))) == user_ids[1:]
    assert _state(db, send_id)[:2] == (19, 19)


def test_fan_out_resumes_after_an_interrupted_run_without_duplicates(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 1000)
    with db.scope() as s:
        assert service.fan_out_step(s, send_id, 150) is True  # a worker did one chunk, then died
    assert _state(db, send_id) == (150, 150, user_ids[149], "sending")
    with db.scope() as s:  # a stale worker replays that chunk from the old checkpoint
        send = s.get_one(Send, send_id)
        send.cursor = 0
        service.fan_out_chunk(s, send, 150)
    jobs.fan_out(db, send_id=send_id, chunk_size=150)
    assert _state(db, send_id) == (1000, 1000, user_ids[-1], "succeeded")


def test_checkpoint_never_moves_without_its_rows(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 50)

    class Crash(Exception):
        pass

    with pytest.raises(Crash), db.scope() as s:
        service.fan_out_step(s, send_id, 20)
        raise Crash  # the process dies after the chunk, before its commit
    assert _state(db, send_id) == (0, 0, 0, "waiting")


def test_rows_never_land_without_their_checkpoint(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 50)

    def fail_on_cursor(session: Session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
        if any(isinstance(obj, Send) for obj in session.dirty):
            raise RuntimeError("crash between the rows and the checkpoint")

    with pytest.raises(RuntimeError), db.scope() as s:
        event.listen(s, "before_flush", fail_on_cursor)
        service.fan_out_step(s, send_id, 20)
    assert _state(db, send_id) == (0, 0, 0, "waiting")


def test_the_worker_runs_the_enqueued_fan_out(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 30)
    run_due_jobs(db)
    assert _state(db, send_id) == (30, 30, user_ids[-1], "succeeded")


def _statements(db: Database, send_id: int, chunk_size: int) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.scope() as s:
            service.fan_out_step(s, send_id, chunk_size)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))])


def test_style_7d_a_fan_out_chunk_costs_the_same_queries_for_ten_or_a_thousand(db: Database, bot: Bot):
    small, _ = _broadcast(db, bot, 10)
    jobs.fan_out(db, send_id=small, chunk_size=10)  # the month's usage row now exists for both runs
    small_2, _ = _broadcast(db, bot, 11)
    big, _ = _broadcast(db, bot, 1000)
    assert _statements(db, small_2, 10) == _statements(db, big, 1000) <= 6
