"""B2's machine yardstick: the bare Starlette POST that ``shared/BENCHMARKS.md`` measured at
≈ 17,000 req/s on the machine its pass lines were set on. Served the same way as the others, it
tells how this machine compares, so an absolute line can be read at this machine's speed."""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def push(request: Request) -> JSONResponse:
    """Parse the JSON body, answer a fixed result."""
    json.loads(await request.body())
    return JSONResponse({"sentMessages": [{"id": "100000000000000001"}, {"id": "100000000000000002"}]})


app = Starlette(routes=[Route("/v2/bot/message/push", push, methods=["POST"])])
