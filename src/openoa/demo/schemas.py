"""What the demo command reports: the accounts it made and the logins to try them with."""

from __future__ import annotations

from pydantic import BaseModel


class DemoLogin(BaseModel):
    surface: str
    url: str
    email: str
    password: str
    who: str


class DemoAccount(BaseModel):
    id: int
    basic_id: str
    display_name: str
    package: str
    badge: str
    add_friend_url: str
    friends: int
    blocks: int
    target_reach: int


class DemoBot(BaseModel):
    """The big (Pro) account's Messaging API credentials, for a line-bot-sdk client."""

    basic_id: str
    channel_id: str
    channel_secret: str
    channel_access_token: str
    token_kind: str  # "long-lived" on the first run; a repeat mints a 30-day "short-lived" one


class DemoOut(BaseModel):
    created: bool  # False when the demo data was already there and nothing was written
    people: int  # every Chat-app person in the database
    accounts: list[DemoAccount]
    logins: list[DemoLogin]
    bot: DemoBot
