"""Sends on a real database: acceptance, counting (R-MSG-02/05), retry keys, reply tokens, and
that a refused request stores nothing and consumes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openoa.accounts.rules import Package
from openoa.billing import rules as billing
from openoa.billing.models import MessageUsage
from openoa.core import prepared
from openoa.core.access import PersonActor
from openoa.core.clock import FakeClock
from openoa.core.errors import Invalid
from openoa.core.jobs import Job
from openoa.friends import service as friends
from openoa.messaging import service
from openoa.messaging.models import Delivery, Send
from openoa.webhooks import service as webhooks
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.messaging.crowd import add_friends, context

TEXT = [{"type": "text", "text": "Hello"}]
KEY = "123e4567-e89b-12d3-a456-426614174000"


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


def _count(session: Session, model) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(select(func.count()).select_from(model)) or 0


def _scoped(session: Session, bot: Bot, user_id: int) -> str:
    return friends.scoped_user_id(session, bot.account.provider_id, user_id)


def test_r_msg_02_push_to_a_friend_delivers_once_and_counts_one(session: Session, bot: Bot):
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    accepted = service.push(session, context(session, bot), request_id="r1", to=to, messages=TEXT * 2)
    assert [set(m) for m in accepted.sent_messages] == [{"id", "quoteToken"}] * 2
    assert all(m["id"].isdigit() for m in accepted.sent_messages)
    rows = session.scalars(select(Delivery)).all()
    assert [(r.user_id, r.account_id) for r in rows] == [(person.id, bot.account.id)]
    send = session.scalar(select(Send))
    assert (send.status, send.success_count, send.counted, send.messages) == ("succeeded", 1, True, TEXT * 2)
    assert service.quota_consumption(session, context(session, bot)) == 1


def test_push_to_a_blocker_an_unknown_id_or_another_providers_user_is_accepted_not_delivered(
        session: Session, bot: Bot):
    blocker = factories.person(session)
    factories.friend(session, blocker, bot.account)
    friends.block(session, PersonActor(blocker.id), bot.account.id)
    stranger = factories.person(session)
    other = make_bot(session, name="Other")
    elsewhere = factories.friend(session, stranger, other.account).user_id
    ctx = context(session, bot)
    for to in (_scoped(session, bot, blocker.id), "U" + "0" * 32, elsewhere, _scoped(session, bot, stranger.id)):
        assert service.push(session, ctx, request_id=f"r-{to}", to=to, messages=TEXT).sent_messages
    assert _count(session, Delivery) == 0
    assert service.quota_consumption(session, ctx) == 0


def test_push_to_a_malformed_id_is_refused_and_stores_nothing(session: Session, bot: Bot):
    with pytest.raises(Invalid) as refused:
        service.push(session, context(session, bot), request_id="r1", to="nobody", messages=TEXT)
    assert refused.value.by_field() == {"to": "Invalid ID"}
    assert _count(session, Send) == 0


def test_bad_messages_are_refused_with_line_paths_and_store_nothing(session: Session, bot: Bot):
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    with pytest.raises(Invalid) as refused:
        service.push(session, context(session, bot), request_id="r1", to=to,
                     messages=[{"type": "text", "text": ""}])
    assert "messages[0].text" in refused.value.by_field()
    assert (_count(session, Send), _count(session, Delivery), _count(session, MessageUsage)) == (0, 0, 0)


def test_multicast_reaches_friends_only_and_counts_them(session: Session, bot: Bot):
    user_ids = add_friends(session, bot.account.id, 3)
    stranger = factories.person(session)
    to = [_scoped(session, bot, uid) for uid in user_ids] + [_scoped(session, bot, stranger.id)]
    service.multicast(session, context(session, bot), request_id="r1", to=to + to[:1], messages=TEXT)
    assert sorted(session.scalars(select(Delivery.user_id))) == user_ids
    assert service.quota_consumption(session, context(session, bot)) == 3


def test_r_msg_05_broadcast_that_does_not_fit_is_refused_whole_and_stores_nothing(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 10)
    session.add(MessageUsage(account_id=bot.account.id, year=2026, month=1, used=495))
    session.flush()
    ctx = context(session, bot)
    assert service.quota_consumption(session, ctx) == 495  # FakeClock starts in January 2026
    with pytest.raises(service.MonthlyLimitReached) as refused:
        service.broadcast(session, ctx, request_id="r1", messages=TEXT)
    assert refused.value.message == "You have reached your monthly limit."
    assert (_count(session, Send), _count(session, Job), _count(session, Delivery)) == (0, 0, 0)
    assert service.quota_consumption(session, ctx) == 495


def test_r_msg_05_in_flight_broadcasts_hold_their_targets(session: Session, bot: Bot):
    add_friends(session, bot.account.id, 300)
    ctx = context(session, bot)
    service.broadcast(session, ctx, request_id="r1", messages=TEXT)  # 300 waiting for the job
    with pytest.raises(service.MonthlyLimitReached):
        service.broadcast(session, ctx, request_id="r2", messages=TEXT)
    assert _count(session, Send) == 1


def test_broadcast_is_stored_with_its_job_and_a_fixed_bound(session: Session, bot: Bot):
    user_ids = add_friends(session, bot.account.id, 5)
    service.broadcast(session, context(session, bot), request_id="r1", messages=TEXT)
    send = session.scalar(select(Send))
    job = session.scalar(select(Job).where(Job.name == "messaging.fan_out"))
    assert (send.status, send.target_count, send.upper_user_id) == ("waiting", 5, user_ids[-1])
    assert job is not None and job.payload == {"send_id": send.id}
    assert _count(session, Delivery) == 0


def test_retry_key_runs_once_then_conflicts_with_the_original_answer(session: Session, bot: Bot,
                                                                    clock: FakeClock):
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    ctx = context(session, bot)
    first = service.push(session, ctx, request_id="r1", to=to, messages=TEXT, retry_key=KEY)
    with pytest.raises(service.RetryKeyAccepted) as again:
        service.push(session, ctx, request_id="r2", to=to, messages=TEXT, retry_key=KEY)
    assert (again.value.accepted_request_id, again.value.sent_messages) == ("r1", first.sent_messages)
    assert (_count(session, Send), _count(session, Delivery)) == (1, 1)
    clock.advance(hours=24, minutes=1)
    service.push(session, ctx, request_id="r3", to=to, messages=TEXT, retry_key=KEY)
    assert (_count(session, Send), _count(session, Delivery)) == (2, 2)


def test_a_malformed_retry_key_is_refused(session: Session, bot: Bot):
    with pytest.raises(Invalid):
        service.broadcast(session, context(session, bot), request_id="r1", messages=TEXT, retry_key="nope")
    assert _count(session, Send) == 0


def test_r_msg_02_reply_is_single_use_and_never_counted(session: Session, bot: Bot):
    person = factories.person(session)
    factories.friend(session, person, bot.account)
    token = webhooks.issue_reply_token(session, bot.account.id, person.id)
    ctx = context(session, bot)
    accepted = service.reply(session, ctx, request_id="r1", reply_token=token, messages=TEXT)
    assert len(accepted.sent_messages) == 1
    assert [d.user_id for d in session.scalars(select(Delivery))] == [person.id]
    assert _count(session, MessageUsage) == 0
    with pytest.raises(Invalid) as reused:
        service.reply(session, ctx, request_id="r2", reply_token=token, messages=TEXT)
    assert reused.value.message == "Invalid reply token"


def test_reply_refuses_a_retry_key_and_keeps_the_token(session: Session, bot: Bot):
    person = factories.person(session)
    factories.friend(session, person, bot.account)
    token = webhooks.issue_reply_token(session, bot.account.id, person.id)
    ctx = context(session, bot)
    with pytest.raises(Invalid):
        service.reply(session, ctx, request_id="r1", reply_token=token, messages=TEXT, retry_key=KEY)
    with pytest.raises(Invalid):
        service.reply(session, ctx, request_id="r1", reply_token=token, messages=[{"type": "nope"}])
    service.reply(session, ctx, request_id="r2", reply_token=token, messages=TEXT)


def test_delivery_counts_by_kind_and_day_in_the_accounts_timezone(session: Session, bot: Bot, clock: FakeClock):
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    ctx = context(session, bot)
    service.push(session, ctx, request_id="r1", to=to, messages=TEXT)
    day = clock.now().astimezone(ZoneInfo(bot.account.timezone)).strftime("%Y%m%d")
    assert service.delivered_on(session, ctx, "push", day) == 1
    assert service.delivered_on(session, ctx, "multicast", day) == 0
    with pytest.raises(Invalid):
        service.delivered_on(session, ctx, "push", "2026-01-01")


def test_style_7d_push_costs_a_fixed_number_of_queries(session: Session, bot: Bot,
                                                       monkeypatch: pytest.MonkeyPatch):
    person = factories.person(session)
    to = factories.friend(session, person, bot.account).user_id
    ctx = context(session, bot)
    service.push(session, ctx, request_id="warm", to=to, messages=TEXT)  # the month's usage row exists now
    engine = session.get_bind().engine
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    # The hot path's statements run on the driver's cursor (core/prepared.py), past SQLAlchemy's
    # events: watch them where they are handed to the driver, as well as the ORM's.
    run_on_driver = prepared._execute

    def watched(dialect, run, sql, bound) -> None:  # type: ignore[no-untyped-def]
        seen.append(sql)
        run_on_driver(dialect, run, sql, bound)

    monkeypatch.setattr(prepared, "_execute", watched)
    counts = []
    for n, messages in enumerate((TEXT, TEXT * 5)):
        seen.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            service.push(session, ctx, request_id=f"r{n}", to=to, messages=messages)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len([s for s in seen if not s.startswith(("SAVEPOINT", "RELEASE"))]))
    # The account's row (held), the month's use read after it, the people, the send, its
    # deliveries, the usage: no more (no loading animation was showing, so none is ended).
    assert counts == [6, 6], counts


def test_r_msg_05_push_reads_the_month_of_the_accounts_own_timezone_even_after_it_changes(
        session: Session, bot: Bot, clock: FakeClock):
    """The month whose use a push reads is the one of the account's timezone now, also after it changes."""
    clock.set(datetime(2026, 1, 31, 20, 0, tzinfo=UTC))  # February 1st, 03:00 in Bangkok
    bot.account.timezone = "Asia/Bangkok"
    to = factories.friend(session, factories.person(session), bot.account).user_id
    included = billing.included_messages(Package(bot.account.package))
    session.add(MessageUsage(account_id=bot.account.id, year=2026, month=2, used=included))
    session.flush()
    for attempt in ("first", "second"):
        with pytest.raises(service.MonthlyLimitReached):
            service.push(session, context(session, bot), request_id=attempt, to=to, messages=TEXT)
    bot.account.timezone = "UTC"  # still January 31st there: that month is untouched
    session.flush()
    service.push(session, context(session, bot), request_id="r3", to=to, messages=TEXT)
    assert session.scalar(select(MessageUsage.used).where(MessageUsage.month == 1)) == 1
