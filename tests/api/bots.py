"""A bot's side of an account, made through the real services: the account, its channel
credentials (channel ID and secret) and a long-lived access token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from tests import factories


@dataclass
class Bot:
    owner: BusinessId
    account: OfficialAccount
    channel_id: str
    channel_secret: str
    bot_user_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_bot(session: Session, *, name: str = "Cafe Aroi", badge: str = "gray") -> Bot:
    """An account (created by the platform operator, so any badge) with an admin and a long-lived token."""
    owner = factories.business(session)
    account = accounts.create_account(session, SYSTEM, display_name=name, badge=badge, admin_business_id=owner.id)
    channel = channels.get_channel(session, SYSTEM, account.id)
    token = channels.issue_long_lived_token(session, SYSTEM, account.id).access_token
    return Bot(owner=owner, account=account, channel_id=channel.channel_id, channel_secret=channel.channel_secret,
               bot_user_id=channel.bot_user_id, token=token)
