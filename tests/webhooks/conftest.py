"""Fixtures of the webhook tests: a bot's receiver on loopback and an account in Bot mode."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.channels import service as channels
from openoa.core.access import BusinessActor
from openoa.webhooks import jobs as _jobs  # noqa: F401  (registers webhooks.deliver for run_due_jobs)
from openoa.webhooks import service as webhooks
from tests import factories
from tests.webhooks.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    bot = Receiver().start()
    yield bot
    bot.stop()


@pytest.fixture
def owner(session: Session) -> BusinessId:
    return factories.business(session, name="Bot Owner")


@pytest.fixture
def acc(session: Session, owner: BusinessId) -> OfficialAccount:
    return factories.account(session, owner, name="Echo Bot")


def make_bot(session: Session, owner: BusinessId, acc: OfficialAccount, url: str | None, *,
             redelivery: bool = False) -> str:
    """Put ``acc`` in Bot mode with ``url`` as its webhook; returns the channel secret."""
    actor = BusinessActor(owner.id)
    channels.set_response_mode(session, actor, acc.id, "bot")
    webhooks.update_webhook_settings(session, actor, acc.id, webhook_url=url or "", use_webhook=True,
                                     webhook_redelivery=redelivery)
    return channels.channel_of(session, acc.id).channel_secret


@pytest.fixture
def bot(session: Session, owner: BusinessId, acc: OfficialAccount, receiver: Receiver) -> Receiver:
    """``receiver`` as the webhook of ``acc`` in Bot mode (redelivery off), checking with its secret."""
    receiver.secret = make_bot(session, owner, acc, receiver.url)
    return receiver
