"""Rules of group chats and rooms: names, IDs, paging of member IDs, and the shape of the
webhook events a group produces for the bots of the accounts in it (LINE's ``join``, ``leave``,
``memberJoined``, ``memberLeft`` and group ``message`` events)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

GROUP_NAME_MAX = 50
POST_TEXT_MAX = 5000
# LINE answers member IDs 100 at a time (SDK MembersIdsResponse: max_items=100).
MEMBER_IDS_PAGE = 100
GROUP_ID = re.compile(r"C[0-9a-f]{32}")
ROOM_ID = re.compile(r"R[0-9a-f]{32}")


class GroupKind(StrEnum):
    GROUP = "group"
    ROOM = "room"


def kind_for_name(name: str) -> GroupKind:
    """A chat with a name is a group; without one, a multi-person chat (room), as in LINE."""
    return GroupKind.GROUP if name.strip() else GroupKind.ROOM


def name_problem(name: str) -> str | None:
    if len(name.strip()) > GROUP_NAME_MAX:
        return f"Use at most {GROUP_NAME_MAX} characters."
    return None


def text_problem(text: str) -> str | None:
    if not text.strip():
        return "Write something first."
    if len(text) > POST_TEXT_MAX:
        return f"Use at most {POST_TEXT_MAX} characters."
    return None


def id_matches(kind: str, chat_id: str) -> bool:
    """Whether ``chat_id`` has the shape of its kind (``C…`` groups, ``R…`` rooms)."""
    return bool((GROUP_ID if kind == GroupKind.GROUP else ROOM_ID).fullmatch(chat_id))


def members_cursor(user_id: int) -> str:
    """The ``next`` token of a member-ID page: where the next page starts."""
    return f"m{user_id}"


def members_after(cursor: str | None) -> int | None:
    """The user id a ``start`` token continues after; None for a token we never issued."""
    if not cursor:
        return 0
    if cursor.startswith("m") and cursor[1:].isdigit():
        return int(cursor[1:])
    return None


# ---------------------------------------------------------------- webhook events

def source(kind: str, chat_id: str, user_id: str | None = None) -> dict[str, str]:
    """The event's ``source``: ``userId`` only on events a person caused by posting."""
    found = {"type": "group", "groupId": chat_id} if kind == GroupKind.GROUP else {"type": "room", "roomId": chat_id}
    if user_id is not None:
        found["userId"] = user_id
    return found


def join_event(kind: str, chat_id: str, *, reply_token: str) -> dict[str, Any]:
    return {"type": "join", "source": source(kind, chat_id), "replyToken": reply_token}


def leave_event(kind: str, chat_id: str) -> dict[str, Any]:
    return {"type": "leave", "source": source(kind, chat_id)}


def member_joined_event(kind: str, chat_id: str, user_ids: list[str], *, reply_token: str) -> dict[str, Any]:
    return {"type": "memberJoined", "source": source(kind, chat_id), "replyToken": reply_token,
            "joined": {"members": [{"type": "user", "userId": u} for u in user_ids]}}


def member_left_event(kind: str, chat_id: str, user_ids: list[str]) -> dict[str, Any]:
    return {"type": "memberLeft", "source": source(kind, chat_id),
            "left": {"members": [{"type": "user", "userId": u} for u in user_ids]}}


def message_event(kind: str, chat_id: str, user_id: str, *, reply_token: str,
                  message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message", "source": source(kind, chat_id, user_id), "replyToken": reply_token,
            "message": message}


def postback_event(kind: str, chat_id: str, user_id: str, *, reply_token: str, data: str,
                   params: dict[str, str] | None = None) -> dict[str, Any]:
    """A member tapped a postback or datetime-picker action of the bot's post; ``params`` only for
    the picker. Only the bot that posted it hears (LINE)."""
    postback: dict[str, Any] = {"data": data}
    if params:
        postback["params"] = params
    return {"type": "postback", "source": source(kind, chat_id, user_id), "replyToken": reply_token,
            "postback": postback}
