"""Console page Settings › Usage and billing › Dashboard (R-BILL-01/02, R-MSG-04): this month's
counted messages with a chart of each day, the bill so far and at this pace, past months'
invoices, the package (upgrade now, downgrade next month) and the additional-message limit.
Admins only; the billing service refuses everyone else, the page never decides that itself."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.billing import rules
from openoa.billing import service as billing
from openoa.billing.schemas import (
    AdditionalLimitIn,
    DashboardOut,
    InvoiceOut,
    PackageChangeOut,
    PackageIn,
)
from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.console.layout import form_status, local_time, page

router = APIRouter()
TAGS: list[str | Enum] = ["console: usage and billing"]

Form_ = Annotated[str, Form()]
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


def _page(request: Request, account_id: int, *, status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = billing.dashboard(s, actor, account_id)
    shown = {"package": out.next_package or out.package, "additional_limit": str(out.additional_limit),
             **(values or {})}
    return page(request, "console/billing.html", {
        "board": out, "account": out.account, "errors": errors or {}, "values": shown, "months": MONTHS,
        "packages": [(p, f"{rules.PACKAGE_LABELS[p]} — {rules.thb(rules.PACKAGE_FEE_SATANG[p])} THB a month, "
                         f"{rules.INCLUDED_MESSAGES[p]:,} messages included") for p in rules.PACKAGE_ORDER],
        "labels": rules.PACKAGE_LABELS, "thb": rules.thb, "local": lambda moment: local_time(moment, out.timezone),
        "chart": [(f"{MONTHS[d.day.month - 1][:3]} {d.day.day}", d.used) for d in out.daily],
    }, status_code=status_code, section="billing")


@router.get("/console/accounts/{account_id}/billing", include_in_schema=False)
def billing_page(request: Request, account_id: int) -> Response:
    return _page(request, account_id)


@router.post("/console/accounts/{account_id}/billing/package", include_in_schema=False)
def save_package(request: Request, account_id: int, package: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            billing.change_package(s, actor, account_id, package)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field(),
                     values={"package": package})
    return RedirectResponse(f"/console/accounts/{account_id}/billing?notice=saved#package", status_code=303)


@router.post("/console/accounts/{account_id}/billing/limit", include_in_schema=False)
def save_limit(request: Request, account_id: int, additional_limit: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            billing.set_additional_limit(s, actor, account_id, additional_limit)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field(),
                     values={"additional_limit": additional_limit})
    return RedirectResponse(f"/console/accounts/{account_id}/billing?notice=saved#limit", status_code=303)


@router.get("/console/accounts/{account_id}/billing/invoices/{period}", include_in_schema=False)
def invoice_page(request: Request, account_id: int, period: str) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = billing.invoice(s, actor, account_id, period)
    return page(request, "console/invoice.html", {
        "invoice": out, "account": out.account, "months": MONTHS, "labels": rules.PACKAGE_LABELS, "thb": rules.thb,
        "per_message": rules.thb(rules.ADDITIONAL_MESSAGE_SATANG),
    }, section="billing")


# ---------------------------------------------------------------- JSON twins

@router.get("/console/api/accounts/{account_id}/billing", tags=TAGS, response_model=DashboardOut,
            summary="This month's counted messages, the bill so far and projected, each day's use, past months' "
                    "invoices and the audit of changes (admins only)")
def api_dashboard(request: Request, account_id: int) -> DashboardOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return billing.dashboard(s, actor, account_id)


@router.get("/console/api/accounts/{account_id}/billing/invoices/{period}", tags=TAGS, response_model=InvoiceOut,
            summary="The invoice of a month (period YYYYMM in the account's timezone); this month's is a statement "
                    "so far (final: false). Admins only")
def api_invoice(request: Request, account_id: int, period: str) -> InvoiceOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return billing.invoice(s, actor, account_id, period)


@router.put("/console/api/accounts/{account_id}/billing/package", tags=TAGS, response_model=PackageChangeOut,
            summary="Change the package: an upgrade applies at once, a downgrade at 00:00 on the next 1st in the "
                    "account's timezone; the package in force calls off a scheduled downgrade (admins only)")
def api_change_package(request: Request, account_id: int, body: PackageIn) -> PackageChangeOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return billing.change_package(s, actor, account_id, body.package)


@router.put("/console/api/accounts/{account_id}/billing/additional-limit", tags=TAGS,
            response_model=AdditionalLimitIn,
            summary="Set the additional-message limit (Basic and Pro; at most the ceiling staff set; admins only)")
def api_set_limit(request: Request, account_id: int, body: AdditionalLimitIn) -> AdditionalLimitIn:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return AdditionalLimitIn(additional_limit=billing.set_additional_limit(s, actor, account_id,
                                                                               body.additional_limit))
