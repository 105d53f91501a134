"""The fan-out jobs on a real database: a send started once and cut into chunks, each chunk a
job any worker may run, one delivery per (send, person), quota settled from the rows written,
and a checkpoint that never moves without its rows (STYLE 7c, 7d)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from openoa.billing.models import MessageUsage
from openoa.core.access import PersonActor
from openoa.core.db import Database
from openoa.core.jobs import Job, run_due_jobs
from openoa.friends import service as friends
from openoa.messaging import jobs, service
from openoa.messaging.models import Delivery, Send, SendChunk
from openoa.users.models import User
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.api.notices import heard
from tests.messaging.crowd import add_friends, chunks_to_do, context

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
        user_ids = add_friends(s, bot.account.id, friends_count) if friends_count else []
        service.broadcast(s, context(s, bot), request_id=f"req-{friends_count}", messages=TEXT)
        send_id = s.scalar(select(Send.id).order_by(Send.id.desc()))
    return send_id, user_ids


def _state(db: Database, send_id: int) -> tuple[int, int, int, str]:
    """(delivery rows, counted usage, send's success count, send's status)."""
    with db.scope() as s:
        send = s.get_one(Send, send_id)
        rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id)) or 0
        used = s.scalar(select(func.sum(MessageUsage.used))) or 0
        return rows, used, send.success_count, send.status


def _chunks(db: Database, send_id: int) -> list[int]:
    with db.scope() as s:
        return chunks_to_do(s, send_id)


def _run_chunks(db: Database, chunk_ids: list[int]) -> None:
    for chunk_id in chunk_ids:
        jobs.fan_out_chunk(db, chunk_id=chunk_id)


def test_fan_out_reaches_every_friend_once_in_small_chunks(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 2500)
    jobs.fan_out(db, send_id=send_id, chunk_size=300)
    chunk_ids = _chunks(db, send_id)
    assert len(chunk_ids) == 9  # 2,500 friends in chunks of 300
    assert _state(db, send_id) == (0, 0, 0, "sending")
    _run_chunks(db, chunk_ids)
    assert _state(db, send_id) == (2500, 2500, 2500, "succeeded")
    with db.scope() as s:
        send = s.get_one(Send, send_id)
        assert (send.target_count, send.chunks_left, send.completed_at is not None) == (2500, 0, True)
        assert sorted(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id))) == user_ids
    # Running the start and every chunk again (a replayed job) writes nothing.
    jobs.fan_out(db, send_id=send_id, chunk_size=300)
    with db.scope() as s:
        every = list(s.scalars(select(SendChunk.id).where(SendChunk.send_id == send_id)))
    _run_chunks(db, every)
    assert _state(db, send_id) == (2500, 2500, 2500, "succeeded")


def test_chunks_cover_every_friend_without_gaps_or_overlaps(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 1000)
    jobs.fan_out(db, send_id=send_id, chunk_size=128)
    with db.scope() as s:
        ranges = s.execute(select(SendChunk.after_user_id, SendChunk.upto_user_id)
                           .where(SendChunk.send_id == send_id).order_by(SendChunk.after_user_id)).all()
    assert ranges[0][0] == 0 and ranges[-1][1] == user_ids[-1]
    assert all(ranges[i][1] == ranges[i + 1][0] for i in range(len(ranges) - 1))
    sizes = [sum(1 for uid in user_ids if after < uid <= upto) for after, upto in ranges]
    assert sizes == [128] * 7 + [104]


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
    _run_chunks(db, _chunks(db, send_id))
    with db.scope() as s:
        assert sorted(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id))) == user_ids[1:]
    assert _state(db, send_id) == (19, 19, 19, "succeeded")


def test_chunks_run_in_any_order_and_a_replayed_chunk_writes_nothing(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 1000)
    jobs.fan_out(db, send_id=send_id, chunk_size=150)
    chunk_ids = _chunks(db, send_id)
    _run_chunks(db, chunk_ids[3:4])  # a worker did one chunk from the middle, then died
    assert _state(db, send_id) == (150, 150, 150, "sending")
    _run_chunks(db, chunk_ids[3:4])  # a stale worker replays it
    assert _state(db, send_id) == (150, 150, 150, "sending")
    _run_chunks(db, list(reversed(chunk_ids)))
    assert _state(db, send_id) == (1000, 1000, 1000, "succeeded")


class Crash(Exception):
    pass


@contextmanager
def _crash_on(db: Database, prefix: str) -> Iterator[None]:
    """Make the first statement starting with ``prefix`` fail, as a process dying there would."""
    def fail(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.startswith(prefix):
            raise Crash(prefix)

    event.listen(db.engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", fail)


def test_style_7c_a_chunk_failing_after_its_rows_keeps_neither_rows_nor_checkpoint_then_resumes(
        db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 50)
    jobs.fan_out(db, send_id=send_id, chunk_size=20)
    chunk_ids = _chunks(db, send_id)
    # The rows and the usage are written; the send's progress, the last statement, fails.
    with _crash_on(db, "UPDATE sends"), pytest.raises(Crash):
        jobs.fan_out_chunk(db, chunk_id=chunk_ids[0])
    assert _state(db, send_id) == (0, 0, 0, "sending")
    assert _chunks(db, send_id) == chunk_ids, "the chunk's checkpoint did not move without its rows"
    _run_chunks(db, chunk_ids)
    assert _state(db, send_id) == (50, 50, 50, "succeeded")


def test_style_7c_the_process_dying_before_the_commit_keeps_nothing_of_the_chunk(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 50)
    jobs.fan_out(db, send_id=send_id, chunk_size=20)
    chunk_ids = _chunks(db, send_id)
    with pytest.raises(Crash), db.scope() as s:
        assert service.fan_out_chunk(s, chunk_ids[0]) == 20
        raise Crash  # the process dies after the chunk, before its commit
    assert _state(db, send_id) == (0, 0, 0, "sending") and _chunks(db, send_id) == chunk_ids


def test_a_start_that_fails_queues_no_chunk(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 50)
    with _crash_on(db, "INSERT INTO jobs"), pytest.raises(Crash):
        jobs.fan_out(db, send_id=send_id, chunk_size=20)
    with db.scope() as s:
        assert s.scalar(select(func.count()).select_from(SendChunk)) == 0
        assert s.get_one(Send, send_id).status == "waiting"
    jobs.fan_out(db, send_id=send_id, chunk_size=20)
    assert len(_chunks(db, send_id)) == 3


def test_the_worker_runs_the_enqueued_fan_out(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 30)
    run_due_jobs(db)
    assert _state(db, send_id) == (30, 30, 30, "succeeded")
    with db.scope() as s:
        names = s.scalars(select(Job.name).where(Job.state == "done").order_by(Job.id)).all()
    assert names == ["messaging.fan_out", "messaging.fan_out_chunk"]


def test_a_send_to_no_one_succeeds_at_its_start(db: Database, bot: Bot):
    send_id, _ = _broadcast(db, bot, 0)
    jobs.fan_out(db, send_id=send_id)
    assert _state(db, send_id) == (0, 0, 0, "succeeded")


def _statements(db: Database, chunk_id: int) -> int:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.scope() as s:
            service.fan_out_chunk(s, chunk_id)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))])


def test_style_7d_a_fan_out_chunk_costs_the_same_statements_for_ten_or_a_thousand(db: Database, bot: Bot):
    small, _ = _broadcast(db, bot, 10)
    run_due_jobs(db)  # the day's usage row now exists for both runs
    small_2, _ = _broadcast(db, bot, 11)
    big, _ = _broadcast(db, bot, 1000)
    jobs.fan_out(db, send_id=small_2, chunk_size=10)
    jobs.fan_out(db, send_id=big, chunk_size=1000)
    assert _statements(db, _chunks(db, small_2)[0]) == _statements(db, _chunks(db, big)[0]) <= 6


def test_a_chunk_tells_online_recipients_after_its_commit_and_no_one_when_it_fails(db: Database, bot: Bot):
    send_id, user_ids = _broadcast(db, bot, 40)
    jobs.fan_out(db, send_id=send_id, chunk_size=20)
    first, second = _chunks(db, send_id)
    inside, outside = user_ids[5], user_ids[30]  # in the first chunk's range, and in the second's

    def failing() -> None:
        with _crash_on(db, "UPDATE sends"), pytest.raises(Crash):
            jobs.fan_out_chunk(db, chunk_id=first)

    assert heard(inside, failing)[1] == []  # rolled back: no one is told
    assert heard(inside, lambda: jobs.fan_out_chunk(db, chunk_id=first))[1] == [
        {"type": "messages", "accountId": bot.account.id}]
    assert heard(outside, lambda: jobs.fan_out_chunk(db, chunk_id=second))[1] != []
    assert heard(outside, lambda: jobs.fan_out_chunk(db, chunk_id=second))[1] == []  # a replay writes nothing
