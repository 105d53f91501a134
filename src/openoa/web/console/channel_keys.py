"""Assertion signing keys of an account's Messaging API channel (JSON): an admin registers the
public half of a key pair, and the bot signs the JWT assertions of `/oauth2/v2.1/token` and
`/oauth2/v3/token` with the private half, naming the returned kid."""

from __future__ import annotations

from enum import Enum

from fastapi import APIRouter, Request

from openoa.channels import service as channels
from openoa.channels.schemas import AssertionKeyIn, AssertionKeyOut
from openoa.web import deps

router = APIRouter()
TAGS: list[str | Enum] = ["console: messaging api"]


@router.post("/console/api/accounts/{account_id}/channel/assertion-keys", tags=TAGS, status_code=201,
             response_model=AssertionKeyOut,
             summary="Register a public key (RSA JWK, at least 2048 bits) for v2.1 JWT assertions; "
                     "answers the kid to put in the JWT header (admins only)")
def register_assertion_key(request: Request, account_id: int, body: AssertionKeyIn) -> AssertionKeyOut:
    actor = deps.require_business(request)
    with deps.scope(request) as s:
        return AssertionKeyOut(kid=channels.register_assertion_key(s, actor, account_id, body.public_key))
