"""What the Chat app and the Messaging API show of groups and rooms."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class GroupIn(BaseModel):
    """A new group; an empty name makes a multi-person chat (room)."""

    name: str = ""


class MemberIn(BaseModel):
    """Add a person who already uses the Chat app, by their email."""

    email: str


class AccountIn(BaseModel):
    """Invite an official account you are friends with, by its basic ID."""

    basic_id: str


class PostIn(BaseModel):
    text: str


class GroupCard(BaseModel):
    chat_id: str
    kind: str
    name: str
    member_count: int


class MemberOut(BaseModel):
    user_id: int
    display_name: str


class GroupAccountOut(BaseModel):
    account_id: int
    basic_id: str
    display_name: str


class PostOut(BaseModel):
    message_id: str
    type: str
    message: dict[str, Any]
    author: str
    from_account: bool
    mine: bool
    sent_at: datetime


class GroupPage(BaseModel):
    """A group as its members see it: who is in, which accounts, the posts, whom one can invite."""

    group: GroupCard
    members: list[MemberOut]
    accounts: list[GroupAccountOut]
    posts: list[PostOut]
    invitable: list[GroupAccountOut]


# ---------------------------------------------------------------- Messaging API (LINE's wire names)

class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class GroupSummary(_Wire):
    """SDK GroupSummaryResponse."""

    group_id: str
    group_name: str
    picture_url: str | None = None


class MemberCount(_Wire):
    """SDK GroupMemberCountResponse / RoomMemberCountResponse: people only, not the account."""

    count: int


class MemberIds(_Wire):
    """SDK MembersIdsResponse: at most 100 IDs, ``next`` while more remain."""

    member_ids: list[str] = Field(max_length=100)
    next: str | None = None


class MemberProfile(_Wire):
    """SDK GroupUserProfileResponse / RoomUserProfileResponse."""

    display_name: str
    user_id: str
    picture_url: str | None = None


class AccountPost(BaseModel):
    """What a bot's push or reply left in a group: the sent message's ID and quote token."""

    id: str
    quote_token: str | None = None
