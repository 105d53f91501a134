"""B2 (shared/BENCHMARKS.md): authenticated ``POST /v2/bot/message/push`` with 2 text messages —
token check, rate limit, quota, rows, commit — against a bare FastAPI endpoint with the same
request model (no auth, no database), both served by one uvicorn worker, in the same run.

    .venv/bin/python bench/b2_push.py --seconds 10
    .venv/bin/python bench/b2_push.py --seconds 10 --database-url postgresql://user@127.0.0.1:5432/db

The server is pinned to core 0 and the aiohttp load generator, in its own process, to core 1.
With ``wrk`` installed, the run first serves the bare Starlette POST BENCHMARKS.md set its lines
by and reads how fast this machine is against that (the absolute line stays the verdict's).
The per-channel rate limit is raised for the run (``OPENOA_API_RATE_DEFAULT_PER_SECOND``): the
limiter still counts every request, it just does not refuse. Each account is on the Pro package
(35,000 counted messages a month) and the requests rotate over enough accounts, each pushing to
its own friend, that no quota can run out during the run; the check after the run says so.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    LoadResult,
    can_pin,
    console,
    run_load,
    table,
    uvicorn_flavour,
    verdict,
    versions,
    work_dir,
    wrk_rps,
)
from sqlalchemy import func, select

from openoa.accounts import service as accounts
from openoa.accounts.rules import Package
from openoa.billing import rules as billing
from openoa.billing.models import MessageUsage
from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.core.db import Database, upgrade
from openoa.friends import service as friends
from openoa.messaging.models import Delivery
from openoa.users import service as users

PASS_RATIO, GOAL_RATIO, PASS_RPS, PASS_P99_MS = 0.25, 0.5, 2000.0, 50.0
# What BENCHMARKS.md measured for the bare Starlette yardstick on the machine the lines were set on.
CALIBRATION_STARLETTE_RPS = 17_000.0
# No single worker gets near this; it sizes the number of accounts so quotas cannot run out.
CEILING_RPS = 10_000
MESSAGES = [{"type": "text", "text": "Hello, world"}, {"type": "text", "text": "Your order has shipped."}]


def make_bots(database_url: str, count: int) -> list[dict[str, str]]:
    """``count`` Pro accounts, each with a long-lived token and one friend, made by the real services."""
    db = Database.from_url(database_url)
    bots = []
    try:
        with db.scope() as session:
            for n in range(count):
                account = accounts.create_account(session, SYSTEM, display_name=f"Bench {n}", package=Package.PRO)
                token = channels.issue_long_lived_token(session, SYSTEM, account.id).access_token
                person = users.create_user(session, SYSTEM, display_name=f"Friend {n}")
                friendship = friends.add_friend(session, SYSTEM, account.basic_id, user_id=person.id)
                bots.append({"token": token, "to": friendship.user_id})
    finally:
        db.engine.dispose()
    return bots


def written(database_url: str) -> tuple[int, int]:
    """Delivery rows and counted usage the server wrote (every account of the run)."""
    db = Database.from_url(database_url)
    try:
        with db.scope() as session:
            rows = session.scalar(select(func.count()).select_from(Delivery)) or 0
            used = session.scalar(select(func.coalesce(func.sum(MessageUsage.used), 0))) or 0
    finally:
        db.engine.dispose()
    return int(rows), int(used)


def requests_for(bots: list[dict[str, str]]) -> list[dict[str, Any]]:
    import json

    return [{"headers": {"Authorization": f"Bearer {bot['token']}", "Content-Type": "application/json"},
             "body": json.dumps({"to": bot["to"], "messages": MESSAGES})} for bot in bots]


def row(label: str, result: LoadResult) -> list[str]:
    refused = result.completed - result.ok
    errors = sum(result.errors.values())
    return [label, f"{result.rps:,.0f}", f"{result.p50_ms:.1f}", f"{result.p99_ms:.1f}", f"{result.ok:,}",
            f"{refused:,}" + (f" (+{errors} errors)" if errors else "")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per server")
    parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured seconds before each")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--database-url", default=None,
                        help="a throw-away database to migrate and use (default: a fresh SQLite file)")
    parser.add_argument("--py-spy", type=Path, default=None, metavar="FILE",
                        help="record the OpenOA server with py-spy into FILE (collapsed stacks)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, database)")
    args = parser.parse_args(argv)

    with work_dir(args.keep) as work:
        database_url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        upgrade(database_url)
        per_account = billing.included_messages(Package.PRO)
        count = max(1, math.ceil(CEILING_RPS * (args.seconds + args.warmup) / per_account))
        bots = make_bots(database_url, count)
        rows_before, used_before = written(database_url)
        requests = requests_for(bots)
        env = {**os.environ, "OPENOA_DATA_DIR": str(work), "OPENOA_DATABASE_URL": database_url,
               "OPENOA_SECRET_KEY": "bench-secret", "OPENOA_API_RATE_DEFAULT_PER_SECOND": "1000000",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")]))}
        env.pop("OPENOA_SMTP_HOST", None)
        load = {"seconds": args.seconds, "warmup": args.warmup, "concurrency": args.concurrency, "work_dir": work}

        from _common import uvicorn_server

        with uvicorn_server("_bare_starlette:app", env=env, log=work / "starlette.log", app_dir=BENCH_DIR) as url:
            yardstick = wrk_rps(url + "/v2/bot/message/push", requests[0]["body"], seconds=args.seconds,
                                concurrency=args.concurrency, work_dir=work)
        with uvicorn_server("_bare_push:app", env=env, log=work / "bare.log", app_dir=BENCH_DIR) as url:
            bare = run_load("bare FastAPI", url + "/v2/bot/message/push", requests, **load)
        with uvicorn_server("openoa.web.app:create_app", env=env, log=work / "openoa.log", factory=True,
                            py_spy=args.py_spy) as url:
            ours = run_load("OpenOA push", url + "/v2/bot/message/push", requests, **load)
        rows_after, used_after = written(database_url)

    ratio = ours.rps / bare.rps if bare.rps else 0.0
    passed = ratio >= PASS_RATIO and ours.rps >= PASS_RPS and ours.p99_ms <= PASS_P99_MS
    loop, http = uvicorn_flavour()
    console.print(table(f"B2 push — {args.concurrency} in flight, {args.seconds:g} s each",
                        ["server", "req/s", "p50 ms", "p99 ms", "2xx", "non-2xx"],
                        [row("bare FastAPI (baseline)", bare), row("OpenOA push", ours)]))
    console.print(f"ratio OpenOA / bare: [bold]{ratio:.3f}[/bold]")
    if yardstick is None:
        console.print("[dim]machine yardstick skipped: it needs wrk (apt-get install wrk)[/dim]")
    else:
        speed = yardstick / CALIBRATION_STARLETTE_RPS
        console.print(f"this machine: bare Starlette under wrk {yardstick:,.0f} req/s, {speed:.2f}× the "
                      f"{CALIBRATION_STARLETTE_RPS:,.0f} BENCHMARKS.md set the lines on; {PASS_RPS:,.0f} req/s "
                      f"there is ≈ {PASS_RPS * speed:,.0f} req/s here (OpenOA: {ours.rps:,.0f})")
    console.print(f"B2 {verdict(passed, passed and ratio >= GOAL_RATIO)} — pass: ratio ≥ {PASS_RATIO} and "
                  f"≥ {PASS_RPS:,.0f} req/s with p99 ≤ {PASS_P99_MS:g} ms; goal: ratio ≥ {GOAL_RATIO}")
    kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    console.print(f"[dim]{kind}; {count} Pro accounts × 1 friend, rate limit raised to 1,000,000/s; "
                  f"server rows: {rows_after - rows_before:,} deliveries, {used_after - used_before:,} counted "
                  f"(warm-up included); uvicorn 1 worker ({loop}, {http}); "
                  f"{'server on core 0, load generator on core 1' if can_pin() else 'not pinned (no taskset)'}; "
                  f"{versions('fastapi', 'pydantic', 'uvicorn', 'sqlalchemy', 'aiohttp')}; "
                  f"Python {sys.version.split()[0]}[/dim]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
