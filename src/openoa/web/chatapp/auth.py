"""Chat-app sign-up, login and logout: the pages and their JSON twins.

Both set the same ``oa_app`` session cookie, so a page and a script share one login.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from openoa.core import web_sessions
from openoa.core.access import PersonActor
from openoa.core.errors import Invalid, RateLimited
from openoa.integrations.storage import current_storage
from openoa.users import service as users
from openoa.users.models import User
from openoa.users.schemas import LogIn, SignUp, UserOut
from openoa.web import deps

router = APIRouter()
HOME = "/app"
SURFACE = "app"


def _start_session(request: Request, session: Session, user: User) -> str:
    """Open a login session for ``user`` in the same unit of work that found or created them."""
    return web_sessions.start(session, web_sessions.USER, user.id, days=deps.settings_of(request).session_days)


def _other_page(path: str, next_url: str) -> str:
    """The sign-up link from the login page (and back), carrying ``next`` along."""
    return f"{path}?next={quote(next_url, safe='')}" if next_url != HOME else path


# ------------------------------------------------------------------ pages

@router.get("/app/signup", include_in_schema=False)
def signup_page(request: Request, next: str | None = None) -> Response:
    target = deps.safe_next(next, HOME)
    return deps.render(request, "chatapp/signup.html", {
        "values": {"next": target}, "login_url": _other_page("/app/login", target)})


@router.post("/app/signup", include_in_schema=False)
def signup(request: Request, email: str = Form(""), password: str = Form(""),
           display_name: str = Form(""), next: str = Form("")) -> Response:
    target = deps.safe_next(next, HOME)
    values = {"email": email, "display_name": display_name, "next": target}
    context = {"values": values, "login_url": _other_page("/app/login", target)}
    try:
        deps.limit_signup(request, SURFACE)
    except RateLimited as exc:
        return deps.render(request, "chatapp/signup.html", {**context, "errors": {"__all__": exc.message}},
                           status_code=exc.status)
    try:
        with deps.scope(request) as session:
            user = users.sign_up(session, email=email, password=password, display_name=display_name)
            token = _start_session(request, session, user)
    except Invalid as exc:
        return deps.render(request, "chatapp/signup.html", {**context, "errors": exc.by_field()},
                           status_code=exc.status)
    response = RedirectResponse(target, status_code=303)
    deps.set_session_cookie(request, response, web_sessions.USER, token)
    return response


@router.get("/app/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    target = deps.safe_next(next, HOME)
    return deps.render(request, "chatapp/login.html", {
        "values": {"next": target}, "signup_url": _other_page("/app/signup", target)})


@router.post("/app/login", include_in_schema=False)
def login(request: Request, email: str = Form(""), password: str = Form(""), next: str = Form("")) -> Response:
    target = deps.safe_next(next, HOME)
    context = {"values": {"email": email, "next": target}, "signup_url": _other_page("/app/signup", target)}
    try:
        deps.limit_login(request, SURFACE, email)
    except RateLimited as exc:
        response = deps.render(request, "chatapp/login.html", {**context, "errors": {"__all__": exc.message}},
                               status_code=exc.status)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    try:
        with deps.scope(request) as session:
            user = users.authenticate(session, email=email, password=password)
            token = _start_session(request, session, user)
    except Invalid as exc:
        return deps.render(request, "chatapp/login.html", {**context, "errors": exc.by_field()},
                           status_code=exc.status)
    response = RedirectResponse(target, status_code=303)
    deps.set_session_cookie(request, response, web_sessions.USER, token)
    return response


@router.post("/app/logout", include_in_schema=False)
def logout(request: Request, actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        web_sessions.end(session, request.cookies.get(deps.COOKIES[web_sessions.USER]))
    response = RedirectResponse("/app/login", status_code=303)
    deps.clear_session_cookie(response, web_sessions.USER)
    return response


# ------------------------------------------------------------------ JSON

@router.post("/app/api/signup", tags=["chat app"], status_code=201, response_model=UserOut,
             summary="Create a Chat-app account and log in")
def api_signup(body: SignUp, request: Request, response: Response) -> UserOut:
    deps.limit_signup(request, SURFACE)
    with deps.scope(request) as session:
        user = users.sign_up(session, email=body.email, password=body.password, display_name=body.display_name)
        token = _start_session(request, session, user)
    deps.set_session_cookie(request, response, web_sessions.USER, token)
    return users.user_out(user, current_storage())


@router.post("/app/api/login", tags=["chat app"], response_model=UserOut,
             summary="Log in; sets the same session cookie as the login page")
def api_login(body: LogIn, request: Request, response: Response) -> UserOut:
    deps.limit_login(request, SURFACE, body.email)
    with deps.scope(request) as session:
        user = users.authenticate(session, email=body.email, password=body.password)
        token = _start_session(request, session, user)
    deps.set_session_cookie(request, response, web_sessions.USER, token)
    return users.user_out(user, current_storage())


@router.post("/app/api/logout", tags=["chat app"], status_code=204, summary="Log out of the Chat app")
def api_logout(request: Request, actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        web_sessions.end(session, request.cookies.get(deps.COOKIES[web_sessions.USER]))
    response = Response(status_code=204)
    deps.clear_session_cookie(response, web_sessions.USER)
    return response
