"""A bot that answers slowly or never does not slow the Chat app: webhooks go out from the
worker, after the person's request has committed and answered (issue 3, "Webhooks").

The bot's endpoint accepts each connection and never answers. Every delivery therefore
waits out the full 2-second timeout in the server's embedded worker; if sending a message
waited on its webhook, ten messages would take at least twenty seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import LiveServer, serve

pytestmark = pytest.mark.slow

MESSAGES = 10


class SilentBot:
    """A webhook endpoint that reads requests and never answers; counts what arrived."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/callback"
        self.arrived = 0
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    def _hold(self, conn: socket.socket) -> None:
        with self._lock:
            self._held.append(conn)
        while True:
            try:
                chunk = conn.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            if b"POST " in chunk:
                with self._lock:
                    self.arrived += 1

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for conn in self._held:
                conn.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    with serve(tmp_path, secret="slow-bot-secret") as live:
        yield live


@pytest.fixture
def silent_bot() -> Iterator[SilentBot]:
    bot = SilentBot()
    yield bot
    bot.close()


def test_a_bot_that_never_answers_does_not_slow_the_chat_app(server: LiveServer, silent_bot: SilentBot) -> None:
    account = server.cli("account", "create", "--name", "Silent Bot", "--response-mode", "bot")
    token = account["channel_access_token"]
    put = httpx.put(f"{server.url}/v2/bot/channel/webhook/endpoint", json={"endpoint": silent_bot.url},
                    headers={"Authorization": f"Bearer {token}"})
    assert put.status_code == 200, put.text
    person = server.cli("user", "create", "--name", "Nok", "--email", "nok@example.com",
                        "--password", "openoa-test-1")
    server.cli("friend", "add", "--account", account["basic_id"], "--user", str(person["id"]))

    with httpx.Client(base_url=server.url) as app:
        csrf = app.get("/csrf").json()["csrf_token"]
        app.headers["X-CSRF-Token"] = csrf
        login = app.post("/app/api/login", json={"email": "nok@example.com", "password": "openoa-test-1"})
        assert login.status_code == 200, login.text
        started = time.monotonic()
        for n in range(MESSAGES):
            sent = app.post(f"/app/api/chats/{account['basic_id']}/messages", json={"type": "text", "text": f"hi {n}"})
            assert sent.status_code == 201, sent.text
        took = time.monotonic() - started
        page = app.get(f"/app/api/chats/{account['basic_id']}/messages")
        assert [item["message"].get("text") for item in page.json()["items"]][-MESSAGES:] == \
            [f"hi {n}" for n in range(MESSAGES)]

    deadline = time.monotonic() + 10
    while silent_bot.arrived == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert silent_bot.arrived >= 1, "the webhooks were sent to the silent bot"
    # Each delivery waits 2 s for an answer that never comes; the person waited for none of them.
    assert took < MESSAGES * 2 / 2, f"{MESSAGES} messages took {took:.1f}s next to a silent bot"
