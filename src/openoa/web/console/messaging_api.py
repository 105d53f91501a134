"""Console page of an account's Messaging API channel (Settings › Messaging API): channel ID,
bot user ID, channel secret, the long-lived access token, the response mode (R-CHT-01) and whether
the account joins group chats and multi-person chats (R-CHT-02).
Admins only; the channels service refuses everyone else, the page never decides that itself."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.channels import service as channels
from openoa.channels.schemas import ChannelOut, GroupChatsIn, IssuedToken, ResponseModeIn
from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.console.layout import form_status, page

router = APIRouter()
TAGS = ["console: messaging api"]

Form_ = Annotated[str, Form()]

# The confirmation forms send this; a first post without it only asks "are you sure?".
CONFIRMED = "yes"
# What a checked switch sends; an unchecked one sends nothing.
ON = "on"


def _page(request: Request, account_id: int, *, status_code: int = 200, errors: dict[str, str] | None = None,
          values: dict[str, str] | None = None, confirm: str | None = None,
          issued_token: str | None = None) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = channels.messaging_api_settings(s, actor, account_id)
    return page(request, "console/messaging_api.html", {
        "settings": out, "account": out.account, "channel": out.channel, "errors": errors or {},
        "values": {"response_mode": out.channel.response_mode, "join_group_chats": out.channel.join_group_chats,
                   **(values or {})},
        "confirm": confirm, "issued_token": issued_token,
    }, status_code=status_code, section="messaging-api")


@router.get("/console/accounts/{account_id}/messaging-api", include_in_schema=False)
def messaging_api(request: Request, account_id: int) -> Response:
    return _page(request, account_id)


@router.post("/console/accounts/{account_id}/messaging-api/token", include_in_schema=False)
def issue_token(request: Request, account_id: int, confirm: Form_ = "") -> Response:
    if confirm != CONFIRMED:
        return _page(request, account_id, confirm="token")
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        issued = channels.issue_long_lived_token(s, actor, account_id)
    # Only the token's hash is kept, so it is shown in this answer and never again (no redirect
    # that would carry it in a URL or a cookie).
    return _page(request, account_id, status_code=201, issued_token=issued.access_token)


@router.post("/console/accounts/{account_id}/messaging-api/secret", include_in_schema=False)
def reissue_secret(request: Request, account_id: int, confirm: Form_ = "") -> Response:
    if confirm != CONFIRMED:
        return _page(request, account_id, confirm="secret")
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        channels.reissue_secret(s, actor, account_id)
    return RedirectResponse(f"/console/accounts/{account_id}/messaging-api?notice=secret-reissued#secret",
                            status_code=303)


@router.post("/console/accounts/{account_id}/messaging-api/response-mode", include_in_schema=False)
def save_response_mode(request: Request, account_id: int, response_mode: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            channels.set_response_mode(s, actor, account_id, response_mode)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field(),
                     values={"response_mode": response_mode})
    return RedirectResponse(f"/console/accounts/{account_id}/messaging-api?notice=saved#response-mode",
                            status_code=303)


def _switch(field: str, value: str) -> bool:
    # Browsers send "on" or nothing; anything else was not made by this form.
    if value not in (ON, ""):
        raise Invalid(field=field, reason="Turn the switch on or off, then save.")
    return value == ON


@router.post("/console/accounts/{account_id}/messaging-api/group-chats", include_in_schema=False)
def save_group_chats(request: Request, account_id: int, join_group_chats: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        allowed = _switch("join_group_chats", join_group_chats)
        with deps.scope(request) as s:
            channels.set_join_group_chats(s, actor, account_id, allowed)
    except Invalid as exc:
        return _page(request, account_id, status_code=form_status(exc), errors=exc.by_field())
    return RedirectResponse(f"/console/accounts/{account_id}/messaging-api?notice=saved#group-chats",
                            status_code=303)


# ---------------------------------------------------------------- JSON twins

@router.get("/console/api/accounts/{account_id}/channel", tags=TAGS, response_model=ChannelOut,
            summary="The account's Messaging API channel: channel ID, secret, bot user ID, response mode, "
                    "webhook settings (admins only)")
def api_channel(request: Request, account_id: int) -> ChannelOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return channels.get_channel(s, actor, account_id)


@router.post("/console/api/accounts/{account_id}/channel/token", tags=TAGS, status_code=201,
             response_model=IssuedToken,
             summary="Issue the long-lived channel access token; a reissue revokes the previous one. "
                     "The token is in this answer only (we keep its hash)")
def api_issue_token(request: Request, account_id: int) -> IssuedToken:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return channels.issue_long_lived_token(s, actor, account_id)


@router.post("/console/api/accounts/{account_id}/channel/secret", tags=TAGS, response_model=ChannelOut,
             summary="Reissue the channel secret; webhooks are signed with the new one from now on")
def api_reissue_secret(request: Request, account_id: int) -> ChannelOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return channels.reissue_secret(s, actor, account_id)


@router.put("/console/api/accounts/{account_id}/channel/response-mode", tags=TAGS, response_model=ChannelOut,
            summary="Switch the response mode between chat and bot (never both); bot turns on Use webhook")
def api_response_mode(request: Request, account_id: int, body: ResponseModeIn) -> ChannelOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return channels.set_response_mode(s, actor, account_id, body.response_mode)


@router.put("/console/api/accounts/{account_id}/channel/group-chats", tags=TAGS, response_model=ChannelOut,
            summary="Allow or stop invitations of the account into group chats and multi-person chats; "
                    "turning it off does not take the account out of the chats it is in")
def api_group_chats(request: Request, account_id: int, body: GroupChatsIn) -> ChannelOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return channels.set_join_group_chats(s, actor, account_id, body.join_group_chats)
