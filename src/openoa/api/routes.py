"""The LINE-compatible Messaging API and OAuth endpoints: one module per endpoint family,
all included here. The SDK's `Configuration(host=...)` points at this server."""

from __future__ import annotations

from fastapi import APIRouter

from openoa.api import bot, chat_api, content, groups, messages, oauth, validate, webhook_endpoint

router = APIRouter()
# One flat router, its routes added as they are (not include_router): FastAPI matches an included
# router by walking every router nested in it for each request, which cost a push more than its
# own validation (B2). The sending endpoints, the hottest, are tried first.
for family in (messages, webhook_endpoint, oauth, bot, validate, content, chat_api, groups):
    router.routes.extend(family.router.routes)
