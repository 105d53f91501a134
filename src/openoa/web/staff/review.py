"""Staff decisions on badges (R-ACC-03): verification applications (approve → blue, reject)
and the account search where premium (green) is granted."""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.accounts import service as accounts
from openoa.accounts.schemas import AccountOut, ApplicationOut
from openoa.core.access import StaffActor
from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.staff.layout import page
from openoa.web.staff.schemas import ApplicationFilter, Decision, DecisionIn

router = APIRouter()
TAGS: list[str | Enum] = ["staff: badges"]
Staff = Annotated[StaffActor, Depends(deps.require_staff)]

FILTERS: tuple[tuple[ApplicationFilter, str], ...] = (
    ("pending", "Waiting"), ("approved", "Approved"), ("rejected", "Rejected"), ("all", "All"))


# ---------------------------------------------------------------- verification applications

def _applications(request: Request, actor: StaffActor, status: ApplicationFilter) -> list[ApplicationOut]:
    with deps.scope(request) as s:
        return accounts.list_applications(s, actor, status=None if status == "all" else status)


def _decide(request: Request, actor: StaffActor, application_id: int, decision: Decision) -> ApplicationOut:
    with deps.scope(request) as s:
        return accounts.decide_application(s, actor, application_id, approve=decision == "approve")


def _applications_page(request: Request, actor: StaffActor, status: ApplicationFilter, *,
                       errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    return page(request, "staff/applications.html",
                {"applications": _applications(request, actor, status), "status": status, "filters": FILTERS,
                 "errors": errors or {}}, status_code=status_code, section="applications")


@router.get("/staff", include_in_schema=False)
def applications_page(request: Request, actor: Staff, status: ApplicationFilter = "pending") -> Response:
    return _applications_page(request, actor, status)


@router.post("/staff/applications/{application_id}/decision", include_in_schema=False)
def decide(request: Request, actor: Staff, application_id: int, decision: Annotated[Decision, Form()],
           status: Annotated[ApplicationFilter, Form()] = "pending") -> Response:
    try:
        _decide(request, actor, application_id, decision)
    except Invalid as exc:  # decided already (by a colleague, or in another tab)
        return _applications_page(request, actor, status, errors={"__all__": exc.message},
                                  status_code=int(exc.status))
    notice = "approved" if decision == "approve" else "rejected"
    return RedirectResponse(f"/staff?{urlencode({'status': status, 'notice': notice})}", status_code=303)


@router.get("/staff/api/applications", tags=TAGS, response_model=list[ApplicationOut],
            summary="Verification applications, oldest first (default: those waiting for a decision)")
def api_applications(request: Request, actor: Staff, status: ApplicationFilter = "pending") -> list[ApplicationOut]:
    return _applications(request, actor, status)


@router.post("/staff/api/applications/{application_id}/decision", tags=TAGS, response_model=ApplicationOut,
             summary="Approve (badge becomes blue) or reject a pending application; 409 if already decided")
def api_decide(request: Request, actor: Staff, application_id: int, body: DecisionIn) -> ApplicationOut:
    return _decide(request, actor, application_id, body.decision)


# ---------------------------------------------------------------- accounts and premium

def _search(request: Request, actor: StaffActor, q: str) -> list[AccountOut]:
    with deps.scope(request) as s:
        return accounts.search_accounts(s, actor, query=q)


def _grant(request: Request, actor: StaffActor, account_id: int) -> AccountOut:
    with deps.scope(request) as s:
        return accounts.account_out(accounts.grant_premium(s, actor, account_id))


def render_accounts(request: Request, actor: StaffActor, q: str, *, errors: dict[str, str] | None = None,
                    values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The account search page; ``errors``/``values`` keyed by field (a row's form: ``<field>-<account id>``)."""
    return page(request, "staff/accounts.html", {"accounts": _search(request, actor, q), "q": q,
                                                 "values": {"q": q, **(values or {})}, "errors": errors or {}},
                section="accounts", status_code=status_code)


@router.get("/staff/accounts", include_in_schema=False)
def accounts_page(request: Request, actor: Staff, q: str = "") -> Response:
    return render_accounts(request, actor, q)


@router.post("/staff/accounts/{account_id}/premium", include_in_schema=False)
def grant_premium(request: Request, actor: Staff, account_id: int, q: Annotated[str, Form()] = "") -> Response:
    _grant(request, actor, account_id)
    return RedirectResponse(f"/staff/accounts?{urlencode({'q': q, 'notice': 'premium'})}", status_code=303)


@router.get("/staff/api/accounts", tags=TAGS, response_model=list[AccountOut],
            summary="Find accounts by name or basic ID (newest first, at most 50)")
def api_accounts(request: Request, actor: Staff, q: str = "") -> list[AccountOut]:
    return _search(request, actor, q)


@router.post("/staff/api/accounts/{account_id}/premium", tags=TAGS, response_model=AccountOut,
             summary="Grant the premium (green) badge; only staff can (R-ACC-03)")
def api_grant_premium(request: Request, actor: Staff, account_id: int) -> AccountOut:
    return _grant(request, actor, account_id)
