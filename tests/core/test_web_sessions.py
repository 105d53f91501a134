"""Login sessions: random cookie tokens stored hashed, expiring by the clock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.core import web_sessions
from openoa.core.security import hash_token
from openoa.core.web_sessions import BUSINESS, STAFF, USER, WebSession


def test_session_resolves_to_its_subject_until_it_expires(session: Session, clock) -> None:  # type: ignore[no-untyped-def]
    token = web_sessions.start(session, BUSINESS, 7, days=14)
    assert web_sessions.resolve(session, BUSINESS, token) == 7
    clock.advance(days=14, seconds=-1)
    assert web_sessions.resolve(session, BUSINESS, token) == 7
    clock.advance(seconds=1)
    assert web_sessions.resolve(session, BUSINESS, token) is None


def test_token_is_stored_only_as_its_hash(session: Session) -> None:
    token = web_sessions.start(session, USER, 3, days=1)
    stored = session.scalars(select(WebSession.token_hash)).all()
    assert token not in stored
    assert hash_token(token) in stored


def test_token_of_one_surface_does_not_open_another(session: Session) -> None:
    token = web_sessions.start(session, USER, 3, days=1)
    assert web_sessions.resolve(session, BUSINESS, token) is None
    assert web_sessions.resolve(session, STAFF, token) is None


def test_unknown_or_missing_tokens_resolve_to_nobody(session: Session) -> None:
    assert web_sessions.resolve(session, BUSINESS, None) is None
    assert web_sessions.resolve(session, BUSINESS, "") is None
    assert web_sessions.resolve(session, BUSINESS, "made-up") is None


def test_end_logs_out_one_session(session: Session) -> None:
    first = web_sessions.start(session, BUSINESS, 5, days=1)
    second = web_sessions.start(session, BUSINESS, 5, days=1)
    web_sessions.end(session, first)
    assert web_sessions.resolve(session, BUSINESS, first) is None
    assert web_sessions.resolve(session, BUSINESS, second) == 5


def test_end_all_logs_out_everywhere_but_the_kept_session(session: Session) -> None:
    here = web_sessions.start(session, BUSINESS, 5, days=1)
    elsewhere = web_sessions.start(session, BUSINESS, 5, days=1)
    someone_else = web_sessions.start(session, BUSINESS, 6, days=1)
    same_id_other_surface = web_sessions.start(session, USER, 5, days=1)
    web_sessions.end_all(session, BUSINESS, 5, keep=here)
    assert web_sessions.resolve(session, BUSINESS, here) == 5
    assert web_sessions.resolve(session, BUSINESS, elsewhere) is None
    assert web_sessions.resolve(session, BUSINESS, someone_else) == 6
    assert web_sessions.resolve(session, USER, same_id_other_surface) == 5


def test_extend_pushes_the_expiry_from_now(session: Session, clock) -> None:  # type: ignore[no-untyped-def]
    token = web_sessions.start(session, STAFF, 1, days=1)
    clock.advance(hours=23)
    web_sessions.extend(session, token, days=1)
    clock.advance(hours=23)
    assert web_sessions.resolve(session, STAFF, token) == 1
    clock.advance(hours=1)
    assert web_sessions.resolve(session, STAFF, token) is None
