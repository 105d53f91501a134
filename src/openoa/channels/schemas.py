"""What the console, the CLI and the Messaging API show of a channel."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from openoa.accounts.schemas import AccountOut


class ChannelOut(BaseModel):
    account_id: int
    channel_id: str
    channel_secret: str
    bot_user_id: str
    response_mode: str
    webhook_url: str | None
    use_webhook: bool
    webhook_redelivery: bool
    join_group_chats: bool


class IssuedToken(BaseModel):
    """A token as handed out once; only its hash is kept."""

    access_token: str


class BotContext(BaseModel):
    """Who a Messaging API request acts for, after its bearer token was checked."""

    account_id: int
    channel_pk: int
    channel_id: str
    provider_id: str
    bot_user_id: str
    token_kind: str


class ResponseModeIn(BaseModel):
    """Chat or Bot (R-CHT-01)."""

    response_mode: str


class GroupChatsIn(BaseModel):
    """Whether people may invite the account into group chats and multi-person chats (R-CHT-02)."""

    join_group_chats: bool


class MessagingApiOut(BaseModel):
    """The console's Messaging API page: the account, its channel, and when its long-lived token was issued."""

    account: AccountOut
    channel: ChannelOut
    long_lived_token_issued_at: datetime | None


# ---------------------------------------------------------------- channel access token API (LINE's wire names)

BEARER = "Bearer"


class ShortLivedToken(BaseModel):
    """POST /v2/oauth/accessToken: a 30-day token (SDK IssueShortLivedChannelAccessTokenResponse)."""

    access_token: str
    expires_in: int
    token_type: str = BEARER


class JwtToken(BaseModel):
    """POST /oauth2/v2.1/token (SDK IssueChannelAccessTokenResponse)."""

    access_token: str
    expires_in: int
    token_type: str = BEARER
    key_id: str


class StatelessToken(BaseModel):
    """POST /oauth2/v3/token: 15 minutes, never stored (SDK IssueStatelessChannelAccessTokenResponse)."""

    token_type: str = BEARER
    access_token: str
    expires_in: int


class TokenVerification(BaseModel):
    """What verify tells about a live token (SDK VerifyChannelAccessTokenResponse)."""

    client_id: str
    expires_in: int
    scope: str | None = None


class TokenKeyIds(BaseModel):
    """GET /oauth2/v2.1/tokens/kid: the key IDs of the channel's live v2.1 tokens."""

    kids: list[str]


class AssertionKeyIn(BaseModel):
    """A public key for v2.1 JWT assertions, as the JWK JSON text LINE's console takes."""

    public_key: str = Field(description='RSA public key as a JWK, e.g. {"kty":"RSA","alg":"RS256",'
                                        '"use":"sig","e":"AQAB","n":"…"}', max_length=10_000)


class AssertionKeyOut(BaseModel):
    """The kid to put in the JWT header of assertions signed with the matching private key."""

    kid: str


class BotInfo(BaseModel):
    """GET /v2/bot/info (SDK BotInfoResponse)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    user_id: str
    basic_id: str
    premium_id: str | None = None
    display_name: str
    picture_url: str | None = None
    chat_mode: str
    mark_as_read_mode: str
