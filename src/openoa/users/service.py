"""Use cases of Chat-app people: sign up, log in, profile and private attributes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.core import clock, images
from openoa.core.access import Actor, PersonActor, SystemActor
from openoa.core.credentials import email_problem, normalise_email, password_problem
from openoa.core.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from openoa.core.security import hash_password, verify_password
from openoa.integrations.ports import Storage
from openoa.users import rules
from openoa.users.models import User
from openoa.users.schemas import UserOut

_UNSET: Any = object()


def user_out(user: User, storage: Storage | None = None, *, private: bool = True) -> UserOut:
    """A person as they themselves see it (``private``) or as the public sees it."""
    url = storage.url(user.profile_image) if storage and user.profile_image else None
    out = UserOut(id=user.id, display_name=user.display_name, status_message=user.status_message,
                  profile_image_url=url)
    if private:
        out.email, out.gender, out.birth_year, out.area, out.os = (
            user.email, user.gender, user.birth_year, user.area, user.os)
    return out


def _attribute_errors(gender: str | None, birth_year: int | None, area: str | None,
                      os: str | None) -> list[FieldError]:
    errors = []
    if gender and gender not in rules.Gender.__members__.values():
        errors.append(FieldError("gender", "Choose male or female, or leave it unset."))
    if birth_year is not None:
        problem = rules.birth_year_problem(birth_year, clock.now().year)
        if problem:
            errors.append(FieldError("birth_year", problem))
    if area and area not in rules.AREAS:
        errors.append(FieldError("area", "Choose an area from the list."))
    if os and os not in rules.PhoneOs.__members__.values():
        errors.append(FieldError("os", "Choose iOS, Android or other."))
    return errors


def sign_up(session: Session, *, email: str, password: str, display_name: str) -> User:
    """Create a Chat-app account; refuses a taken email or a weak password."""
    email = normalise_email(email)
    errors = []
    for name, problem in (("email", email_problem(email)), ("password", password_problem(password)),
                          ("display_name", rules.display_name_problem(display_name))):
        if problem:
            errors.append(FieldError(name, problem))
    if errors:
        raise Invalid(errors)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(field="email", reason="An account with this email already exists.")
    user = User(email=email, password_hash=hash_password(password), display_name=display_name.strip(),
                status_message="", created_at=clock.now(), active=True)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent sign-up took the email between check and insert
        raise Conflict(field="email", reason="An account with this email already exists.") from exc
    return user


def create_user(session: Session, actor: Actor, *, display_name: str, gender: str | None = None,
                birth_year: int | None = None, area: str | None = None, os: str | None = None,
                email: str | None = None, password: str | None = None) -> User:
    """Create a person from the command line (scripting and demo data)."""
    if not isinstance(actor, SystemActor):
        raise NotAllowed("Only the platform operator can create users directly.")
    errors = _attribute_errors(gender, birth_year, area, os)
    problem = rules.display_name_problem(display_name)
    if problem:
        errors.insert(0, FieldError("display_name", problem))
    if email is not None:
        email = normalise_email(email)
        if (p := email_problem(email)):
            errors.append(FieldError("email", p))
        elif session.scalar(select(User.id).where(User.email == email)) is not None:
            errors.append(FieldError("email", "An account with this email already exists."))
    if password is not None and (p := password_problem(password)):
        errors.append(FieldError("password", p))
    if errors:
        raise Invalid(errors)
    user = User(email=email, password_hash=hash_password(password) if password else None,
                display_name=display_name.strip(), status_message="", gender=gender or None,
                birth_year=birth_year, area=area or None, os=os or None, active=True,
                created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User:
    """The person with these credentials; one message whether the email or password is wrong."""
    user = session.scalar(select(User).where(User.email == normalise_email(email)))
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.active:
        raise Invalid(field="password", reason="The email or password is incorrect.")
    return user


def get_me(session: Session, actor: PersonActor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise NotFound("This account no longer exists.")
    return user


def update_profile(session: Session, actor: PersonActor, *, display_name: str | None = None,
                   status_message: str | None = None, gender: Any = _UNSET, birth_year: Any = _UNSET,
                   area: Any = _UNSET, os: Any = _UNSET, image: bytes | None = None,
                   storage: Storage | None = None) -> User:
    """Change the public profile and private attributes; all-or-nothing."""
    user = get_me(session, actor)
    errors: list[FieldError] = []
    if display_name is not None and (p := rules.display_name_problem(display_name)):
        errors.append(FieldError("display_name", p))
    if status_message is not None and len(status_message) > rules.STATUS_MESSAGE_MAX:
        errors.append(FieldError("status_message", f"Use at most {rules.STATUS_MESSAGE_MAX} characters."))
    errors += _attribute_errors(
        None if gender is _UNSET else gender, None if birth_year is _UNSET else birth_year,
        None if area is _UNSET else area, None if os is _UNSET else os)
    png = None
    if image:
        try:
            png = images.profile_image(image)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid(errors)
    if display_name is not None:
        user.display_name = display_name.strip()
    if status_message is not None:
        user.status_message = status_message
    if gender is not _UNSET:
        user.gender = gender or None
    if birth_year is not _UNSET:
        user.birth_year = birth_year
    if area is not _UNSET:
        user.area = area or None
    if os is not _UNSET:
        user.os = os or None
    if png is not None and storage is not None:
        user.profile_image = storage.save(png, suffix="png")
    session.flush()
    return user
