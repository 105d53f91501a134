"""The conformance suite: the official `line-bot-sdk` v3 as the only client, against a real
server (uvicorn, a subprocess on a free loopback port, its own SQLite file). Data is made as an
operator would make it: with the real command line against the server's database, and channel
credentials read through the channels service in a unit of work on that same database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.core.db import Database, upgrade


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    database_url: str
    env: dict[str, str]

    def cli(self, *args: str) -> Any:
        """Run `python -m openoa.cli … --json` against the server's database; its JSON answer."""
        done = subprocess.run([sys.executable, "-m", "openoa.cli", *args, "--json"], env=self.env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(done.stdout)

    def database(self) -> Database:
        return Database.from_url(self.database_url)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``uvicorn`` serving create_app() on loopback, the embedded worker on, as `openoa serve` runs."""
    data = tmp_path_factory.mktemp("conformance")
    database_url = f"sqlite:///{data / 'server.db'}"
    upgrade(database_url)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "OPENOA_DATA_DIR": str(data), "OPENOA_DATABASE_URL": database_url,
           "OPENOA_BASE_URL": url, "OPENOA_SECRET_KEY": "conformance-secret", "OPENOA_WORKER_POLL_SECONDS": "0.2"}
    env.pop("OPENOA_SMTP_HOST", None)
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "openoa.web.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("live server did not start: " + (data / "server.log").read_text())
    yield LiveServer(url, data, database_url, env)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@dataclass
class SdkBot:
    """What a bot developer copies from the console: the channel's credentials and a token."""

    account_id: int
    basic_id: str
    display_name: str
    channel_id: str
    channel_secret: str
    bot_user_id: str
    token: str


def make_bot(server: LiveServer, name: str, *, badge: str = "gray") -> SdkBot:
    """An account made by `openoa account create`, and its long-lived token issued through the
    channels service (as the console's "Issue" button does) on the server's database."""
    account = server.cli("account", "create", "--name", name, "--badge", badge)
    db = server.database()
    try:
        with db.scope() as session:
            channel = channels.get_channel(session, SYSTEM, account["id"])
            token = channels.issue_long_lived_token(session, SYSTEM, account["id"]).access_token
    finally:
        db.engine.dispose()
    return SdkBot(account_id=account["id"], basic_id=account["basic_id"], display_name=name,
                  channel_id=channel.channel_id, channel_secret=channel.channel_secret,
                  bot_user_id=channel.bot_user_id, token=token)


def make_friend(server: LiveServer, bot: SdkBot, name: str) -> str:
    """A person made by `openoa user create` who adds the account with `openoa friend add`; the
    ``U…`` ID this account's bot sees."""
    user = server.cli("user", "create", "--name", name)
    return str(server.cli("friend", "add", "--account", bot.basic_id, "--user", str(user["id"]))["user_id"])
