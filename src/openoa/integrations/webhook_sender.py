"""Webhook POSTs over aiohttp. One event loop, on its own thread, serves the whole process:
callers (job workers, the "Verify" request) wait on it synchronously, and its connection pool
keeps connections to a bot alive between deliveries instead of reconnecting for each event.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any

import aiohttp

from openoa.integrations.ports import PostOutcome, WebhookSender

# What a bot answers is only looked at for its status; a bot streaming a huge body must not
# hold the worker. Past this many bytes the connection is dropped instead of reused.
MAX_RESPONSE_BYTES = 64 * 1024


class AiohttpWebhookSender:
    """A :class:`WebhookSender` over one aiohttp session, safe to call from any thread."""

    def __init__(self, *, connections: int = 100) -> None:
        self._connections = connections
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._session: aiohttp.ClientSession | None = None

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._thread is None or not self._thread.is_alive():
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="openoa-webhook-sender", daemon=True)
                thread.start()
                self._loop, self._thread, self._session = loop, thread, None
            return self._loop

    def _run(self, coro: Coroutine[Any, Any, PostOutcome], wait: float) -> PostOutcome:
        future = asyncio.run_coroutine_threadsafe(coro, self._running_loop())
        return future.result(wait)

    async def _client(self) -> aiohttp.ClientSession:
        # Made inside the loop that uses it, as aiohttp requires.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._connections))
        return self._session

    async def _post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> PostOutcome:
        started = time.perf_counter()

        def took() -> float:
            return time.perf_counter() - started

        try:
            client = await self._client()
            async with client.post(url, data=body, headers=headers, allow_redirects=False,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                await response.content.read(MAX_RESPONSE_BYTES)
                return PostOutcome(response.status, detail=str(response.status), seconds=took())
        except TimeoutError:  # before ClientError: aiohttp's timeouts are both
            return PostOutcome(None, "request_timeout", f"No response within {timeout:g} seconds.", took())
        except aiohttp.ClientConnectorError as exc:
            return PostOutcome(None, "could_not_connect", f"Connection failed: {exc}", took())
        except (aiohttp.ClientError, ValueError, OSError) as exc:
            return PostOutcome(None, "unclassified", f"{type(exc).__name__}: {exc}"[:500], took())

    def post(self, url: str, body: bytes, headers: dict[str, str], *, timeout: float) -> PostOutcome:
        """POST and wait for the outcome; the receiver's failures come back as outcomes, never raised."""
        return self._run(self._post(url, body, headers, timeout), wait=timeout + 10)

    def submit_many(self, requests: list[tuple[str, bytes, dict[str, str]]], *,
                    timeout: float) -> Future[list[PostOutcome]]:
        """Start POSTing every ``(url, body, headers)`` at once over the pool; their outcomes, in
        order, come in the returned future (the caller may do other work meanwhile)."""

        async def all_of() -> list[PostOutcome]:
            return list(await asyncio.gather(*(self._post(url, body, headers, timeout)
                                               for url, body, headers in requests)))

        return asyncio.run_coroutine_threadsafe(all_of(), self._running_loop())

    def close(self) -> None:
        """Close the connections and stop the loop thread (a new call starts them again)."""
        with self._lock:
            loop, thread, session = self._loop, self._thread, self._session
            self._loop, self._thread, self._session = None, None, None
        if loop is None:
            return
        if session is not None:
            asyncio.run_coroutine_threadsafe(session.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)
        loop.close()


_sender: WebhookSender | None = None
_default: AiohttpWebhookSender | None = None
_default_lock = threading.Lock()


def use_webhook_sender(sender: WebhookSender | None) -> None:
    """Choose the sender for this process (tests may give another); None: the aiohttp one."""
    global _sender
    _sender = sender


def submit_all(sender: WebhookSender, requests: list[tuple[str, bytes, dict[str, str]]], *,
               timeout: float) -> Future[list[PostOutcome]]:
    """Start POSTing each ``(url, body, headers)``: all at once, in the background, where the
    sender can (the aiohttp one); else one after another, now. Outcomes in order, in the future."""
    if isinstance(sender, AiohttpWebhookSender) and requests:
        return sender.submit_many(requests, timeout=timeout)
    done: Future[list[PostOutcome]] = Future()
    done.set_result([sender.post(url, body, headers, timeout=timeout) for url, body, headers in requests])
    return done


def current_webhook_sender() -> WebhookSender:
    global _default
    if _sender is not None:
        return _sender
    with _default_lock:
        if _default is None:
            _default = AiohttpWebhookSender()
        return _default
