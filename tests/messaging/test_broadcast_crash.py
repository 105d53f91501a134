"""A broadcast to 100,000 friends whose worker process is killed (``kill -9``) at random
points and started again: every reachable friend gets exactly one delivery and the quota is
charged exactly once, for the rows written (ARCHITECTURE "The delivery pipeline"; R-MSG-03).

The worker is the real ``openoa worker`` command on its own database (SQLite file or a fresh
PostgreSQL database), so nothing here shares the test's rolled-back transaction.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, select, update

from openoa.billing.models import MessageUsage
from openoa.core.db import Database
from openoa.friends.models import Friendship
from openoa.messaging import service
from openoa.messaging.models import Delivery, Send
from openoa.users.models import User
from tests.api.bots import make_bot
from tests.messaging.crowd import add_friends, context

pytestmark = pytest.mark.slow

FRIENDS = 100_000
BLOCKED_EVERY = 20  # 5 % of them blocked the account: never reached, never charged
KILLS = 2


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.005)


class WorkerCommand:
    """`openoa worker` processes on one database, one at a time; whatever is left is killed."""

    def __init__(self, url: str, logs: Path) -> None:
        self.url, self.logs, self.started = url, logs, 0
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.started += 1
        env = {**os.environ, "OPENOA_DATABASE_URL": self.url, "OPENOA_JOB_LEASE_SECONDS": "2",
               "OPENOA_WORKER_POLL_SECONDS": "0.1"}
        with open(self.logs / f"worker-{self.started}.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "openoa.cli", "worker"], env=env,
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.output()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)

    def output(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("worker-*.log")))


@pytest.fixture
def worker(scratch_database_url: str, tmp_path: Path) -> Iterator[WorkerCommand]:
    command = WorkerCommand(scratch_database_url, tmp_path)
    yield command
    if command.proc is not None and command.proc.poll() is None:
        command.proc.kill()
        command.proc.wait(10)


def _progress(reader: Engine, send_id: int) -> tuple[int, str]:
    # A plain read: a unit of work would take SQLite's write lock and queue behind the fan-out.
    with reader.connect() as conn:
        count, status = conn.execute(select(Send.success_count, Send.status).where(Send.id == send_id)).one()
    return int(count), str(status)


@pytest.mark.parametrize("seed", [7, 2026])
def test_broadcast_killed_mid_fan_out_reaches_everyone_exactly_once_and_charges_once(
        scratch_database_url: str, worker: WorkerCommand, seed: int) -> None:
    chance = random.Random(seed)
    db = Database.from_url(scratch_database_url)
    reader = create_engine(scratch_database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with db.scope() as s:
            bot = make_bot(s, name="Huge Cafe")
            bot.account.package = "pro"
            bot.account.additional_message_limit = FRIENDS  # room for everyone beyond the 35,000
            user_ids = add_friends(s, bot.account.id, FRIENDS)
            s.execute(update(Friendship).where(Friendship.account_id == bot.account.id,
                                               Friendship.user_id % BLOCKED_EVERY == 0).values(blocked=True))
            service.broadcast(s, context(s, bot), request_id=f"crash-{seed}",
                              messages=[{"type": "text", "text": "Flash sale"}])
            send_id = s.scalar(select(Send.id).where(Send.request_id == f"crash-{seed}"))
        reachable = sum(1 for uid in user_ids if uid % BLOCKED_EVERY)

        # Kill the worker at random moments after some chunks are safe, while more remain.
        interrupted = 0
        for _ in range(KILLS):
            before = _progress(reader, send_id)[0]
            worker.start()
            wait_until(lambda: _progress(reader, send_id)[0] > before, 120,  # noqa: B023
                       f"the fan-out to move past {before}\n{worker.output()}")
            # A chunk of 10,000 takes tens of milliseconds: land anywhere in the next one or two.
            time.sleep(chance.uniform(0.0, 0.03))
            if _progress(reader, send_id)[1] == "succeeded":
                break
            worker.kill()
            interrupted += _progress(reader, send_id)[1] != "succeeded"
        worker.start()
        wait_until(lambda: _progress(reader, send_id)[1] == "succeeded", 180,
                   f"the resumed fan-out to finish\n{worker.output()}")
        worker.stop()

        with db.scope() as s:
            send = s.get_one(Send, send_id)
            rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id))
            people = s.scalar(select(func.count(func.distinct(Delivery.user_id))).where(Delivery.send_id == send_id))
            missed = s.scalar(select(func.count()).select_from(Friendship)
                              .join(User, User.id == Friendship.user_id)
                              .where(Friendship.account_id == bot.account.id, Friendship.blocked.is_(False),
                                     ~select(Delivery.id).where(Delivery.send_id == send_id,
                                                                Delivery.user_id == Friendship.user_id).exists()))
            to_blocked = s.scalar(select(func.count()).select_from(Delivery).join(
                Friendship, (Friendship.user_id == Delivery.user_id) & (Friendship.account_id == bot.account.id))
                .where(Delivery.send_id == send_id, Friendship.blocked.is_(True)))
            charged = s.scalar(select(func.sum(MessageUsage.used)).where(MessageUsage.account_id == bot.account.id))
        assert interrupted >= 1, "the worker must have been killed at least once mid-send"
        assert (rows, people, missed, to_blocked) == (reachable, reachable, 0, 0)
        assert charged == reachable, "the quota is charged once, for the rows written"
        assert (send.status, send.target_count, send.success_count) == ("succeeded", reachable, reachable)
    finally:
        reader.dispose()
        db.engine.dispose()
