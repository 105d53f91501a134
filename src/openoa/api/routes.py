"""The LINE-compatible Messaging API and OAuth endpoints: one module per endpoint family,
all included here. The SDK's `Configuration(host=...)` points at this server."""

from __future__ import annotations

from fastapi import APIRouter

from openoa.api import bot, chat_api, content, groups, messages, oauth, validate, webhook_endpoint

router = APIRouter()
# Routes are matched in order, one by one: the sending endpoints, the hottest, come first (B2).
router.include_router(messages.router)
router.include_router(webhook_endpoint.router)
router.include_router(oauth.router)
router.include_router(bot.router)
router.include_router(validate.router)
router.include_router(content.router)
router.include_router(chat_api.router)
router.include_router(groups.router)
