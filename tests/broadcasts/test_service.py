"""Broadcasts from the console on a real database, through the fan-out job: every friend once,
a maximum volume chosen at random and trimmed to what is left (R-BRD-02, R-MSG-05), refused
whole without one, counted (R-MSG-02), machine-dependent characters refused (R-MSG-06), and
only for roles that may broadcast (R-ACC-04). A refused broadcast stores nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.rules import Role
from openoa.billing import service as billing
from openoa.billing.models import MessageUsage
from openoa.broadcasts import rules
from openoa.broadcasts import service as broadcasts
from openoa.core.access import BusinessActor
from openoa.core.db import Database
from openoa.core.errors import Invalid, NotAllowed, NotFound
from openoa.core.jobs import run_due_jobs
from openoa.friends.models import Friendship
from openoa.messaging import jobs as _jobs  # noqa: F401  (registers messaging.fan_out)
from openoa.messaging import service as messaging
from openoa.messaging.models import Delivery, Send
from openoa.messaging.service import MonthlyLimitReached
from tests import factories
from tests.accounts.test_service import join
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, context


@pytest.fixture
def bot(db: Database) -> Bot:
    with db.scope() as s:
        return make_bot(s, name="Big Cafe")


def admin(bot: Bot) -> BusinessActor:
    return BusinessActor(bot.owner.id)


def reached(db: Database) -> tuple[list[int], int]:
    with db.scope() as s:
        users = list(s.scalars(select(Delivery.user_id).order_by(Delivery.user_id)))
        used = int(s.scalar(select(func.coalesce(func.sum(MessageUsage.used), 0))) or 0)
    return users, used


def test_r_brd_r_msg_02_a_broadcast_reaches_every_friend_once_and_is_counted(db: Database, bot: Bot):
    with db.scope() as s:
        friends = add_friends(s, bot.account.id, 30)
        sent = broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Sale today ☕")
    assert (sent.status, sent.target_count) == ("waiting", 30)
    run_due_jobs(db)
    assert reached(db) == (friends, 30)
    with db.scope() as s:
        recent = broadcasts.composer(s, admin(bot), bot.account.id).recent
    assert [(b.text, b.status, b.success_count) for b in recent] == [("Sale today ☕", "succeeded", 30)]


def test_the_console_lists_a_bots_broadcasts_and_narrowcasts_with_their_progress(db: Database, bot: Bot):
    with db.scope() as s:
        s.get_one(OfficialAccount, bot.account.id).package = "pro"
        add_friends(s, bot.account.id, 40)
        ctx = context(s, bot)
        messaging.broadcast(s, ctx, request_id="api-bc", messages=[{"type": "text", "text": "From the bot"}])
        messaging.narrowcast(s, ctx, request_id="api-nc", messages=[{"type": "sticker", "packageId": "446",
                                                                       "stickerId": "1988"}], limit={"max": 10})
        broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="From the console", max_recipients="5")
        push = messaging.push(s, ctx, request_id="api-push", to="U" + "0" * 32, messages=[{"type": "text",
                                                                                          "text": "one"}])
    with db.scope() as s:
        waiting = broadcasts.composer(s, admin(bot), bot.account.id).recent
    assert [(b.sent_from, b.text, b.status, b.in_flight, b.max_recipients) for b in waiting] == [
        ("Console", "From the console", "waiting", True, 5),
        ("Messaging API narrowcast", "(sticker message)", "waiting", True, 10),
        ("Messaging API broadcast", "From the bot", "waiting", True, None)]  # never a push
    assert push.request_id not in {b.request_id for b in waiting}
    run_due_jobs(db)
    with db.scope() as s:
        done = broadcasts.composer(s, admin(bot), bot.account.id).recent
    assert [(b.status, b.in_flight, b.success_count, b.target_count) for b in done] == [
        ("succeeded", False, 5, 5), ("succeeded", False, 10, 10), ("succeeded", False, 40, 40)]


def test_r_brd_02_a_maximum_volume_picks_that_many_at_random(db: Database, bot: Bot):
    with db.scope() as s:
        friends = add_friends(s, bot.account.id, 400)
        broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Only some", max_recipients="100")
    run_due_jobs(db)
    users, used = reached(db)
    assert len(users) == used == 100 and set(users) <= set(friends)
    # Chosen across the whole list, not the first hundred friends.
    assert max(users) > friends[200] and min(users) < friends[200]


def test_r_msg_05_a_maximum_volume_sends_only_as_many_as_fit(db: Database, bot: Bot):
    with db.scope() as s:
        add_friends(s, bot.account.id, 50)
        s.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, day=2, used=480))
        sent = broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Hi", max_recipients=40)
    assert (sent.target_count, sent.max_recipients) == (20, 40)  # the maximum asked for, as asked
    run_due_jobs(db)
    assert len(reached(db)[0]) == 20 and reached(db)[1] == 500


def test_r_msg_05_without_a_maximum_a_broadcast_that_does_not_fit_is_refused_whole(db: Database, bot: Bot):
    with db.scope() as s:
        add_friends(s, bot.account.id, 50)
        s.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, day=2, used=480))
    with db.scope() as s, pytest.raises(MonthlyLimitReached) as refused:
        broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Hi")
    assert refused.value.errors[0].message.startswith("This send needs 50 counted messages; 20 are left")
    with db.scope() as s:
        assert s.scalar(select(func.count()).select_from(Send)) == 0
    with db.scope() as s:  # the admin raises what is allowed, and it goes
        billing.change_package(s, admin(bot), bot.account.id, "basic")
        broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Hi")
    run_due_jobs(db)
    assert reached(db)[1] == 530


def test_r_msg_05_friends_who_unblock_before_the_fan_out_cannot_take_it_past_the_month(db: Database, bot: Bot):
    with db.scope() as s:
        friends = add_friends(s, bot.account.id, 20)
        s.execute(update(Friendship).where(Friendship.user_id == friends[0]).values(blocked=True))
        s.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, day=2, used=481))
        assert broadcasts.send_broadcast(s, admin(bot), bot.account.id, text="Hi").target_count == 19
    with db.scope() as s:  # unblocked between acceptance and the fan-out
        s.execute(update(Friendship).where(Friendship.user_id == friends[0]).values(blocked=False))
    run_due_jobs(db)
    users, used = reached(db)
    assert (len(users), used) == (19, 500)


@pytest.mark.parametrize(("text", "cap", "field", "says"), [
    ("", None, "text", "Write the message."),
    ("x" * 5001, None, "text", "Use at most 5,000 characters (this has 5,001)."),
    ("Hi \U000F0001", None, "text", "Character 4 (U+F0001"),
    ("Hi", "0", "max_recipients", "at least 1 person"),
    ("Hi", "ten", "max_recipients", "whole number of people"),
])
def test_bad_input_names_its_field_and_stores_nothing(db: Database, bot: Bot, text, cap, field, says):
    with db.scope() as s, pytest.raises(Invalid) as refused:
        add_friends(s, bot.account.id, 3)
        broadcasts.send_broadcast(s, admin(bot), bot.account.id, text=text, max_recipients=cap)
    assert says in refused.value.by_field()[field]
    with db.scope() as s:
        assert s.scalar(select(func.count()).select_from(Send)) == 0


@pytest.mark.parametrize("role", [Role.OPERATOR_NO_BROADCASTS, Role.CHAT_OPERATOR])
def test_r_acc_04_roles_without_broadcasts_are_refused(session: Session, role: str):
    made = make_bot(session)
    member = BusinessActor(join(session, made.account, made.owner, role).id)
    with pytest.raises(NotAllowed):
        broadcasts.send_broadcast(session, member, made.account.id, text="Hi")
    with pytest.raises(NotAllowed):
        broadcasts.composer(session, member, made.account.id)
    with pytest.raises(NotFound):
        broadcasts.send_broadcast(session, BusinessActor(factories.business(session).id), made.account.id, text="Hi")
    operator = BusinessActor(join(session, made.account, made.owner, Role.OPERATOR).id)
    assert broadcasts.send_broadcast(session, operator, made.account.id, text="Hi").target_count == 0
    assert session.scalar(select(Send.kind)) == rules.CONSOLE_BROADCAST
