"""What every console page shows around its content: the nav for the member's role, one-off
notices after a redirect, and the small form-parsing helpers the console's pages share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request, UploadFile
from starlette.responses import Response

from openoa.accounts.rules import Permission, role_allows
from openoa.accounts.schemas import AccountOut
from openoa.core.images import MAX_UPLOAD_BYTES
from openoa.web import deps

# Notices are picked by key, never echoed from the URL, so a link cannot put words on our page.
NOTICES = {
    "created": "The account was created.",
    "saved": "Your changes were saved.",
    "joined": "You joined the account.",
    "role-changed": "The member's role was changed.",
    "member-removed": "The member was removed.",
    "applied": "Your verification application was sent. Staff will review it.",
    "password-changed": "Your password was changed. Other devices were logged out.",
    "password-reset": "Your password was changed. Log in with the new one.",
    "logged-out": "You are logged out.",
    "broadcast-sent": "Your broadcast is on its way.",
    "secret-reissued": "A new channel secret was issued. Webhooks are signed with it from now on.",
}


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    current: bool


# The order of the account's sections in the nav, and what each needs (R-ACC-04).
_ACCOUNT_SECTIONS = (
    ("home", "Home", "", Permission.HOME),
    ("broadcasts", "Broadcasts", "/broadcasts", Permission.BROADCASTS),
    ("members", "Members", "/members", Permission.MEMBERS),
    ("settings", "Settings", "/settings", Permission.SETTINGS),
    ("billing", "Usage and billing", "/billing", Permission.BILLING),
    ("messaging-api", "Messaging API", "/messaging-api", Permission.MESSAGING_API),
)


def account_nav(account: AccountOut, section: str | None) -> list[NavItem]:
    """The account's sections this member's role opens; the services still refuse the rest."""
    base = f"/console/accounts/{account.id}"
    return [NavItem(label, base + suffix, key == section)
            for key, label, suffix, permission in _ACCOUNT_SECTIONS
            if account.role and role_allows(account.role, permission)]


def page(request: Request, template: str, context: dict[str, Any] | None = None, *,
         status_code: int = 200, section: str | None = None) -> Response:
    """Render a console page with its nav and any notice named by ``?notice=``."""
    ctx = dict(context or {})
    account = ctx.get("account")
    ctx.setdefault("signed_in", deps.business_actor(request) is not None)
    ctx.setdefault("section", section)
    ctx.setdefault("account_nav", account_nav(account, section) if isinstance(account, AccountOut) else [])
    ctx.setdefault("notice", NOTICES.get(request.query_params.get("notice", "")))
    return deps.render(request, template, ctx, status_code=status_code)


def local_time(moment: datetime, timezone: str) -> str:
    """A stored UTC moment as the account's wall clock shows it, to the minute."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def form_status(exc: Exception) -> int:
    """400 for bad input, 409 for a conflict: the status a re-rendered form answers with."""
    return int(getattr(exc, "status", 400))


async def read_upload(upload: UploadFile | str | None) -> bytes | None:
    """The uploaded file's bytes, or None when no file was chosen.

    Reads one byte past the limit so an oversized file is refused without holding all of it.
    """
    if upload is None or isinstance(upload, str):
        return None
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if not data and not upload.filename:
        return None
    return data
