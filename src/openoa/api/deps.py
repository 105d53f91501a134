"""What every LINE-compatible endpoint needs: its unit of work, the bot a bearer token acts for,
the request ID LINE puts on every answer, and LINE's per-channel, per-endpoint rate limits.

The API layer stands beside web/, not on it: it reads the database and settings from the app
state itself.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from openoa.api.errors import RATE_LIMITED
from openoa.channels import service as channels
from openoa.channels.schemas import BotContext
from openoa.core import clock, ids, ratelimit
from openoa.core.db import Database, GroupWriter
from openoa.core.errors import RateLimited
from openoa.core.settings import Settings

# Paths that answer like LINE: every response carries x-line-request-id.
LINE_PATHS = ("/v2/", "/oauth2/")
REQUEST_ID_HEADER = "x-line-request-id"

SECOND, MINUTE, HOUR = 1, 60, 3600

# LINE's rate-limit families: (settings attribute, window in seconds). Each endpoint (method and
# path) of a family has its own counter per channel; the numbers are settings.
FAMILIES: dict[str, tuple[str, int]] = {
    "default": ("api_rate_default_per_second", SECOND),
    "multicast": ("api_rate_multicast_per_second", SECOND),
    "loading_animation": ("api_rate_loading_animation_per_second", SECOND),
    "token": ("api_rate_token_per_second", SECOND),
    "broadcast": ("api_rate_broadcast_per_hour", HOUR),
    "audience": ("api_rate_audience_per_minute", MINUTE),
    "webhook_endpoint": ("api_rate_webhook_endpoint_per_minute", MINUTE),
    "richmenu": ("api_rate_richmenu_per_hour", HOUR),
    "richmenu_batch": ("api_rate_richmenu_batch_per_hour", HOUR),
}

# (method, path with its parameters written {}) -> family; anything unlisted is "default".
ENDPOINT_FAMILIES: dict[tuple[str, str], str] = {
    ("POST", "/v2/bot/message/broadcast"): "broadcast",
    ("POST", "/v2/bot/message/narrowcast"): "broadcast",
    ("GET", "/v2/bot/insight/message/delivery"): "broadcast",
    ("GET", "/v2/bot/insight/followers"): "broadcast",
    ("GET", "/v2/bot/insight/demographic"): "broadcast",
    ("GET", "/v2/bot/insight/message/event"): "broadcast",
    ("GET", "/v2/bot/insight/message/event/aggregation"): "broadcast",
    ("POST", "/v2/bot/channel/webhook/test"): "broadcast",
    ("GET", "/v2/bot/channel/webhook/endpoint"): "webhook_endpoint",
    ("PUT", "/v2/bot/channel/webhook/endpoint"): "webhook_endpoint",
    ("POST", "/v2/bot/richmenu"): "richmenu",
    ("DELETE", "/v2/bot/richmenu/{}"): "richmenu",
    ("DELETE", "/v2/bot/richmenu/alias/{}"): "richmenu",
    ("GET", "/v2/bot/richmenu/progress/batch"): "richmenu",
    ("POST", "/v2/bot/richmenu/batch"): "richmenu_batch",
    ("POST", "/v2/bot/message/multicast"): "multicast",
    ("POST", "/v2/bot/coupon"): "multicast",
    ("GET", "/v2/bot/coupon"): "multicast",
    ("GET", "/v2/bot/coupon/{}"): "multicast",
    ("PUT", "/v2/bot/coupon/{}/close"): "multicast",
    ("POST", "/v2/bot/chat/loading/start"): "loading_animation",
    ("POST", "/v2/oauth/accessToken"): "token",
}
AUDIENCE_PREFIX = "/v2/bot/audienceGroup"
_PARAMETER = re.compile(r"\{[^}]*\}")


def db_of(request: Request) -> Database:
    return request.app.state.db


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


T = TypeVar("T")


def _writer(request: Request) -> GroupWriter:
    return _app_state(request, "sqlite_writer", lambda: GroupWriter(db_of(request), name="openoa-api-writer"))


def close(app: Any) -> None:
    """Let go of what the API layer made for ``app`` (its SQLite writer thread) at shutdown."""
    writer = getattr(app.state, "sqlite_writer", None)
    if writer is not None:
        writer.close()


async def in_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in one unit of work off the event loop, for an ``async def`` endpoint.

    On SQLite, whose writes take turns anyway, the units that arrive together share one
    transaction, on the event loop when the write lock is free, else on a writer thread
    (``GroupWriter``): forty threadpool threads queueing on one writer spent more time handing
    the GIL and the lock around than working. Elsewhere they run in the threadpool.
    """
    db = db_of(request)
    if db.dialect == "sqlite":
        return await _writer(request).run(work)

    def unit() -> T:
        with db.scope() as session:
            return work(session)

    return await run_in_threadpool(unit)


