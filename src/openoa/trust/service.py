"""Use cases of platform staff accounts: create and log in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.core import clock
from openoa.core.access import Actor, SystemActor
from openoa.core.credentials import email_problem, normalise_email, password_problem
from openoa.core.errors import Conflict, FieldError, Invalid, NotAllowed
from openoa.core.security import hash_password, verify_password
from openoa.trust.models import StaffMember


def create_staff(session: Session, actor: Actor, *, email: str, password: str, display_name: str) -> StaffMember:
    """Add a platform staff member; only the operator at the command line can."""
    if not isinstance(actor, SystemActor):
        raise NotAllowed("Staff are created from the command line.")
    email = normalise_email(email)
    errors = [FieldError(f, p) for f, p in (("email", email_problem(email)), ("password", password_problem(password)))
              if p]
    if errors:
        raise Invalid(errors)
    if session.scalar(select(StaffMember.id).where(StaffMember.email == email)) is not None:
        raise Conflict(field="email", reason="A staff member with this email already exists.")
    staff = StaffMember(email=email, password_hash=hash_password(password), display_name=display_name or email,
                        created_at=clock.now())
    session.add(staff)
    session.flush()
    return staff


def authenticate(session: Session, *, email: str, password: str) -> StaffMember:
    staff = session.scalar(select(StaffMember).where(StaffMember.email == normalise_email(email)))
    if not verify_password(staff.password_hash if staff else None, password) or staff is None:
        raise Invalid(field="password", reason="The email or password is incorrect.")
    return staff
