"""Error bodies of the LINE-compatible API. Bot endpoints answer LINE's `{"message", "details"}`
through the app's handlers; the channel access token endpoints answer OAuth-style
`{"error", "error_description"}`, which the route class below maps here, once."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from openoa.channels.rules import OAuthRefused, invalid_request

RATE_LIMITED = "The API rate limit has been exceeded. Try again later."


def oauth_body(refused: OAuthRefused) -> dict[str, str]:
    """LINE's token-endpoint error body."""
    return {"error": refused.error, "error_description": refused.message}


class OAuthRoute(APIRoute):
    """A route of the token endpoints: refusals and unparsable forms answer OAuth-style.

    LINE's two token answers in its message body (an unknown JWT key, the v2.1 cap) are plain
    domain errors and still go through the app's handlers.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                refused = invalid_request()
                return JSONResponse(oauth_body(refused), status_code=refused.status)
            except OAuthRefused as refused:
                return JSONResponse(oauth_body(refused), status_code=refused.status)

        return answer
