"""Demo data (`openoa demo`): logins that work, two accounts, N varied people and their
friendships written set-based, scoped IDs for every friendship, and nothing twice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.channels import service as channels
from openoa.core import clock
from openoa.core.access import SYSTEM, BusinessActor, PersonActor, StaffActor
from openoa.core.errors import Invalid
from openoa.demo import queries, rules
from openoa.demo import service as demo
from openoa.friends import service as friends
from openoa.friends.models import Friendship, ScopedUserId
from openoa.friends.rules import FriendPath
from openoa.messaging import service as messaging
from openoa.messaging.models import Send
from openoa.trust import service as trust
from openoa.users import service as users
from openoa.users.models import User

N = 500
SCOPED_ID = re.compile(r"^U[0-9a-f]{32}$")


def _demo_people(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.email.is_(None))).all())


@pytest.fixture
def loaded(session: Session):  # type: ignore[no-untyped-def]
    return demo.create_demo(session, SYSTEM, users=N)


def test_demo_makes_n_people_without_logins(session: Session, loaded) -> None:
    people = _demo_people(session)
    assert len(people) == N
    assert loaded.created and loaded.people == N + 1  # and the Chat-app login
    assert all(p.password_hash is None and p.active for p in people)
    assert len({p.display_name for p in people}) == N


def test_r_frd_01_demo_people_have_varied_attributes(session: Session, loaded) -> None:
    people = _demo_people(session)
    year = clock.now().year
    ages = [year - p.birth_year for p in people if p.birth_year is not None]
    assert len(ages) == N and min(ages) >= rules.YOUNGEST_AGE and max(ages) <= rules.OLDEST_AGE
    assert min(ages) < 25 and max(ages) > 65  # spread over the whole range, not bunched
    genders = {p.gender for p in people}
    assert {"male", "female"} <= genders
    areas = [p.area for p in people]
    thai = [a for a in areas if a and a.startswith("th_")]
    assert len(set(thai)) == 8 and len(thai) > 0.85 * N
    assert any(a and a.startswith(("jp_", "tw_")) for a in areas)
    assert {"android", "ios"} <= {p.os for p in people}


def test_r_frd_02_demo_friendships_use_every_friend_path(session: Session, loaded) -> None:
    pro, free = loaded.accounts
    for account in (pro, free):
        paths = set(session.scalars(select(Friendship.friend_path).where(Friendship.account_id == account.id)))
        assert paths == {p.value for p in FriendPath}
    assert pro.friends == N + 1  # every demo person, and the Chat-app login
    assert 0.25 * N < free.friends < 0.45 * N


def test_r_frd_03_about_five_percent_have_blocked(session: Session, loaded) -> None:
    rows = session.execute(select(Friendship.blocked, Friendship.followed_at, Friendship.blocked_at)).all()
    blocked = [r for r in rows if r.blocked]
    assert 0.02 < len(blocked) / len(rows) < 0.09
    now = clock.now()
    assert all(r.followed_at <= r.blocked_at <= now for r in blocked)
    assert all(r.blocked_at is None for r in rows if not r.blocked)
    pro = loaded.accounts[0]
    assert pro.target_reach == pro.friends - pro.blocks


def test_demo_friendships_spread_over_two_years(session: Session, loaded) -> None:
    followed = list(session.scalars(select(Friendship.followed_at)))
    now = clock.now()
    assert all(now - rules.FRIENDS_SINCE <= f <= now for f in followed)
    assert max(followed) - min(followed) > timedelta(days=600)


def test_r_frd_05_every_demo_friendship_has_a_unique_scoped_id(session: Session, loaded) -> None:
    rows = session.execute(
        select(Friendship.user_id, ScopedUserId.scoped_id)
        .join(OfficialAccount, OfficialAccount.id == Friendship.account_id)
        .outerjoin(ScopedUserId, (ScopedUserId.user_id == Friendship.user_id)
                   & (ScopedUserId.provider_id == OfficialAccount.provider_id))).all()
    ids = [r.scoped_id for r in rows]
    assert len(rows) == loaded.accounts[0].friends + loaded.accounts[1].friends
    assert all(i is not None and SCOPED_ID.match(i) for i in ids)
    assert len(set(ids)) == len(ids)
    # The service hands out the same ID the set-based insert wrote.
    pro = session.get(OfficialAccount, loaded.accounts[0].id)
    some = rows[-1]
    assert friends.scoped_user_id(session, pro.provider_id, some.user_id) in ids


def test_r_acc_demo_logins_work_and_have_their_roles(session: Session, loaded) -> None:
    emails = [login.email for login in loaded.logins]
    assert emails == [rules.ADMIN_EMAIL, rules.OPERATOR_EMAIL, rules.STAFF_EMAIL, rules.PERSON_EMAIL]
    assert {login.password for login in loaded.logins} == {rules.PASSWORD}
    admin = accounts.authenticate(session, email=rules.ADMIN_EMAIL, password=rules.PASSWORD)
    operator = accounts.authenticate(session, email=rules.OPERATOR_EMAIL, password=rules.PASSWORD)
    staff = trust.authenticate(session, email=rules.STAFF_EMAIL, password=rules.PASSWORD)
    person = users.authenticate(session, email=rules.PERSON_EMAIL, password=rules.PASSWORD)

    pro, free = loaded.accounts
    assert (pro.package, pro.badge, free.package, free.badge) == ("pro", "blue", "free", "gray")
    mine = {a.id: a.role for a in accounts.my_accounts(session, BusinessActor(admin.id))}
    assert mine == {pro.id: "admin", free.id: "admin"}
    theirs = {a.id: a.role for a in accounts.my_accounts(session, BusinessActor(operator.id))}
    assert theirs == {pro.id: "operator", free.id: "operator"}
    assert [a.basic_id for a in friends.my_friends(session, PersonActor(person.id))] == [pro.basic_id]
    pending = accounts.list_applications(session, StaffActor(staff.id))
    assert [(a.account_id, a.status) for a in pending] == [(free.id, "pending")]


def test_demo_again_writes_nothing_and_gives_the_logins_again(session: Session, loaded) -> None:
    counts = [session.scalar(select(func.count()).select_from(m)) for m in (User, Friendship, ScopedUserId,
                                                                          BusinessId, OfficialAccount)]
    again = demo.create_demo(session, SYSTEM, users=N)
    assert not again.created
    assert again.accounts == loaded.accounts and again.logins == loaded.logins and again.people == loaded.people
    assert [session.scalar(select(func.count()).select_from(m)) for m in (User, Friendship, ScopedUserId,
                                                                        BusinessId, OfficialAccount)] == counts


def test_r_msg_04_the_big_account_is_pro_with_room_to_send_to_every_friend_and_a_working_token(
        session: Session, loaded) -> None:
    pro = session.get_one(OfficialAccount, loaded.accounts[0].id)
    assert (pro.package, pro.additional_message_limit) == ("pro", rules.additional_limit(N))
    assert pro.additional_limit_ceiling >= pro.additional_message_limit
    bot = loaded.bot
    assert (bot.basic_id, bot.token_kind) == (pro.basic_id, "long-lived")
    ctx = channels.authenticate_bearer(session, f"Bearer {bot.channel_access_token}")
    assert (ctx.account_id, ctx.channel_id) == (pro.id, bot.channel_id)
    assert channels.channel_of(session, pro.id).channel_secret == bot.channel_secret
    # Every friend, ten times over, fits this month's quota.
    for n in range(rules.SENDS_PER_MONTH):
        messaging.broadcast(session, ctx, request_id=f"demo-{n}", messages=[{"type": "text", "text": "Hi"}])
    assert session.scalar(select(func.count()).select_from(Send).where(Send.account_id == pro.id)) == 10


def test_demo_again_mints_a_short_lived_token_and_keeps_the_long_lived_one(session: Session, loaded) -> None:
    again = demo.create_demo(session, SYSTEM, users=N)
    assert again.bot.token_kind == "short-lived"
    assert again.bot.channel_access_token != loaded.bot.channel_access_token
    for token in (loaded.bot.channel_access_token, again.bot.channel_access_token):
        assert channels.authenticate_bearer(session, f"Bearer {token}").account_id == loaded.accounts[0].id


def test_the_additional_limit_grows_with_the_crowd_within_the_largest_ceiling() -> None:
    assert rules.additional_limit(300) == 100_000
    assert rules.additional_limit(1_000_000) == 10_000_000
    assert rules.additional_limit(10**9) == rules.LARGEST_LIMIT


@pytest.mark.parametrize("size", [0, -1, rules.MAX_USERS + 1, 10**30])
def test_demo_refuses_sizes_outside_1_to_a_million(session: Session, size: int) -> None:
    with pytest.raises(Invalid) as refused:
        demo.create_demo(session, SYSTEM, users=size)
    assert refused.value.by_field().keys() == {"users"}
    assert session.scalar(select(func.count()).select_from(BusinessId)) == 0
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_people_advance_the_progress_once_per_chunk(session: Session) -> None:
    steps: list[int] = []
    demo.create_demo(session, SYSTEM, users=120, on_progress=steps.append)
    assert steps == [120]
    assert rules.chunks(120_001) == [(1, 50_000), (50_001, 100_000), (100_001, 120_001)]


def test_demo_attributes_are_arithmetic_on_n(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    now = clock.now()
    for _ in range(2):
        session.execute(queries.insert_people(1, 40, dialect=dialect, now=now))
    rows = session.execute(select(User.display_name, User.gender, User.birth_year, User.area, User.os,
                                  User.created_at)).all()
    by_n: dict[str, set[tuple[object, ...]]] = {}
    for row in rows:
        by_n.setdefault(row.display_name, set()).add(tuple(row[1:]))
    assert len(by_n) == 40 and all(len(versions) == 1 for versions in by_n.values())


def test_demo_statements_compile_for_both_databases() -> None:
    now = clock.now()
    for dialect, compiler, random_id in (("sqlite", sqlite.dialect(), "randomblob"),
                                         ("postgresql", postgresql.dialect(), "md5(")):
        people = str(queries.insert_people(1, 50_000, dialect=dialect, now=now).compile(dialect=compiler))
        assert people.startswith("WITH RECURSIVE seq(n) AS") and "INSERT INTO users" in people
        scoped = str(queries.insert_scoped_ids(1, "P1", after_user_id=0, last_user_id=10,
                                               dialect=dialect).compile(dialect=compiler))
        assert random_id in scoped and "INSERT INTO scoped_user_ids" in scoped
    with pytest.raises(ValueError):
        queries.insert_people(1, 10, dialect="mysql", now=now)
