"""Sends to 100,000 friends whose worker — an `openoa worker` process, or the server running its
own — is killed (``kill -9``) at random points and started again: every target gets exactly one
delivery, the quota is charged exactly once for the rows written, and progress ends ``succeeded``
with the right counts (ARCHITECTURE "The delivery pipeline"; R-MSG-03, R-BRD-02). On PostgreSQL,
two worker processes share one send's chunks, one of them killed midway, with no duplicate and no gap.

The processes run the real commands on their own database (a SQLite file or a fresh PostgreSQL
database), so nothing here shares the test's rolled-back transaction. Chunks of 5,000 friends
make twenty of them, so a kill lands between chunks and inside them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, update

from openoa.billing.models import MessageUsage
from openoa.core.db import Database
from openoa.core.jobs import RUNNING, Job
from openoa.friends.models import Friendship
from openoa.messaging import service
from openoa.messaging.models import Delivery, Send
from openoa.users.models import User
from tests.api.bots import make_bot
from tests.live import free_port
from tests.messaging.crowd import add_friends, add_people, context

pytestmark = pytest.mark.slow

FRIENDS = 100_000
BLOCKED_EVERY = 20  # 5 % of them blocked the account: never reached, never charged
KILLS = 2
CHUNK = "5000"
TEXT = [{"type": "text", "text": "Flash sale"}]
ON_POSTGRESQL = bool(os.environ.get("OPENOA_TEST_DATABASE_URL"))


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


class Command:
    """One `openoa …` process kind on one database, started again after each kill."""

    def __init__(self, url: str, logs: Path, argv: list[str], name: str) -> None:
        self.url, self.logs, self.argv, self.name, self.started = url, logs, argv, name, 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.started += 1
        env = {**os.environ, "OPENOA_DATABASE_URL": self.url, "OPENOA_JOB_LEASE_SECONDS": "2",
               "OPENOA_WORKER_POLL_SECONDS": "0.1", "OPENOA_FAN_OUT_CHUNK_SIZE": CHUNK,
               "OPENOA_DATA_DIR": str(self.logs), "OPENOA_SECRET_KEY": "crash-test-secret"}
        with open(self.logs / f"{self.name}-{self.started}.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "openoa.cli", *self.argv], env=env,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.output()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob(f"{self.name}-*.log")))


@pytest.fixture
def commands(scratch_database_url: str, tmp_path: Path) -> Iterator[Callable[..., Command]]:
    made: list[Command] = []

    def make(kind: str, name: str | None = None, *options: str) -> Command:
        argv = ["worker", *options] if kind == "worker" else ["serve", "--port", str(free_port())]
        made.append(Command(scratch_database_url, tmp_path, argv, name or kind))
        return made[-1]

    yield make
    for command in made:
        if command.proc is not None and command.proc.poll() is None:
            command.proc.kill()
            command.proc.wait(10)


@pytest.fixture
def reader(scratch_database_url: str) -> Iterator[Engine]:
    # Plain reads: a unit of work would take SQLite's write lock and queue behind the fan-out.
    engine = create_engine(scratch_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def _progress(reader: Engine, send_id: int) -> tuple[int, str]:
    with reader.connect() as conn:
        count, status = conn.execute(select(Send.success_count, Send.status).where(Send.id == send_id)).one()
    return int(count), str(status)


def _kill_at_random_points(command: Command, reader: Engine, send_id: int, chance: random.Random) -> int:
    """Start, wait for some chunks to be safe, kill at a random moment while more remain; KILLS times.
    How many kills landed mid-send."""
    interrupted = 0
    for _ in range(KILLS):
        before = _progress(reader, send_id)[0]
        command.start()
        wait_until(lambda: _progress(reader, send_id)[0] > before, 120,  # noqa: B023
                   f"the fan-out to move past {before}\n{command.output()}")
        time.sleep(chance.uniform(0.0, 0.05))  # a chunk of 5,000 takes tens of milliseconds
        if _progress(reader, send_id)[1] == "succeeded":
            break
        command.kill()
        interrupted += _progress(reader, send_id)[1] != "succeeded"
    return interrupted


def _finish(command: Command, reader: Engine, send_id: int) -> None:
    if command.proc is None or command.proc.poll() is not None:
        command.start()
    wait_until(lambda: _progress(reader, send_id)[1] == "succeeded", 180,
               f"the resumed fan-out to finish\n{command.output()}")
    command.stop()


def _outcome(db: Database, send_id: int, account_id: int) -> dict[str, Any]:
    with db.scope() as s:
        send = s.get_one(Send, send_id)
        people = s.scalar(select(func.count(func.distinct(Delivery.user_id))).where(Delivery.send_id == send_id))
        missed = s.scalar(select(func.count()).select_from(Friendship).join(User, User.id == Friendship.user_id)
                          .where(Friendship.account_id == account_id, Friendship.blocked.is_(False),
                                 ~select(Delivery.id).where(Delivery.send_id == send_id,
                                                            Delivery.user_id == Friendship.user_id).exists()))
        return {
            "rows": s.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id)),
            "people": people, "missed": missed,
            "to_blocked": s.scalar(select(func.count()).select_from(Delivery).join(
                Friendship, (Friendship.user_id == Delivery.user_id) & (Friendship.account_id == account_id))
                .where(Delivery.send_id == send_id, Friendship.blocked.is_(True))),
            "charged": s.scalar(select(func.sum(MessageUsage.used)).where(MessageUsage.account_id == account_id)),
            "progress": (send.status, send.target_count, send.success_count),
        }


def _big_account(db: Database, people: list[dict[str, Any]] | None = None) -> tuple[Any, list[int]]:
    with db.scope() as s:
        bot = make_bot(s, name="Huge Cafe")
        bot.account.package = "pro"
        bot.account.additional_limit_ceiling = bot.account.additional_message_limit = FRIENDS
        user_ids = add_people(s, bot.account.id, people) if people else add_friends(s, bot.account.id, FRIENDS)
        s.execute(update(Friendship).where(Friendship.account_id == bot.account.id,
                                           Friendship.user_id % BLOCKED_EVERY == 0).values(blocked=True))
    return bot, user_ids


def _send_id(db: Database, request_id: str) -> int:
    with db.scope() as s:
        return int(s.scalar(select(Send.id).where(Send.request_id == request_id)))


@pytest.mark.parametrize("seed", [7, 2026])
def test_a_broadcast_whose_worker_is_killed_reaches_everyone_exactly_once_and_charges_once(
        scratch_database_url: str, commands: Callable[..., Command], reader: Engine, seed: int) -> None:
    db = Database.from_url(scratch_database_url)
    try:
        bot, user_ids = _big_account(db)
        with db.scope() as s:
            service.broadcast(s, context(s, bot), request_id=f"crash-{seed}", messages=TEXT)
        send_id = _send_id(db, f"crash-{seed}")
        reachable = sum(1 for uid in user_ids if uid % BLOCKED_EVERY)

        worker = commands("worker")
        interrupted = _kill_at_random_points(worker, reader, send_id, random.Random(seed))
        _finish(worker, reader, send_id)

        assert interrupted >= 1, "the worker must have been killed at least once mid-send"
        assert _outcome(db, send_id, bot.account.id) == {
            "rows": reachable, "people": reachable, "missed": 0, "to_blocked": 0, "charged": reachable,
            "progress": ("succeeded", reachable, reachable)}
    finally:
        db.engine.dispose()


def test_r_brd_02_a_narrowcast_with_limit_max_whose_server_is_killed_picks_and_charges_exactly_max(
        scratch_database_url: str, commands: Callable[..., Command], reader: Engine) -> None:
    db = Database.from_url(scratch_database_url)
    try:
        crowd = [{"gender": "female" if n % 3 else "male", "birth_year": 1960 + n % 40} for n in range(FRIENDS)]
        bot, user_ids = _big_account(db, crowd)
        with db.scope() as s:
            service.narrowcast(s, context(s, bot), request_id="crash-nc", messages=TEXT,
                               filter={"demographic": {"type": "gender", "oneOf": ["female"]}},
                               limit={"max": 20_000})
        send_id = _send_id(db, "crash-nc")
        women = {uid for uid, person in zip(user_ids, crowd, strict=True)
                 if person["gender"] == "female" and uid % BLOCKED_EVERY}

        server = commands("serve", "server")  # the server runs its own worker (the embedded default)
        interrupted = _kill_at_random_points(server, reader, send_id, random.Random(11))
        _finish(server, reader, send_id)

        assert interrupted >= 1, "the server must have been killed at least once mid-send"
        outcome = _outcome(db, send_id, bot.account.id)
        assert (outcome["rows"], outcome["people"], outcome["charged"], outcome["progress"]) == (
            20_000, 20_000, 20_000, ("succeeded", 20_000, 20_000))
        with db.scope() as s:
            picked = set(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id)))
            progress = service.narrowcast_progress(s, context(s, bot), "crash-nc")
        assert picked <= women, "only qualified friends are picked"
        ranked = sorted(women)
        # Random over the whole range, not the first 20,000: every tenth of it holds some of them.
        assert {ranked.index(uid) * 10 // len(ranked) for uid in picked} == set(range(10))
        assert (progress.phase, progress.target_count, progress.success_count) == ("succeeded", 20_000, 20_000)
    finally:
        db.engine.dispose()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite has one writer: its workers take turns")
def test_two_workers_share_one_send_with_no_duplicate_and_no_gap_even_when_one_is_killed(
        scratch_database_url: str, commands: Callable[..., Command], reader: Engine) -> None:
    db = Database.from_url(scratch_database_url)
    try:
        bot, user_ids = _big_account(db)
        # Two jobs per claim, so one worker's loops cannot take every chunk before the other looks.
        first, second = commands("worker", "first", "--batch", "2"), commands("worker", "second", "--batch", "2")
        holders: set[str] = set()
        done = threading.Event()

        def watch() -> None:  # which worker processes hold the send's chunks while it runs
            while not done.is_set():
                with reader.connect() as conn:
                    holders.update(name[:14] for name in conn.scalars(select(Job.locked_by).where(
                        Job.name == service.FAN_OUT_CHUNK_JOB, Job.state == RUNNING)) if name)
                time.sleep(0.002)

        watcher = threading.Thread(target=watch, daemon=True)
        for worker in (first, second):
            worker.start()
        for worker in (first, second):  # both polling before the send is accepted
            wait_until(lambda worker=worker: "running" in worker.output(), 60, f"{worker.name} to start")
        with db.scope() as s:
            service.broadcast(s, context(s, bot), request_id="shared", messages=TEXT)
        send_id = _send_id(db, "shared")
        watcher.start()
        try:
            wait_until(lambda: _progress(reader, send_id)[0] >= FRIENDS // 4, 120, f"a quarter\n{first.output()}")
            first.kill()  # its claimed chunks return to the queue when their lease runs out
            wait_until(lambda: _progress(reader, send_id)[1] == "succeeded", 180,
                       f"the second worker to finish\n{second.output()}")
        finally:
            done.set()
            watcher.join(5)
        second.stop()

        reachable = sum(1 for uid in user_ids if uid % BLOCKED_EVERY)
        assert len(holders) == 2, f"both worker processes took chunks of the send: {holders}"
        assert _outcome(db, send_id, bot.account.id) == {
            "rows": reachable, "people": reachable, "missed": 0, "to_blocked": 0, "charged": reachable,
            "progress": ("succeeded", reachable, reachable)}
    finally:
        db.engine.dispose()
