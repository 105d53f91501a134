"""A bot's webhook endpoint for tests: a real HTTP server on loopback that checks every request
with the SDK (`WebhookParser` for the signature, `CallbackRequest` for the strict schema) and
answers as told (a status code, optionally after a delay)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from linebot.v3 import WebhookParser
from linebot.v3.webhooks import CallbackRequest


@dataclass
class Received:
    """One request as the bot got it, and what the SDK made of it."""

    headers: dict[str, str]
    raw: bytes
    events: list[Any] = field(default_factory=list)  # the SDK's event objects
    signature_ok: bool = False
    strict_error: str | None = None

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)


class Receiver:
    """``url`` to give as the webhook URL; ``answers`` (status, delay seconds) are used in turn,
    then 200 with no delay. ``secret`` is the channel secret the SDK checks signatures with."""

    def __init__(self, secret: str = "") -> None:
        self.secret = secret
        self.answers: list[tuple[int, float]] = []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real bot framework answers
            disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                got = Received(headers={k.lower(): v for k, v in self.headers.items()}, raw=raw)
                receiver._check(got)
                with receiver._lock:
                    status, delay = receiver.answers.pop(0) if receiver.answers else (200, 0.0)
                if delay:
                    time.sleep(delay)
                with receiver._arrived:
                    receiver.received.append(got)
                    receiver._arrived.notify_all()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except (BrokenPipeError, ConnectionResetError):  # the sender gave up waiting
                    pass

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def _check(self, got: Received) -> None:
        text = got.raw.decode("utf-8")
        try:
            got.events = WebhookParser(self.secret).parse(text, got.headers.get("x-line-signature", ""))
            got.signature_ok = True
        except Exception:  # noqa: BLE001 - recorded; the test asserts on it
            got.signature_ok = False
        try:
            CallbackRequest.from_json(text)
        except Exception as exc:  # noqa: BLE001
            got.strict_error = repr(exc)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting for them to arrive (a worker in another process)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} webhook(s), got {len(self.received)}")
                self._arrived.wait(left)
            return list(self.received[:count])


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/callback"
