"""A real OpenOA server for tests that need one: uvicorn serving create_app() in a subprocess
on a free loopback port, with its own SQLite file and the embedded worker, as `openoa serve` runs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from openoa.core.db import Database, upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    database_url: str
    env: dict[str, str]

    def cli(self, *args: str, as_json: bool = True) -> Any:
        """Run `python -m openoa.cli …` against the server's database; its JSON answer."""
        command = [sys.executable, "-m", "openoa.cli", *args] + (["--json"] if as_json else [])
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout) if as_json else done.stdout

    def database(self) -> Database:
        return Database.from_url(self.database_url)


@contextmanager
def serve(data: Path, *, secret: str, demo_users: int | None = None, database_url: str | None = None,
          settings: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """Serve a fresh SQLite file under ``data`` (migrated here), or ``database_url`` (migrated
    already: the test's SQLite or PostgreSQL), optionally with demo data and more ``OPENOA_*``
    ``settings``; stop after."""
    if database_url is None:
        database_url = f"sqlite:///{data / 'server.db'}"
        upgrade(database_url)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OPENOA_DATA_DIR": str(data), "OPENOA_DATABASE_URL": database_url,
           "OPENOA_BASE_URL": url, "OPENOA_SECRET_KEY": secret, "OPENOA_WORKER_POLL_SECONDS": "0.2",
           **(settings or {})}
    env.pop("OPENOA_SMTP_HOST", None)
    server = LiveServer(url, data, database_url, env)
    if demo_users:
        server.cli("demo", "--users", str(demo_users), as_json=False)
    with open(data / "server.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "openoa.web.app:create_app", "--host", "127.0.0.1",
             "--port", str(port), "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("live server did not start: " + (data / "server.log").read_text())
                time.sleep(0.2)
            yield server
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
