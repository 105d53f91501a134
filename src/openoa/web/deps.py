"""What every router needs: the database, the logged-in actor, CSRF checks, rate limits, templates.

Routers stay thin: they parse, call one service inside ``scope(request)``, and render.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response

from openoa.accounts.rules import BADGE_LABELS, ROLE_LABELS
from openoa.core import ratelimit, web_sessions
from openoa.core.access import BusinessActor, PersonActor, StaffActor
from openoa.core.db import Database
from openoa.core.errors import NotAllowed, Unauthenticated
from openoa.core.security import sign, signatures_match
from openoa.core.settings import Settings
from openoa.friends.rules import FRIEND_PATH_LABELS
from openoa.users.rules import AREAS
from openoa.web import message_display

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# The message macros (chatapp/_messages.html) format LINE message objects with these.
TEMPLATES.env.globals.update(message_display.TEMPLATE_GLOBALS)

COOKIES = {web_sessions.BUSINESS: "oa_console", web_sessions.USER: "oa_app", web_sessions.STAFF: "oa_staff"}
LOGIN_PAGES = {web_sessions.BUSINESS: "/console/login", web_sessions.USER: "/app/login",
               web_sessions.STAFF: "/staff/login"}
CSRF_COOKIE = "oa_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def db_of(request: Request) -> Database:
    return request.app.state.db


@contextmanager
def scope(request: Request) -> Iterator[Session]:
    """The request's unit of work: commits when the block ends without error."""
    with db_of(request).scope() as session:
        yield session


# ------------------------------------------------------------------ sessions

def _subject_id(request: Request, subject: str) -> int | None:
    cache = request.state.__dict__.setdefault("subjects", {})
    if subject not in cache:
        token = request.cookies.get(COOKIES[subject])
        if not token:
            cache[subject] = None
        else:
            with scope(request) as session:
                cache[subject] = web_sessions.resolve(session, subject, token)
    return cache[subject]


def business_actor(request: Request) -> BusinessActor | None:
    sid = _subject_id(request, web_sessions.BUSINESS)
    return BusinessActor(sid) if sid is not None else None


def person_actor(request: Request) -> PersonActor | None:
    sid = _subject_id(request, web_sessions.USER)
    return PersonActor(sid) if sid is not None else None


def staff_actor(request: Request) -> StaffActor | None:
    sid = _subject_id(request, web_sessions.STAFF)
    return StaffActor(sid) if sid is not None else None


def require_business(request: Request) -> BusinessActor:
    actor = business_actor(request)
    if actor is None:
        raise Unauthenticated("Log in to the Manager console first.")
    return actor


def require_person(request: Request) -> PersonActor:
    actor = person_actor(request)
    if actor is None:
        raise Unauthenticated("Log in to the Chat app first.")
    return actor


def require_staff(request: Request) -> StaffActor:
    actor = staff_actor(request)
    if actor is None:
        raise Unauthenticated("Log in to the Staff console first.")
    return actor


def login_redirect(request: Request, subject: str) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{LOGIN_PAGES[subject]}?next={quote(target)}", status_code=303)


def safe_next(value: str | None, default: str) -> str:
    """Only same-site paths are followed after login (no open redirects)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default


def set_session_cookie(request: Request, response: Response, subject: str, token: str) -> None:
    settings = settings_of(request)
    response.set_cookie(COOKIES[subject], token, max_age=settings.session_days * 86400, httponly=True,
                        secure=settings.secure_cookies, samesite="lax", path="/")


def clear_session_cookie(response: Response, subject: str) -> None:
    response.delete_cookie(COOKIES[subject], path="/")


# ------------------------------------------------------------------ CSRF (signed double-submit)

def _secret(request: Request) -> str:
    return request.app.state.secret_key


def csrf_token(request: Request) -> str:
    """This visitor's CSRF token, minted on first use and set as a cookie by the middleware."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing and _valid_csrf(request, existing):
        return existing
    minted = getattr(request.state, "new_csrf", None)
    if minted is None:
        nonce = secrets.token_urlsafe(24)
        minted = f"{nonce}.{sign(_secret(request), 'csrf:' + nonce)}"
        request.state.new_csrf = minted
    return minted


def _valid_csrf(request: Request, value: str) -> bool:
    nonce, _, signature = value.partition(".")
    return bool(nonce and signature) and signatures_match(signature, sign(_secret(request), "csrf:" + nonce))


async def csrf_protect(connection: HTTPConnection) -> None:
    """Refuse an unsafe request whose CSRF token (form field or header) does not match the cookie.

    WebSockets pass: each socket route checks the Origin of its handshake instead.
    """
    if not isinstance(connection, Request) or connection.method in SAFE_METHODS:
        return
    request = connection
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not signatures_match(cookie, sent) or not _valid_csrf(request, cookie):
        raise NotAllowed("The form expired or came from another site. Reload the page and try again.")


# ------------------------------------------------------------------ rate limits

def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def limit_login(request: Request, surface: str, email: str) -> None:
    """At most N attempts per window per address and per email, shared by all servers."""
    settings = settings_of(request)
    db = db_of(request)
    for key in (f"login:{surface}:ip:{client_ip(request)}", f"login:{surface}:email:{email.strip().lower()}"):
        ratelimit.hit(db, key, limit=settings.login_attempts_per_window,
                      window_seconds=settings.rate_limit_window_seconds)


def limit_signup(request: Request, surface: str) -> None:
    settings = settings_of(request)
    ratelimit.hit(db_of(request), f"signup:{surface}:ip:{client_ip(request)}",
                  limit=settings.signup_attempts_per_window, window_seconds=settings.rate_limit_window_seconds)


def limit_password_reset(request: Request, email: str) -> None:
    """Reset mails are limited like logins, so the form cannot be used to flood an inbox."""
    settings = settings_of(request)
    db = db_of(request)
    for key in (f"reset:ip:{client_ip(request)}", f"reset:email:{email.strip().lower()}"):
        ratelimit.hit(db, key, limit=settings.login_attempts_per_window,
                      window_seconds=settings.rate_limit_window_seconds)


# ------------------------------------------------------------------ rendering

def render(request: Request, template: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200) -> Response:
    """Render a page; templates get the CSRF token and label tables, nothing that queries."""
    ctx: dict[str, Any] = {"request": request, "csrf_token": csrf_token(request),
                           "role_labels": ROLE_LABELS, "badge_labels": BADGE_LABELS,
                           "friend_path_labels": FRIEND_PATH_LABELS, "areas": AREAS,
                           "errors": {}, "values": {}}
    ctx.update(context or {})
    return TEMPLATES.TemplateResponse(request, template, ctx, status_code=status_code)


def is_json_path(path: str) -> bool:
    """Paths answered in JSON (LINE's error body) rather than with a page."""
    return ("/api/" in path or path.startswith(("/api", "/v2/", "/oauth2/")) or path == "/csrf")
