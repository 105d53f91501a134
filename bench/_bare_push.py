"""B2's baseline: a bare FastAPI endpoint taking the push request model, with no auth, no
rate limit, no quota and no database, answering like the push endpoint does."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from openoa.api.messages import PushRequest, SentMessages

app = FastAPI()
ANSWER = {"sentMessages": [{"id": "100000000000000001", "quoteToken": "q1"},
                           {"id": "100000000000000002", "quoteToken": "q2"}]}


@app.post("/v2/bot/message/push", response_model=SentMessages, response_model_exclude_none=True)
async def push(body: PushRequest) -> Any:
    """Parse and validate the body with the push endpoint's model; answer a fixed result."""
    return ANSWER
