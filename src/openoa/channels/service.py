"""Use cases of Messaging API channels: credentials, long-lived tokens, response mode, whether the
account joins group chats, and the bearer-token check every Messaging API request starts with."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.rules import Permission
from openoa.accounts.service import access_account, account_out
from openoa.channels import rules
from openoa.channels.models import AccessToken, AssertionKey, Channel
from openoa.channels.rules import ResponseMode, TokenKind
from openoa.channels.schemas import (
    BotContext,
    BotInfo,
    ChannelOut,
    IssuedToken,
    JwtToken,
    MessagingApiOut,
    ShortLivedToken,
    StatelessToken,
    TokenKeyIds,
    TokenVerification,
)
from openoa.core import clock, ids
from openoa.core.access import Actor
from openoa.core.db import on_commit
from openoa.core.errors import Invalid, NotFound, Unauthenticated
from openoa.core.security import hash_token, sign, signatures_match
from openoa.integrations.storage import public_url

_token_generation = 0


def token_generation() -> int:
    """Moves whenever a token may have been revoked or a secret replaced in this process:
    a cached bearer check from an older generation must be made again."""
    return _token_generation


def _tokens_changed(session: Session) -> None:
    # Now (a request racing this one re-checks) and after commit (it may have cached the old rows).
    global _token_generation
    _token_generation += 1

    def after() -> None:
        global _token_generation
        _token_generation += 1
    on_commit(session, after)


def channel_of(session: Session, account_id: int) -> Channel:
    """The account's channel, made on first need (every account can use the Messaging API)."""
    channel = session.scalar(select(Channel).where(Channel.account_id == account_id))
    if channel is None:
        now = clock.now()
        channel = Channel(account_id=account_id, channel_id=_free_channel_id(session),
                          channel_secret=ids.channel_secret(), bot_user_id=ids.scoped_user_id(),
                          response_mode=ResponseMode.CHAT, use_webhook=False, webhook_redelivery=False,
                          join_group_chats=True, created_at=now, secret_issued_at=now)
        session.add(channel)
        session.flush()
    return channel


def _free_channel_id(session: Session) -> str:
    while True:
        candidate = ids.channel_id()
        if session.scalar(select(Channel.id).where(Channel.channel_id == candidate)) is None:
            return candidate


def channel_out(channel: Channel) -> ChannelOut:
    return ChannelOut(account_id=channel.account_id, channel_id=channel.channel_id,
                      channel_secret=channel.channel_secret, bot_user_id=channel.bot_user_id,
                      response_mode=channel.response_mode, webhook_url=channel.webhook_url,
                      use_webhook=channel.use_webhook, webhook_redelivery=channel.webhook_redelivery,
                      join_group_chats=channel.join_group_chats)


def get_channel(session: Session, actor: Actor, account_id: int) -> ChannelOut:
    """The channel's settings and credentials (admins only: the secret signs webhooks)."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    return channel_out(channel_of(session, account.id))


def messaging_api_settings(session: Session, actor: Actor, account_id: int) -> MessagingApiOut:
    """The console's Messaging API page: credentials, response mode, and whether a long-lived token is live."""
    account, role = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    issued_at = session.scalar(
        select(AccessToken.created_at)
        .where(AccessToken.channel_id == channel.id, AccessToken.kind == TokenKind.LONG_LIVED,
               AccessToken.revoked_at.is_(None))
        .order_by(AccessToken.created_at.desc()).limit(1))
    return MessagingApiOut(account=account_out(account, role), channel=channel_out(channel),
                           long_lived_token_issued_at=issued_at)


def issue_long_lived_token(session: Session, actor: Actor, account_id: int) -> IssuedToken:
    """Issue the channel's long-lived token; a reissue revokes the one before (shown once)."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    now = clock.now()
    session.execute(update(AccessToken)
                    .where(AccessToken.channel_id == channel.id, AccessToken.kind == TokenKind.LONG_LIVED,
                           AccessToken.revoked_at.is_(None))
                    .values(revoked_at=now))
    _tokens_changed(session)
    token = ids.access_token()
    session.add(AccessToken(channel_id=channel.id, kind=TokenKind.LONG_LIVED, token_hash=hash_token(token),
                            created_at=now, expires_at=None))
    session.flush()
    return IssuedToken(access_token=token)


def reissue_secret(session: Session, actor: Actor, account_id: int) -> ChannelOut:
    """A new channel secret; webhooks are signed with it from now on."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    channel.channel_secret = ids.channel_secret()
    channel.secret_issued_at = clock.now()
    session.flush()
    _tokens_changed(session)  # stateless tokens were signed with the old secret
    return channel_out(channel)


