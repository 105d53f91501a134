"""The person's own profile: public details, profile image and private attributes (R-FRD-01).

Only the person themselves ever sees their private attributes here (R-FRD-04).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from starlette.responses import RedirectResponse

from openoa.core import images
from openoa.core.access import PersonActor
from openoa.core.errors import Invalid
from openoa.integrations.storage import current_storage
from openoa.users import service as users
from openoa.users.rules import Gender, PhoneOs
from openoa.users.schemas import ProfileUpdate, UserOut
from openoa.web import deps

router = APIRouter()

GENDER_OPTIONS = [(Gender.MALE.value, "Male"), (Gender.FEMALE.value, "Female")]
OS_OPTIONS = [(PhoneOs.IOS.value, "iOS"), (PhoneOs.ANDROID.value, "Android"), (PhoneOs.OTHER.value, "Other")]


def _upload(file: UploadFile | None) -> bytes | None:
    """The uploaded bytes, read at most one byte past the limit so an oversized file is refused cheaply."""
    if file is None:
        return None
    return file.file.read(images.MAX_UPLOAD_BYTES + 1)


def _birth_year(text: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise Invalid(field="birth_year", reason="Enter the year as a number, like 1990.") from None


def _page(request: Request, me: UserOut, *, values: dict[str, Any] | None = None,
          errors: dict[str, str] | None = None, saved: bool = False, status_code: int = 200) -> Response:
    return deps.render(request, "chatapp/profile.html", {
        "nav": "profile", "signed_in": True, "me": me, "saved": saved,
        "values": values if values is not None else me.model_dump(), "errors": errors or {},
        "gender_options": GENDER_OPTIONS, "os_options": OS_OPTIONS}, status_code=status_code)


def _me(request: Request, actor: PersonActor) -> UserOut:
    with deps.scope(request) as session:
        return users.user_out(users.get_me(session, actor), current_storage())


# ------------------------------------------------------------------ page

@router.get("/app/profile", include_in_schema=False)
def profile_page(request: Request, saved: bool = False,
                 actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _page(request, _me(request, actor), saved=saved)


@router.post("/app/profile", include_in_schema=False)
def save_profile(request: Request, actor: PersonActor = Depends(deps.require_person),
                       display_name: str = Form(""), status_message: str = Form(""), gender: str = Form(""),
                       birth_year: str = Form(""), area: str = Form(""), os: str = Form(""),
                       image: UploadFile | None = File(None)) -> Response:
    values = {"display_name": display_name, "status_message": status_message, "gender": gender,
              "birth_year": birth_year, "area": area, "os": os}
    data = _upload(image)
    try:
        year = _birth_year(birth_year)
        with deps.scope(request) as session:
            users.update_profile(session, actor, display_name=display_name, status_message=status_message,
                                 gender=gender, birth_year=year, area=area, os=os, image=data or None,
                                 storage=current_storage())
    except Invalid as exc:
        return _page(request, _me(request, actor), values=values, errors=exc.by_field(),
                     status_code=exc.status)
    return RedirectResponse("/app/profile?saved=1", status_code=303)


# ------------------------------------------------------------------ JSON

@router.get("/app/api/me", tags=["chat app"], response_model=UserOut, summary="Your own profile")
def api_me(request: Request, actor: PersonActor = Depends(deps.require_person)) -> UserOut:
    return _me(request, actor)


@router.patch("/app/api/me", tags=["chat app"], response_model=UserOut,
              summary="Change your profile; only the fields sent change, all or nothing")
def api_update_me(body: ProfileUpdate, request: Request,
                  actor: PersonActor = Depends(deps.require_person)) -> UserOut:
    # Unsent fields stay as they are; a field sent as null or "" clears that attribute.
    changes = body.model_dump(exclude_unset=True)
    with deps.scope(request) as session:
        user = users.update_profile(session, actor, **changes)
        return users.user_out(user, current_storage())


@router.post("/app/api/me/image", tags=["chat app"], response_model=UserOut,
             summary="Upload your profile image (PNG, JPEG, GIF or WebP, at most 5 MB)")
def api_upload_image(request: Request, image: UploadFile = File(...),
                           actor: PersonActor = Depends(deps.require_person)) -> UserOut:
    data = _upload(image)
    if not data:
        raise Invalid(field="image", reason="Choose an image to upload.")
    with deps.scope(request) as session:
        user = users.update_profile(session, actor, image=data, storage=current_storage())
        return users.user_out(user, current_storage())
