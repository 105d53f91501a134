"""Use cases of Chat-app people on the real database (R-FRD-01)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.core.access import SYSTEM, BusinessActor, PersonActor
from openoa.core.errors import Conflict, Invalid, NotAllowed, NotFound
from openoa.users import service as users
from openoa.users.models import User
from tests import factories
from tests.factories import PASSWORD


def me(user: User) -> PersonActor:
    return PersonActor(user.id)


def test_sign_up_stores_a_hash_and_a_normalised_email(session: Session) -> None:
    user = users.sign_up(session, email=" Somchai@Example.com ", password=PASSWORD, display_name=" Somchai ")
    assert (user.email, user.display_name, user.active) == ("somchai@example.com", "Somchai", True)
    assert user.password_hash != PASSWORD and user.password_hash.startswith("$argon2id$")  # type: ignore[union-attr]
    assert users.authenticate(session, email="SOMCHAI@example.com", password=PASSWORD).id == user.id


def test_sign_up_refuses_a_taken_email_and_names_bad_fields(session: Session) -> None:
    factories.person(session, email="taken@example.com")
    with pytest.raises(Conflict) as taken:
        users.sign_up(session, email="Taken@example.com", password=PASSWORD, display_name="Again")
    assert set(taken.value.by_field()) == {"email"}
    before = session.scalar(select(func.count()).select_from(User))
    with pytest.raises(Invalid) as refused:
        users.sign_up(session, email="nope", password="password", display_name="N" * 21)
    assert set(refused.value.by_field()) == {"email", "password", "display_name"}
    assert session.scalar(select(func.count()).select_from(User)) == before


def test_wrong_password_unknown_email_and_inactive_account_get_the_same_answer(session: Session) -> None:
    factories.person(session, email="here@example.com")
    gone = factories.person(session, email="gone@example.com", active=False)
    answers = []
    for email, password in (("here@example.com", "wrong-pass-1"), ("nobody@example.com", PASSWORD),
                            (gone.email, PASSWORD)):
        with pytest.raises(Invalid) as refused:
            users.authenticate(session, email=email or "", password=password)
        answers.append(refused.value.message)
    assert len(set(answers)) == 1


def test_r_frd_01_profile_and_private_attributes_are_saved(session: Session) -> None:
    user = factories.person(session)
    users.update_profile(session, me(user), display_name="Nok", status_message="Hi!", gender="female",
                         birth_year=1990, area="th_01", os="ios")
    assert (user.display_name, user.status_message, user.gender, user.birth_year, user.area, user.os) == (
        "Nok", "Hi!", "female", 1990, "th_01", "ios")
    users.update_profile(session, me(user), gender="", area="", os="", birth_year=None)
    assert (user.gender, user.birth_year, user.area, user.os) == (None, None, None, None)


def test_r_frd_01_private_attributes_are_not_in_the_public_view(session: Session) -> None:
    user = factories.person(session, gender="male", birth_year=1980, area="th_02", os="android")
    public = users.user_out(user, private=False)
    assert (public.email, public.gender, public.birth_year, public.area, public.os) == (None,) * 5
    private = users.user_out(user)
    assert (private.gender, private.birth_year, private.area, private.os) == ("male", 1980, "th_02", "android")


def test_r_frd_01_birth_year_limits_follow_the_clock_across_new_year(session: Session, clock) -> None:  # type: ignore[no-untyped-def]
    user = factories.person(session)
    clock.set(datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC))
    with pytest.raises(Invalid) as future:
        users.update_profile(session, me(user), birth_year=2027)
    assert future.value.by_field() == {"birth_year": "The birth year cannot be in the future."}
    users.update_profile(session, me(user), birth_year=1906)  # 120 years ago is still allowed

    clock.advance(seconds=1)  # 2027-01-01 00:00:00 UTC
    users.update_profile(session, me(user), birth_year=2027)
    assert user.birth_year == 2027
    with pytest.raises(Invalid) as too_old:
        users.update_profile(session, me(user), birth_year=1906)
    assert "1907" in too_old.value.by_field()["birth_year"]


def test_r_frd_01_bad_attributes_are_refused_all_or_nothing(session: Session) -> None:
    user = factories.person(session, name="Before")
    with pytest.raises(Invalid) as refused:
        users.update_profile(session, me(user), display_name="After", gender="other", area="mars", os="symbian",
                             status_message="x" * 501)
    assert set(refused.value.by_field()) == {"gender", "area", "os", "status_message"}
    session.expire_all()
    assert session.get(User, user.id).display_name == "Before"  # type: ignore[union-attr]


def test_create_user_is_for_the_command_line_only(session: Session) -> None:
    made = users.create_user(session, SYSTEM, display_name="Demo", gender="male", birth_year=2000, area="th_03",
                             os="other")
    assert (made.email, made.password_hash, made.active) == (None, None, True)
    someone = factories.person(session)
    for actor in (me(someone), BusinessActor(1)):
        with pytest.raises(NotAllowed):
            users.create_user(session, actor, display_name="Sneaky")  # type: ignore[arg-type]
    with pytest.raises(Invalid) as refused:
        users.create_user(session, SYSTEM, display_name="", birth_year=3000, email=someone.email)
    assert set(refused.value.by_field()) == {"display_name", "birth_year", "email"}


def test_deactivated_person_no_longer_exists_for_themselves(session: Session) -> None:
    user = factories.person(session, active=False)
    with pytest.raises(NotFound):
        users.get_me(session, me(user))