def set_response_mode(session: Session, actor: Actor, account_id: int, mode: str) -> ChannelOut:
    """Switch between Chat and Bot (R-CHT-01). Bot mode turns "Use webhook" on, as LINE does."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    try:
        chosen = ResponseMode(mode)
    except ValueError as exc:
        raise Invalid(field="response_mode", reason="Choose Chat or Bot.") from exc
    channel = channel_of(session, account.id)
    if chosen == ResponseMode.BOT and channel.response_mode != ResponseMode.BOT:
        channel.use_webhook = True
    channel.response_mode = chosen
    session.flush()
    return channel_out(channel)


def set_join_group_chats(session: Session, actor: Actor, account_id: int, allowed: bool) -> ChannelOut:
    """Turn "Allow account to join group chats and multi-person chats" on or off (R-CHT-02). Off refuses
    new invitations only: the account stays in the groups and rooms it is in, as on LINE."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    channel.join_group_chats = allowed
    session.flush()
    return channel_out(channel)


def refusing_group_chats() -> Select[int]:
    """The ids of the accounts whose admin turned group chats off (an account without a channel
    yet has LINE's default: it joins)."""
    return select(Channel.account_id).where(Channel.join_group_chats.is_(False))


def joins_group_chats(session: Session, account_id: int) -> bool:
    """Whether people may invite the account into a group chat or room now. An account whose channel
    is not made yet has LINE's default, yes; reading it makes no channel."""
    allowed = session.scalar(select(Channel.join_group_chats).where(Channel.account_id == account_id))
    return True if allowed is None else allowed


def authenticate_bearer(session: Session, authorization: str | None) -> BotContext:
    """The channel a Messaging API request acts for; 401 for a missing, wrong, expired or revoked token."""
    if not authorization or not authorization.startswith("Bearer "):
        raise _bearer_refused()
    token = authorization[len("Bearer "):].strip()
    stateless = rules.parse_stateless_token(token)
    if stateless is not None:
        return _authenticate_stateless(session, *stateless)
    row = session.execute(
        select(AccessToken, Channel, OfficialAccount.provider_id)
        .join(Channel, Channel.id == AccessToken.channel_id)
        .join(OfficialAccount, OfficialAccount.id == Channel.account_id)
        .where(AccessToken.token_hash == hash_token(token))).first()
    if row is None:
        raise _bearer_refused()
    access, channel, provider_id = row
    if access.revoked_at is not None or (access.expires_at is not None and access.expires_at <= clock.now()):
        raise _bearer_refused()
    return BotContext(account_id=channel.account_id, channel_pk=channel.id, channel_id=channel.channel_id,
                      provider_id=provider_id, bot_user_id=channel.bot_user_id, token_kind=access.kind)


def _bearer_refused() -> Unauthenticated:
    return Unauthenticated("Authentication failed. Confirm that the access token in the authorization "
                           "header is valid.")


def _authenticate_stateless(session: Session, channel_id: str, expires_at: int, body: str,
                            signature: str) -> BotContext:
    row = session.execute(
        select(Channel, OfficialAccount.provider_id)
        .join(OfficialAccount, OfficialAccount.id == Channel.account_id)
        .where(Channel.channel_id == channel_id)).first()
    if row is None:
        raise _bearer_refused()
    channel, provider_id = row
    # Signed with the channel secret: reissuing the secret ends every stateless token at once.
    expected = sign(channel.channel_secret, rules.stateless_signing_input(body))
    if not signatures_match(signature, expected) or expires_at <= clock.now().timestamp():
        raise _bearer_refused()
    return BotContext(account_id=channel.account_id, channel_pk=channel.id, channel_id=channel.channel_id,
                      provider_id=provider_id, bot_user_id=channel.bot_user_id, token_kind=TokenKind.STATELESS)


def bot_info(session: Session, bot: BotContext) -> BotInfo:
    """What a bot learns of itself (GET /v2/bot/info): its user ID, IDs, name, picture and chat mode."""
    channel, account = session.execute(
        select(Channel, OfficialAccount).join(OfficialAccount, OfficialAccount.id == Channel.account_id)
        .where(Channel.id == bot.channel_pk)).one()
    return BotInfo(user_id=channel.bot_user_id, basic_id=account.basic_id, premium_id=account.premium_id,
                   display_name=account.display_name,
                   picture_url=public_url(account.profile_image) if account.profile_image else None,
                   chat_mode=channel.response_mode, mark_as_read_mode=rules.mark_as_read_mode(channel.response_mode))


