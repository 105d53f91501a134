"""Groups and rooms the bot's account is in (`MessagingApi.get_group_summary`,
`get_group_member_count`, `get_group_members_ids`, `get_group_member_profile`, `leave_group`
and their `room` twins). Another account's group is "Not found", as one that does not exist."""

# No `from __future__ import annotations`: the shared routes below annotate their path
# parameter with its LINE name (groupId or roomId) from the enclosing function, which
# FastAPI can only read from evaluated annotations.

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request

from openoa.api import deps
from openoa.channels.schemas import BotContext
from openoa.groups import service as groups
from openoa.groups.rules import GroupKind
from openoa.groups.schemas import GroupSummary, MemberCount, MemberIds, MemberProfile

router = APIRouter()
TAGS: list[str | Enum] = ["messaging api: groups and rooms"]

Bot = Annotated[BotContext, Depends(deps.bot)]
Start = Annotated[str | None, Query(max_length=200)]


@router.get("/v2/bot/group/{groupId}/summary", tags=TAGS, response_model=GroupSummary,
            response_model_exclude_none=True, summary="A group's ID, name and picture")
def group_summary(request: Request, bot: Bot, groupId: str) -> GroupSummary:  # noqa: N803 - LINE's path name
    with deps.scope(request) as s:
        return groups.group_summary(s, bot, groupId)


def _add_routes(kind: GroupKind, name: str) -> None:
    """The four endpoints groups and rooms share, under /v2/bot/{kind}/{id}/…."""
    base = f"/v2/bot/{kind.value}/{{{name}}}"
    ChatId = Annotated[str, Path(alias=name)]  # noqa: N806 - a type

    def count(request: Request, bot: Bot, chat_id: ChatId) -> MemberCount:
        with deps.scope(request) as s:
            return groups.member_count(s, bot, kind, chat_id)

    def ids(request: Request, bot: Bot, chat_id: ChatId, start: Start = None) -> MemberIds:
        with deps.scope(request) as s:
            return groups.member_ids(s, bot, kind, chat_id, start)

    def profile(request: Request, bot: Bot, chat_id: ChatId, userId: str) -> MemberProfile:  # noqa: N803
        with deps.scope(request) as s:
            return groups.member_profile(s, bot, kind, chat_id, userId)

    def leave(request: Request, bot: Bot, chat_id: ChatId) -> dict[str, Any]:
        with deps.scope(request) as s:
            groups.bot_leave(s, bot, kind, chat_id)
        return {}

    label = "group" if kind == GroupKind.GROUP else "multi-person chat (room)"
    router.add_api_route(f"{base}/members/count", count, methods=["GET"], tags=TAGS, response_model=MemberCount,
                         name=f"{kind.value}_member_count", operation_id=f"get_{kind.value}_member_count",
                         summary=f"How many people are in the {label}, the account not counted")
    router.add_api_route(f"{base}/members/ids", ids, methods=["GET"], tags=TAGS, response_model=MemberIds,
                         response_model_exclude_none=True, name=f"{kind.value}_members_ids",
                         operation_id=f"get_{kind.value}_members_ids",
                         summary=f"User IDs of the {label}'s members who posted there, 100 a page")
    router.add_api_route(f"{base}/member/{{userId}}", profile, methods=["GET"], tags=TAGS,
                         response_model=MemberProfile, response_model_exclude_none=True,
                         name=f"{kind.value}_member_profile", operation_id=f"get_{kind.value}_member_profile",
                         summary=f"The public profile of a member who posted in the {label}")
    router.add_api_route(f"{base}/leave", leave, methods=["POST"], tags=TAGS, response_model=dict[str, Any],
                         name=f"leave_{kind.value}", operation_id=f"leave_{kind.value}",
                         summary=f"The account leaves the {label}")


_add_routes(GroupKind.GROUP, "groupId")
_add_routes(GroupKind.ROOM, "roomId")
