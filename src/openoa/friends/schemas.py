"""Friendships as the Chat app, the console and scripts see them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class FriendshipOut(BaseModel):
    account_id: int
    basic_id: str
    account_name: str
    user_id: str  # the account-scoped "U…" ID the account's bots see
    friend_path: str
    blocked: bool
    followed_at: datetime


class AccountCard(BaseModel):
    """An account as a person finds it: public details and their relationship to it."""

    id: int
    basic_id: str
    display_name: str
    status_message: str
    profile_image_url: str | None
    badge: str
    is_friend: bool
    blocked: bool


class AddFriend(BaseModel):
    """A person adds an account: its basic ID (with or without '@') and the friend path."""

    basic_id: str = Field(description="Basic or premium ID, like @123abcde")
    path: str = Field(default="url", description="qr | url | button | search | profile | ad | poster | share")


class FollowerProfile(BaseModel):
    """A friend's public profile as the account's bot reads it (SDK UserProfileResponse)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    display_name: str
    user_id: str
    picture_url: str | None = None
    status_message: str | None = None
    language: str | None = None


class FollowerIds(BaseModel):
    """One page of the account's followers' user IDs (SDK GetFollowersResponse)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_ids: list[str]
    next: str | None = None