# ---------------------------------------------------------------- channel access token API (OAuth)
# These use cases authenticate by what the request carries (channel ID and secret, a signed JWT
# assertion, or the token itself), so they take no actor. Refusals are OAuthRefused, answered
# {"error", "error_description"}; the two LINE answers in its message body are NotFound/Invalid.

def _live_tokens(channel_pk: int, kind: TokenKind, now: datetime) -> Select:
    """A channel's unrevoked, unexpired tokens of one kind (ix_channel_access_tokens_channel_kind)."""
    return select(AccessToken).where(
        AccessToken.channel_id == channel_pk, AccessToken.kind == kind, AccessToken.revoked_at.is_(None),
        or_(AccessToken.expires_at.is_(None), AccessToken.expires_at > now))


def _store_token(session: Session, channel: Channel, kind: TokenKind, now: datetime, expires_at: datetime,
                 *, key_id: str | None = None) -> str:
    token = ids.access_token()
    session.add(AccessToken(channel_id=channel.id, kind=kind, token_hash=hash_token(token), key_id=key_id,
                            created_at=now, expires_at=expires_at))
    session.flush()
    return token


def _seconds(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds()))


def _channel_by_credentials(session: Session, client_id: str, client_secret: str) -> Channel:
    channel = session.scalar(select(Channel).where(Channel.channel_id == client_id))
    # One answer for an unknown channel and a wrong secret: the ID alone proves nothing.
    if channel is None or not signatures_match(channel.channel_secret, client_secret):
        raise rules.invalid_client()
    return channel


def issue_short_lived_token(session: Session, *, grant_type: str | None, client_id: str | None,
                            client_secret: str | None) -> ShortLivedToken:
    """A 30-day token for the channel ID and secret; the 31st live one revokes the oldest, as LINE does."""
    if not (grant_type and client_id and client_secret):
        raise rules.invalid_request()
    if grant_type != rules.GRANT_TYPE:
        raise rules.unsupported_grant_type()
    channel = _channel_by_credentials(session, client_id, client_secret)
    now = clock.now()
    token = _store_token(session, channel, TokenKind.SHORT_LIVED, now, now + rules.SHORT_LIVED_TTL)
    beyond_cap = (_live_tokens(channel.id, TokenKind.SHORT_LIVED, now).with_only_columns(AccessToken.id)
                  .order_by(AccessToken.created_at.desc(), AccessToken.id.desc())
                  .offset(rules.SHORT_LIVED_CAP))
    session.execute(update(AccessToken).where(AccessToken.id.in_(beyond_cap)).values(revoked_at=now)
                    .execution_options(synchronize_session=False))
    _tokens_changed(session)
    return ShortLivedToken(access_token=token, expires_in=_seconds(rules.SHORT_LIVED_TTL))


def verify_token(session: Session, access_token: str | None, *, kinds: frozenset[TokenKind]) -> TokenVerification:
    """The channel and remaining lifetime of a live token of one of ``kinds`` (v2: long/short-lived; v2.1: JWT)."""
    if not access_token:
        raise rules.invalid_request()
    row = session.execute(
        select(AccessToken, Channel.channel_id).join(Channel, Channel.id == AccessToken.channel_id)
        .where(AccessToken.token_hash == hash_token(access_token))).first()
    if row is None or row[0].kind not in kinds or row[0].revoked_at is not None:
        raise rules.invalid_request(rules.VERIFY_UNKNOWN)
    access, channel_id = row
    now = clock.now()
    if access.expires_at is not None and access.expires_at <= now:
        raise rules.invalid_request(rules.VERIFY_EXPIRED)
    expires_at = access.expires_at or access.created_at + rules.LONG_LIVED_NOMINAL_TTL
    return TokenVerification(client_id=channel_id, expires_in=_seconds(expires_at - now), scope=rules.VERIFY_SCOPE)


