"""The channel access token API (`linebot.v3.oauth.ChannelAccessToken`): short-lived v2 tokens,
v2.1 tokens issued for a JWT assertion signed with a registered key, and stateless v3 tokens.
Bodies are form-encoded; refusals answer OAuth-style (see api/errors.py)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, Response

from openoa.api import deps
from openoa.api.errors import OAuthRoute
from openoa.channels import rules
from openoa.channels import service as channels
from openoa.channels.schemas import (
    JwtToken,
    ShortLivedToken,
    StatelessToken,
    TokenKeyIds,
    TokenVerification,
)

router = APIRouter(route_class=OAuthRoute)
TAGS: list[str | Enum] = ["messaging api: channel access token"]

# Every field is optional here so that a missing one is LINE's invalid_request, not a 422.
FormField = Annotated[str | None, Form()]
QueryField = Annotated[str | None, Query()]


@router.post("/v2/oauth/accessToken", tags=TAGS, response_model=ShortLivedToken,
             summary="Issue a short-lived (30-day) token for the channel ID and secret; "
                     "at most 30 live per channel, the oldest is revoked")
def issue_short_lived_token(request: Request, grant_type: FormField = None, client_id: FormField = None,
                            client_secret: FormField = None) -> ShortLivedToken:
    if client_id:
        deps.limit(request, f"client:{client_id[:20]}")
    with deps.scope(request) as s:
        return channels.issue_short_lived_token(s, grant_type=grant_type, client_id=client_id,
                                                client_secret=client_secret)


@router.post("/v2/oauth/verify", tags=TAGS, response_model=TokenVerification, response_model_exclude_none=True,
             summary="The channel and remaining seconds of a long-lived or short-lived token")
def verify_token(request: Request, access_token: FormField = None) -> TokenVerification:
    with deps.scope(request) as s:
        return channels.verify_token(s, access_token, kinds=rules.V2_KINDS)


@router.post("/v2/oauth/revoke", tags=TAGS,
             summary="Revoke a long-lived or short-lived token (an unknown token is not an error)")
def revoke_token(request: Request, access_token: FormField = None) -> Response:
    with deps.scope(request) as s:
        channels.revoke_token(s, access_token, kinds=rules.V2_KINDS)
    return Response(status_code=200)


@router.post("/oauth2/v2.1/token", tags=TAGS, response_model=JwtToken,
             summary="Issue a v2.1 token for a JWT assertion (RS256, kid of a registered key, exp within "
                     "30 minutes, token_exp up to 30 days); refused while 30 are live")
def issue_jwt_token(request: Request, grant_type: FormField = None, client_assertion_type: FormField = None,
                    client_assertion: FormField = None) -> JwtToken:
    with deps.scope(request) as s:
        return channels.issue_jwt_token(s, grant_type=grant_type, client_assertion_type=client_assertion_type,
                                        client_assertion=client_assertion)


@router.get("/oauth2/v2.1/verify", tags=TAGS, response_model=TokenVerification, response_model_exclude_none=True,
            summary="The channel and remaining seconds of a v2.1 token")
def verify_jwt_token(request: Request, access_token: QueryField = None) -> TokenVerification:
    with deps.scope(request) as s:
        return channels.verify_token(s, access_token, kinds=rules.V21_KINDS)


@router.post("/oauth2/v2.1/revoke", tags=TAGS,
             summary="Revoke a v2.1 token of the channel (an unknown token is not an error)")
def revoke_jwt_token(request: Request, client_id: FormField = None, client_secret: FormField = None,
                     access_token: FormField = None) -> Response:
    with deps.scope(request) as s:
        channels.revoke_jwt_token(s, client_id=client_id, client_secret=client_secret, access_token=access_token)
    return Response(status_code=200)


@router.get("/oauth2/v2.1/tokens/kid", tags=TAGS, response_model=TokenKeyIds,
            summary="The key IDs of the channel's live v2.1 tokens, for a JWT assertion")
def jwt_token_key_ids(request: Request, client_assertion_type: QueryField = None,
                      client_assertion: QueryField = None) -> TokenKeyIds:
    with deps.scope(request) as s:
        return channels.jwt_token_key_ids(s, client_assertion_type=client_assertion_type,
                                          client_assertion=client_assertion)


@router.post("/oauth2/v3/token", tags=TAGS, response_model=StatelessToken,
             summary="Issue a stateless 15-minute token by channel ID and secret or by JWT assertion; "
                     "no cap, cannot be revoked")
def issue_stateless_token(request: Request, grant_type: FormField = None, client_assertion_type: FormField = None,
                          client_assertion: FormField = None, client_id: FormField = None,
                          client_secret: FormField = None) -> StatelessToken:
    with deps.scope(request) as s:
        return channels.issue_stateless_token(s, grant_type=grant_type, client_assertion_type=client_assertion_type,
                                              client_assertion=client_assertion, client_id=client_id,
                                              client_secret=client_secret)
