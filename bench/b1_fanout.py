"""B1, B1m and B6 of shared/BENCHMARKS.md: one send to a million friends, request to progress
``succeeded``, through line-bot-sdk against a real server and its worker(s).

B1: a broadcast to every friend of `openoa demo --users N` (5 % blocked): from the request to
progress ``succeeded``, with every delivery row written, the quota settled and the chunks' jobs
done. Baseline, same run, same database: one bare ``INSERT … SELECT`` of as many rows from
friendships into a table shaped like ``deliveries`` (its unique (send_id, user_id), its inbox
index, and a copy of the rows it holds at that moment). Ratio = baseline ÷ workload; pass ≥ 0.5,
goal ≥ 0.8.
B1m: the worker's peak RSS over the run (VmHWM); pass < 300 MB, goal < 150 MB.
B6: a narrowcast with ``limit.max`` (100,000) and a demographic filter, timed the same way; its
baseline is the same run's B1 broadcast (selecting all). Ratio = B6 ÷ B1; pass ≤ 2, goal ≤ 1.2.

    .venv/bin/python bench/b1_fanout.py                                   # SQLite, in-process worker
    bash bench/pg_durable.sh sh -c '.venv/bin/python bench/b1_fanout.py --database-url "$BENCH_PG_URL"'
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    console,
    free_port,
    stop,
    table,
    verdict,
    versions,
    wait_for_port,
    work_dir,
)
from linebot.v3.messaging import (
    AgeDemographic,
    AgeDemographicFilter,
    ApiClient,
    BroadcastRequest,
    Configuration,
    Filter,
    Limit,
    MessagingApi,
    NarrowcastRequest,
    TextMessage,
)
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine, create_engine, func, select, text

from openoa.billing.models import MessageUsage
from openoa.messaging.models import Delivery, Send, SendChunk

B1_PASS, B1_GOAL = 0.5, 0.8
B1M_PASS_MB, B1M_GOAL_MB = 300, 150
B6_PASS, B6_GOAL = 2.0, 1.2


@dataclass
class Run:
    seconds: float
    rows: int
    baseline_seconds: float
    b6_seconds: float | None
    b6_rows: int | None

    @property
    def ratio(self) -> float:
        return self.baseline_seconds / self.seconds

    @property
    def b6_ratio(self) -> float | None:
        return None if self.b6_seconds is None else self.b6_seconds / self.seconds


def engine_for(url: str) -> Engine:
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def build_population(url: str, users: int, logs: Path) -> dict[str, Any]:
    """`openoa demo --users N --json` on a new database: its progress bar shows, its JSON is kept."""
    env = {**os.environ, "OPENOA_DATABASE_URL": url}
    proc = subprocess.run([sys.executable, "-m", "openoa.cli", "demo", "--users", str(users), "--json"],
                          env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"openoa demo failed ({proc.returncode})")
    (logs / "demo.json").write_text(proc.stdout)
    return dict(json.loads(proc.stdout))


def start(command: list[str], env: dict[str, str], log: Path, py_spy: Path | None = None) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "openoa.cli", *command]
    if py_spy is not None:  # sampling profiler around it: collapsed stacks, all threads, idle left out
        argv = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200",
                "--nonblocking", "--output", str(py_spy), "--", *argv]
    with open(log, "wb") as out:
        return subprocess.Popen(argv, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def until_done(api: MessagingApi, request_id: str, label: str) -> dict[str, Any]:
    """Poll the send's progress (as a bot would) under a bar until it is no longer in flight."""
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(label, total=None)
        while True:
            progress = api.get_narrowcast_progress(request_id)
            if progress.target_count:
                bar.update(task, total=progress.target_count, completed=progress.success_count or 0)
            if progress.phase in ("succeeded", "failed"):
                return progress.to_dict()
            time.sleep(0.05)


def timed_send(api: MessagingApi, request: BroadcastRequest | NarrowcastRequest, label: str) -> tuple[float, str, dict]:
    started = time.perf_counter()
    if isinstance(request, BroadcastRequest):
        answer = api.broadcast_with_http_info(request)
    else:
        answer = api.narrowcast_with_http_info(request)
    request_id = answer.headers["x-line-request-id"]
    progress = until_done(api, request_id, label)
    return time.perf_counter() - started, request_id, progress