@contextmanager
def scope(request: Request) -> Iterator[Session]:
    """The request's unit of work: commits when the block ends without error."""
    with db_of(request).scope() as session:
        yield session


def is_line_path(path: str) -> bool:
    return path.startswith(LINE_PATHS)


def mint_request_id(request: Request) -> str:
    """Give the request its x-line-request-id (the app's middleware calls this first)."""
    request.state.line_request_id = ids.request_id()
    return request.state.line_request_id


def request_id(request: Request) -> str:
    """This request's x-line-request-id, as its response will carry it (narrowcast progress, retry keys)."""
    existing = getattr(request.state, "line_request_id", None)
    return existing if existing is not None else mint_request_id(request)


def endpoint_family(method: str, route_path: str) -> str:
    """The rate-limit family of an endpoint, from its route's path template."""
    if route_path.startswith(AUDIENCE_PREFIX):
        return "audience"
    return ENDPOINT_FAMILIES.get((method, _PARAMETER.sub("{}", route_path)), "default")


# A token's check is reused this long within one process; revocations made by this process
# take effect at once (token_generation), those of other processes within this time.
BEARER_CACHE_TTL = timedelta(seconds=1)
BEARER_CACHE_SIZE = 10_000


class BearerCache:
    """Recent bearer checks of this app: the header's digest → the channel it acts for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[int, datetime, BotContext]] = {}

    def get(self, key: bytes) -> BotContext | None:
        found = self._entries.get(key)
        if found is None:
            return None
        generation, checked_at, context = found
        now = clock.now()
        if generation != channels.token_generation() or not checked_at <= now < checked_at + BEARER_CACHE_TTL:
            return None
        return context

    def put(self, key: bytes, generation: int, context: BotContext) -> None:
        with self._lock:
            if len(self._entries) >= BEARER_CACHE_SIZE:
                self._entries.clear()
            self._entries[key] = (generation, clock.now(), context)


_STATE_LOCK = threading.Lock()


def _app_state(request: Request, name: str, make: Callable[[], Any]) -> Any:
    """One ``make()`` per app, made on first use (tests build an app per test: no state leaks)."""
    state = request.app.state
    found = getattr(state, name, None)
    if found is None:
        with _STATE_LOCK:
            found = getattr(state, name, None)
            if found is None:
                found = make()
                setattr(state, name, found)
    return found



_LIMITS: dict[tuple[str, str], tuple[str, str, int]] = {}


def _limit_of(request: Request) -> tuple[str, int, int]:
    """(counter key suffix, allowed per window, window seconds) of this request's endpoint."""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    found = _LIMITS.get((request.method, path))
    if found is None:
        setting, window = FAMILIES[endpoint_family(request.method, path)]
        found = (f"{request.method} {path}", setting, window)
        if route is not None:  # a route's path is a template: a few keys, never one per URL
            _LIMITS[(request.method, path)] = found
    endpoint, setting, window = found
    return endpoint, int(getattr(settings_of(request), setting)), window


def limit(request: Request, subject: str) -> None:
    """Count this request against its endpoint's limit for ``subject`` (a channel); 429 past it."""
    endpoint, allowed, window = _limit_of(request)
    if allowed <= 0:
        return
    key = f"{subject}:{endpoint}"
    try:
        if window == SECOND:
            # Per-second limits guard the server from floods: this process's memory counts them
            # (a database write per request would cost more than the request itself).
            _app_state(request, "api_rate_windows", ratelimit.LocalWindows).hit(key, limit=allowed,
                                                                                 window_seconds=window)
        else:
            # Hourly and per-minute limits are quotas of the channel: every server shares them.
            ratelimit.hit(db_of(request), f"api:{key}", limit=allowed, window_seconds=window)
    except RateLimited as exc:
        raise RateLimited(exc.retry_after, RATE_LIMITED) from exc


def _checked_bot(request: Request, authorization: str | None, key: bytes) -> BotContext:
    cache = _app_state(request, "bearer_cache", BearerCache)
    context = cache.get(key)
    if context is None:
        generation = channels.token_generation()
        with scope(request) as session:
            context = channels.authenticate_bearer(session, authorization)
        cache.put(key, generation, context)
    limit(request, f"channel:{context.channel_pk}")
    return context


async def bot(request: Request) -> BotContext:
    """The channel the bearer token acts for (401 otherwise), counted against the endpoint's rate limit.

    A token checked within the last second and a per-second limit need no database, so that
    common case stays on the event loop; anything else runs in a worker thread. (Each hop to a
    thread costs a GIL hand-over, which under load is most of a small request's time.)
    """
    authorization = request.headers.get("authorization")
    key = hashlib.sha256((authorization or "").encode()).digest()
    _, _, window = _limit_of(request)
    if window == SECOND and _app_state(request, "bearer_cache", BearerCache).get(key) is not None:
        return _checked_bot(request, authorization, key)
    return await run_in_threadpool(_checked_bot, request, authorization, key)
