"""The statements a batch of webhook deliveries runs (webhooks/batch.py), built once and run on
the driver's cursor (core/prepared.py): per batch of a hundred events, building and executing
them through SQLAlchemy cost more than SQLite takes to run them (B3)."""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from openoa.channels.models import Channel
from openoa.core.prepared import InsertRows, Prepared
from openoa.webhooks.models import ReplyToken, WebhookDelivery, WebhookEvent

RECORDED_ATTEMPTS = Prepared(
    select(WebhookDelivery.event_id, WebhookDelivery.attempt)
    .where(WebhookDelivery.event_id.in_(bindparam("event_ids", expanding=True))))
"""(event_id, attempt) of every attempt already recorded for ``event_ids`` (the unique pair's index)."""

EVENTS = Prepared(
    select(WebhookEvent.id, WebhookEvent.account_id, WebhookEvent.payload)
    .where(WebhookEvent.id.in_(bindparam("event_ids", expanding=True))))
"""(id, account_id, payload) of ``event_ids``."""

CHANNELS = Prepared(
    select(Channel.account_id, Channel.response_mode, Channel.use_webhook, Channel.webhook_url,
           Channel.bot_user_id, Channel.channel_secret)
    .where(Channel.account_id.in_(bindparam("account_ids", expanding=True))))
"""What signing and sending need of the channels of ``account_ids``."""

RENEW_RECENT_REPLY_TOKENS = Prepared(
    update(ReplyToken)
    .where(ReplyToken.token_hash.in_(bindparam("b_hashes", expanding=True)), ReplyToken.used_at.is_(None),
           ReplyToken.created_at >= bindparam("b_recent", type_=ReplyToken.__table__.c.created_at.type),
           ReplyToken.expires_at < bindparam("b_until", type_=ReplyToken.__table__.c.expires_at.type))
    .values(expires_at=bindparam("b_until")))
"""Unused tokens of ``b_hashes`` issued since ``b_recent``: expire at ``b_until`` (rows changed)."""

DELIVERY_COLUMNS = ("event_id", "account_id", "attempt", "is_redelivery", "endpoint", "status_code", "reason",
                    "detail", "duration_ms", "attempted_at")


INSERT_DELIVERIES = InsertRows(WebhookDelivery.__table__, DELIVERY_COLUMNS)
"""The recorded attempts of a batch (every name of ``DELIVERY_COLUMNS`` per row), one statement:
on PostgreSQL each INSERT of an executemany is its own execution on the server, which shares the
cores with the runner and the sender (B3)."""
