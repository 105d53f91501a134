"""What the console, the CLI and the Messaging API show of a channel."""

from __future__ import annotations

from pydantic import BaseModel


class ChannelOut(BaseModel):
    account_id: int
    channel_id: str
    channel_secret: str
    bot_user_id: str
    response_mode: str
    webhook_url: str | None
    use_webhook: bool
    webhook_redelivery: bool


class IssuedToken(BaseModel):
    """A token as handed out once; only its hash is kept."""

    access_token: str


class BotContext(BaseModel):
    """Who a Messaging API request acts for, after its bearer token was checked."""

    account_id: int
    channel_pk: int
    channel_id: str
    provider_id: str
    bot_user_id: str
    token_kind: str
