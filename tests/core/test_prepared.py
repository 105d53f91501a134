"""Prepared statements run on the driver's cursor behave like SQLAlchemy's own: the column types
convert parameters and results (aware UTC datetimes, JSON), IN lists of any length (one array
parameter on PostgreSQL) and literal IN lists work, many rows insert in one statement, driver
errors arrive as SQLAlchemy's exceptions, and pending ORM changes are flushed first. Checked with
the Messaging API's own statements on the real schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from openoa.accounts.models import OfficialAccount
from openoa.billing.models import MessageUsage
from openoa.core import clock, prepared
from openoa.core.prepared import InsertRows, Prepared
from openoa.friends import service as friends
from openoa.messaging import queries
from openoa.messaging.models import (
    FAILED,
    SENDING,
    SUCCEEDED,
    WAITING,
    Delivery,
    Send,
)
from tests import factories

BANGKOK = timezone(timedelta(hours=7))

SEND_BY_ID = Prepared(select(Send.id, Send.accepted_at, Send.completed_at, Send.messages, Send.sent_messages,
                             Send.recipients).where(Send.id == bindparam("id")))
REQUEST_IDS = Prepared(select(Send.request_id).where(Send.account_id == bindparam("account_id"))
                       .order_by(Send.request_id))


@pytest.fixture
def account(session: Session) -> OfficialAccount:
    return factories.account(session)


def send_row(account: OfficialAccount, request_id: str, **columns: Any) -> dict[str, Any]:
    """Every column INSERT_SEND takes, for a finished push; ``columns`` override them."""
    row: dict[str, Any] = {
        "account_id": account.id, "kind": "push", "counted": True, "request_id": request_id, "retry_key": None,
        "messages": [{"type": "text", "text": "Hello"}], "sent_messages": [], "notification_disabled": False,
        "recipients": {"user_ids": []}, "status": SUCCEEDED, "target_count": 0, "success_count": 0,
        "upper_user_id": 0, "chunks_left": 0, "accepted_at": clock.now(), "completed_at": None}
    row.update(columns)
    return row


def test_an_aware_datetime_is_stored_as_utc_and_read_back_aware(session: Session, account: OfficialAccount):
    accepted = datetime(2024, 2, 29, 23, 30, 15, 123456, tzinfo=BANGKOK)
    send_id = queries.INSERT_SEND.scalar(session, **send_row(account, "r1", accepted_at=accepted))

    row = SEND_BY_ID.one(session, id=send_id)
    assert row.accepted_at == accepted and row.accepted_at.tzinfo is UTC
    assert row.accepted_at.hour == 16, "converted to UTC, not the wall time of Bangkok"
    assert row.completed_at is None
    assert session.get_one(Send, send_id).accepted_at == accepted, "the ORM reads the same instant"


def test_a_naive_datetime_is_refused_by_the_column_type(session: Session, account: OfficialAccount):
    with pytest.raises(ValueError, match="naive datetime"):
        queries.INSERT_SEND.scalar(session, **send_row(account, "r1", accepted_at=datetime(2024, 1, 1)))


def test_an_orm_written_datetime_is_read_back_aware_by_a_prepared_select(session: Session,
                                                                        account: OfficialAccount):
    done = datetime(2024, 6, 1, 0, 0, 1, tzinfo=UTC)
    send = Send(**send_row(account, "r1", completed_at=done))
    session.add(send)
    session.flush()
    assert SEND_BY_ID.one(session, id=send.id).completed_at == done


def test_json_written_by_a_prepared_insert_reads_back_equal_through_the_orm(session: Session,
                                                                           account: OfficialAccount):
    messages = [{"type": "text", "text": "สวัสดี ☕"}, {"type": "sticker", "packageId": "446", "stickerId": "1988"}]
    sent = [{"id": "1001", "quoteToken": "q"}, {"id": "1002"}]
    recipients = {"user_ids": [3, 1, 2], "note": None, "nested": {"deep": [True, 1.5]}}
    send_id = queries.INSERT_SEND.scalar(session, **send_row(
        account, "r1", messages=messages, sent_messages=sent, recipients=recipients))

    stored = session.get_one(Send, send_id)
    assert (stored.messages, stored.sent_messages, stored.recipients) == (messages, sent, recipients)
    row = SEND_BY_ID.one(session, id=send_id)
    assert (row.messages, row.sent_messages, row.recipients) == (messages, sent, recipients)


def test_insert_rows_writes_every_row_with_its_values_converted(session: Session, account: OfficialAccount):
    people = [factories.person(session) for _ in range(3)]
    send_id = queries.INSERT_SEND.scalar(session, **send_row(account, "r1"))
    at = datetime(2024, 3, 1, 7, 0, tzinfo=BANGKOK)
    queries.INSERT_DELIVERIES.run(session, [{"send_id": send_id, "account_id": account.id, "user_id": p.id,
                                             "created_at": at} for p in people])
    queries.INSERT_DELIVERIES.run(session, [])  # nothing to write: no statement

    rows = session.scalars(select(Delivery).where(Delivery.send_id == send_id).order_by(Delivery.user_id)).all()
    assert [(r.user_id, r.created_at) for r in rows] == [(p.id, at) for p in people]
    assert rows[0].created_at.tzinfo is UTC


def test_insert_rows_writes_nulls_json_and_booleans_as_the_orm_would(session: Session, account: OfficialAccount):
    # Every column of a send: JSON documents, a NULL retry key and completion time, booleans.
    sends = InsertRows(Send.__table__, list(send_row(account, "x")))
    rows = [send_row(account, "j1", messages=[{"type": "text", "text": "สวัสดี"}], recipients={"all": True}),
            send_row(account, "j2", counted=False, notification_disabled=True,
                     completed_at=datetime(2024, 1, 2, tzinfo=UTC))]
    sends.run(session, rows)

    stored = {s.request_id: s for s in session.scalars(select(Send).where(Send.account_id == account.id))}
    assert stored["j1"].messages == [{"type": "text", "text": "สวัสดี"}] and stored["j1"].recipients == {"all": True}
    assert stored["j1"].retry_key is None and stored["j1"].completed_at is None and stored["j1"].counted is True
    assert stored["j2"].counted is False and stored["j2"].notification_disabled is True
    assert stored["j2"].completed_at == datetime(2024, 1, 2, tzinfo=UTC)


def test_insert_rows_splits_what_sqlite_cannot_bind_at_once(session: Session, account: OfficialAccount,
                                                            monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(prepared, "SQLITE_MAX_PARAMETERS", 9)  # two delivery rows (4 columns) per statement
    people = [factories.person(session) for _ in range(5)]
    send_id = queries.INSERT_SEND.scalar(session, **send_row(account, "r1"))
    queries.INSERT_DELIVERIES.run(session, [{"send_id": send_id, "account_id": account.id, "user_id": p.id,
                                             "created_at": clock.now()} for p in people])
    written = session.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id)).all()
    assert sorted(written) == sorted(p.id for p in people)


def test_insert_rows_raises_sqlalchemys_integrity_error_and_writes_none_of_the_rows(
        session: Session, account: OfficialAccount):
    person = factories.person(session)
    send_id = queries.INSERT_SEND.scalar(session, **send_row(account, "r1"))
    row = {"send_id": send_id, "account_id": account.id, "user_id": person.id, "created_at": clock.now()}
    with pytest.raises(IntegrityError), session.begin_nested():
        queries.INSERT_DELIVERIES.run(session, [row, row])  # (send, user) is unique
    assert session.scalars(select(Delivery).where(Delivery.send_id == send_id)).all() == []


def test_in_lists_of_zero_one_and_three_values_pick_the_right_rows(session: Session, account: OfficialAccount):
    # REACHABLE_NAMED binds provider_id, then the IN list, then account_id: the places must hold.
    a, b, c, stranger = (factories.person(session) for _ in range(4))
    for person in (a, b, c):
        factories.friend(session, person, account)
    uid = {p.id: friends.scoped_user_id(session, account.provider_id, p.id) for p in (a, b, c, stranger)}

    def reachable(*people: Any) -> list[int]:
        return queries.REACHABLE_NAMED.scalars(session, provider_id=account.provider_id,
                                               scoped_ids=[uid[p.id] for p in people], account_id=account.id)

    assert reachable() == []
    assert reachable(b) == [b.id]
    assert reachable(c, stranger, a) == sorted([a.id, c.id])
    assert reachable(a, b, c) == sorted([a.id, b.id, c.id]), "a length seen before, other values"
    assert reachable(stranger) == []
    other = factories.account(session)
    assert queries.REACHABLE_NAMED.scalars(session, provider_id=account.provider_id, scoped_ids=[uid[a.id]],
                                           account_id=other.id) == [], "the parameter after the list is bound"


def test_literal_in_lists_inside_the_statement_need_no_parameters(session: Session, account: OfficialAccount):
    # QUOTA_USED counts only sends still waiting or sending: Send.status.in_((WAITING, SENDING)).
    session.add(MessageUsage(account_id=account.id, year=2024, month=5, used=100))
    for n, (status, target, success) in enumerate(((WAITING, 5, 2), (SENDING, 4, 0), (FAILED, 7, 1))):
        queries.INSERT_SEND.scalar(session, **send_row(account, f"r{n}", status=status, target_count=target,
                                                       success_count=success))
    assert queries.QUOTA_USED.scalar(session, account_id=account.id, year=2024, month=5) == 100 + 3 + 4
    assert queries.QUOTA_USED.scalar(session, account_id=account.id, year=2024, month=6) == 3 + 4


def test_a_unique_violation_raises_sqlalchemys_integrity_error_and_the_session_goes_on(
        session: Session, account: OfficialAccount):
    queries.INSERT_SEND.scalar(session, **send_row(account, "same"))
    with pytest.raises(IntegrityError) as refused, session.begin_nested():
        queries.INSERT_SEND.scalar(session, **send_row(account, "same"))
    dbapi = session.get_bind().dialect.loaded_dbapi
    assert isinstance(refused.value.orig, dbapi.IntegrityError)

    queries.INSERT_SEND.scalar(session, **send_row(account, "next"))
    assert REQUEST_IDS.scalars(session, account_id=account.id) == ["next", "same"]


def test_rolling_back_a_nested_block_undoes_the_prepared_writes_made_in_it(session: Session,
                                                                         account: OfficialAccount):
    queries.INSERT_SEND.scalar(session, **send_row(account, "kept"))  # the transaction's first statement
    with pytest.raises(RuntimeError), session.begin_nested():
        queries.INSERT_SEND.scalar(session, **send_row(account, "undone"))
        raise RuntimeError("the nested block fails")
    assert REQUEST_IDS.scalars(session, account_id=account.id) == ["kept"]


def test_pending_orm_changes_are_flushed_before_a_prepared_statement(session: Session, account: OfficialAccount):
    session.add(Send(**send_row(account, "pending")))
    assert REQUEST_IDS.scalars(session, account_id=account.id) == ["pending"]

    send = session.scalars(select(Send).where(Send.request_id == "pending")).one()
    send.status = FAILED
    status = Prepared(select(Send.status).where(Send.id == bindparam("id")))
    assert status.scalar(session, id=send.id) == FAILED


def test_rows_are_named_tuples_of_the_selected_columns(session: Session, account: OfficialAccount):
    terms = queries.ACCOUNT_TERMS.one(session, account_id=account.id)
    assert terms == (account.id, account.package, account.additional_message_limit, account.timezone, None, None)
    assert (terms.package, terms.timezone) == (account.package, account.timezone)


def test_one_raises_lookup_error_unless_there_is_exactly_one_row(session: Session, account: OfficialAccount):
    with pytest.raises(LookupError):
        queries.ACCOUNT_TERMS.one(session, account_id=account.id + 1000)
    for n in range(2):
        queries.INSERT_SEND.scalar(session, **send_row(account, f"r{n}"))
    with pytest.raises(LookupError):
        REQUEST_IDS.one(session, account_id=account.id)


def test_scalar_is_none_when_there_is_no_row(session: Session, account: OfficialAccount):
    assert queries.ACCOUNT_TERMS.scalar(session, account_id=account.id + 1000) is None
    assert queries.ACCOUNT_TERMS.scalar(session, account_id=account.id) == account.id


def test_an_update_returning_gives_the_row_it_changed_or_none(session: Session, account: OfficialAccount):
    usage = MessageUsage(account_id=account.id, year=2024, month=5, used=10)
    session.add(usage)
    session.flush()
    day = {"b_account_id": account.id, "b_year": 2024, "b_day": 1, "b_amount": 3}
    assert queries.ADD_USAGE.scalar(session, b_month=5, **day) == usage.id
    assert queries.ADD_USAGE.scalar(session, b_month=6, **day) is None
    session.refresh(usage)
    assert usage.used == 13


def test_run_executes_an_update_with_an_in_list(session: Session, account: OfficialAccount):
    for n in range(3):
        queries.INSERT_SEND.scalar(session, **send_row(account, f"r{n}"))
    fail = Prepared(update(Send).where(Send.request_id.in_(bindparam("b_ids", expanding=True)))
                    .values(status=FAILED))
    fail.run(session, b_ids=["r0", "r2"])
    fail.run(session, b_ids=[])
    statuses = session.execute(select(Send.request_id, Send.status).where(Send.account_id == account.id)
                               .order_by(Send.request_id)).all()
    assert [tuple(s) for s in statuses] == [("r0", FAILED), ("r1", SUCCEEDED), ("r2", FAILED)]


def test_an_empty_not_in_list_excludes_nothing(session: Session, account: OfficialAccount):
    for n in range(2):
        queries.INSERT_SEND.scalar(session, **send_row(account, f"r{n}"))
    others = Prepared(select(Send.request_id).where(Send.account_id == bindparam("account_id"),
                                                    Send.request_id.not_in(bindparam("ids", expanding=True)))
                      .order_by(Send.request_id))
    assert others.scalars(session, account_id=account.id, ids=["r1"]) == ["r0"]
    assert others.scalars(session, account_id=account.id, ids=[]) == ["r0", "r1"]


def test_an_in_list_is_one_array_parameter_on_postgresql_and_written_out_on_sqlite(session: Session):
    # psycopg parses placeholders in Python and caches only short statements: a list written out
    # as placeholders was parsed on every run (B3). SQLite's driver parses nothing in Python.
    dialect = session.get_bind().dialect
    statement = Prepared(select(Send.id).where(Send.request_id.in_(bindparam("ids", expanding=True))))
    sql, bound = statement._bound(statement._compiled(dialect), {"ids": ["a", "b", "c"]})
    if dialect.name == "postgresql":
        assert "= ANY(%(ids)b::VARCHAR(" in sql and bound == {"ids": ["a", "b", "c"]}
    else:
        assert sql.count("?") == 3 and bound == ["a", "b", "c"]


def test_an_in_list_on_a_column_whose_type_is_not_known_yet_still_runs(session: Session, account: OfficialAccount):
    # A foreign key column declared without a type takes its target's type only once that table
    # is known; a statement built before then binds an untyped list.
    untyped = column("account_id", NullType())
    statement = Prepared(select(Send.request_id).where(untyped.in_(bindparam("ids", expanding=True)))
                         .order_by(Send.request_id))
    queries.INSERT_SEND.scalar(session, **send_row(account, "r0"))
    assert statement.scalars(session, ids=[account.id]) == ["r0"]
    assert statement.scalars(session, ids=[]) == []
