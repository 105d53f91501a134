"""What every LINE-compatible endpoint needs: its unit of work, the bot a bearer token acts for,
the request ID LINE puts on every answer, and LINE's per-channel, per-endpoint rate limits.

The API layer stands beside web/, not on it: it reads the database and settings from the app
state itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request
from sqlalchemy.orm import Session

from openoa.api.errors import RATE_LIMITED
from openoa.channels import service as channels
from openoa.channels.schemas import BotContext
from openoa.core import ids, ratelimit
from openoa.core.db import Database
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


def limit(request: Request, subject: str) -> None:
    """Count this request against its endpoint's limit for ``subject`` (a channel); 429 past it."""
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    family = endpoint_family(request.method, path)
    setting, window = FAMILIES[family]
    allowed = int(getattr(settings_of(request), setting))
    if allowed <= 0:
        return
    try:
        ratelimit.hit(db_of(request), f"api:{subject}:{request.method} {path}", limit=allowed,
                      window_seconds=window)
    except RateLimited as exc:
        raise RateLimited(exc.retry_after, RATE_LIMITED) from exc


def bot(request: Request) -> BotContext:
    """The channel the bearer token acts for (401 otherwise), counted against the endpoint's rate limit."""
    with scope(request) as session:
        context = channels.authenticate_bearer(session, request.headers.get("authorization"))
    limit(request, f"channel:{context.channel_pk}")
    return context
