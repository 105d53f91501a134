"""The ASGI application: routers of the three web surfaces, error mapping, security headers,
and the embedded job worker of ``openoa serve``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openoa import __version__
from openoa.api import deps as api_deps
from openoa.api import routes as api_routes
from openoa.core import heap
from openoa.core.db import Database
from openoa.core.errors import DomainError, RateLimited, Unauthenticated, error_body
from openoa.core.jobs import Worker
from openoa.core.settings import Settings, get_settings
from openoa.integrations.mail import OutboxMailer, current_mailer
from openoa.integrations.storage import current_storage
from openoa.modules import load_job_modules
from openoa.web import deps
from openoa.web.chatapp import routes as chatapp_routes
from openoa.web.console import routes as console_routes
from openoa.web.staff import routes as staff_routes

log = logging.getLogger("openoa.web")
STATIC = Path(__file__).parent / "static"
SUBJECT_BY_PREFIX = (("/console", "business"), ("/app", "user"), ("/staff", "staff"), ("/add", "user"))


def _is_old_ie(user_agent: str) -> bool:
    return "MSIE " in user_agent or "Trident/" in user_agent


def _validation_body(exc: RequestValidationError) -> dict[str, object]:
    details = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "form")]
        details.append({"message": err.get("msg", "is invalid"), "property": ".".join(loc) or "body"})
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


CSP = ("default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
       # Bots' messages show images, videos and audio from their own HTTPS hosts.
       "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
UNSUPPORTED_EXEMPT = ("/static", "/media", "/v2", "/openapi", "/csrf")


class SurfaceHeaders:
    """Every answer's common headers (security headers, CSP on pages, a minted CSRF cookie,
    LINE's x-line-request-id) and the page old Internet Explorer gets instead.

    A plain ASGI middleware: Starlette's ``@app.middleware("http")`` runs each request through
    a task group and a response stream, which cost the Messaging API more than its own work.
    """

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        path = scope["path"]
        line_request_id = api_deps.mint_request_id(request) if api_deps.is_line_path(path) else None

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                minted = scope.get("state", {}).get("new_csrf")
                if minted:
                    cookie = Response()
                    cookie.set_cookie(deps.CSRF_COOKIE, minted, httponly=False, samesite="lax",
                                      secure=self.secure_cookies, path="/")
                    headers.append("set-cookie", cookie.headers["set-cookie"])
                if line_request_id:
                    headers.setdefault(api_deps.REQUEST_ID_HEADER, line_request_id)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", CSP)
            await send(message)

        if _is_old_ie(request.headers.get("user-agent", "")) and not path.startswith(UNSUPPORTED_EXEMPT):
            await deps.render(request, "unsupported.html")(scope, receive, with_headers)
            return
        await self.app(scope, receive, with_headers)


def create_app(settings: Settings | None = None, db: Database | None = None, *,
               worker: bool | None = None) -> FastAPI:
    """Build the application; ``worker`` runs the job loop in this process (embedded mode)."""
    settings = settings or get_settings()
    db = db or Database.from_url(settings.resolved_database_url)
    run_worker = settings.embedded_worker if worker is None else worker

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loop: Worker | None = None
        if run_worker:
            load_job_modules()
            loop = Worker(db, lease_seconds=settings.job_lease_seconds, poll_seconds=settings.worker_poll_seconds)
            thread = threading.Thread(target=loop.run, name="openoa-worker", daemon=True)
            thread.start()
        checkpointer = db.start_checkpointer()
        heap.settle()
        yield
        if loop is not None:
            loop.stop()
        if checkpointer is not None:
            checkpointer.stop()
        api_deps.close(app)

    # FastAPI's native OpenTelemetry looks for configured providers on every request (environment
    # reads included); OpenOA configures none, so the look is switched off.
    app = FastAPI(title="OpenOA", version=__version__, lifespan=lifespan,
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  description="Manager console, Chat app and Staff console JSON endpoints. "
                              "Writes need the `X-CSRF-Token` header (from `GET /csrf`) and a session cookie.")
    app.state.settings = settings
    app.state.db = db
    app.state.secret_key = settings.resolved_secret_key()

    app.add_middleware(SurfaceHeaders, secure_cookies=settings.secure_cookies)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if deps.is_json_path(request.url.path):
            return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)
        if isinstance(exc, Unauthenticated):
            for prefix, subject in SUBJECT_BY_PREFIX:
                if request.url.path.startswith(prefix):
                    return deps.login_redirect(request, subject)
        return deps.render(request, "error.html", {"message": exc.message, "status": exc.status},
                           status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        body = _validation_body(exc)
        if deps.is_json_path(request.url.path):
            return JSONResponse(body, status_code=400)
        message = "; ".join(f"{d['property']}: {d['message']}" for d in body["details"])  # type: ignore[index]
        return deps.render(request, "error.html", {"message": message, "status": 400}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = "Not found" if exc.status_code == 404 else str(exc.detail)
        if deps.is_json_path(request.url.path) or request.url.path.startswith(("/media", "/static")):
            return JSONResponse({"message": message}, status_code=exc.status_code)
        return deps.render(request, "error.html", {"message": message, "status": exc.status_code},
                           status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "Something went wrong on our side. Please try again."
        if api_deps.is_line_path(request.url.path):
            # Answered outside the middleware, so the request ID is added here.
            return JSONResponse({"message": message}, status_code=500,
                                headers={api_deps.REQUEST_ID_HEADER: api_deps.request_id(request)})
        if deps.is_json_path(request.url.path):
            return JSONResponse({"message": message}, status_code=500)
        return deps.render(request, "error.html", {"message": message, "status": 500}, status_code=500)

    @app.get("/", include_in_schema=False)
    def landing(request: Request) -> Response:
        return deps.render(request, "landing.html")

    @app.get("/csrf", tags=["session"], summary="The CSRF token to send as X-CSRF-Token on writes")
    def csrf(request: Request) -> dict[str, str]:
        return {"csrf_token": deps.csrf_token(request)}

    @app.get("/media/{key}", include_in_schema=False)
    def media(key: str) -> Response:
        data = current_storage().read(key)
        if data is None:
            raise StarletteHTTPException(404)
        return Response(data, media_type="image/png" if key.endswith(".png") else "image/jpeg",
                        headers={"Cache-Control": "public, max-age=31536000, immutable"})

    @app.get("/dev/mailbox", include_in_schema=False)
    def mailbox(request: Request) -> Response:
        mailer = current_mailer()
        if not settings.mailbox_enabled or not isinstance(mailer, OutboxMailer):
            raise StarletteHTTPException(404)
        return deps.render(request, "mailbox.html", {"mails": mailer.messages()[:100]})

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return RedirectResponse("/static/favicon.svg")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Flat and first: the Messaging API is matched before any other route (see api/routes.py).
    app.router.routes[0:0] = api_routes.router.routes
    app.include_router(console_routes.router)
    app.include_router(chatapp_routes.router)
    app.include_router(staff_routes.router)
    return app
