"""Bearer checks are reused for a second within one process: a revocation made here ends the
token at once; one written by another process (seen only in the database) within the second."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.channels.models import AccessToken
from openoa.core import clock as clock_module
from openoa.core.access import SYSTEM
from openoa.core.clock import FakeClock
from tests.api.bots import Bot, make_bot


def test_a_reissue_in_this_process_ends_a_recently_checked_token_at_once(client: TestClient, session: Session):
    bot: Bot = make_bot(session)
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 200  # checked and remembered
    channels.issue_long_lived_token(session, SYSTEM, bot.account.id)
    session.flush()
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 401


def test_a_revocation_seen_only_in_the_database_takes_effect_within_a_second(client: TestClient, session: Session,
                                                                             clock: FakeClock):
    bot: Bot = make_bot(session)
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 200
    # As another server process would: the row changes, this process hears nothing.
    session.execute(update(AccessToken).values(revoked_at=clock_module.now()))
    session.flush()
    clock.advance(seconds=1)
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 401


def test_a_refused_token_is_never_remembered(client: TestClient, session: Session):
    bot: Bot = make_bot(session)
    wrong = {"Authorization": "Bearer not-a-token"}
    assert client.get("/v2/bot/info", headers=wrong).status_code == 401
    assert client.get("/v2/bot/info", headers=wrong).status_code == 401
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 200
