"""What a bot does in a 1:1 chat besides sending: the loading animation and marking a user's
messages as read (`MessagingApi.show_loading_animation`, `mark_messages_as_read`,
`mark_messages_as_read_by_token`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from openoa.api import deps
from openoa.channels.schemas import BotContext
from openoa.chat import bot as chat_bot

router = APIRouter()
TAGS: list[str | Enum] = ["messaging api: chat"]

Bot = Annotated[BotContext, Depends(deps.bot)]


class _Body(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class LoadingRequest(_Body):
    """SDK ShowLoadingAnimationRequest; the step of 5 is checked by the service."""

    chat_id: str
    loading_seconds: int = Field(chat_bot.LOADING_DEFAULT_SECONDS, ge=chat_bot.LOADING_MIN_SECONDS,
                                 le=chat_bot.LOADING_MAX_SECONDS)


class ChatReference(_Body):
    user_id: str


class MarkAsReadRequest(_Body):
    """SDK MarkMessagesAsReadRequest."""

    chat: ChatReference


class MarkAsReadByTokenRequest(_Body):
    """SDK MarkMessagesAsReadByTokenRequest: the token from a webhook message event."""

    mark_as_read_token: str


@router.post("/v2/bot/chat/loading/start", tags=TAGS, status_code=202, response_model=dict[str, Any],
             summary="Show the loading animation in a friend's chat for 5 to 60 seconds (202)")
def show_loading(request: Request, bot: Bot, body: LoadingRequest) -> JSONResponse:
    with deps.scope(request) as s:
        chat_bot.show_loading(s, bot, body.chat_id, body.loading_seconds)
    # 202 picks the SDK's deserializer; a 200 would hand the bot None.
    return JSONResponse({}, status_code=202)


@router.post("/v2/bot/message/markAsRead", tags=TAGS, response_model=dict[str, Any],
             summary="Mark everything a friend has sent as read")
def mark_as_read(request: Request, bot: Bot, body: MarkAsReadRequest) -> dict[str, Any]:
    with deps.scope(request) as s:
        chat_bot.mark_as_read(s, bot, body.chat.user_id)
    return {}


@router.post("/v2/bot/chat/markAsRead", tags=TAGS, response_model=dict[str, Any],
             summary="Mark a user's messages as read up to the message of a webhook event's markAsReadToken")
def mark_as_read_by_token(request: Request, bot: Bot, body: MarkAsReadByTokenRequest) -> dict[str, Any]:
    with deps.scope(request) as s:
        chat_bot.mark_as_read_by_token(s, bot, body.mark_as_read_token)
    return {}
