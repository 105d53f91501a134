"""The Messaging API's webhook settings: get and set the endpoint URL, and test it with a
signed empty envelope (`MessagingApi.get_webhook_endpoint`, `set_webhook_endpoint`,
`test_webhook_endpoint`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from openoa.api import deps
from openoa.channels.schemas import BotContext
from openoa.webhooks import service as webhooks
from openoa.webhooks.schemas import (
    EndpointTestIn,
    EndpointTestOut,
    SetWebhookEndpointIn,
    WebhookEndpointOut,
)

router = APIRouter()
TAGS = ["messaging api: webhook"]

Bot = Annotated[BotContext, Depends(deps.bot)]


@router.get("/v2/bot/channel/webhook/endpoint", tags=TAGS, response_model=WebhookEndpointOut,
            summary="The webhook URL and whether webhooks are in use")
def get_webhook_endpoint(request: Request, bot: Bot) -> WebhookEndpointOut:
    with deps.scope(request) as s:
        return webhooks.bot_endpoint(s, bot)


@router.put("/v2/bot/channel/webhook/endpoint", tags=TAGS,
            summary="Set the webhook URL: https, at most 500 characters (http only to 127.0.0.1 or localhost)")
def set_webhook_endpoint(request: Request, bot: Bot, body: SetWebhookEndpointIn) -> dict[str, object]:
    with deps.scope(request) as s:
        webhooks.set_bot_endpoint(s, bot, body.endpoint)
    return {}


@router.post("/v2/bot/channel/webhook/test", tags=TAGS, response_model=EndpointTestOut,
             summary="Send a signed webhook with no events to the given or saved URL; what the bot answered")
def test_webhook_endpoint(request: Request, bot: Bot, body: EndpointTestIn | None = None) -> EndpointTestOut:
    # Takes the database, not a unit of work: the POST to the bot happens after the settings
    # were read and the transaction closed.
    return webhooks.verify_bot_endpoint(deps.db_of(request), bot, body.endpoint if body else None)
