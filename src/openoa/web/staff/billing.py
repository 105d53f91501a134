"""Staff answer an inquiry for more additional messages (R-MSG-04): they set the ceiling an
account's admin may raise the additional-message limit to, from the account search."""

from __future__ import annotations

from enum import Enum
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.billing import service as billing
from openoa.billing.schemas import CeilingIn
from openoa.core.access import StaffActor
from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.staff.review import render_accounts

router = APIRouter()
TAGS: list[str | Enum] = ["staff: billing"]
Staff = Annotated[StaffActor, Depends(deps.require_staff)]


@router.post("/staff/accounts/{account_id}/ceiling", include_in_schema=False)
def save_ceiling(request: Request, actor: Staff, account_id: int,
                 additional_limit_ceiling: Annotated[str, Form()] = "", q: Annotated[str, Form()] = "") -> Response:
    key = f"additional_limit_ceiling-{account_id}"
    try:
        with deps.scope(request) as s:
            billing.set_limit_ceiling(s, actor, account_id, additional_limit_ceiling)
    except Invalid as exc:
        return render_accounts(request, actor, q, errors={key: exc.message},
                               values={key: additional_limit_ceiling}, status_code=int(exc.status))
    return RedirectResponse(f"/staff/accounts?{urlencode({'q': q, 'notice': 'ceiling'})}", status_code=303)


@router.put("/staff/api/accounts/{account_id}/ceiling", tags=TAGS, response_model=CeilingIn,
            summary="Set the most the account's admin may allow as additional messages a month; a limit above "
                    "a lowered ceiling comes down to it")
def api_set_ceiling(request: Request, actor: Staff, account_id: int, body: CeilingIn) -> CeilingIn:
    with deps.scope(request) as s:
        value = billing.set_limit_ceiling(s, actor, account_id, body.additional_limit_ceiling)
    return CeilingIn(additional_limit_ceiling=value)
