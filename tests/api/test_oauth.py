"""The channel access token API over HTTP, as LINE answers it: short-lived v2 tokens (30 days, 30
live, the oldest revoked), v2.1 tokens for a JWT assertion signed with a registered key (30 live,
then refused), stateless v3 tokens (15 minutes, never stored), verify and revoke; OAuth-style
error bodies; x-line-request-id on every answer; LINE's rate limits."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from openoa.accounts.models import BusinessId
from openoa.api import deps as api_deps
from openoa.channels import service as channels
from openoa.core.access import SYSTEM, BusinessActor
from openoa.core.clock import FakeClock
from tests.api import assertion_keys as keys
from tests.api.bots import Bot, make_bot
from tests.web.console.conftest import login, member

GRANT = "client_credentials"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
INVALID_REQUEST = {"error": "invalid_request", "error_description": "some parameters missed or invalid"}
INVALID_CLIENT = {"error": "invalid_client", "error_description": "invalid client_id or client_secret"}
AUTH_FAILED = {"message": "Authentication failed. Confirm that the access token in the authorization header "
                          "is valid."}
RATE_LIMITED = {"message": "The API rate limit has been exceeded. Try again later."}
THIRTY_DAYS = 30 * 24 * 3600


@pytest.fixture
def bot(session: Session) -> Bot:
    return make_bot(session)


@pytest.fixture
def other_bot(session: Session) -> Bot:
    return make_bot(session, name="Other Shop")


def short_lived(client: TestClient, bot: Bot):  # type: ignore[no-untyped-def]
    return client.post("/v2/oauth/accessToken", data={"grant_type": GRANT, "client_id": bot.channel_id,
                                                      "client_secret": bot.channel_secret})


def works(client: TestClient, token: str) -> bool:
    """Whether ``token`` authenticates a Messaging API call (401 otherwise)."""
    answer = client.get("/v2/bot/info", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code in (200, 401), answer.text
    return answer.status_code == 200


def register_key(client: TestClient, bot: Bot, name: str = "bot") -> str:
    login(client, bot.owner.email or "")
    answer = client.post(f"/console/api/accounts/{bot.account.id}/channel/assertion-keys",
                         json={"public_key": keys.public_jwk_json(name)})
    assert answer.status_code == 201, answer.text
    return answer.json()["kid"]


def jwt_token(client: TestClient, assertion: str):  # type: ignore[no-untyped-def]
    return client.post("/oauth2/v2.1/token", data={"grant_type": GRANT, "client_assertion_type": ASSERTION_TYPE,
                                                   "client_assertion": assertion})


# ---------------------------------------------------------------- short-lived (v2)

def test_short_lived_token_for_channel_id_and_secret_lasts_30_days(client, bot, clock: FakeClock):
    answer = short_lived(client, bot)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == THIRTY_DAYS and body["token_type"] == "Bearer"
    assert re.fullmatch(r"[0-9a-f-]{36}", answer.headers["x-line-request-id"])
    assert works(client, body["access_token"])
    clock.advance(days=30, seconds=-1)
    assert works(client, body["access_token"])
    clock.advance(seconds=1)
    assert not works(client, body["access_token"])


def test_short_lived_token_refuses_bad_requests_oauth_style(client, bot, other_bot):
    cases = [
        ({}, 400, INVALID_REQUEST),
        ({"grant_type": GRANT, "client_id": bot.channel_id}, 400, INVALID_REQUEST),
        ({"grant_type": "password", "client_id": bot.channel_id, "client_secret": bot.channel_secret}, 400,
         {"error": "unsupported_grant_type", "error_description": "grant_type must be client_credentials"}),
        ({"grant_type": GRANT, "client_id": bot.channel_id, "client_secret": other_bot.channel_secret}, 400,
         INVALID_CLIENT),
        # An unknown channel answers exactly like a wrong secret.
        ({"grant_type": GRANT, "client_id": "1999999999", "client_secret": bot.channel_secret}, 400,
         INVALID_CLIENT),
    ]
    for form, status, body in cases:
        answer = client.post("/v2/oauth/accessToken", data=form)
        assert (answer.status_code, answer.json()) == (status, body), form
        assert answer.headers["x-line-request-id"]
    as_json = client.post("/v2/oauth/accessToken", json={"grant_type": GRANT, "client_id": bot.channel_id,
                                                         "client_secret": bot.channel_secret})
    assert (as_json.status_code, as_json.json()) == (400, INVALID_REQUEST)


def test_the_31st_short_lived_token_revokes_the_oldest(client, bot, clock: FakeClock):
    tokens = []
    for _ in range(31):
        tokens.append(short_lived(client, bot).json()["access_token"])
        clock.advance(seconds=1)
    assert not works(client, tokens[0])
    assert all(works(client, t) for t in tokens[1:])
    verify = client.post("/v2/oauth/verify", data={"access_token": tokens[0]})
    assert verify.json() == {"error": "invalid_request", "error_description": "access_token invalid"}


def test_expired_short_lived_tokens_do_not_count_toward_the_cap(client, bot, clock: FakeClock):
    first = short_lived(client, bot).json()["access_token"]
    for _ in range(29):
        short_lived(client, bot)
    clock.advance(days=31)
    fresh = [short_lived(client, bot).json()["access_token"] for _ in range(30)]
    assert all(works(client, t) for t in fresh)
    assert not works(client, first)


def test_verify_tells_the_channel_and_the_seconds_left(client, bot, clock: FakeClock):
    token = short_lived(client, bot).json()["access_token"]
    clock.advance(days=1)
    answer = client.post("/v2/oauth/verify", data={"access_token": token})
    assert answer.status_code == 200
    assert answer.json() == {"client_id": bot.channel_id, "expires_in": THIRTY_DAYS - 86400, "scope": "P CM"}
    long_lived = client.post("/v2/oauth/verify", data={"access_token": bot.token}).json()
    assert long_lived["client_id"] == bot.channel_id and long_lived["expires_in"] > 50 * 365 * 86400
    clock.advance(days=29)
    expired = client.post("/v2/oauth/verify", data={"access_token": token})
    assert (expired.status_code, expired.json()) == (400, {"error": "invalid_request",
                                                           "error_description": "access token expired"})
    for form in ({"access_token": "nonsense"}, {}):
        answer = client.post("/v2/oauth/verify", data=form)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_revoke_ends_a_token_at_once_and_an_unknown_token_is_not_an_error(client, bot):
    token = short_lived(client, bot).json()["access_token"]
    answer = client.post("/v2/oauth/revoke", data={"access_token": token})
    assert (answer.status_code, answer.content) == (200, b"")
    assert answer.headers["x-line-request-id"]
    assert not works(client, token)
    assert client.post("/v2/oauth/verify", data={"access_token": token}).status_code == 400
    assert client.post("/v2/oauth/revoke", data={"access_token": token}).status_code == 200
    assert client.post("/v2/oauth/revoke", data={"access_token": "nonsense"}).status_code == 200
    assert client.post("/v2/oauth/revoke", data={}).json() == INVALID_REQUEST
    # The long-lived token is revocable the same way.
    assert works(client, bot.token)
    client.post("/v2/oauth/revoke", data={"access_token": bot.token})
    assert not works(client, bot.token)


# ---------------------------------------------------------------- v2.1 (JWT assertion)

def test_v21_token_for_a_jwt_signed_with_the_registered_key(client, bot, clock: FakeClock):
    kid = register_key(client, bot)
    answer = jwt_token(client, keys.assertion(bot.channel_id, kid, now=clock.now(), token_exp=3600))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 3600 and body["token_type"] == "Bearer" and body["key_id"]
    token = body["access_token"]
    assert works(client, token)
    verify = client.get("/oauth2/v2.1/verify", params={"access_token": token})
    assert verify.json() == {"client_id": bot.channel_id, "expires_in": 3600, "scope": "P CM"}
    # v2 verify is for long- and short-lived tokens only.
    assert client.post("/v2/oauth/verify", data={"access_token": token}).status_code == 400
    kids = client.get("/oauth2/v2.1/tokens/kid", params={
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": keys.assertion(bot.channel_id, kid, now=clock.now())})
    assert kids.json() == {"kids": [body["key_id"]]}
    clock.advance(seconds=3600)
    assert not works(client, token)
    assert client.get("/oauth2/v2.1/verify", params={"access_token": token}).json()["error_description"] == \
        "access token expired"


def test_v21_assertions_that_break_a_rule_are_refused(client, bot, other_bot, clock: FakeClock):
    kid = register_key(client, bot)
    now = clock.now()
    unknown_kid = jwt_token(client, keys.assertion(bot.channel_id, "no-such-kid", now=now))
    assert (unknown_kid.status_code, unknown_kid.json()) == (
        404, {"message": "Cannot find channel key that satisfies the conditions"})
    assert unknown_kid.headers["x-line-request-id"]
    refusals = {
        "expired": keys.assertion(bot.channel_id, kid, now=now - timedelta(minutes=31)),
        "exp too far": keys.assertion(bot.channel_id, kid, now=now, exp=timedelta(minutes=32)),
        "token_exp over 30 days": keys.assertion(bot.channel_id, kid, now=now, token_exp=THIRTY_DAYS + 1),
        "no token_exp": keys.assertion(bot.channel_id, kid, now=now, token_exp=None),
        "wrong audience": keys.assertion(bot.channel_id, kid, now=now, aud="https://example.com/"),
        "not a JWT": "not-a-jwt",
    }
    for case, assertion in refusals.items():
        answer = jwt_token(client, assertion)
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request", (case, answer.text)
    forged = jwt_token(client, keys.assertion(bot.channel_id, kid, now=now, name="attacker"))
    assert (forged.status_code, forged.json()["error"]) == (400, "invalid_client")
    # Another channel's ID in iss/sub with this channel's key.
    borrowed = jwt_token(client, keys.assertion(other_bot.channel_id, kid, now=now))
    assert (borrowed.status_code, borrowed.json()["error"]) == (400, "invalid_client")
    wrong_type = client.post("/oauth2/v2.1/token", data={
        "grant_type": GRANT, "client_assertion_type": "jwt",
        "client_assertion": keys.assertion(bot.channel_id, kid, now=now)})
    assert wrong_type.json()["error"] == "invalid_request"
    wrong_grant = client.post("/oauth2/v2.1/token", data={
        "grant_type": "authorization_code", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": keys.assertion(bot.channel_id, kid, now=now)})
    assert wrong_grant.json()["error"] == "unsupported_grant_type"
    assert client.post("/oauth2/v2.1/token", data={}).json() == INVALID_REQUEST


def test_v21_tokens_are_capped_at_30_live_and_the_31st_is_refused(client, bot, clock: FakeClock):
    kid = register_key(client, bot)
    tokens = [jwt_token(client, keys.assertion(bot.channel_id, kid, now=clock.now())).json()["access_token"]
              for _ in range(30)]
    refused = jwt_token(client, keys.assertion(bot.channel_id, kid, now=clock.now()))
    assert (refused.status_code, refused.json()) == (
        400, {"message": "The maximum number of access tokens has already been issued"})
    assert all(works(client, t) for t in tokens)  # nothing was revoked to make room
    client.post("/oauth2/v2.1/revoke", data={"client_id": bot.channel_id, "client_secret": bot.channel_secret,
                                             "access_token": tokens[0]})
    assert jwt_token(client, keys.assertion(bot.channel_id, kid, now=clock.now())).status_code == 200


def test_v21_revoke_needs_the_channel_secret_and_touches_only_that_channel(client, bot, other_bot,
                                                                            clock: FakeClock):
    kid = register_key(client, bot)
    issued = jwt_token(client, keys.assertion(bot.channel_id, kid, now=clock.now())).json()
    form = {"client_id": bot.channel_id, "client_secret": other_bot.channel_secret,
            "access_token": issued["access_token"]}
    assert client.post("/oauth2/v2.1/revoke", data=form).json() == INVALID_CLIENT
    assert works(client, issued["access_token"])
    # The other channel's own credentials: accepted, but this channel's token lives on.
    foreign = {"client_id": other_bot.channel_id, "client_secret": other_bot.channel_secret,
               "access_token": issued["access_token"]}
    assert client.post("/oauth2/v2.1/revoke", data=foreign).status_code == 200
    assert works(client, issued["access_token"])
    own = {**form, "client_secret": bot.channel_secret}
    answer = client.post("/oauth2/v2.1/revoke", data=own)
    assert (answer.status_code, answer.content) == (200, b"")
    assert not works(client, issued["access_token"])
    kids = client.get("/oauth2/v2.1/tokens/kid", params={
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": keys.assertion(bot.channel_id, kid, now=clock.now())})
    assert kids.json() == {"kids": []}
    assert client.post("/oauth2/v2.1/revoke", data={**own, "access_token": "nonsense"}).status_code == 200


# ---------------------------------------------------------------- stateless (v3)

def test_stateless_token_lasts_15_minutes_is_never_stored_and_cannot_be_revoked(client, bot, clock: FakeClock):
    answer = client.post("/oauth2/v3/token", data={"grant_type": GRANT, "client_id": bot.channel_id,
                                                   "client_secret": bot.channel_secret})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["expires_in"] == 900 and body["token_type"] == "Bearer"
    token = body["access_token"]
    assert works(client, token)
    assert client.post("/v2/oauth/revoke", data={"access_token": token}).status_code == 200
    assert works(client, token)  # revoking is a no-op: there is nothing stored to revoke
    assert client.post("/v2/oauth/verify", data={"access_token": token}).status_code == 400
    clock.advance(minutes=15)
    assert not works(client, token)


def test_stateless_tokens_are_not_capped(client, bot):
    form = {"grant_type": GRANT, "client_id": bot.channel_id, "client_secret": bot.channel_secret}
    tokens = {client.post("/oauth2/v3/token", data=form).json()["access_token"] for _ in range(35)}
    assert len(tokens) == 35 and all(works(client, t) for t in list(tokens)[:3])


def test_stateless_token_by_jwt_assertion(client, bot, clock: FakeClock):
    kid = register_key(client, bot)
    # What the SDK's issue_stateless_channel_token_by_jwt_assertion sends (empty fields left out).
    answer = client.post("/oauth2/v3/token", data={
        "grant_type": GRANT, "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": keys.assertion(bot.channel_id, kid, now=clock.now(), token_exp=None)})
    assert answer.status_code == 200, answer.text
    assert works(client, answer.json()["access_token"])


def test_stateless_token_refusals(client, bot, other_bot, session: Session):
    cases = [
        ({"grant_type": GRANT}, INVALID_REQUEST),
        ({"grant_type": GRANT, "client_id": bot.channel_id, "client_secret": other_bot.channel_secret},
         INVALID_CLIENT),
        ({"client_id": bot.channel_id, "client_secret": bot.channel_secret}, INVALID_REQUEST),
    ]
    for form, body in cases:
        answer = client.post("/oauth2/v3/token", data=form)
        assert (answer.status_code, answer.json()) == (400, body), form
    token = client.post("/oauth2/v3/token", data={"grant_type": GRANT, "client_id": bot.channel_id,
                                                  "client_secret": bot.channel_secret}).json()["access_token"]
    # Tampering with what the token says breaks its signature.
    prefix, channel_id, rest = token.split(".", 2)
    assert not works(client, f"{prefix}.{other_bot.channel_id}.{rest}")
    assert not works(client, token[:-1] + ("0" if token[-1] != "0" else "1"))
    # Reissuing the channel secret ends every stateless token signed with the old one.
    channels.reissue_secret(session, SYSTEM, bot.account.id)
    session.flush()
    assert not works(client, token)


# ---------------------------------------------------------------- assertion keys (console JSON)

def test_register_assertion_key_anonymous_and_outsiders_are_refused(client, bot, other_bot):
    path = f"/console/api/accounts/{bot.account.id}/channel/assertion-keys"
    anonymous = client.post(path, json={"public_key": keys.public_jwk_json()})
    assert anonymous.status_code == 401
    login(client, other_bot.owner.email or "")
    outsider = client.post(path, json={"public_key": keys.public_jwk_json()})
    assert (outsider.status_code, outsider.json()) == (404, {"message": "No such account."})


def test_r_acc_04_only_admins_register_assertion_keys(client, bot, session: Session):
    operator: BusinessId = member(session, bot.account, bot.owner, "operator")
    login(client, operator.email or "")
    answer = client.post(f"/console/api/accounts/{bot.account.id}/channel/assertion-keys",
                         json={"public_key": keys.public_jwk_json()})
    assert (answer.status_code, answer.json()["message"]) == (
        403, "Only admins can see and change the Messaging API settings.")


def test_register_assertion_key_takes_only_an_rsa_public_jwk(client, bot, session: Session):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    login(client, bot.owner.email or "")
    path = f"/console/api/accounts/{bot.account.id}/channel/assertion-keys"
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - refused on purpose
    small = RSAAlgorithm.to_jwk(weak.public_key())
    for text, reason in [(keys.private_jwk_json(), "private key"), ("not json", "JWK"),
                         ('{"kty": "EC", "crv": "P-256"}', "JWK"), (small, "2048 bits")]:
        answer = client.post(path, json={"public_key": text})
        assert answer.status_code == 400, answer.text
        detail = answer.json()["details"][0]
        assert detail["property"] == "public_key" and reason in detail["message"]
    kid = channels.register_assertion_key(session, BusinessActor(bot.owner.id), bot.account.id,
                                          keys.public_jwk_json())
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", kid)


# ---------------------------------------------------------------- request IDs and rate limits

def test_every_v2_and_oauth2_answer_carries_its_own_request_id(client, bot):
    answers = [client.get("/v2/bot/info", headers=bot.auth), client.get("/v2/bot/info"),
               client.get("/v2/bot/no-such-endpoint", headers=bot.auth),
               client.post("/v2/oauth/verify", data={}), short_lived(client, bot)]
    ids = [a.headers.get("x-line-request-id") for a in answers]
    assert [a.status_code for a in answers] == [200, 401, 404, 400, 200]
    assert all(ids) and len(set(ids)) == len(ids)
    assert "x-line-request-id" not in client.get("/csrf").headers


def test_rate_limit_per_channel_and_endpoint_answers_429(client, bot, other_bot, settings, clock: FakeClock):
    settings.api_rate_default_per_second = 2
    for _ in range(2):
        assert client.get("/v2/bot/info", headers=bot.auth).status_code == 200
    refused = client.get("/v2/bot/info", headers=bot.auth)
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert refused.headers["x-line-request-id"]
    # Another channel, and another endpoint of the same channel, count on their own.
    assert client.get("/v2/bot/info", headers=other_bot.auth).status_code == 200
    assert client.get("/v2/bot/profile/Uffffffffffffffffffffffffffffffff", headers=bot.auth).status_code == 404
    clock.advance(seconds=1)
    assert client.get("/v2/bot/info", headers=bot.auth).status_code == 200


def test_rate_limit_of_short_lived_token_issue_is_per_channel(client, bot, other_bot, settings):
    settings.api_rate_token_per_second = 1
    assert short_lived(client, bot).status_code == 200
    refused = short_lived(client, bot)
    assert (refused.status_code, refused.json()) == (429, RATE_LIMITED)
    assert short_lived(client, other_bot).status_code == 200


def test_a_rate_limit_of_zero_turns_it_off(client, bot, settings):
    settings.api_rate_default_per_second = 0
    assert all(client.get("/v2/bot/info", headers=bot.auth).status_code == 200 for _ in range(5))


@pytest.mark.parametrize("method,path,family", [
    ("POST", "/v2/bot/message/broadcast", "broadcast"),
    ("POST", "/v2/bot/message/narrowcast", "broadcast"),
    ("GET", "/v2/bot/insight/followers", "broadcast"),
    ("POST", "/v2/bot/message/multicast", "multicast"),
    ("PUT", "/v2/bot/coupon/{couponId}/close", "multicast"),
    ("DELETE", "/v2/bot/richmenu/{richMenuId}", "richmenu"),
    ("GET", "/v2/bot/richmenu/{richMenuId}", "default"),
    ("POST", "/v2/bot/richmenu/batch", "richmenu_batch"),
    ("PUT", "/v2/bot/audienceGroup/upload/byFile", "audience"),
    ("GET", "/v2/bot/channel/webhook/endpoint", "webhook_endpoint"),
    ("POST", "/v2/bot/chat/loading/start", "loading_animation"),
    ("POST", "/v2/bot/message/push", "default"),
    ("POST", "/v2/oauth/accessToken", "token"),
])
def test_endpoint_families_follow_lines_published_limits(method, path, family):
    assert api_deps.endpoint_family(method, path) == family


def test_an_unexpected_failure_still_carries_the_request_id(app, client):
    def boom() -> None:
        raise RuntimeError("boom")

    app.add_api_route("/v2/bot/test-boom", boom)
    answer = client.get("/v2/bot/test-boom")
    assert answer.status_code == 500
    assert answer.json() == {"message": "Something went wrong on our side. Please try again."}
    assert answer.headers["x-line-request-id"]
