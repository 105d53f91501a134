"""Fixtures of the chat tests: a person who follows a bot's account, and files to upload."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from linebot.v3.webhooks import CallbackRequest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM, PersonActor
from openoa.users.models import User
from openoa.webhooks import rules as webhook_rules
from openoa.webhooks.models import WebhookEvent
from tests import factories
from tests.api.bots import Bot, make_bot


def png_bytes(width: int = 320, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (6, 199, 85)).save(out, format="PNG")
    return out.getvalue()


# The smallest files each sniffing rule recognises (a real encoder's first bytes).
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
M4A = b"\x00\x00\x00\x1cftypM4A \x00\x00\x00\x00M4A mp42isom" + b"\x00" * 64
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + b"\x00" * 64


@dataclass
class Pair:
    bot: Bot
    user: User
    actor: PersonActor
    scoped_id: str

    @property
    def basic_id(self) -> str:
        return self.bot.account.basic_id


def make_pair(session: Session, *, mode: str = "bot", name: str = "Echo Bot") -> Pair:
    bot = make_bot(session, name=name)
    if mode == "bot":
        channels.set_response_mode(session, SYSTEM, bot.account.id, "bot")
    user = factories.person(session, name="Mali")
    scoped = factories.friend(session, user, bot.account).user_id
    return Pair(bot, user, PersonActor(user.id), scoped)


@pytest.fixture
def pair(session: Session) -> Pair:
    """A person who added an account in Bot mode."""
    return make_pair(session)


@pytest.fixture
def chat_pair(session: Session) -> Pair:
    """A person who added an account in Chat mode."""
    return make_pair(session, mode="chat", name="Cafe Chat")


def events(session: Session, account_id: int, kind: str | None = None) -> list[dict[str, Any]]:
    """The account's stored webhook events (of one type), oldest first."""
    query = select(WebhookEvent).where(WebhookEvent.account_id == account_id).order_by(WebhookEvent.id)
    return [e.payload for e in session.scalars(query) if kind is None or e.type == kind]


def strictly_parsed(bot: Bot, event: dict[str, Any]) -> Any:
    """The event as the SDK's strict parser reads the body the bot would get (raises if malformed)."""
    body = webhook_rules.envelope(bot.bot_user_id, [webhook_rules.as_delivered(event, is_redelivery=False)])
    return CallbackRequest.from_json(body.decode()).events[0]


def as_json(value: Any) -> Any:
    return json.loads(json.dumps(value))
