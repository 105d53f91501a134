"""Console pages of official accounts: the list, creating one, its home with the add-friend
URL, QR code and button (R-ACC-02, R-GAIN-01), and its settings with verification (R-ACC-03)."""

from __future__ import annotations

import html
import io
from typing import Annotated

import segno
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from starlette.responses import RedirectResponse

from openoa.accounts import service as accounts
from openoa.accounts.rules import Permission, Role, role_allows
from openoa.accounts.schemas import (
    AccountCreateIn,
    AccountOut,
    AccountUpdateIn,
    ApplicationOut,
    HomeOut,
    SettingsOut,
    VerificationIn,
)
from openoa.core.errors import Invalid
from openoa.friends.rules import FriendPath
from openoa.web import deps
from openoa.web.console.layout import form_status, page, read_upload

router = APIRouter()
TAGS = ["console: accounts"]

Form_ = Annotated[str, Form()]
Upload = Annotated[UploadFile | str | None, File()]


# ---------------------------------------------------------------- list and create

@router.get("/console", include_in_schema=False)
def account_list(request: Request) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        mine = accounts.my_accounts(s, actor)
    # A chat operator's account has no home to open (R-ACC-04); its chats come with the chat pages.
    openable = {a.id for a in mine if a.role and role_allows(a.role, Permission.HOME)}
    return page(request, "console/accounts.html", {"accounts": mine, "openable": openable}, section="accounts")


@router.get("/console/api/accounts", tags=TAGS, response_model=list[AccountOut],
            summary="The accounts this Business ID is a member of, with its role in each")
def api_account_list(request: Request) -> list[AccountOut]:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.my_accounts(s, actor)


@router.get("/console/accounts/new", include_in_schema=False)
def new_account_form(request: Request) -> Response:
    deps.require_business(request)
    return page(request, "console/account_new.html", section="accounts")


@router.post("/console/accounts/new", include_in_schema=False)
async def create_account(request: Request, display_name: Form_ = "", image: Upload = None) -> Response:
    actor = deps.require_business(request)
    data = await read_upload(image)
    try:
        with deps.scope(request) as s:
            account_id = accounts.create_account(s, actor, display_name=display_name, image=data).id
    except Invalid as exc:
        return page(request, "console/account_new.html",
                    {"errors": exc.by_field(), "values": {"display_name": display_name}},
                    status_code=form_status(exc), section="accounts")
    return RedirectResponse(f"/console/accounts/{account_id}?notice=created", status_code=303)


@router.post("/console/api/accounts", tags=TAGS, status_code=201, response_model=AccountOut,
             summary="Create an official account (Free, gray badge, Asia/Bangkok); you become its admin")
def api_create_account(request: Request, body: AccountCreateIn) -> AccountOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_out(accounts.create_account(s, actor, display_name=body.display_name),
                                     Role.ADMIN)


# ---------------------------------------------------------------- home, add-friend URL and QR code

def _button_snippet(url: str) -> str:
    return f'<a href="{html.escape(url)}">Add friend</a>'


@router.get("/console/accounts/{account_id}", include_in_schema=False)
def home(request: Request, account_id: int) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = accounts.account_home(s, actor, account_id)
    basic_id = out.account.basic_id
    return page(request, "console/home.html", {
        "home": out, "account": out.account,
        "button_snippet": _button_snippet(accounts.add_friend_url(basic_id, FriendPath.BUTTON)),
    }, section="home")


@router.get("/console/api/accounts/{account_id}", tags=TAGS, response_model=HomeOut,
            summary="The account's home: profile, and friends / target reach / blocks for roles that see insights")
def api_home(request: Request, account_id: int) -> HomeOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_home(s, actor, account_id)


def _qr(request: Request, account_id: int) -> tuple[segno.QRCode, str]:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        account, _ = accounts.access_account(s, actor, account_id, Permission.HOME)
        basic_id = account.basic_id
    # ?src=qr records the QR code as the friend path of everyone who scans it (R-FRD-02).
    return segno.make(accounts.add_friend_url(basic_id, FriendPath.QR), error="m"), basic_id


def _qr_headers(basic_id: str, suffix: str, download: bool) -> dict[str, str]:
    disposition = "attachment" if download else "inline"
    return {"Content-Disposition": f'{disposition}; filename="{basic_id.lstrip("@")}-qr.{suffix}"',
            "Cache-Control": "private, max-age=300"}


@router.get("/console/accounts/{account_id}/qr.png", include_in_schema=False)
def qr_png(request: Request, account_id: int, download: bool = False) -> Response:
    code, basic_id = _qr(request, account_id)
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=4)
    return Response(out.getvalue(), media_type="image/png", headers=_qr_headers(basic_id, "png", download))