def check_send(engine: Engine, request_id: str, progress: dict[str, Any], used_before: int) -> int:
    """The send's invariants: rows = success = target, every chunk done, quota charged once per row."""
    with engine.connect() as conn:
        send_id, account_id = conn.execute(select(Send.id, Send.account_id).where(Send.request_id == request_id)).one()
        rows = conn.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id))
        people = conn.scalar(select(func.count(func.distinct(Delivery.user_id))).where(Delivery.send_id == send_id))
        open_chunks = conn.scalar(select(func.count()).select_from(SendChunk).where(
            SendChunk.send_id == send_id, SendChunk.done.is_(False)))
        used = conn.scalar(select(func.coalesce(func.sum(MessageUsage.used), 0)).where(
            MessageUsage.account_id == account_id))
    problems = []
    if progress["phase"] != "succeeded":
        problems.append(f"phase {progress['phase']}")
    if not rows == people == progress["successCount"] == progress["targetCount"]:
        problems.append(f"rows {rows}, people {people}, progress {progress}")
    if open_chunks:
        problems.append(f"{open_chunks} chunks not done")
    if used - used_before != rows:
        problems.append(f"quota charged {used - used_before} for {rows} rows")
    if problems:
        raise AssertionError(f"send {request_id}: " + "; ".join(problems))
    return int(rows)


def used_now(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.coalesce(func.sum(MessageUsage.used), 0))) or 0)


