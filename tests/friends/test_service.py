"""Use cases of friendship on the real database: paths (R-FRD-02), blocking and target reach
(R-FRD-03), provider-scoped user IDs (R-FRD-05)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.core.access import SYSTEM, BusinessActor, PersonActor
from openoa.core.errors import Conflict, Invalid, NotAllowed, NotFound
from openoa.friends import service as friends
from openoa.friends.models import Friendship
from openoa.friends.rules import FriendPath
from openoa.users.models import User
from tests import factories


@pytest.fixture
def owner(session: Session) -> BusinessId:
    return factories.business(session)


@pytest.fixture
def acc(session: Session, owner: BusinessId) -> OfficialAccount:
    return factories.account(session, owner)


@pytest.fixture
def person(session: Session) -> User:
    return factories.person(session)


def home_numbers(session: Session, owner: BusinessId, acc: OfficialAccount) -> tuple[int | None, ...]:
    home = accounts.account_home(session, BusinessActor(owner.id), acc.id)
    return home.friends, home.blocks, home.target_reach


@pytest.mark.parametrize("path", list(FriendPath))
def test_r_frd_02_friendship_records_the_path_it_came_through(session: Session, acc: OfficialAccount, person: User, path: FriendPath) -> None:
    added = friends.add_friend(session, PersonActor(person.id), acc.basic_id, path=path)
    assert (added.account_id, added.friend_path, added.blocked) == (acc.id, path.value, False)
    stored = session.scalar(select(Friendship.friend_path).where(Friendship.account_id == acc.id,
                                                                 Friendship.user_id == person.id))
    assert stored == path.value


def test_r_frd_02_unknown_path_is_refused_and_nothing_is_written(session: Session, acc: OfficialAccount, person: User) -> None:
    with pytest.raises(Invalid) as refused:
        friends.add_friend(session, PersonActor(person.id), acc.basic_id, path="billboard")
    assert set(refused.value.by_field()) == {"path"}
    assert session.scalar(select(func.count()).select_from(Friendship)) == 0


def test_r_frd_02_unknown_basic_id_is_not_found(session: Session, person: User) -> None:
    with pytest.raises(NotFound):
        friends.add_friend(session, PersonActor(person.id), "@000zzzzz")


def test_r_frd_02_adding_a_friend_twice_is_a_conflict(session: Session, acc: OfficialAccount, person: User) -> None:
    friends.add_friend(session, PersonActor(person.id), acc.basic_id, path=FriendPath.QR)
    with pytest.raises(Conflict) as twice:
        friends.add_friend(session, PersonActor(person.id), acc.basic_id.upper(), path=FriendPath.SEARCH)
    assert set(twice.value.by_field()) == {"basic_id"}
    assert session.scalar(select(func.count()).select_from(Friendship)) == 1


def test_r_frd_02_only_the_person_or_the_command_line_adds_friends(session: Session, acc: OfficialAccount, owner: BusinessId, person: User) -> None:
    with pytest.raises(NotAllowed):
        friends.add_friend(session, BusinessActor(owner.id), acc.basic_id, user_id=person.id)  # type: ignore[arg-type]
    with pytest.raises(NotAllowed):
        friends.add_friend(session, SYSTEM, acc.basic_id)  # no user named
    added = friends.add_friend(session, SYSTEM, acc.basic_id, user_id=person.id, path="poster")
    assert added.friend_path == "poster"
    inactive = factories.person(session, active=False)
    with pytest.raises(NotFound):
        friends.add_friend(session, SYSTEM, acc.basic_id, user_id=inactive.id)


def test_r_frd_03_blocked_friends_are_not_in_target_reach(session: Session, owner: BusinessId, acc: OfficialAccount) -> None:
    people = [factories.person(session) for _ in range(3)]
    for p in people:
        factories.friend(session, p, acc)
    assert home_numbers(session, owner, acc) == (3, 0, 3)
    blocked = friends.block(session, PersonActor(people[0].id), acc.id)
    assert blocked.blocked is True
    assert home_numbers(session, owner, acc) == (3, 1, 2)
    friends.unblock(session, PersonActor(people[0].id), acc.id)
    assert home_numbers(session, owner, acc) == (3, 0, 3)


def test_r_frd_03_inactive_people_are_not_in_target_reach(session: Session, owner: BusinessId, acc: OfficialAccount) -> None:
    here, leaving = factories.person(session), factories.person(session)
    factories.friend(session, here, acc)
    factories.friend(session, leaving, acc)
    leaving.active = False
    session.flush()
    assert home_numbers(session, owner, acc) == (2, 0, 1)


def test_r_frd_03_re_adding_a_blocked_account_unblocks_it(session: Session, owner: BusinessId, acc: OfficialAccount, person: User) -> None:
    actor = PersonActor(person.id)
    first = friends.add_friend(session, actor, acc.basic_id, path=FriendPath.QR)
    friends.block(session, actor, acc.id)
    again = friends.add_friend(session, actor, acc.basic_id, path=FriendPath.SEARCH)
    assert again.blocked is False
    assert again.user_id == first.user_id
    assert again.friend_path == "qr", "the friendship keeps the path it first came through"
    assert home_numbers(session, owner, acc) == (1, 0, 1)


def test_r_frd_03_blocking_a_non_friend_is_invalid(session: Session, acc: OfficialAccount, person: User) -> None:
    with pytest.raises(Invalid) as refused:
        friends.block(session, PersonActor(person.id), acc.id)
    assert set(refused.value.by_field()) == {"account_id"}
    with pytest.raises(Invalid):
        friends.unblock(session, PersonActor(person.id), acc.id)


def test_r_frd_03_blocking_twice_or_unblocking_a_friend_is_a_conflict(session: Session, acc: OfficialAccount, person: User) -> None:
    actor = PersonActor(person.id)
    factories.friend(session, person, acc)
    with pytest.raises(Conflict):
        friends.unblock(session, actor, acc.id)
    friends.block(session, actor, acc.id)
    with pytest.raises(Conflict):
        friends.block(session, actor, acc.id)


def test_r_frd_03_person_sees_their_accounts_with_blocked_ones_marked(session: Session, owner: BusinessId, person: User) -> None:
    cafe = factories.account(session, owner, name="Cafe")
    bakery = factories.account(session, owner, name="Bakery")
    stranger = factories.account(session, owner, name="Stranger")
    actor = PersonActor(person.id)
    factories.friend(session, person, cafe)
    factories.friend(session, person, bakery)
    friends.block(session, actor, bakery.id)
    assert [(c.display_name, c.blocked) for c in friends.my_friends(session, actor)] == [
        ("Bakery", True), ("Cafe", False)]
    card = friends.view_account(session, actor, stranger.basic_id)
    assert (card.is_friend, card.blocked) == (False, False)
    card = friends.view_account(session, actor, bakery.basic_id)
    assert (card.is_friend, card.blocked) == (True, True)


def test_r_frd_05_user_id_is_u_and_32_hex_and_differs_between_providers(session: Session, owner: BusinessId, person: User) -> None:
    cafe = factories.account(session, owner, name="Cafe")
    bank = factories.account(session, name="Bank")
    assert cafe.provider_id != bank.provider_id
    at_cafe = factories.friend(session, person, cafe).user_id
    at_bank = factories.friend(session, person, bank).user_id
    assert re.fullmatch(r"U[0-9a-f]{32}", at_cafe) and re.fullmatch(r"U[0-9a-f]{32}", at_bank)
    assert at_cafe != at_bank


def test_r_frd_05_same_provider_sees_the_same_user_id(session: Session, owner: BusinessId, person: User) -> None:
    cafe = factories.account(session, owner, name="Cafe")
    cafe_two = factories.account(session, owner, name="Cafe Branch")
    cafe_two.provider_id = cafe.provider_id  # both accounts under one provider (no service sets this yet)
    session.flush()
    assert factories.friend(session, person, cafe).user_id == factories.friend(session, person, cafe_two).user_id
    assert friends.scoped_user_id(session, cafe.provider_id, person.id) == \
        friends.scoped_user_id(session, cafe.provider_id, person.id)


def test_r_frd_05_different_people_get_different_ids_under_one_provider(session: Session, acc: OfficialAccount) -> None:
    first, second = factories.person(session), factories.person(session)
    assert factories.friend(session, first, acc).user_id != factories.friend(session, second, acc).user_id
