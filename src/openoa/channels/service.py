"""Use cases of Messaging API channels: credentials, long-lived tokens, response mode, and
the bearer-token check every Messaging API request starts with."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.rules import Permission
from openoa.accounts.service import access_account
from openoa.channels.models import AccessToken, Channel
from openoa.channels.rules import ResponseMode, TokenKind
from openoa.channels.schemas import BotContext, ChannelOut, IssuedToken
from openoa.core import clock, ids
from openoa.core.access import Actor
from openoa.core.errors import Invalid, Unauthenticated
from openoa.core.security import hash_token


def channel_of(session: Session, account_id: int) -> Channel:
    """The account's channel, made on first need (every account can use the Messaging API)."""
    channel = session.scalar(select(Channel).where(Channel.account_id == account_id))
    if channel is None:
        now = clock.now()
        channel = Channel(account_id=account_id, channel_id=_free_channel_id(session),
                          channel_secret=ids.channel_secret(), bot_user_id=ids.scoped_user_id(),
                          response_mode=ResponseMode.CHAT, use_webhook=False, webhook_redelivery=False,
                          created_at=now, secret_issued_at=now)
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
                      use_webhook=channel.use_webhook, webhook_redelivery=channel.webhook_redelivery)


def get_channel(session: Session, actor: Actor, account_id: int) -> ChannelOut:
    """The channel's settings and credentials (admins only: the secret signs webhooks)."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    return channel_out(channel_of(session, account.id))


def issue_long_lived_token(session: Session, actor: Actor, account_id: int) -> IssuedToken:
    """Issue the channel's long-lived token; a reissue revokes the one before (shown once)."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    now = clock.now()
    session.execute(update(AccessToken)
                    .where(AccessToken.channel_id == channel.id, AccessToken.kind == TokenKind.LONG_LIVED,
                           AccessToken.revoked_at.is_(None))
                    .values(revoked_at=now))
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


def authenticate_bearer(session: Session, authorization: str | None) -> BotContext:
    """The channel a Messaging API request acts for; 401 for a missing, wrong, expired or revoked token."""
    if not authorization or not authorization.startswith("Bearer "):
        raise Unauthenticated("Authentication failed. Confirm that the access token in the authorization "
                              "header is valid.")
    token = authorization[len("Bearer "):].strip()
    row = session.execute(
        select(AccessToken, Channel, OfficialAccount.provider_id)
        .join(Channel, Channel.id == AccessToken.channel_id)
        .join(OfficialAccount, OfficialAccount.id == Channel.account_id)
        .where(AccessToken.token_hash == hash_token(token))).first()
    if row is None:
        raise Unauthenticated("Authentication failed. Confirm that the access token in the authorization "
                              "header is valid.")
    access, channel, provider_id = row
    if access.revoked_at is not None or (access.expires_at is not None and access.expires_at <= clock.now()):
        raise Unauthenticated("Authentication failed. Confirm that the access token in the authorization "
                              "header is valid.")
    return BotContext(account_id=channel.account_id, channel_pk=channel.id, channel_id=channel.channel_id,
                      provider_id=provider_id, bot_user_id=channel.bot_user_id, token_kind=access.kind)
