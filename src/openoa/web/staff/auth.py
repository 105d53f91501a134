"""Staff console login and logout (staff are created with `openoa staff create`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.accounts.schemas import LoginIn
from openoa.core import web_sessions
from openoa.core.errors import Invalid
from openoa.trust import service as trust
from openoa.web import deps
from openoa.web.staff.layout import page
from openoa.web.staff.schemas import StaffOut

router = APIRouter()
TAGS: list[str | Enum] = ["staff: session"]
STAFF = web_sessions.STAFF
HOME = "/staff"

Form_ = Annotated[str, Form()]


def _open_session(request: Request, email: str, password: str) -> tuple[StaffOut, str]:
    """Check the staff member's credentials and start their session in one unit of work."""
    deps.limit_login(request, "staff", email)
    with deps.scope(request) as s:
        staff = trust.authenticate(s, email=email, password=password)
        token = web_sessions.start(s, STAFF, staff.id, days=deps.settings_of(request).session_days)
        return StaffOut(id=staff.id, email=staff.email, display_name=staff.display_name), token


def _end_session(request: Request) -> None:
    with deps.scope(request) as s:
        web_sessions.end(s, request.cookies.get(deps.COOKIES[STAFF]))


@router.get("/staff/login", include_in_schema=False)
def login_form(request: Request, next: str | None = None) -> Response:
    if deps.staff_actor(request) is not None:
        return RedirectResponse(deps.safe_next(next, HOME), status_code=303)
    return page(request, "staff/login.html", {"next": deps.safe_next(next, "")}, section="login")


@router.post("/staff/login", include_in_schema=False)
def login(request: Request, email: Form_ = "", password: Form_ = "", next: Form_ = "") -> Response:
    try:
        _, token = _open_session(request, email, password)
    except Invalid as exc:
        return page(request, "staff/login.html",
                    {"next": deps.safe_next(next, ""), "errors": exc.by_field(), "values": {"email": email}},
                    status_code=400, section="login")
    response = RedirectResponse(deps.safe_next(next, HOME), status_code=303)
    deps.set_session_cookie(request, response, STAFF, token)
    return response


@router.post("/staff/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    _end_session(request)
    response = RedirectResponse("/staff/login?notice=logged-out", status_code=303)
    deps.clear_session_cookie(response, STAFF)
    return response


@router.post("/staff/api/login", tags=TAGS, response_model=StaffOut,
             summary="Log in as platform staff; sets the staff session cookie")
def api_login(request: Request, response: Response, body: LoginIn) -> StaffOut:
    out, token = _open_session(request, body.email, body.password)
    deps.set_session_cookie(request, response, STAFF, token)
    return out


@router.post("/staff/api/logout", tags=TAGS, status_code=204, summary="End this staff session")
def api_logout(request: Request, response: Response) -> None:
    _end_session(request)
    deps.clear_session_cookie(response, STAFF)