def baseline(engine: Engine, account_id: int, measured_request_id: str) -> tuple[float, int]:
    """The bare INSERT … SELECT into a table shaped like deliveries — its columns, its unique
    (send_id, user_id) and its inbox index, holding the rows deliveries held when the measured send
    began (earlier runs' sends make every later insert land among them) — committed; (seconds, rows)."""
    created = "TIMESTAMP" if engine.dialect.name == "postgresql" else "DATETIME"
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS bench_deliveries"))
        conn.execute(text(f"CREATE TABLE bench_deliveries (id INTEGER PRIMARY KEY, send_id INTEGER NOT NULL, "
                          f"account_id INTEGER NOT NULL, user_id INTEGER NOT NULL, created_at {created} NOT NULL)"))
        conn.execute(text("INSERT INTO bench_deliveries SELECT id, send_id, account_id, user_id, created_at "
                          "FROM deliveries WHERE send_id <> (SELECT id FROM sends WHERE request_id = :measured)"),
                     {"measured": measured_request_id})
        conn.execute(text("CREATE UNIQUE INDEX uq_bench_deliveries ON bench_deliveries (send_id, user_id)"))
        conn.execute(text("CREATE INDEX ix_bench_deliveries ON bench_deliveries (account_id, user_id, id)"))
        next_id = int(conn.scalar(text("SELECT COALESCE(MAX(id), 0) FROM bench_deliveries")) or 0)
    started = time.perf_counter()
    with engine.begin() as conn:
        # Ids numbered on from the copy, as a sequence would; send 0 is no send's id.
        rows = conn.execute(text(
            "INSERT INTO bench_deliveries (id, send_id, account_id, user_id, created_at) "
            "SELECT :next + user_id, 0, account_id, user_id, CURRENT_TIMESTAMP FROM friendships "
            "WHERE account_id = :account AND blocked = :no"),
            {"next": next_id, "account": account_id, "no": False}).rowcount
    seconds = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE bench_deliveries"))
    return seconds, int(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1_000_000, help="demo people (every one a friend)")
    parser.add_argument("--runs", type=int, default=3, help="sends measured (the median counts)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--workers", type=int, default=2,
                        help="`openoa worker` processes on PostgreSQL (SQLite: the server's own worker)")
    parser.add_argument("--limit-max", type=int, default=100_000, help="B6's limit.max")
    parser.add_argument("--no-b6", action="store_true", help="skip the narrowcast of B6")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, database)")
    parser.add_argument("--py-spy", type=Path, default=None, help="profile the server into this file (py-spy)")
    args = parser.parse_args(argv)

    with work_dir(args.keep) as folder, ExitStack() as stack:
        url = args.database_url or f"sqlite:///{folder / 'b1.db'}"
        sqlite = url.startswith("sqlite")
        console.print(f"[bold]B1/B1m/B6[/bold]: {args.users:,} friends on {'SQLite' if sqlite else 'PostgreSQL'}, "
                      f"{args.runs} runs; work folder {folder}")
        demo = build_population(url, args.users, folder)
        bot, account_id = demo["bot"], demo["accounts"][0]["id"]
        env = {**os.environ, "OPENOA_DATABASE_URL": url, "OPENOA_API_RATE_BROADCAST_PER_HOUR": "0",
               "OPENOA_WORKER_POLL_SECONDS": "0.05", "OPENOA_DATA_DIR": str(folder)}
        port = free_port()
        server = start(["serve", "--port", str(port), *([] if sqlite else ["--no-worker"])], env,
                       folder / "server.log", args.py_spy)
        stack.callback(stop, server, gently=args.py_spy is not None)
        workers = [server] if sqlite else [start(["worker"], env, folder / f"worker-{n}.log")
                                           for n in range(args.workers)]
        for worker in workers:
            if worker is not server:
                stack.callback(stop, worker)
        wait_for_port(port, server, folder / "server.log")
        engine = engine_for(url)
        stack.callback(engine.dispose)
        client = stack.enter_context(ApiClient(Configuration(host=f"http://127.0.0.1:{port}",
                                                             access_token=bot["channel_access_token"])))
        api = MessagingApi(client)

        runs: list[Run] = []
        for n in range(1, args.runs + 1):
            used = used_now(engine)
            seconds, request_id, progress = timed_send(
                api, BroadcastRequest(messages=[TextMessage(text=f"B1 run {n}")]), f"B1 run {n}: broadcast")
            rows = check_send(engine, request_id, progress, used)
            base_seconds, base_rows = baseline(engine, account_id, request_id)
            if base_rows != rows:
                console.print(f"[yellow]baseline wrote {base_rows:,} rows, the send {rows:,}[/yellow]")
            b6_seconds = b6_rows = None
            if not args.no_b6:
                used = used_now(engine)
                b6_seconds, b6_id, b6_progress = timed_send(api, NarrowcastRequest(
                    messages=[TextMessage(text=f"B6 run {n}")],
                    filter=Filter(demographic=AgeDemographicFilter(gte=AgeDemographic.AGE_20)),
                    limit=Limit(max=args.limit_max)), f"B6 run {n}: narrowcast")
                b6_rows = check_send(engine, b6_id, b6_progress, used)
            runs.append(Run(seconds, rows, base_seconds, b6_seconds, b6_rows))
            console.print(f"run {n}: B1 {seconds:.2f} s for {rows:,} rows ({rows / seconds:,.0f} rows/s), "
                          f"baseline {base_seconds:.2f} s, ratio {runs[-1].ratio:.3f}"
                          + ("" if b6_seconds is None else
                             f"; B6 {b6_seconds:.2f} s for {b6_rows:,} rows, {runs[-1].b6_ratio:.2f}× B1"))
        rss = max(peak_rss_mb(worker.pid) for worker in workers)

    ratio = statistics.median(r.ratio for r in runs)
    rows_out = [[f"run {n}", f"{r.seconds:.2f}", f"{r.rows:,}", f"{r.rows / r.seconds:,.0f}",
                 f"{r.baseline_seconds:.2f}", f"{r.ratio:.3f}",
                 "—" if r.b6_seconds is None else f"{r.b6_seconds:.2f}",
                 "—" if r.b6_ratio is None else f"{r.b6_ratio:.2f}"] for n, r in enumerate(runs, 1)]
    console.print(table(f"B1 fan-out to {args.users:,} friends ({'SQLite' if sqlite else 'PostgreSQL'}, "
                        f"{'in-process worker' if sqlite else f'{args.workers} worker processes'})",
                        ["", "B1 s", "rows", "rows/s", "baseline s", "ratio", "B6 s", "B6 ÷ B1"], rows_out))
    console.print(f"B1  median ratio {ratio:.3f} (pass ≥ {B1_PASS}, goal ≥ {B1_GOAL}): "
                  f"{verdict(ratio >= B1_PASS, ratio >= B1_GOAL)}")
    console.print(f"B1m worker peak RSS {rss:.0f} MB (pass < {B1M_PASS_MB}, goal < {B1M_GOAL_MB}): "
                  f"{verdict(rss < B1M_PASS_MB, rss < B1M_GOAL_MB)}")
    ok = ratio >= B1_PASS and rss < B1M_PASS_MB
    if not args.no_b6:
        b6 = statistics.median(r.b6_ratio for r in runs if r.b6_ratio is not None)
        console.print(f"B6  median {b6:.2f}× B1 (pass ≤ {B6_PASS}, goal ≤ {B6_GOAL}): "
                      f"{verdict(b6 <= B6_PASS, b6 <= B6_GOAL)}")
        ok = ok and b6 <= B6_PASS
    console.print(versions("sqlalchemy", "psycopg", "line-bot-sdk", "uvicorn"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
