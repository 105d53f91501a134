"""The blob host's message content: what a person sent, fetched by the bot
(`MessagingApiBlob.get_message_content`, `get_message_content_preview`,
`get_message_content_transcoding_by_message_id`). LINE serves these from api-data.line.me;
OpenOA serves them on its own origin, as the SDK's `Configuration(host=...)` expects."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from openoa.api import deps
from openoa.channels.schemas import BotContext
from openoa.chat import bot as chat_bot

router = APIRouter(prefix="/v2/bot/message/{messageId}/content")
TAGS: list[str | Enum] = ["messaging api: content"]

Bot = Annotated[BotContext, Depends(deps.bot)]
BINARY = {200: {"content": {"application/octet-stream": {}}, "description": "The bytes, with their media type"}}


class Transcoding(BaseModel):
    """SDK GetMessageContentTranscodingResponse."""

    status: str


def _bytes(content: chat_bot.Content) -> Response:
    return Response(content.data, media_type=content.content_type)


@router.get("", tags=TAGS, response_class=Response, responses=BINARY,
            summary="The image, video, audio or file a user sent; 404 for another account's message, "
                    "410 once unsent")
def content(request: Request, bot: Bot, messageId: str) -> Response:  # noqa: N803 - LINE's path name
    with deps.scope(request) as s:
        return _bytes(chat_bot.message_content(s, bot, messageId))


@router.get("/preview", tags=TAGS, response_class=Response, responses=BINARY,
            summary="The preview image of an image or video a user sent")
def preview(request: Request, bot: Bot, messageId: str) -> Response:  # noqa: N803 - LINE's path name
    with deps.scope(request) as s:
        return _bytes(chat_bot.message_content_preview(s, bot, messageId))


@router.get("/transcoding", tags=TAGS, response_model=Transcoding,
            summary="Whether a video's or audio's content is ready to fetch")
def transcoding(request: Request, bot: Bot, messageId: str) -> Transcoding:  # noqa: N803 - LINE's path name
    with deps.scope(request) as s:
        return Transcoding(status=chat_bot.message_content_transcoding(s, bot, messageId))