def revoke_token(session: Session, access_token: str | None, *, kinds: frozenset[TokenKind],
                 channel: Channel | None = None) -> None:
    """Revoke a token of one of ``kinds``; an unknown or already revoked token is not an error (LINE)."""
    if not access_token:
        raise rules.invalid_request()
    stmt = update(AccessToken).where(AccessToken.token_hash == hash_token(access_token),
                                     AccessToken.kind.in_(kinds), AccessToken.revoked_at.is_(None))
    if channel is not None:
        stmt = stmt.where(AccessToken.channel_id == channel.id)
    session.execute(stmt.values(revoked_at=clock.now()).execution_options(synchronize_session=False))
    _tokens_changed(session)


def revoke_jwt_token(session: Session, *, client_id: str | None, client_secret: str | None,
                     access_token: str | None) -> None:
    """Revoke one of the channel's v2.1 tokens; the channel ID and secret must match (POST /oauth2/v2.1/revoke)."""
    if not (client_id and client_secret and access_token):
        raise rules.invalid_request()
    channel = _channel_by_credentials(session, client_id, client_secret)
    revoke_token(session, access_token, kinds=rules.V21_KINDS, channel=channel)


def _number(claims: dict[str, Any], name: str) -> int | float | None:
    value = claims.get(name)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _verified_assertion(session: Session, assertion: str) -> tuple[Channel, dict[str, Any]]:
    """The channel whose registered key signed ``assertion`` (RS256, kid), and the JWT's claims."""
    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.PyJWTError as exc:
        raise rules.invalid_request("client_assertion is not a JWT") from exc
    if header.get("alg") != rules.JWT_ALGORITHM:
        raise rules.invalid_request("client_assertion must be signed with RS256")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise rules.invalid_request("client_assertion has no kid in its header")
    row = session.execute(
        select(AssertionKey.public_key_jwk, Channel).join(Channel, Channel.id == AssertionKey.channel_id)
        .where(AssertionKey.kid == kid)).first()
    if row is None:
        raise NotFound(rules.JWT_KEY_UNKNOWN)
    public_jwk, channel = row
    try:
        key = jwt.PyJWK(json.loads(public_jwk), algorithm=rules.JWT_ALGORITHM).key
        # Times are checked below against core.clock, not the system clock PyJWT would use.
        claims = jwt.decode(assertion, key, algorithms=[rules.JWT_ALGORITHM], audience=rules.JWT_AUDIENCE,
                            options={"require": ["iss", "sub", "aud", "exp"], "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False})
    except jwt.InvalidSignatureError as exc:
        raise rules.invalid_client("client_assertion signature does not match the key") from exc
    except jwt.InvalidAudienceError as exc:
        raise rules.invalid_request(f"aud must be {rules.JWT_AUDIENCE}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise rules.invalid_request(f"client_assertion has no {exc.claim}") from exc
    except jwt.PyJWTError as exc:
        raise rules.invalid_request("client_assertion is invalid") from exc
    if claims["iss"] != channel.channel_id or claims["sub"] != channel.channel_id:
        raise rules.invalid_client("iss and sub must be the channel ID the key was registered for")
    exp = _number(claims, "exp")
    if exp is None:
        raise rules.invalid_request("exp must be a number of seconds since the epoch")
    now = clock.now().timestamp()
    if exp <= now:
        raise rules.invalid_request("client_assertion has expired")
    if exp > now + (rules.JWT_ASSERTION_MAX_TTL + rules.JWT_CLOCK_LEEWAY).total_seconds():
        raise rules.invalid_request("exp must be at most 30 minutes ahead")
    return channel, claims


def _assertion_channel(session: Session, client_assertion_type: str | None,
                       client_assertion: str | None) -> tuple[Channel, dict[str, Any]]:
    if not (client_assertion_type and client_assertion):
        raise rules.invalid_request()
    if client_assertion_type != rules.CLIENT_ASSERTION_TYPE:
        raise rules.invalid_request(f"client_assertion_type must be {rules.CLIENT_ASSERTION_TYPE}")
    return _verified_assertion(session, client_assertion)


def issue_jwt_token(session: Session, *, grant_type: str | None, client_assertion_type: str | None,
                    client_assertion: str | None) -> JwtToken:
    """A v2.1 token living ``token_exp`` seconds (≤ 30 days); refused while 30 are live (POST /oauth2/v2.1/token)."""
    if not grant_type:
        raise rules.invalid_request()
    if grant_type != rules.GRANT_TYPE:
        raise rules.unsupported_grant_type()
    channel, claims = _assertion_channel(session, client_assertion_type, client_assertion)
    lifetime = _number(claims, "token_exp")
    if lifetime is None or not 0 < lifetime <= rules.JWT_TOKEN_MAX_TTL.total_seconds():
        raise rules.invalid_request(
            f"token_exp must be between 1 and {_seconds(rules.JWT_TOKEN_MAX_TTL)} seconds")
    now = clock.now()
    live = session.scalar(select(func.count()).select_from(
        _live_tokens(channel.id, TokenKind.JWT, now).subquery())) or 0
    if live >= rules.JWT_TOKEN_CAP:
        raise Invalid(message=rules.JWT_CAP_REACHED)
    key_id = ids.key_id()
    token = _store_token(session, channel, TokenKind.JWT, now, now + timedelta(seconds=lifetime), key_id=key_id)
    return JwtToken(access_token=token, expires_in=int(lifetime), key_id=key_id)


def jwt_token_key_ids(session: Session, *, client_assertion_type: str | None,
                      client_assertion: str | None) -> TokenKeyIds:
    """The key IDs of the channel's live v2.1 tokens, oldest first (GET /oauth2/v2.1/tokens/kid)."""
    channel, _ = _assertion_channel(session, client_assertion_type, client_assertion)
    rows = session.scalars(_live_tokens(channel.id, TokenKind.JWT, clock.now())
                           .with_only_columns(AccessToken.key_id)
                           .order_by(AccessToken.created_at, AccessToken.id)).all()
    return TokenKeyIds(kids=[kid for kid in rows if kid])


def issue_stateless_token(session: Session, *, grant_type: str | None, client_assertion_type: str | None,
                          client_assertion: str | None, client_id: str | None,
                          client_secret: str | None) -> StatelessToken:
    """A 15-minute token by channel ID and secret or by JWT assertion; never stored, so never capped
    nor revocable (POST /oauth2/v3/token)."""
    if not grant_type:
        raise rules.invalid_request()
    if grant_type != rules.GRANT_TYPE:
        raise rules.unsupported_grant_type()
    if client_assertion:
        channel, _ = _assertion_channel(session, client_assertion_type, client_assertion)
    elif client_id and client_secret:
        channel = _channel_by_credentials(session, client_id, client_secret)
    else:
        raise rules.invalid_request()
    expires_at = int((clock.now() + rules.STATELESS_TTL).timestamp())
    body = rules.stateless_token_body(channel.channel_id, expires_at, ids.token())
    signature = sign(channel.channel_secret, rules.stateless_signing_input(body))
    return StatelessToken(access_token=f"{rules.STATELESS_PREFIX}{body}.{signature}",
                          expires_in=_seconds(rules.STATELESS_TTL))


def _public_jwk(text: str) -> dict[str, str]:
    refused = Invalid(field="public_key", reason='Paste an RSA public key as a JWK, like {"kty": "RSA", '
                                                '"alg": "RS256", "use": "sig", "e": "AQAB", "n": "…"}.')
    try:
        jwk = json.loads(text)
    except ValueError as exc:
        raise refused from exc
    if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("alg", rules.JWT_ALGORITHM) != rules.JWT_ALGORITHM:
        raise refused
    if any(part in jwk for part in ("d", "p", "q", "dp", "dq", "qi")):
        raise Invalid(field="public_key", reason="This is a private key. Register only the public key; "
                                                 "keep the private key with your bot.")
    public = {"kty": "RSA", "alg": rules.JWT_ALGORITHM, "use": "sig", "n": jwk.get("n"), "e": jwk.get("e")}
    try:
        key = jwt.PyJWK(public, algorithm=rules.JWT_ALGORITHM).key
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise refused from exc
    if not isinstance(key, RSAPublicKey) or key.key_size < rules.ASSERTION_KEY_MIN_BITS:
        raise Invalid(field="public_key", reason=f"Use an RSA key of at least {rules.ASSERTION_KEY_MIN_BITS} bits.")
    return public  # type: ignore[return-value]


def register_assertion_key(session: Session, actor: Actor, account_id: int, public_jwk_json: str) -> str:
    """Register a public key for v2.1 JWT assertions (admins only); returns the kid its JWTs must name."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    public = _public_jwk(public_jwk_json)
    channel = channel_of(session, account.id)
    kid = ids.key_id()
    session.add(AssertionKey(channel_id=channel.id, kid=kid, public_key_jwk=json.dumps(public, sort_keys=True),
                             created_at=clock.now()))
    session.flush()
    return kid
