"""A bot's webhook endpoint written the way a developer writes one with line-bot-sdk v3: the
SDK's WebhookParser checks the signature and parses, and the bot handles the events after
answering the webhook (as bots that reply asynchronously do). Subclasses say what it does."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from linebot.v3 import WebhookParser
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi


class SdkBot:
    """``url`` is its webhook URL; ``errors`` collects what went wrong (tests assert it is empty)."""

    def __init__(self, server: str, secret: str, token: str) -> None:
        self.parser = WebhookParser(secret)
        self.api = MessagingApi(ApiClient(Configuration(host=server, access_token=token)))
        self.errors: list[str] = []
        bot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode("utf-8")
                try:
                    events = bot.parser.parse(body, self.headers.get("x-line-signature", ""))
                    status = 200
                except Exception as exc:  # noqa: BLE001 - recorded, the test fails on it
                    bot.errors.append(repr(exc))
                    events, status = [], 400
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                threading.Thread(target=bot.handle, args=(events,), daemon=True).start()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}/callback"
        threading.Thread(target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def handle(self, events: list[Any]) -> None:
        """What the bot does with the events of one webhook."""
        raise NotImplementedError

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()
