"""The validate endpoints (`MessagingApi.validate_push`, `validate_reply`, `validate_multicast`,
`validate_narrowcast`, `validate_broadcast`): the message objects a send would carry, checked
as that send checks them, nothing stored or sent. 200 `{}`, or 400 naming each bad field."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from openoa.api import deps
from openoa.channels.schemas import BotContext
from openoa.messaging.schemas import ValidateMessageRequest, parse_messages

router = APIRouter(prefix="/v2/bot/message/validate")
TAGS = ["messaging api: messages"]
SENDS = ("push", "reply", "multicast", "narrowcast", "broadcast")

Bot = Annotated[BotContext, Depends(deps.bot)]


def _add_validate_route(send: str) -> None:
    # The five endpoints check the same thing; each is its own route so the SDK's five methods
    # (and OpenAPI) see five operations.
    def validate(body: ValidateMessageRequest, bot: Bot) -> dict[str, object]:
        parse_messages(body.messages)
        return {}

    router.add_api_route(f"/{send}", validate, methods=["POST"], tags=TAGS, name=f"validate_{send}",
                         operation_id=f"validate_{send}", response_model=dict[str, object],
                         summary=f"Check the message objects of a {send} message (1 to 5); nothing is sent")


for _send in SENDS:
    _add_validate_route(_send)
