"""Live chats over the WebSocket of the real app: only this site's pages of a logged-in person may
listen; a message for them arrives as a notice after commit (never on rollback); and messages
written by another process reach the socket through the catch-up poller within about a second."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.core.db import Database, upgrade
from openoa.core.settings import Settings
from openoa.friends.service import scoped_user_id
from openoa.messaging import service as messaging
from openoa.users.models import User
from tests import factories
from tests.api.bots import Bot, make_bot
from tests.conftest import make_client
from tests.messaging.crowd import context

ORIGIN = {"origin": "http://testserver"}


def sign_up(client: TestClient, email: str = "mali@example.com") -> None:
    response = client.post("/app/api/signup", json={"email": email, "password": factories.PASSWORD,
                                                    "display_name": "Mali"})
    assert response.status_code == 201, response.text


def push_text(session: Session, bot: Bot, user_id: int, text: str) -> None:
    to = scoped_user_id(session, bot.account.provider_id, user_id)
    messaging.push(session, context(session, bot), request_id=f"req-{text}", to=to,
                   messages=[{"type": "text", "text": text}])


def test_anonymous_and_foreign_origin_sockets_are_refused(client: TestClient, other_client: TestClient):
    with pytest.raises(WebSocketDisconnect) as anonymous:
        with client.websocket_connect("/app/ws", headers=ORIGIN) as ws:
            ws.receive_json()
    assert anonymous.value.code == 1008
    sign_up(other_client)
    with pytest.raises(WebSocketDisconnect) as foreign:
        with other_client.websocket_connect("/app/ws", headers={"origin": "https://evil.example"}) as ws:
            ws.receive_json()
    assert foreign.value.code == 1008
    with pytest.raises(WebSocketDisconnect):
        with other_client.websocket_connect("/app/ws") as ws:  # no Origin: not a page of ours
            ws.receive_json()


def test_a_push_reaches_the_open_socket_as_a_notice_after_commit_only(client: TestClient, db: Database):
    sign_up(client)
    with db.scope() as session:
        bot = make_bot(session, name="Echo Bot")
        user = session.scalars(select(User).where(User.email == "mali@example.com")).one()
        factories.friend(session, user, bot.account)
    with client.websocket_connect("/app/ws", headers=ORIGIN) as ws:
        with pytest.raises(RuntimeError), db.scope() as session:
            push_text(session, bot, user.id, "never")
            raise RuntimeError("the request failed after the send")
        with db.scope() as session:
            push_text(session, bot, user.id, "hello")
        assert ws.receive_json() == {"type": "messages", "accountId": bot.account.id}
        # The page then fetches: only the committed message is there.
        page = client.get(f"/app/api/chats/{bot.account.basic_id}/messages").json()
        assert [i["message"]["text"] for i in page["items"]] == ["hello"]


def test_the_persons_own_message_is_told_to_their_other_pages(client: TestClient, db: Database):
    sign_up(client)
    with db.scope() as session:
        bot = make_bot(session, name="Echo Bot")
        channels.set_response_mode(session, SYSTEM, bot.account.id, "bot")
        user = session.scalars(select(User).where(User.email == "mali@example.com")).one()
        factories.friend(session, user, bot.account)
    with client.websocket_connect("/app/ws", headers=ORIGIN) as ws:
        sent = client.post(f"/app/api/chats/{bot.account.basic_id}/messages", json={"type": "text", "text": "hi"})
        assert sent.status_code == 201
        assert ws.receive_json() == {"type": "messages", "accountId": bot.account.id}


ANOTHER_PROCESS = textwrap.dedent("""
    import sys
    from openoa.channels.service import authenticate_bearer
    from openoa.core.db import Database
    from openoa.messaging import service
    db = Database.from_url(sys.argv[1])
    with db.scope() as session:
        bot = authenticate_bearer(session, "Bearer " + sys.argv[2])
        service.push(session, bot, request_id="other-process", to=sys.argv[3],
                     messages=[{"type": "text", "text": "from another process"}])
""")


def test_messages_written_by_another_process_reach_the_socket_within_about_a_second(tmp_path: Path,
                                                                                    settings: Settings):
    from openoa.web.app import create_app

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    db = Database.from_url(url)
    try:
        client = make_client(create_app(settings, db=db, worker=False))
        sign_up(client)
        with db.scope() as session:
            bot = make_bot(session, name="Echo Bot")
            user = session.scalars(select(User).where(User.email == "mali@example.com")).one()
            to = factories.friend(session, user, bot.account).user_id
        with client.websocket_connect("/app/ws", headers=ORIGIN) as ws:
            started = time.monotonic()
            subprocess.run([sys.executable, "-c", ANOTHER_PROCESS, url, bot.token, to], check=True, timeout=60)
            written = time.monotonic()
            assert ws.receive_json() == {"type": "messages", "accountId": bot.account.id}
            assert time.monotonic() - written < 2.5, "the catch-up poller runs every second"
            assert written > started
    finally:
        db.engine.dispose()
