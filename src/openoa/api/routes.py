"""The LINE-compatible Messaging API and OAuth endpoints: one module per endpoint family,
all included here. The SDK's `Configuration(host=...)` points at this server."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
