"""What the benchmarks share: pinning processes to cores, starting and stopping servers by PID,
running the load generator in its own process under a progress bar, and the result table."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
console = Console()

# Server on core 0, load generator (or sink) on core 1, as BENCHMARKS.md's method asks.
SERVER_CPU, CLIENT_CPU = "0", "1"


def can_pin() -> bool:
    return shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2


def pinned(command: list[str], cpu: str) -> list[str]:
    """``command`` run on ``cpu`` only (when taskset exists and there are two cores)."""
    return ["taskset", "-c", cpu, *command] if can_pin() else command


def pin_self(cpu: str) -> None:
    """Keep this process (and threads it starts later) on ``cpu``."""
    if can_pin() and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {int(cpu)})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def versions(*names: str) -> str:
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def uvicorn_flavour() -> tuple[str, str]:
    """uvloop and httptools when installed (BENCHMARKS.md's setup), else asyncio and h11."""
    try:
        import uvloop  # noqa: F401
        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401
        http = "httptools"
    except ImportError:
        http = "h11"
    return loop, http


def wait_for_port(port: int, proc: subprocess.Popen[Any], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port} within {timeout:g} s:\n{log.read_text()[-3000:]}")


def stop(proc: subprocess.Popen[Any], *, gently: bool = False) -> None:
    """Stop a process we started, by its PID (``gently``: SIGINT first, as py-spy wants to write its file)."""
    if gently and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@contextmanager
def uvicorn_server(app: str, *, env: dict[str, str], log: Path, factory: bool = False,
                   app_dir: Path | None = None, py_spy: Path | None = None) -> Iterator[str]:
    """One uvicorn worker serving ``app`` on a free loopback port, pinned to the server core."""
    loop, http = uvicorn_flavour()
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
               "--loop", loop, "--http", http, "--log-level", "warning", "--no-access-log"]
    if factory:
        command.append("--factory")
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    if py_spy is not None:
        # Sampling profiler around the server: collapsed stacks, all threads, idle time left out.
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw", "--rate", "200", "--nonblocking",
                   "--output", str(py_spy), "--", *command]
    with open(log, "w") as out:
        proc = subprocess.Popen(pinned(command, SERVER_CPU), env=env, stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT)
    try:
        wait_for_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc, gently=py_spy is not None)


@dataclass
class LoadResult:
    completed: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]

    @property
    def ok(self) -> int:
        return sum(n for code, n in self.statuses.items() if code.startswith("2"))


def run_load(label: str, url: str, requests: list[dict[str, Any]], *, seconds: float, warmup: float,
             concurrency: int, work_dir: Path) -> LoadResult:
    """Drive ``url`` from the load-generator process (its own core) under a progress bar."""
    spec = {"url": url, "seconds": seconds, "warmup": warmup, "concurrency": concurrency, "requests": requests}
    spec_path = work_dir / f"load-{label.replace(' ', '_')}.json"
    spec_path.write_text(json.dumps(spec))
    command = pinned([sys.executable, str(BENCH_DIR / "_loadgen.py"), str(spec_path)], CLIENT_CPU)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    completed = [0]

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("progress "):
                completed[0] = int(line.split()[1])
            else:
                lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    total = warmup + seconds
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[done]} req"),
                  TimeRemainingColumn(), console=console, transient=True) as progress:
        task = progress.add_task(label, total=total, done=0)
        started = time.monotonic()
        while proc.poll() is None:
            progress.update(task, completed=min(total, time.monotonic() - started), done=completed[0])
            time.sleep(0.1)
    reader.join(5)
    stderr = proc.stderr.read() if proc.stderr else ""
    result_lines = [line for line in lines if line.startswith("result ")]
    if proc.returncode != 0 or not result_lines:
        raise RuntimeError(f"load generator failed ({proc.returncode}): {stderr[-3000:]}")
    return LoadResult(**json.loads(result_lines[-1][len("result "):]))


def wrk_rps(url: str, body: str, *, seconds: float, concurrency: int, work_dir: Path) -> float | None:
    """Requests/s of ``wrk`` POSTing ``body`` to ``url`` from the client core; None without wrk.

    wrk is C and needs far less of its core than the aiohttp client, whose own ceiling
    (≈ 4,300 req/s here) is below what bare Starlette serves, so a yardstick needs it."""
    if shutil.which("wrk") is None:
        return None
    script = work_dir / "yardstick.lua"
    script.write_text(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n"
                      "wrk.headers['Content-Type'] = 'application/json'\n")
    command = pinned(["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(script), url],
                     CLIENT_CPU)
    with console.status("bare Starlette under wrk"):
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"wrk printed no Requests/sec:\n{output}")


@contextmanager
def work_dir(keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="openoa-bench-"))
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


def verdict(passed: bool, goal: bool) -> str:
    if goal:
        return "[green]PASS (goal met)[/green]"
    return "[green]PASS[/green]" if passed else "[red]FAIL[/red]"


def table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    out = Table(title=title)
    for i, column in enumerate(columns):
        out.add_column(column, justify="left" if i == 0 else "right")
    for row in rows:
        out.add_row(*row)
    return out
