"""Plain keyword factories that build state through the real services."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.core.access import SYSTEM, BusinessActor
from openoa.friends import service as friends
from openoa.users import service as users
from openoa.users.models import User

_n = itertools.count(1)
PASSWORD = "correct-horse-9"


def business(session: Session, *, email: str | None = None, name: str = "Brand Owner") -> BusinessId:
    return accounts.sign_up(session, email=email or f"owner{next(_n)}@example.com", password=PASSWORD,
                            display_name=name)


def account(session: Session, owner: BusinessId | None = None, *, name: str = "Cafe Aroi", **kw) -> OfficialAccount:  # type: ignore[no-untyped-def]
    owner = owner or business(session)
    return accounts.create_account(session, BusinessActor(owner.id), display_name=name, **kw)


def person(session: Session, *, email: str | None = None, name: str = "Somchai", **attrs) -> User:  # type: ignore[no-untyped-def]
    user = users.sign_up(session, email=email or f"person{next(_n)}@example.com", password=PASSWORD,
                         display_name=name)
    for key, value in attrs.items():
        setattr(user, key, value)
    session.flush()
    return user


def friend(session: Session, user: User, acc: OfficialAccount, *, path: str = "url"):  # type: ignore[no-untyped-def]
    return friends.add_friend(session, SYSTEM, acc.basic_id, path=path, user_id=user.id)
