"""A group with a member, and a bot (Bot mode) whose account the members are friends with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM, PersonActor
from openoa.groups import service as groups
from openoa.users.models import User
from openoa.webhooks.models import WebhookEvent
from tests import factories
from tests.api.bots import Bot, make_bot


@dataclass
class Scene:
    bot: Bot
    somchai: User
    nok: User
    chat_id: str

    @property
    def somchai_actor(self) -> PersonActor:
        return PersonActor(self.somchai.id)

    @property
    def nok_actor(self) -> PersonActor:
        return PersonActor(self.nok.id)


def events(session: Session, account_id: int) -> list[dict[str, Any]]:
    """The group and room events stored for an account's bot, oldest first (not its 1:1 ones)."""
    session.flush()
    stored = session.scalars(select(WebhookEvent).where(WebhookEvent.account_id == account_id)
                             .order_by(WebhookEvent.id))
    return [e.payload for e in stored if e.payload.get("source", {}).get("type") in ("group", "room")]


def make_scene(session: Session) -> Scene:
    """Somchai made "Lunch club" and invited Nok; both are friends of the bot's account (not in it yet)."""
    bot = make_bot(session, name="Noodle Bot")
    channels.set_response_mode(session, SYSTEM, bot.account.id, "bot")
    somchai = factories.person(session, name="Somchai", email="somchai@example.com")
    nok = factories.person(session, name="Nok", email="nok@example.com")
    for person in (somchai, nok):
        factories.friend(session, person, bot.account)
    card = groups.create_group(session, PersonActor(somchai.id), "Lunch club")
    groups.add_member(session, PersonActor(somchai.id), card.chat_id, "NOK@example.com ")
    return Scene(bot=bot, somchai=somchai, nok=nok, chat_id=card.chat_id)


@pytest.fixture
def scene(session: Session) -> Scene:
    """:func:`make_scene` in the test's rolled-back transaction."""
    return make_scene(session)
