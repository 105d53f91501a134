"""The channel access token API driven only through `linebot.v3.oauth.ChannelAccessToken`:
every call returns the SDK's typed model with the right values, refusals raise ApiException with
LINE's status, and a revoked token makes the Messaging API client raise 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from linebot.v3 import messaging
from linebot.v3.oauth import (
    ApiClient,
    ApiException,
    ChannelAccessToken,
    ChannelAccessTokenKeyIdsResponse,
    Configuration,
    IssueChannelAccessTokenResponse,
    IssueShortLivedChannelAccessTokenResponse,
    IssueStatelessChannelAccessTokenResponse,
    VerifyChannelAccessTokenResponse,
)

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.core.clock import SystemClock
from tests.api import assertion_keys as keys
from tests.conformance.conftest import LiveServer, SdkBot, make_bot

GRANT = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture(scope="module")
def bot(live_server: LiveServer) -> SdkBot:
    return make_bot(live_server, "Token Cafe")


@pytest.fixture(scope="module")
def kid(live_server: LiveServer, bot: SdkBot) -> str:
    """The bot's public key, registered for its channel (the console's JSON does the same)."""
    db = live_server.database()
    try:
        with db.scope() as session:
            return channels.register_assertion_key(session, SYSTEM, bot.account_id, keys.public_jwk_json("sdk"))
    finally:
        db.engine.dispose()


@pytest.fixture
def tokens(live_server: LiveServer) -> Iterator[ChannelAccessToken]:
    with ApiClient(Configuration(host=live_server.url)) as client:
        yield ChannelAccessToken(client)


def assertion(bot: SdkBot, kid: str, **claims) -> str:  # type: ignore[no-untyped-def]
    # The server checks times against the real clock, not the tests' fake one.
    return keys.assertion(bot.channel_id, kid, now=SystemClock().now(), name="sdk", **claims)


def bot_info_works(server: LiveServer, token: str) -> bool:
    with messaging.ApiClient(messaging.Configuration(host=server.url, access_token=token)) as client:
        try:
            messaging.MessagingApi(client).get_bot_info()
        except messaging.ApiException as exc:
            assert exc.status == 401, exc.body
            return False
    return True


def test_short_lived_token_issue_verify_revoke(live_server: LiveServer, bot: SdkBot, tokens: ChannelAccessToken):
    issued = tokens.issue_channel_token(GRANT, bot.channel_id, bot.channel_secret)
    assert isinstance(issued, IssueShortLivedChannelAccessTokenResponse)
    assert (issued.expires_in, issued.token_type) == (2592000, "Bearer")
    verified = tokens.verify_channel_token(issued.access_token)
    assert isinstance(verified, VerifyChannelAccessTokenResponse)
    assert verified.client_id == bot.channel_id and 2591000 < verified.expires_in <= 2592000
    assert bot_info_works(live_server, issued.access_token)
    assert tokens.revoke_channel_token(issued.access_token) is None
    assert not bot_info_works(live_server, issued.access_token)
    with pytest.raises(ApiException) as refused:
        tokens.verify_channel_token(issued.access_token)
    assert refused.value.status == 400
    assert json.loads(refused.value.body) == {"error": "invalid_request", "error_description": "access_token invalid"}
    assert refused.value.headers["x-line-request-id"]


def test_a_revoked_token_makes_the_messaging_client_raise_401(live_server: LiveServer, tokens: ChannelAccessToken):
    bot = make_bot(live_server, "Revoked Cafe")
    tokens.revoke_channel_token(bot.token)
    with messaging.ApiClient(messaging.Configuration(host=live_server.url, access_token=bot.token)) as client:
        with pytest.raises(messaging.ApiException) as refused:
            messaging.MessagingApi(client).get_bot_info()
    assert refused.value.status == 401
    assert isinstance(refused.value, messaging.exceptions.UnauthorizedException)
    assert json.loads(refused.value.body)["message"].startswith("Authentication failed.")


def test_wrong_secret_raises_400_invalid_client(bot: SdkBot, tokens: ChannelAccessToken):
    with pytest.raises(ApiException) as refused:
        tokens.issue_channel_token(GRANT, bot.channel_id, "0" * 32)
    assert refused.value.status == 400
    assert json.loads(refused.value.body)["error"] == "invalid_client"


def test_v21_token_by_jwt_verify_list_and_revoke(live_server: LiveServer, bot: SdkBot, kid: str,
                                                 tokens: ChannelAccessToken):
    issued = tokens.issue_channel_token_by_jwt(GRANT, ASSERTION_TYPE, assertion(bot, kid, token_exp=86400))
    assert isinstance(issued, IssueChannelAccessTokenResponse)
    assert (issued.expires_in, issued.token_type) == (86400, "Bearer") and issued.key_id
    verified = tokens.verify_channel_token_by_jwt(issued.access_token)
    assert isinstance(verified, VerifyChannelAccessTokenResponse)
    assert verified.client_id == bot.channel_id and 86300 < verified.expires_in <= 86400
    kids = tokens.gets_all_valid_channel_access_token_key_ids(ASSERTION_TYPE, assertion(bot, kid))
    assert isinstance(kids, ChannelAccessTokenKeyIdsResponse) and issued.key_id in kids.kids
    assert bot_info_works(live_server, issued.access_token)
    assert tokens.revoke_channel_token_by_jwt(bot.channel_id, bot.channel_secret, issued.access_token) is None
    assert not bot_info_works(live_server, issued.access_token)
    assert issued.key_id not in tokens.gets_all_valid_channel_access_token_key_ids(
        ASSERTION_TYPE, assertion(bot, kid)).kids


def test_v21_refusals_raise_with_lines_status(bot: SdkBot, kid: str, tokens: ChannelAccessToken):
    with pytest.raises(ApiException) as unknown:
        tokens.issue_channel_token_by_jwt(GRANT, ASSERTION_TYPE, assertion(bot, "unknown-kid"))
    assert unknown.value.status == 404
    with pytest.raises(ApiException) as too_long:
        tokens.issue_channel_token_by_jwt(GRANT, ASSERTION_TYPE, assertion(bot, kid, exp=timedelta(hours=1)))
    assert too_long.value.status == 400 and json.loads(too_long.value.body)["error"] == "invalid_request"


def test_stateless_tokens_by_secret_and_by_jwt(live_server: LiveServer, bot: SdkBot, kid: str,
                                               tokens: ChannelAccessToken):
    by_secret = tokens.issue_stateless_channel_token_by_client_secret(bot.channel_id, bot.channel_secret)
    by_jwt = tokens.issue_stateless_channel_token_by_jwt_assertion(assertion(bot, kid, token_exp=None))
    for issued in (by_secret, by_jwt):
        assert isinstance(issued, IssueStatelessChannelAccessTokenResponse)
        assert (issued.expires_in, issued.token_type) == (900, "Bearer")
        assert bot_info_works(live_server, issued.access_token)
    # The generated method with every field, as the SDK's own docs show it.
    full = tokens.issue_stateless_channel_token(grant_type=GRANT, client_id=bot.channel_id,
                                                client_secret=bot.channel_secret)
    assert full.expires_in == 900
