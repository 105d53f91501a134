"""Console pages of an account's team: members, their roles, and single-use invitation links
(R-ACC-04). Only admins get past the services here; the pages never decide that themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.accounts import service as accounts
from openoa.accounts.models import Invitation
from openoa.accounts.schemas import (
    AccountOut,
    InvitationOut,
    InvitationPreviewOut,
    MemberOut,
    RoleIn,
)
from openoa.core.errors import Invalid
from openoa.web import deps
from openoa.web.console.layout import form_status, page

router = APIRouter()
TAGS = ["console: members"]

Form_ = Annotated[str, Form()]


def _invitation_out(invitation: Invitation, url: str) -> InvitationOut:
    return InvitationOut(id=invitation.id, role=invitation.role, url=url, expires_at=invitation.expires_at,
                         used=False)


def _invite(request: Request, account_id: int, role: str) -> InvitationOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return _invitation_out(*accounts.invite_member(s, actor, account_id, role=role))


def _members_page(request: Request, account_id: int, *, errors: dict[str, str] | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = accounts.account_members(s, actor, account_id)
    return page(request, "console/members.html",
                {"team": out, "account": out.account, "me": actor.business_id, "errors": errors or {},
                 "values": values or {}}, status_code=status_code, section="members")


# ---------------------------------------------------------------- members

@router.get("/console/accounts/{account_id}/members", include_in_schema=False)
def members(request: Request, account_id: int) -> Response:
    return _members_page(request, account_id)


@router.post("/console/accounts/{account_id}/invitations", include_in_schema=False)
def invite(request: Request, account_id: int, role: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        invitation = _invite(request, account_id, role)
    except Invalid as exc:
        return _members_page(request, account_id, errors=exc.by_field(), values={"role": role},
                             status_code=form_status(exc))
    # The link exists only in this answer (we keep its hash), so it is shown here rather than
    # after a redirect, where it would have to travel in a URL or a cookie.
    with deps.scope(request) as s:
        account = accounts.account_members(s, actor, account_id).account
    return page(request, "console/invitation_created.html", {"invitation": invitation, "account": account},
                status_code=201, section="members")


@router.post("/console/accounts/{account_id}/members/{business_id}/role", include_in_schema=False)
def change_role(request: Request, account_id: int, business_id: int, role: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            accounts.change_member_role(s, actor, account_id, business_id, role=role)
    except Invalid as exc:
        return _members_page(request, account_id, errors={"__all__": exc.message}, status_code=form_status(exc))
    return RedirectResponse(f"/console/accounts/{account_id}/members?notice=role-changed", status_code=303)


@router.post("/console/accounts/{account_id}/members/{business_id}/remove", include_in_schema=False)
def remove(request: Request, account_id: int, business_id: int) -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            accounts.remove_member(s, actor, account_id, business_id)
    except Invalid as exc:
        return _members_page(request, account_id, errors={"__all__": exc.message}, status_code=form_status(exc))
    # An admin who leaves can no longer see the members page.
    target = "/console" if business_id == actor.business_id else f"/console/accounts/{account_id}/members"
    return RedirectResponse(f"{target}?notice=member-removed", status_code=303)


@router.get("/console/api/accounts/{account_id}/members", tags=TAGS, response_model=list[MemberOut],
            summary="The account's members and their roles (admins only)")
def api_members(request: Request, account_id: int) -> list[MemberOut]:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.list_members(s, actor, account_id)


@router.post("/console/api/accounts/{account_id}/members", tags=TAGS, status_code=201,
             response_model=InvitationOut,
             summary="Invite a member: a single-use link for the role (same as POST …/invitations)")
def api_add_member(request: Request, account_id: int, body: RoleIn) -> InvitationOut:
    return _invite(request, account_id, body.role)


@router.put("/console/api/accounts/{account_id}/members/{business_id}", tags=TAGS, status_code=204,
            summary="Give a member another role (admins only; an account keeps at least one admin)")
def api_change_role(request: Request, account_id: int, business_id: int, body: RoleIn) -> None:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        accounts.change_member_role(s, actor, account_id, business_id, role=body.role)


@router.delete("/console/api/accounts/{account_id}/members/{business_id}", tags=TAGS, status_code=204,
               summary="Remove a member (admins only; never the last admin)")
def api_remove(request: Request, account_id: int, business_id: int) -> None:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        accounts.remove_member(s, actor, account_id, business_id)


# ---------------------------------------------------------------- invitations

@router.get("/console/api/accounts/{account_id}/invitations", tags=TAGS, response_model=list[InvitationOut],
            summary="Invitations sent for the account, newest first (their links are never shown again)")
def api_invitations(request: Request, account_id: int) -> list[InvitationOut]:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.list_invitations(s, actor, account_id)


@router.post("/console/api/accounts/{account_id}/invitations", tags=TAGS, status_code=201,
             response_model=InvitationOut,
             summary="Create a single-use invitation link for a role, valid 7 days; the url is shown once")
def api_invite(request: Request, account_id: int, body: RoleIn) -> InvitationOut:
    return _invite(request, account_id, body.role)


def _invitation_page(request: Request, token: str, *, link_error: str | None = None,
                     status_code: int = 200) -> Response:
    if link_error is None:
        try:
            with deps.scope(request) as s:
                account, role = accounts.preview_invitation(s, token)
        except Invalid as exc:
            link_error, status_code = exc.message, form_status(exc)
        else:
            return page(request, "console/invitation.html", {"offer": account, "role": role, "token": token})
    return page(request, "console/invitation.html", {"link_error": link_error}, status_code=status_code)


@router.get("/console/invitations/{token}", include_in_schema=False)
def invitation(request: Request, token: str) -> Response:
    deps.require_business(request)
    return _invitation_page(request, token)


@router.post("/console/invitations/{token}", include_in_schema=False)
def accept(request: Request, token: str) -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            accounts.accept_invitation(s, actor, token)
    except Invalid as exc:
        return _invitation_page(request, token, link_error=exc.message, status_code=form_status(exc))
    return RedirectResponse("/console?notice=joined", status_code=303)


@router.get("/console/api/invitations/{token}", tags=TAGS, response_model=InvitationPreviewOut,
            summary="Which account and role an invitation link offers")
def api_preview(request: Request, token: str) -> InvitationPreviewOut:
    deps.require_business(request)
    with deps.scope(request) as s:
        account, role = accounts.preview_invitation(s, token)
    return InvitationPreviewOut(account=account, role=role)


@router.post("/console/api/invitations/{token}/accept", tags=TAGS, response_model=AccountOut,
             summary="Join the account with the invitation's role; the link then stops working")
def api_accept(request: Request, token: str) -> AccountOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_out(accounts.accept_invitation(s, actor, token))
