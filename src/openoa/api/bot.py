"""What a bot reads about itself and its friends: bot info, a friend's profile and the follower
IDs (`MessagingApi.get_bot_info`, `get_profile`, `get_followers`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from openoa.api import deps
from openoa.channels import service as channels
from openoa.channels.schemas import BotContext, BotInfo
from openoa.friends import rules as friend_rules
from openoa.friends import service as friends
from openoa.friends.schemas import FollowerIds, FollowerProfile

router = APIRouter()
TAGS: list[str | Enum] = ["messaging api: bot"]

Bot = Annotated[BotContext, Depends(deps.bot)]


@router.get("/v2/bot/info", tags=TAGS, response_model=BotInfo, response_model_exclude_none=True,
            summary="The bot's user ID, basic and premium ID, display name, picture and chat mode")
def bot_info(request: Request, bot: Bot) -> BotInfo:
    with deps.scope(request) as s:
        return channels.bot_info(s, bot)


@router.get("/v2/bot/profile/{userId}", tags=TAGS, response_model=FollowerProfile,
            response_model_exclude_none=True,
            summary="A friend's public profile by the user ID this account sees; 404 for anyone else")
def profile(request: Request, bot: Bot, userId: str) -> FollowerProfile:  # noqa: N803 - LINE's path name
    with deps.scope(request) as s:
        return friends.follower_profile(s, bot, userId)


@router.get("/v2/bot/followers/ids", tags=TAGS, response_model=FollowerIds, response_model_exclude_none=True,
            summary="User IDs of the account's current friends, a page at a time (verified and premium "
                    "accounts only)")
def follower_ids(request: Request, bot: Bot,
                 limit: Annotated[int, Query(ge=1, le=friend_rules.FOLLOWER_IDS_MAX_LIMIT)]
                 = friend_rules.FOLLOWER_IDS_DEFAULT_LIMIT,
                 start: Annotated[str | None, Query(max_length=200)] = None) -> FollowerIds:
    with deps.scope(request) as s:
        return friends.follower_ids(s, bot, limit=limit, start=start)
