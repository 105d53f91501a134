"""B3 (shared/BENCHMARKS.md): signed webhook deliveries, event stored → 2xx recorded, to a local
sink answering 200 at once, against a plain aiohttp client signing and POSTing the same bodies
at the same concurrency to the same sink, in the same run.

    .venv/bin/python bench/b3_webhooks.py --events 5000
    .venv/bin/python bench/b3_webhooks.py --events 5000 --database-url postgresql://user@127.0.0.1:5432/db

Each round, N message events (each with its reply token) are stored through ``webhooks.service.emit`` in
one transaction, which queues one ``webhooks.deliver`` job each. Then the real job runner
(``openoa.core.jobs.Worker``, as ``openoa worker`` runs it) delivers them until every event's
2xx is recorded in ``webhook_deliveries``. This process (runner and baseline) is pinned to
core 0, the sink to core 1.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import os
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from _common import (
    BENCH_DIR,
    CLIENT_CPU,
    SERVER_CPU,
    can_pin,
    console,
    free_port,
    pin_self,
    pinned,
    stop,
    table,
    verdict,
    versions,
    wait_for_port,
    work_dir,
)
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, create_engine, func, make_url, select

from openoa.accounts import service as accounts
from openoa.accounts.rules import Package
from openoa.channels import service as channels
from openoa.channels.rules import ResponseMode
from openoa.core import clock, ids
from openoa.core.access import SYSTEM
from openoa.core.db import Database, upgrade
from openoa.core.jobs import QUEUED, RUNNING, Job, Worker, default_runners
from openoa.friends import service as friends
from openoa.integrations.webhook_sender import current_webhook_sender
from openoa.modules import load_job_modules
from openoa.users import service as users
from openoa.webhooks import rules
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import WebhookDelivery, WebhookEvent

PASS_RATIO, GOAL_RATIO = 0.5, 0.8


def store_events(db: Database, sink_url: str, count: int) -> tuple[int, str, str]:
    """A Bot-mode account whose webhook is the sink, a friend, and ``count`` message events from
    them stored (and queued) in one transaction; returns (account id, bot user ID, secret)."""
    with db.scope() as session:
        account = accounts.create_account(session, SYSTEM, display_name="Bench bot", package=Package.PRO)
        channels.set_response_mode(session, SYSTEM, account.id, ResponseMode.BOT)
        webhooks.update_webhook_settings(session, SYSTEM, account.id, webhook_url=sink_url, use_webhook=True)
        person = users.create_user(session, SYSTEM, display_name="Bench friend")
        scoped = friends.add_friend(session, SYSTEM, account.basic_id, user_id=person.id).user_id
        account_id = account.id
    with db.scope() as session:
        for n in range(count):
            token = webhooks.issue_reply_token(session, account_id, person.id)
            webhooks.emit(session, account_id, {
                "type": "message", "replyToken": token, "source": rules.user_source(scoped),
                "message": {"type": "text", "id": ids.message_id(), "quoteToken": ids.quote_token(),
                            "text": f"Order #{n:06d}: is my parcel on its way?"}})
        channel = channels.channel_of(session, account_id)
        return account_id, channel.bot_user_id, channel.channel_secret


def bodies_of(db: Database, account_id: int, destination: str) -> list[bytes]:
    """The bodies the runner sends for the account's events (first attempts)."""
    with db.scope() as session:
        payloads = session.scalars(select(WebhookEvent.payload).where(WebhookEvent.account_id == account_id)
                                   .order_by(WebhookEvent.id)).all()
    return [rules.envelope(destination, [rules.as_delivered(p, is_redelivery=False)]) for p in payloads]


def recorded_2xx(reader: Engine, account_id: int) -> tuple[int, datetime | None]:
    """2xx deliveries recorded for the account, and when the last was (read without a write lock)."""
    with reader.connect() as connection:
        count, last = connection.execute(
            select(func.count(), func.max(WebhookDelivery.attempted_at)).where(
                WebhookDelivery.account_id == account_id, WebhookDelivery.status_code >= 200,
                WebhookDelivery.status_code < 300)).one()
    return int(count or 0), last


def pending(db: Database) -> int:
    """Jobs still queued or running (none left before every 2xx is in: the runner failed)."""
    with db.scope() as session:
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.state.in_((QUEUED, RUNNING))))
                   or 0)


async def plain_client(url: str, secret: str, bodies: list[bytes], concurrency: int) -> tuple[int, float]:
    """The baseline: sign each body and POST it, ``concurrency`` in flight; (2xx, seconds)."""
    import aiohttp

    key = secret.encode()
    queue = iter(bodies)
    ok = 0

    async def sender(session: aiohttp.ClientSession) -> None:
        nonlocal ok
        for body in queue:
            signature = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()
            headers = {"Content-Type": rules.CONTENT_TYPE, "User-Agent": rules.USER_AGENT,
                       rules.SIGNATURE_HEADER: signature}
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()
                ok += 200 <= response.status < 300

    started = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        await asyncio.gather(*(sender(session) for _ in range(concurrency)))
    return ok, time.perf_counter() - started


POLL_SECONDS = 0.5


