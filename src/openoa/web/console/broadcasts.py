"""Console page Broadcasts: write a message and send it now to every friend, or to at most a
chosen number of them at random (R-BRD-02); what the month has left is on the page, and a
broadcast that does not fit is refused with how many are left and how to get more (R-MSG-05).
The broadcasts service checks the role (R-ACC-04); the page never decides that itself."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.broadcasts import rules
from openoa.broadcasts import service as broadcasts
from openoa.broadcasts.schemas import BroadcastIn, BroadcastOut, ComposerOut
from openoa.core.errors import Invalid
from openoa.messaging.service import MonthlyLimitReached
from openoa.web import deps
from openoa.web.console.layout import form_status, local_time, page

router = APIRouter()
TAGS: list[str | Enum] = ["console: broadcasts"]

Form_ = Annotated[str, Form()]
STATUS_LABELS = {"waiting": "Waiting", "sending": "Sending", "succeeded": "Sent", "failed": "Failed"}


def _page(request: Request, account_id: int, *, status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = broadcasts.composer(s, actor, account_id)
    return page(request, "console/broadcasts.html", {
        "composer": out, "account": out.account, "errors": errors or {}, "values": values or {},
        "status_labels": STATUS_LABELS, "text_max": rules.TEXT_MAX,
        "local": lambda moment: local_time(moment, out.account.timezone),
    }, status_code=status_code, section="broadcasts")


@router.get("/console/accounts/{account_id}/broadcasts", include_in_schema=False)
def broadcasts_page(request: Request, account_id: int) -> Response:
    return _page(request, account_id)


@router.post("/console/accounts/{account_id}/broadcasts", include_in_schema=False)
def send_broadcast(request: Request, account_id: int, text: Form_ = "", max_recipients: Form_ = "") -> Response:
    actor = deps.require_business(request)
    values = {"text": text, "max_recipients": max_recipients}
    try:
        with deps.scope(request) as s:
            broadcasts.send_broadcast(s, actor, account_id, text=text, max_recipients=max_recipients)
    except MonthlyLimitReached as exc:
        return _page(request, account_id, status_code=exc.status, values=values,
                     errors={"__all__": f"Not sent. {exc.errors[0].message}"})
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field(), values=values)
    return RedirectResponse(f"/console/accounts/{account_id}/broadcasts?notice=broadcast-sent#recent",
                            status_code=303)


# ---------------------------------------------------------------- JSON twins

@router.get("/console/api/accounts/{account_id}/broadcasts", tags=TAGS, response_model=ComposerOut,
            summary="Target reach, counted messages left this month and the latest broadcasts (newest first)")
def api_composer(request: Request, account_id: int) -> ComposerOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return broadcasts.composer(s, actor, account_id)


@router.post("/console/api/accounts/{account_id}/broadcasts", tags=TAGS, status_code=202,
             response_model=BroadcastOut,
             summary="Broadcast a text now, to every friend or at most max_recipients of them at random; "
                     "429 with what is left when it does not fit")
def api_send(request: Request, account_id: int, body: BroadcastIn) -> BroadcastOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return broadcasts.send_broadcast(s, actor, account_id, text=body.text, max_recipients=body.max_recipients)
