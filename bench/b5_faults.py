"""B5 of shared/BENCHMARKS.md: a broadcast to 200,000 friends (B1's workload) plus 20,000 webhook
events, while a harness ``kill -9``s a worker three times, the server once, and restarts
PostgreSQL once. Baseline: the same round without faults, in the same run. The figure is the
time with faults ÷ the time without (pass ≤ 1.5, goal ≤ 1.2), and the invariants must hold:
deliveries = targets with none duplicated or lost, quota charged = rows written, every webhook
event acknowledged at least once (a repeat only under its webhookEventId with isRedelivery true),
and no job left claimed past its lease.

A round runs from the broadcast request (the events arriving alongside, a thousand per
transaction) until the send has succeeded and every event's 2xx is recorded. Killed processes
are started again at once, as a supervisor would; leases are OPENOA_JOB_LEASE_SECONDS (3 here).

    bash bench/pg_durable.sh sh -c '.venv/bin/python bench/b5_faults.py --database-url "$BENCH_PG_URL"'
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import httpx
from _common import (
    BENCH_DIR,
    console,
    free_port,
    stop,
    table,
    verdict,
    versions,
    wait_for_port,
    work_dir,
)
from b1_fanout import build_population, engine_for, start
from linebot.v3.messaging import (
    ApiClient,
    BroadcastRequest,
    Configuration,
    MessagingApi,
    TextMessage,
)
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from openoa.accounts import service as accounts
from openoa.accounts.rules import Package
from openoa.billing.models import MessageUsage
from openoa.channels import service as channels
from openoa.channels.rules import ResponseMode
from openoa.core import clock, ids
from openoa.core.access import SYSTEM
from openoa.core.db import Database
from openoa.core.jobs import QUEUED, RUNNING, Job
from openoa.friends import service as friends
from openoa.friends.models import Friendship
from openoa.messaging.models import Delivery, Send
from openoa.users import service as users
from openoa.webhooks import rules
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import WebhookDelivery, WebhookEvent

PASS, GOAL = 1.5, 1.2
LEASE_SECONDS = "3"
EVENTS_PER_TRANSACTION = 1_000


@dataclass
class Round:
    label: str
    seconds: float
    rows: int
    events: int
    repeats: int
    faults: list[str] = field(default_factory=list)


def retrying(what: Callable[[], Any], until: float) -> Any:
    """Run ``what`` again while the database is away (restarting), until a deadline."""
    while True:
        try:
            return what()
        except OperationalError:
            if time.monotonic() > until:
                raise
            time.sleep(0.2)


def bot_account(db: Database, sink_url: str, label: str) -> tuple[int, int, str]:
    """A Bot-mode account whose webhook (redelivery on) is the sink, and one friend; (account, person, scoped id)."""
    with db.scope() as session:
        account = accounts.create_account(session, SYSTEM, display_name=f"B5 {label}"[:20], package=Package.PRO)
        channels.set_response_mode(session, SYSTEM, account.id, ResponseMode.BOT)
        webhooks.update_webhook_settings(session, SYSTEM, account.id, webhook_url=sink_url, use_webhook=True,
                                         webhook_redelivery=True)
        person = users.create_user(session, SYSTEM, display_name="B5 friend")
        scoped = friends.add_friend(session, SYSTEM, account.basic_id, user_id=person.id).user_id
        return account.id, person.id, scoped


def emit_events(db: Database, account_id: int, person_id: int, scoped: str, count: int, deadline: float) -> None:
    """``count`` message events, a transaction per thousand, each retried whole if the database drops."""
    def chunk(first: int, size: int) -> None:
        with db.scope() as session:
            for n in range(first, first + size):
                token = webhooks.issue_reply_token(session, account_id, person_id)
                webhooks.emit(session, account_id, {
                    "type": "message", "replyToken": token, "source": rules.user_source(scoped),
                    "message": {"type": "text", "id": ids.message_id(), "quoteToken": ids.quote_token(),
                                "text": f"B5 order #{n:06d}"}})

    for first in range(0, count, EVENTS_PER_TRANSACTION):
        retrying(lambda first=first: chunk(first, min(EVENTS_PER_TRANSACTION, count - first)), deadline)


def state(reader: Engine, request_id: str, account_id: int) -> tuple[str, int, int, int]:
    """(send status, success count, target count, events with a 2xx recorded)."""
    with reader.connect() as conn:
        status, success, target = conn.execute(select(Send.status, Send.success_count, Send.target_count)
                                               .where(Send.request_id == request_id)).one()
        acked = conn.scalar(select(func.count(func.distinct(WebhookDelivery.event_id))).where(
            WebhookDelivery.account_id == account_id, WebhookDelivery.status_code >= 200,
            WebhookDelivery.status_code < 300))
    return str(status), int(success), int(target), int(acked or 0)


class Harness:
    """The processes of one run, each restartable: the server (no worker inside), two workers, PostgreSQL."""

    def __init__(self, env: dict[str, str], folder: Any, port: int) -> None:
        self.env, self.folder, self.port, self.starts = env, folder, port, Counter[str]()
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        self.starts[name] += 1
        argv = ["serve", "--port", str(self.port), "--no-worker"] if name == "server" else ["worker"]
        self.procs[name] = start(argv, self.env, self.folder / f"{name}-{self.starts[name]}.log")

    def kill(self, name: str) -> str:
        proc = self.procs[name]
        proc.kill()  # SIGKILL
        proc.wait(10)
        self.start(name)
        return f"kill -9 {name}"

    def restart_postgres(self) -> str:
        pg_ctl, data = os.environ["BENCH_PG_CTL"], os.environ["BENCH_PG_DATA"]
        owner = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []
        subprocess.run([*owner, pg_ctl, f"--pgdata={data}", "--mode=immediate", "--wait", "--silent", "restart"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return "restart PostgreSQL"

    def stop_all(self) -> None:
        for proc in self.procs.values():
            stop(proc)


def run_round(harness: Harness, db: Database, reader: Engine, api: MessagingApi, sink: str, label: str,
              events: int, faults: list[tuple[float, Callable[[], str]]]) -> Round:
    account_id, person_id, scoped = retrying(lambda: bot_account(db, f"{sink}/callback", label),
                                             time.monotonic() + 60)
    started = time.monotonic()
    deadline = started + 900
    answer = api.broadcast_with_http_info(BroadcastRequest(messages=[TextMessage(text=f"B5 {label}")]))
    request_id = answer.headers["x-line-request-id"]
    emitter = threading.Thread(target=emit_events, args=(db, account_id, person_id, scoped, events, deadline))
    emitter.start()
    done: list[str] = []
    schedule = sorted(faults, key=lambda fault: fault[0])
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[note]}"),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(label, total=1.0, note="")
        while True:
            elapsed = time.monotonic() - started
            while schedule and elapsed >= schedule[0][0]:
                done.append(schedule.pop(0)[1]())
            try:
                status, success, target, acked = state(reader, request_id, account_id)
            except OperationalError:  # PostgreSQL restarting
                time.sleep(0.1)
                continue
            fraction = (success / max(target, 1) + acked / events) / 2
            bar.update(task, completed=fraction, note=f"{success:,}/{target:,} delivered, {acked:,}/{events:,} "
                                                      f"events acknowledged; {', '.join(done) or 'no faults yet'}")
            if status == "succeeded" and acked >= events and not emitter.is_alive():
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label}: not done after 15 minutes ({status}, {success}/{target}, {acked})")
            time.sleep(0.05)
    seconds = time.monotonic() - started
    emitter.join()
    rows, repeats = check_invariants(reader, sink, request_id, account_id, events)
    return Round(label, seconds, rows, events, repeats, done)


def check_invariants(reader: Engine, sink: str, request_id: str, account_id: int, events: int) -> tuple[int, int]:
    """BENCHMARKS.md's B5 invariants; (rows written, repeated webhook deliveries)."""
    with reader.connect() as conn:
        send_id, target, success, sender = conn.execute(select(Send.id, Send.target_count, Send.success_count,
                                                               Send.account_id).where(Send.request_id == request_id)).one()
        rows = conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id))
        people = conn.scalar(select(func.count(func.distinct(Delivery.user_id))).where(Delivery.send_id == send_id))
        missed = conn.scalar(select(func.count()).select_from(Friendship).where(
            Friendship.account_id == sender, Friendship.blocked.is_(False),
            ~select(Delivery.id).where(Delivery.send_id == send_id, Delivery.user_id == Friendship.user_id).exists()))
        charged = conn.scalar(select(func.sum(MessageUsage.used)).where(MessageUsage.account_id == sender))
        delivered_before = conn.scalar(select(func.count()).select_from(Delivery).join(
            Send, Send.id == Delivery.send_id).where(Send.account_id == sender, Send.counted.is_(True)))
        stuck = conn.scalar(select(func.count()).select_from(Job).where(Job.state.in_((QUEUED, RUNNING)),
                                                                        Job.run_at <= clock.now()))
        event_ids = set(conn.scalars(select(WebhookEvent.webhook_event_id).where(WebhookEvent.account_id == account_id)))
    record = httpx.get(f"{sink}/record", timeout=30).json()
    seen = Counter(event_id for event_id, _again in record if event_id in event_ids)
    first_sends = Counter(event_id for event_id, again in record if event_id in event_ids and not again)
    problems = []
    if not rows == people == target == success:
        problems.append(f"rows {rows}, people {people}, target {target}, success {success}")
    if missed:
        problems.append(f"{missed} friends missed")
    if charged != delivered_before:
        problems.append(f"quota charged {charged} for {delivered_before} rows")
    if len(event_ids) < events or set(seen) != event_ids:  # the friend's follow event too
        problems.append(f"{len(event_ids - set(seen))} of {len(event_ids)} events never acknowledged")
    if any(count > 1 for count in first_sends.values()):
        problems.append("an event went out twice without isRedelivery")
    if stuck:
        problems.append(f"{stuck} jobs still queued or claimed")
    if problems:
        raise AssertionError("; ".join(problems))
    return int(rows), sum(seen.values()) - len(seen)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200_000, help="demo people (every one a friend)")
    parser.add_argument("--events", type=int, default=20_000, help="webhook events per round")
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL (bench/pg_durable.sh sets it)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgresql") or "BENCH_PG_CTL" not in os.environ:
        parser.error("B5 restarts PostgreSQL: run it under bench/pg_durable.sh")

    with work_dir(args.keep) as folder, ExitStack() as stack:
        console.print(f"[bold]B5[/bold]: {args.users:,} friends and {args.events:,} webhook events, "
                      f"without then with faults; work folder {folder}")
        demo = build_population(args.database_url, args.users, folder)
        sink_port, port = free_port(), free_port()
        sink = subprocess.Popen([sys.executable, str(BENCH_DIR / "_sink.py"), str(sink_port), "--record"])
        stack.callback(stop, sink)
        env = {**os.environ, "OPENOA_DATABASE_URL": args.database_url, "OPENOA_API_RATE_BROADCAST_PER_HOUR": "0",
               "OPENOA_WORKER_POLL_SECONDS": "0.1", "OPENOA_JOB_LEASE_SECONDS": LEASE_SECONDS,
               "OPENOA_DATA_DIR": str(folder), "OPENOA_FAN_OUT_CHUNK_SIZE": "10000"}
        harness = Harness(env, folder, port)
        stack.callback(harness.stop_all)
        for name in ("server", "worker-a", "worker-b"):
            harness.start(name)
        wait_for_port(port, harness.procs["server"], folder / "server-1.log")
        wait_for_port(sink_port, sink, folder / "server-1.log")
        db = Database.from_url(args.database_url)
        stack.callback(db.engine.dispose)
        reader = engine_for(args.database_url)
        stack.callback(reader.dispose)
        client = stack.enter_context(ApiClient(Configuration(host=f"http://127.0.0.1:{port}",
                                                             access_token=demo["bot"]["channel_access_token"])))
        api = MessagingApi(client)
        sink_url = f"http://127.0.0.1:{sink_port}"

        calm = run_round(harness, db, reader, api, sink_url, "without faults", args.events, [])
        console.print(f"without faults: {calm.seconds:.1f} s")
        d = calm.seconds
        faults = [(0.10 * d, lambda: harness.kill("worker-a")), (0.25 * d, lambda: harness.kill("worker-b")),
                  (0.40 * d, lambda: harness.kill("server")), (0.55 * d, harness.restart_postgres),
                  (0.70 * d, lambda: harness.kill("worker-a"))]
        wait_for_port(port, harness.procs["server"], folder / "server-1.log")
        stormy = run_round(harness, db, reader, api, sink_url, "with faults", args.events, faults)

    ratio = stormy.seconds / calm.seconds
    rows = [[r.label, f"{r.seconds:.1f}", f"{r.rows:,}", f"{r.events:,}", f"{r.repeats:,}",
             ", ".join(r.faults) or "—"] for r in (calm, stormy)]
    console.print(table(f"B5: broadcast to {args.users:,} friends and {args.events:,} webhook events",
                        ["round", "seconds", "deliveries", "events acked", "redelivered", "faults"], rows))
    console.print("Invariants held in both rounds: deliveries = targets, 0 duplicated, 0 lost; quota = rows; "
                  "every event acknowledged, repeats only as redeliveries; no job left claimed.")
    console.print(f"B5 time with faults ÷ without: {ratio:.2f} (pass ≤ {PASS}, goal ≤ {GOAL}): "
                  f"{verdict(ratio <= PASS, ratio <= GOAL)}")
    console.print(versions("sqlalchemy", "psycopg", "aiohttp", "line-bot-sdk"))
    return 0 if ratio <= PASS else 1


if __name__ == "__main__":
    raise SystemExit(main())