@router.get("/console/accounts/{account_id}/qr.svg", include_in_schema=False)
def qr_svg(request: Request, account_id: int, download: bool = False) -> Response:
    code, basic_id = _qr(request, account_id)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=10, border=4, xmldecl=False, svgns=True,
              title=f"QR code to add {basic_id} as a friend")
    return Response(out.getvalue(), media_type="image/svg+xml", headers=_qr_headers(basic_id, "svg", download))


# ---------------------------------------------------------------- settings and verification

def _settings_page(request: Request, account_id: int, *, errors: dict[str, str] | None = None,
                   values: dict[str, str] | None = None, status_code: int = 200) -> Response:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        out = accounts.account_settings(s, actor, account_id)
    shown = {"display_name": out.account.display_name, "status_message": out.account.status_message}
    shown.update(values or {})
    return page(request, "console/settings.html", {"settings": out, "account": out.account,
                                                   "errors": errors or {}, "values": shown},
                status_code=status_code, section="settings")


@router.get("/console/accounts/{account_id}/settings", include_in_schema=False)
def settings_form(request: Request, account_id: int) -> Response:
    return _settings_page(request, account_id)


@router.post("/console/accounts/{account_id}/settings", include_in_schema=False)
async def update_settings(request: Request, account_id: int, display_name: Form_ = "",
                          status_message: Form_ = "", image: Upload = None) -> Response:
    actor = deps.require_business(request)
    data = await read_upload(image)
    try:
        with deps.scope(request) as s:
            accounts.update_account(s, actor, account_id, display_name=display_name,
                                    status_message=status_message, image=data)
    except Invalid as exc:
        return _settings_page(request, account_id, errors=exc.by_field(), status_code=form_status(exc),
                              values={"display_name": display_name, "status_message": status_message})
    return RedirectResponse(f"/console/accounts/{account_id}/settings?notice=saved", status_code=303)


@router.get("/console/api/accounts/{account_id}/settings", tags=TAGS, response_model=SettingsOut,
            summary="The account's settings, its verification applications and whether you may apply")
def api_settings(request: Request, account_id: int) -> SettingsOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_settings(s, actor, account_id)


@router.patch("/console/api/accounts/{account_id}", tags=TAGS, response_model=AccountOut,
              summary="Change the account's display name or status message")
def api_update(request: Request, account_id: int, body: AccountUpdateIn) -> AccountOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_out(accounts.update_account(
            s, actor, account_id, display_name=body.display_name, status_message=body.status_message))


@router.post("/console/api/accounts/{account_id}/image", tags=TAGS, response_model=AccountOut,
             summary="Upload the account's profile image (PNG, JPEG, GIF or WebP, at most 5 MB)")
async def api_upload_image(request: Request, account_id: int, image: Annotated[UploadFile, File()]) -> AccountOut:
    actor = deps.require_business(request)
    data = await read_upload(image)
    if not data:
        raise Invalid(field="image", reason="Choose an image file.")
    with deps.scope(request) as s:
        return accounts.account_out(accounts.update_account(s, actor, account_id, image=data))


@router.post("/console/accounts/{account_id}/verification", include_in_schema=False)
def apply_for_verification(request: Request, account_id: int, applicant_name: Form_ = "",
                           applicant_email: Form_ = "", business_name: Form_ = "",
                           website: Form_ = "") -> Response:
    actor = deps.require_business(request)
    try:
        with deps.scope(request) as s:
            accounts.apply_for_verification(s, actor, account_id, applicant_name=applicant_name,
                                            applicant_email=applicant_email, business_name=business_name,
                                            website=website)
    except Invalid as exc:
        return _settings_page(request, account_id, errors=exc.by_field(), status_code=form_status(exc), values={
            "applicant_name": applicant_name, "applicant_email": applicant_email,
            "business_name": business_name, "website": website})
    return RedirectResponse(f"/console/accounts/{account_id}/settings?notice=applied#verification",
                            status_code=303)


@router.post("/console/api/accounts/{account_id}/verification", tags=TAGS, status_code=201,
             response_model=ApplicationOut,
             summary="Apply for the verified (blue) badge; returns the application reference number")
def api_apply_for_verification(request: Request, account_id: int, body: VerificationIn) -> ApplicationOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.apply_for_verification(
            s, actor, account_id, applicant_name=body.applicant_name, applicant_email=body.applicant_email,
            business_name=body.business_name, website=body.website)


@router.get("/console/api/accounts/{account_id}/verification", tags=TAGS, response_model=list[ApplicationOut],
            summary="The account's verification applications, newest first")
def api_applications(request: Request, account_id: int) -> list[ApplicationOut]:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return accounts.account_applications(s, actor, account_id)
