"""What the console and the Messaging API show of webhooks: settings, failed deliveries, the
result of a test delivery (LINE's field names where the API returns it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from openoa.accounts.schemas import AccountOut


class DeliveryFailureOut(BaseModel):
    """One failed attempt: which event, where it went, and why it failed."""

    webhook_event_id: str
    event_type: str
    attempt: int
    is_redelivery: bool
    endpoint: str
    status_code: int | None
    reason: str
    reason_label: str
    detail: str | None
    attempted_at: datetime


class WebhookSettingsOut(BaseModel):
    """The console's webhook page: the settings, whether events reach the bot now, recent failures."""

    account: AccountOut
    response_mode: str
    webhook_url: str | None
    use_webhook: bool
    webhook_redelivery: bool
    webhooks_go_out: bool
    failures: list[DeliveryFailureOut]


class WebhookSettingsIn(BaseModel):
    """Change any of the webhook settings; fields left out stay as they are. An empty URL removes it."""

    webhook_url: str | None = Field(default=None, max_length=2000)
    use_webhook: bool | None = None
    webhook_redelivery: bool | None = None


class VerifyIn(BaseModel):
    """The URL to verify; left out, the saved one."""

    endpoint: str | None = Field(default=None, max_length=2000)


class EndpointTestOut(BaseModel):
    """LINE's ``TestWebhookEndpointResponse``: what the bot answered to a signed empty envelope."""

    model_config = ConfigDict(populate_by_name=True)

    success: bool
    timestamp: datetime
    status_code: int = Field(alias="statusCode")
    reason: str
    detail: str


class WebhookEndpointOut(BaseModel):
    """LINE's ``GetWebhookEndpointResponse``."""

    endpoint: str
    active: bool


class SetWebhookEndpointIn(BaseModel):
    """LINE's ``SetWebhookEndpointRequest``."""

    endpoint: str


class EndpointTestIn(BaseModel):
    """LINE's ``TestWebhookEndpointRequest``."""

    endpoint: str | None = None


@dataclass(frozen=True)
class Delivery:
    """An attempt ready to send, read in one transaction and recorded in another (the POST
    happens between them, outside any transaction)."""

    event_pk: int
    account_id: int
    attempt: int
    url: str
    body: bytes
    headers: dict[str, str]
    # A retry after a redelivery setting's back-off, or a run again after a worker died with the
    # attempt in hand (it may have gone out): the bot is told it may have seen the event.
    is_redelivery: bool = False
