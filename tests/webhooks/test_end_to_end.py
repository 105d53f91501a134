"""From the Chat app to the bot: a person adds, blocks and unblocks an account in Bot mode
through the Chat app's JSON endpoints; the job worker delivers follow / unfollow events that
the SDK parses, naming the person by the ID scoped to the account's provider (R-FRD-05)."""

from __future__ import annotations

from linebot.v3.webhooks import FollowEvent, UnfollowEvent
from sqlalchemy import select

from openoa.core.access import BusinessActor
from openoa.core.jobs import run_due_jobs
from openoa.users.models import User
from openoa.webhooks import service as webhooks
from tests import factories
from tests.webhooks.receiver import Receiver


def _sign_up(client, email: str = "mali@example.com") -> None:  # type: ignore[no-untyped-def]
    answer = client.post("/app/api/signup", json={"email": email, "password": factories.PASSWORD,
                                                  "display_name": "Mali"})
    assert answer.status_code == 201, answer.text


def test_a_person_adding_blocking_and_unblocking_reaches_the_bot(client, db, session, acc, bot: Receiver):
    _sign_up(client)
    added = client.post("/app/api/friends", json={"basic_id": acc.basic_id, "path": "qr"})
    assert added.status_code == 201, added.text
    scoped_id = added.json()["user_id"]
    assert bot.received == []  # nothing is sent from inside the request
    assert run_due_jobs(db) == 1

    [follow_request] = bot.received
    assert follow_request.signature_ok and follow_request.strict_error is None
    [follow] = follow_request.events
    assert isinstance(follow, FollowEvent)
    assert follow.source.user_id == scoped_id and follow.follow.is_unblocked is False
    mali = session.scalar(select(User).where(User.email == "mali@example.com"))
    assert webhooks.consume_reply_token(session, acc.id, follow.reply_token) == mali.id

    assert client.post(f"/app/api/friends/{acc.id}/block").status_code == 200
    run_due_jobs(db)
    [unfollow] = bot.received[1].events
    assert isinstance(unfollow, UnfollowEvent) and unfollow.source.user_id == scoped_id

    assert client.post(f"/app/api/friends/{acc.id}/unblock").status_code == 200
    run_due_jobs(db)
    [again] = bot.received[2].events
    assert isinstance(again, FollowEvent) and again.follow.is_unblocked is True
    assert again.source.user_id == scoped_id and again.reply_token != follow.reply_token
    assert len({r.events[0].webhook_event_id for r in bot.received}) == 3


def test_a_chat_mode_account_sends_the_bot_nothing(client, db, session, owner, receiver: Receiver):
    chat = factories.account(session, owner, name="Chat Shop")
    webhooks.update_webhook_settings(session, BusinessActor(owner.id), chat.id, webhook_url=receiver.url,
                                     use_webhook=True)
    session.flush()
    _sign_up(client)
    assert client.post("/app/api/friends", json={"basic_id": chat.basic_id}).status_code == 201
    assert client.post(f"/app/api/friends/{chat.id}/block").status_code == 200
    assert run_due_jobs(db) == 0
    assert receiver.received == []
