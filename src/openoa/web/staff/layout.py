"""What every Staff console page shows around its content: whether someone is logged in,
and one-off notices after a redirect (picked by key, never echoed from the URL)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from openoa.web import deps

NOTICES = {
    "approved": "Application approved: the account now has the verified (blue) badge.",
    "rejected": "Application rejected: the account keeps its badge.",
    "premium": "Premium granted: the account now has the premium (green) badge.",
    "ceiling": "The additional-message ceiling was saved.",
    "logged-out": "You are logged out.",
}


def page(request: Request, template: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200, section: str | None = None) -> Response:
    """Render a Staff console page with its nav and any notice named by ``?notice=``."""
    ctx = dict(context or {})
    ctx.setdefault("signed_in", deps.staff_actor(request) is not None)
    ctx.setdefault("section", section)
    ctx.setdefault("notice", NOTICES.get(request.query_params.get("notice", "")))
    return deps.render(request, template, ctx, status_code=status_code)