def run_worker(db: Database, reader: Engine, account_id: int, total: int, *, batch: int, label: str) -> float:
    """Run the real job runner until every event's 2xx is recorded; seconds from its start to the
    last 2xx recorded (the poll below only watches; its interval does not count)."""
    load_job_modules()
    # As many loops as `openoa worker` runs on this database (core.jobs.default_runners).
    workers = [Worker(db, batch=batch, poll_seconds=0.05) for _ in range(default_runners(db.dialect))]
    started = clock.now()
    threads = [threading.Thread(target=one.run, name=f"bench-worker-{n}", daemon=True)
               for n, one in enumerate(workers)]
    for thread in threads:
        thread.start()
    done, last = 0, None
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True) as progress:
            task = progress.add_task(label, total=total)
            while done < total:
                # The watching shares the runner's process and core: a poll every half second, and
                # the stall check (a count of the queue) only when a poll saw no progress.
                time.sleep(POLL_SECONDS)
                before = done
                done, last = recorded_2xx(reader, account_id)
                progress.update(task, completed=done)
                stalled = done == before and done < total
                if not all(thread.is_alive() for thread in threads) or (stalled and not pending(db)
                                                                        and recorded_2xx(reader, account_id)[0] < total):
                    raise RuntimeError(f"the runner stopped short: {done:,} of {total:,} deliveries recorded "
                                       "(see the jobs table's last_error)")
    finally:
        for one in workers:
            one.stop()
        for thread in threads:
            thread.join(30)
    assert last is not None
    return (last.replace(tzinfo=UTC) - started).total_seconds()


@dataclass
class Round:
    events: int
    base_ok: int
    base_seconds: float
    ours_seconds: float

    @property
    def ratio(self) -> float:
        return (self.events / self.ours_seconds) / (self.base_ok / self.base_seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=2000, help="events stored and delivered per round")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of baseline then runner, alternating (the machine is noisy)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="baseline's requests in flight (default: the runner's, see the notes)")
    parser.add_argument("--batch", type=int, default=10, help="jobs the worker claims per round trip")
    parser.add_argument("--database-url", default=None,
                        help="a throw-away database to migrate and use (default: a fresh SQLite file)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, database)")
    args = parser.parse_args(argv)
    concurrency = args.concurrency or runner_concurrency(args.batch)

    with work_dir(args.keep) as work:
        port = free_port()
        log = work / "sink.log"
        with open(log, "w") as out:
            sink = subprocess.Popen(pinned([sys.executable, str(BENCH_DIR / "_sink.py"), str(port)], CLIENT_CPU),
                                    stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, sink, log)
            pin_self(SERVER_CPU)
            url = f"http://127.0.0.1:{port}/callback"
            database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
            upgrade(database_url)
            db = Database.from_url(database_url)
            os.environ.setdefault("OPENOA_DATA_DIR", str(work))
            reader = create_engine(make_url(database_url).set(
                drivername="postgresql+psycopg" if database_url.startswith("postgresql") else "sqlite"))
            rounds: list[Round] = []
            store_seconds = 0.0
            for n in range(1, args.rounds + 1):
                with console.status(f"round {n}/{args.rounds}: storing {args.events:,} events…"):
                    stored = time.perf_counter()
                    account_id, destination, secret = store_events(db, url, args.events)
                    store_seconds += time.perf_counter() - stored
                    bodies = bodies_of(db, account_id, destination)  # the friend's follow event too
                with console.status(f"round {n}/{args.rounds}: plain aiohttp client, {concurrency} in flight…"):
                    base_ok, base_seconds = asyncio.run(plain_client(url, secret, bodies, concurrency))
                ours_seconds = run_worker(db, reader, account_id, len(bodies), batch=args.batch,
                                          label=f"round {n}/{args.rounds}: job runner delivering {len(bodies):,}")
                rounds.append(Round(len(bodies), base_ok, base_seconds, ours_seconds))
            reader.dispose()
            close = getattr(current_webhook_sender(), "close", None)
            if close is not None:
                close()
            db.engine.dispose()
        finally:
            stop(sink)

    events = sum(r.events for r in rounds)
    base_ok = sum(r.base_ok for r in rounds)
    base_seconds = sum(r.base_seconds for r in rounds)
    ours_seconds = sum(r.ours_seconds for r in rounds)
    base_rate, ours_rate = base_ok / base_seconds, events / ours_seconds
    ratio = statistics.median(r.ratio for r in rounds)
    console.print(table(f"B3 webhooks — {args.rounds} round(s) of {events // args.rounds:,} events, "
                        f"{concurrency} in flight",
                        ["sender", "deliveries/s", "seconds", "2xx"],
                        [["plain aiohttp client (baseline)", f"{base_rate:,.0f}", f"{base_seconds:.2f}",
                          f"{base_ok:,}"],
                         ["OpenOA job runner (stored → 2xx recorded)", f"{ours_rate:,.0f}", f"{ours_seconds:.2f}",
                          f"{events:,}"]]))
    console.print(f"ratio OpenOA / plain client: [bold]{ratio:.3f}[/bold] (median of the rounds: "
                  f"{', '.join(f'{r.ratio:.3f}' for r in rounds)})")
    console.print(f"B3 {verdict(ratio >= PASS_RATIO, ratio >= GOAL_RATIO)} — pass: ratio ≥ {PASS_RATIO}; "
                  f"goal: ratio ≥ {GOAL_RATIO}")
    kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    console.print(f"[dim]{kind}; storing the events took {store_seconds:.2f} s (not timed); worker batch "
                  f"{args.batch}, {default_runners('postgresql' if kind == 'PostgreSQL' else 'sqlite')} loop(s) "
                  f"as `openoa worker` runs; {'runner and baseline on core 0, sink on core 1' if can_pin() else 'not pinned'}; "
                  f"{versions('aiohttp', 'sqlalchemy')}; Python {sys.version.split()[0]}[/dim]")
    return 0


def runner_concurrency(batch: int) -> int:
    """How many deliveries the runner has in flight at once: a batch of ``webhooks.deliver`` jobs."""
    from openoa.webhooks.jobs import BATCH

    return BATCH


if __name__ == "__main__":
    sys.exit(main())
