"""Console sign-up, login (by email or with the Chat-app account), logout and passwords (R-ACC-01)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId
from openoa.accounts.rules import PASSWORD_RESET_VALID_FOR
from openoa.accounts.schemas import (
    BusinessIdOut,
    LoginIn,
    NoticeOut,
    PasswordChangeIn,
    PasswordForgotIn,
    PasswordResetIn,
    SignUpIn,
)
from openoa.core import web_sessions
from openoa.core.errors import Invalid, NotFound
from openoa.users import service as users
from openoa.web import deps
from openoa.web.console.layout import form_status, page

router = APIRouter()
TAGS = ["console: session"]
BUSINESS = web_sessions.BUSINESS
HOME = "/console"
# The same words whatever happened, so the form cannot tell who has a Business ID.
FORGOT_SENT = ("If the email belongs to a Business ID, we sent it a link to choose a new password. "
               f"The link works once and expires in {int(PASSWORD_RESET_VALID_FOR.total_seconds() // 60)} minutes.")

Form_ = Annotated[str, Form()]


def _open_session(request: Request, find: Callable[[Session], BusinessId]) -> tuple[BusinessIdOut, str]:
    """Find the Business ID and start its login session in one unit of work."""
    with deps.scope(request) as s:
        bid = find(s)
        token = web_sessions.start(s, BUSINESS, bid.id, days=deps.settings_of(request).session_days)
        return accounts.business_out(bid), token


def _signed_in_redirect(request: Request, token: str, next_path: str | None) -> RedirectResponse:
    response = RedirectResponse(deps.safe_next(next_path, HOME), status_code=303)
    deps.set_session_cookie(request, response, BUSINESS, token)
    return response


def _current_token(request: Request) -> str | None:
    return request.cookies.get(deps.COOKIES[BUSINESS])


def _chat_app_person_name(request: Request) -> str | None:
    """The name of the person logged in to the Chat app in this browser, for "Continue as …"."""
    person = deps.person_actor(request)
    if person is None:
        return None
    try:
        with deps.scope(request) as s:
            return users.get_me(s, person).display_name
    except NotFound:
        return None


def _login_page(request: Request, *, next_path: str | None, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return page(request, "console/login.html",
                {"next": deps.safe_next(next_path, ""), "chat_person": _chat_app_person_name(request),
                 "errors": errors or {}, "values": values or {}}, status_code=status_code, section="login")


# ---------------------------------------------------------------- sign up

@router.get("/console/signup", include_in_schema=False)
def signup_form(request: Request, next: str | None = None) -> Response:
    return page(request, "console/signup.html", {"next": deps.safe_next(next, "")}, section="signup")


@router.post("/console/signup", include_in_schema=False)
def signup(request: Request, email: Form_ = "", password: Form_ = "", display_name: Form_ = "",
           next: Form_ = "") -> Response:
    deps.limit_signup(request, "console")
    try:
        _, token = _open_session(request, lambda s: accounts.sign_up(
            s, email=email, password=password, display_name=display_name))
    except Invalid as exc:
        return page(request, "console/signup.html",
                    {"next": deps.safe_next(next, ""), "errors": exc.by_field(),
                     "values": {"email": email, "display_name": display_name}},
                    status_code=form_status(exc), section="signup")
    return _signed_in_redirect(request, token, next)


@router.post("/console/api/signup", tags=TAGS, status_code=201, response_model=BusinessIdOut,
             summary="Sign up for a Business ID (email + password); starts a console session")
def api_signup(request: Request, response: Response, body: SignUpIn) -> BusinessIdOut:
    deps.limit_signup(request, "console")
    out, token = _open_session(request, lambda s: accounts.sign_up(
        s, email=body.email, password=body.password, display_name=body.display_name))
    deps.set_session_cookie(request, response, BUSINESS, token)
    return out


# ---------------------------------------------------------------- log in and out

@router.get("/console/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    if deps.business_actor(request) is not None:
        return RedirectResponse(deps.safe_next(next, HOME), status_code=303)
    return _login_page(request, next_path=next)


@router.post("/console/login", include_in_schema=False)
def login(request: Request, email: Form_ = "", password: Form_ = "", next: Form_ = "") -> Response:
    deps.limit_login(request, "console", email)
    try:
        _, token = _open_session(request, lambda s: accounts.authenticate(s, email=email, password=password))
    except Invalid as exc:
        return _login_page(request, next_path=next, errors=exc.by_field(), values={"email": email},
                           status_code=400)
    return _signed_in_redirect(request, token, next)


@router.post("/console/login/chat-app", include_in_schema=False)
def login_with_chat_app(request: Request, chat_email: Form_ = "", chat_password: Form_ = "",
                        next: Form_ = "") -> Response:
    # Chat-app credentials share the Chat app's counter, so the console is no way around its limit.
    deps.limit_login(request, "app", chat_email)
    try:
        _, token = _open_session(request, lambda s: accounts.chat_app_business_id(
            s, email=chat_email, password=chat_password))
    except Invalid as exc:
        errors = {"chat_" + field: message for field, message in exc.by_field().items()}
        return _login_page(request, next_path=next, errors=errors, values={"chat_email": chat_email},
                           status_code=400)
    return _signed_in_redirect(request, token, next)


@router.post("/console/login/continue", include_in_schema=False)
def continue_as_person(request: Request, next: Form_ = "") -> Response:
    person = deps.person_actor(request)
    if person is None:
        return RedirectResponse("/console/login", status_code=303)
    _, token = _open_session(request, lambda s: accounts.business_id_for_person(s, person))
    return _signed_in_redirect(request, token, next)


@router.post("/console/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    with deps.scope(request) as s:
        web_sessions.end(s, _current_token(request))
    response = RedirectResponse("/console/login?notice=logged-out", status_code=303)
    deps.clear_session_cookie(response, BUSINESS)
    return response


@router.post("/console/api/login", tags=TAGS, response_model=BusinessIdOut,
             summary="Log in with email and password; sets the console session cookie")
def api_login(request: Request, response: Response, body: LoginIn) -> BusinessIdOut:
    deps.limit_login(request, "console", body.email)
    out, token = _open_session(request, lambda s: accounts.authenticate(
        s, email=body.email, password=body.password))
    deps.set_session_cookie(request, response, BUSINESS, token)
    return out


@router.post("/console/api/login/chat-app", tags=TAGS, response_model=BusinessIdOut,
             summary="Log in with a Chat-app account's email and password (R-ACC-01)")
def api_login_with_chat_app(request: Request, response: Response, body: LoginIn) -> BusinessIdOut:
    deps.limit_login(request, "app", body.email)
    out, token = _open_session(request, lambda s: accounts.chat_app_business_id(
        s, email=body.email, password=body.password))
    deps.set_session_cookie(request, response, BUSINESS, token)
    return out


@router.post("/console/api/login/continue", tags=TAGS, response_model=BusinessIdOut,
             summary="Log in as the person already logged in to the Chat app in this browser")
def api_continue_as_person(request: Request, response: Response) -> BusinessIdOut:
    person = deps.require_person(request)
    out, token = _open_session(request, lambda s: accounts.business_id_for_person(s, person))
    deps.set_session_cookie(request, response, BUSINESS, token)
    return out


@router.post("/console/api/logout", tags=TAGS, status_code=204, summary="End this console session")
def api_logout(request: Request, response: Response) -> None:
    with deps.scope(request) as s:
        web_sessions.end(s, _current_token(request))
    deps.clear_session_cookie(response, BUSINESS)


@router.get("/console/api/me", tags=TAGS, response_model=BusinessIdOut, summary="The logged-in Business ID")
def api_me(request: Request) -> BusinessIdOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.business_out(accounts.get_business_id(s, actor))


# ---------------------------------------------------------------- passwords

def _change_password(request: Request, current: str, new: str) -> None:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        accounts.change_password(s, actor, current=current, new=new)
        # Whoever knew the old password is logged out everywhere but here.
        web_sessions.end_all(s, BUSINESS, actor.business_id, keep=_current_token(request))


@router.get("/console/password", include_in_schema=False)
def password_form(request: Request) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        me = accounts.business_out(accounts.get_business_id(s, actor))
    return page(request, "console/password.html", {"me": me}, section="password")


@router.post("/console/password", include_in_schema=False)
def change_password(request: Request, current_password: Form_ = "", new_password: Form_ = "") -> Response:
    try:
        _change_password(request, current_password, new_password)
    except Invalid as exc:
        actor = deps.require_business(request)
        with deps.scope(request) as s:
            me = accounts.business_out(accounts.get_business_id(s, actor))
        return page(request, "console/password.html", {"me": me, "errors": exc.by_field()},
                    status_code=400, section="password")
    return RedirectResponse("/console?notice=password-changed", status_code=303)


@router.post("/console/api/password", tags=TAGS, status_code=204,
             summary="Change the password; other sessions of this Business ID end")
def api_change_password(request: Request, body: PasswordChangeIn) -> None:
    _change_password(request, body.current_password, body.new_password)


def _request_reset(request: Request, email: str) -> None:
    deps.limit_password_reset(request, email)
    with deps.scope(request) as s:
        accounts.request_password_reset(s, email=email)


@router.get("/console/password/forgot", include_in_schema=False)
def forgot_form(request: Request, sent: str | None = None) -> Response:
    return page(request, "console/forgot.html", {"sent": FORGOT_SENT if sent else None})


@router.post("/console/password/forgot", include_in_schema=False)
def forgot(request: Request, email: Form_ = "") -> Response:
    try:
        _request_reset(request, email)
    except Invalid as exc:
        return page(request, "console/forgot.html", {"errors": exc.by_field(), "values": {"email": email}},
                    status_code=400)
    return RedirectResponse("/console/password/forgot?sent=1", status_code=303)


@router.post("/console/api/password/forgot", tags=TAGS, status_code=202, response_model=NoticeOut,
             summary="Mail a password reset link if the email is known (the answer never says)")
def api_forgot(request: Request, body: PasswordForgotIn) -> NoticeOut:
    _request_reset(request, body.email)
    return NoticeOut(message=FORGOT_SENT)


def _reset_password(request: Request, token: str, new_password: str) -> None:
    with deps.scope(request) as s:
        bid = accounts.reset_password(s, token=token, new_password=new_password)
        # A reset means the old password may be known to someone else: every session ends.
        web_sessions.end_all(s, BUSINESS, bid.id)


@router.get("/console/password/reset/{token}", include_in_schema=False)
def reset_form(request: Request, token: str) -> Response:
    try:
        with deps.scope(request) as s:
            accounts.check_reset_token(s, token)
    except Invalid as exc:
        return page(request, "console/reset.html", {"link_error": exc.message}, status_code=400)
    return page(request, "console/reset.html", {"token": token})


@router.post("/console/password/reset/{token}", include_in_schema=False)
def reset(request: Request, token: str, new_password: Form_ = "") -> Response:
    try:
        _reset_password(request, token, new_password)
    except Invalid as exc:
        errors = exc.by_field()
        if "token" in errors:
            return page(request, "console/reset.html", {"link_error": errors["token"]}, status_code=400)
        return page(request, "console/reset.html", {"token": token, "errors": errors}, status_code=400)
    response = RedirectResponse("/console/login?notice=password-reset", status_code=303)
    deps.clear_session_cookie(response, BUSINESS)
    return response


@router.get("/console/api/password/reset/{token}", tags=TAGS, status_code=204,
            summary="Check that a reset link still works (400 when expired or used)")
def api_check_reset(request: Request, token: str) -> None:
    with deps.scope(request) as s:
        accounts.check_reset_token(s, token)


@router.post("/console/api/password/reset", tags=TAGS, status_code=204,
             summary="Set a new password from a reset link; every session of the Business ID ends")
def api_reset(request: Request, body: PasswordResetIn) -> None:
    _reset_password(request, body.token, body.new_password)
