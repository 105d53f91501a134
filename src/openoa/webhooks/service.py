"""Use cases of webhooks: emitting an account's events for its bot (stored, and queued for
delivery in the same transaction), preparing and recording each delivery attempt, reply
tokens, the webhook settings, and the "Verify" test delivery.

Nothing here talks HTTP inside a transaction: deliveries happen in the ``webhooks.deliver``
job, and a test delivery reads what it needs, closes its unit of work, then sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.accounts.rules import Permission
from openoa.accounts.service import access_account, account_out
from openoa.channels import rules as channel_rules
from openoa.channels.models import Channel
from openoa.channels.schemas import BotContext
from openoa.channels.service import channel_of
from openoa.core import clock, ids
from openoa.core.access import Actor
from openoa.core.db import Database
from openoa.core.errors import Conflict, Invalid, NotFound
from openoa.core.jobs import enqueue
from openoa.core.security import hash_token
from openoa.integrations.ports import PostOutcome, WebhookSender
from openoa.integrations.webhook_sender import current_webhook_sender
from openoa.webhooks import rules
from openoa.webhooks.models import ReplyToken, WebhookDelivery, WebhookEvent
from openoa.webhooks.schemas import (
    Delivery,
    DeliveryFailureOut,
    EndpointTestOut,
    WebhookEndpointOut,
    WebhookSettingsOut,
)

DELIVER_JOB = "webhooks.deliver"
RECENT_FAILURES = 20
INVALID_REPLY_TOKEN = "Invalid reply token"  # noqa: S105  (an error message)


# ---------------------------------------------------------------- reply tokens

def issue_reply_token(session: Session, account_id: int, user_id: int) -> str:
    """A new reply token for an event from ``user_id``: single use, valid for a minute."""
    token = ids.reply_token()
    now = clock.now()
    session.add(ReplyToken(token_hash=hash_token(token), account_id=account_id, user_id=user_id,
                           created_at=now, expires_at=now + rules.REPLY_TOKEN_TTL))
    session.flush()
    return token


def consume_reply_token(session: Session, account_id: int, token: str) -> int:
    """Use up ``token`` for a reply from ``account_id``; returns the person to reply to.

    One conditional UPDATE decides, so two replies racing with one token cannot both win.
    Another account's, an unknown, a used and an expired token are refused alike, and so is
    a group event's token: it answers the group, never one of its members in a 1:1 chat.
    """
    now = clock.now()
    user_id = session.execute(
        update(ReplyToken)
        .where(ReplyToken.token_hash == hash_token(token or ""), ReplyToken.account_id == account_id,
               ReplyToken.user_id.is_not(None), ReplyToken.used_at.is_(None), ReplyToken.expires_at > now)
        .values(used_at=now)
        .returning(ReplyToken.user_id),
        execution_options={"synchronize_session": False}).scalar_one_or_none()
    if user_id is None:
        raise Invalid(message=INVALID_REPLY_TOKEN)
    return int(user_id)


def _renew_reply_token(session: Session, token: str) -> None:
    row = session.scalar(select(ReplyToken).where(ReplyToken.token_hash == hash_token(token),
                                                  ReplyToken.used_at.is_(None)))
    if row is not None:
        renewed = rules.reply_token_expiry_on_delivery(row.created_at, clock.now())
        row.expires_at = max(row.expires_at, renewed)


# ---------------------------------------------------------------- events

def _channel(session: Session, account_id: int) -> Channel | None:
    # Read only: an account that never opened its channel is in Chat mode, and adding a
    # friend must not create channel rows as a side effect.
    return session.scalar(select(Channel).where(Channel.account_id == account_id))


def _in_bot_mode(channel: Channel | None) -> bool:
    return channel is not None and channel.response_mode == channel_rules.ResponseMode.BOT


def _goes_out(channel: Channel) -> bool:
    return channel_rules.webhooks_go_out(channel.response_mode, channel.use_webhook, channel.webhook_url)


def emit(session: Session, account_id: int, event: dict[str, Any]) -> WebhookEvent | None:
    """Store an event for the account's bot and queue its delivery, in the caller's transaction.

    ``event`` is LINE's event object without ``deliveryContext``; ``timestamp``, ``mode`` and
    ``webhookEventId`` are added when missing. In Chat mode nothing is stored (R-CHT-01); in
    Bot mode the event is kept, and delivered only while webhooks go out (use webhook + URL).
    """
    channel = _channel(session, account_id)
    if channel is None or not _in_bot_mode(channel):
        return None
    now = clock.now()
    payload = {"timestamp": rules.timestamp_ms(now), "mode": rules.ACTIVE,
               "webhookEventId": ids.webhook_event_id(), **event}
    row = WebhookEvent(account_id=account_id, webhook_event_id=payload["webhookEventId"],
                       type=str(payload["type"]), payload=payload, created_at=now)
    session.add(row)
    session.flush()
    if _goes_out(channel):
        enqueue(session, DELIVER_JOB, {"event_id": row.id, "attempt": 1}, max_attempts=3)
    return row


def emit_follow(session: Session, account_id: int, *, user_id: int, scoped_user_id: str,
                is_unblocked: bool) -> WebhookEvent | None:
    """A person added the account, or unblocked it: a ``follow`` event with a reply token."""
    if not _in_bot_mode(_channel(session, account_id)):
        return None
    token = issue_reply_token(session, account_id, user_id)
    return emit(session, account_id, rules.follow_event(user_id=scoped_user_id, reply_token=token,
                                                        is_unblocked=is_unblocked))


def emit_unfollow(session: Session, account_id: int, *, scoped_user_id: str) -> WebhookEvent | None:
    """A person blocked the account: an ``unfollow`` event."""
    return emit(session, account_id, rules.unfollow_event(user_id=scoped_user_id))


# ---------------------------------------------------------------- delivery (the job's two halves)

def prepare_delivery(session: Session, event_pk: int, attempt: int) -> Delivery | None:
    """Attempt ``attempt`` of an event, signed and ready to send; None when there is nothing to do
    (the attempt was already made, the event is gone, or webhooks stopped going out)."""
    already = session.scalar(select(WebhookDelivery.id).where(WebhookDelivery.event_id == event_pk,
                                                              WebhookDelivery.attempt == attempt))
    if already is not None:
        return None
    row = session.execute(select(WebhookEvent, Channel)
                          .join(Channel, Channel.account_id == WebhookEvent.account_id)
                          .where(WebhookEvent.id == event_pk)).first()
    if row is None:
        return None
    event, channel = row
    if not _goes_out(channel) or not channel.webhook_url:
        return None
    is_redelivery = attempt > 1
    if event.payload.get("replyToken"):
        _renew_reply_token(session, event.payload["replyToken"])
    body = rules.envelope(channel.bot_user_id, [rules.as_delivered(event.payload, is_redelivery=is_redelivery)])
    return Delivery(event_pk=event.id, account_id=event.account_id, attempt=attempt, url=channel.webhook_url,
                    body=body, headers=rules.request_headers(channel.channel_secret, body),
                    is_redelivery=is_redelivery)


def record_delivery(session: Session, delivery: Delivery, outcome: PostOutcome) -> WebhookDelivery | None:
    """Record an attempt and, if it failed with redelivery on, queue the next one with it.

    The next attempt's job is written in the same transaction as this attempt's row, so a
    crash can neither lose the redelivery nor schedule it twice. None: already recorded.
    """
    reason = rules.failure_reason(outcome.status_code, outcome.failure)
    attempt = WebhookDelivery(event_id=delivery.event_pk, account_id=delivery.account_id,
                              attempt=delivery.attempt, is_redelivery=delivery.is_redelivery,
                              endpoint=delivery.url, status_code=outcome.status_code,
                              reason=reason.value if reason else None,
                              detail=outcome.detail or None, duration_ms=int(outcome.seconds * 1000),
                              attempted_at=clock.now())
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:  # another run of this job recorded it first
        return None
    if reason is not None:
        channel = _channel(session, delivery.account_id)
        delay = rules.redelivery_delay(delivery.attempt,
                                       redelivery_on=bool(channel and channel.webhook_redelivery))
        if delay is not None:
            enqueue(session, DELIVER_JOB, {"event_id": delivery.event_pk, "attempt": delivery.attempt + 1},
                    run_at=clock.now() + delay, max_attempts=3)
    return attempt


# ---------------------------------------------------------------- settings (console)

def _failures(session: Session, account_id: int) -> list[DeliveryFailureOut]:
    rows = session.execute(
        select(WebhookDelivery, WebhookEvent.webhook_event_id, WebhookEvent.type)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.account_id == account_id, WebhookDelivery.reason.is_not(None))
        .order_by(WebhookDelivery.attempted_at.desc(), WebhookDelivery.id.desc())
        .limit(RECENT_FAILURES)).all()
    return [DeliveryFailureOut(webhook_event_id=event_id, event_type=event_type, attempt=d.attempt,
                               is_redelivery=d.is_redelivery, endpoint=d.endpoint, status_code=d.status_code,
                               reason=d.reason or "", reason_label=rules.failure_label(d.reason or ""),
                               detail=d.detail, attempted_at=d.attempted_at)
            for d, event_id, event_type in rows]


def webhook_settings(session: Session, actor: Actor, account_id: int) -> WebhookSettingsOut:
    """The account's webhook settings and its latest failed deliveries (admins only)."""
    account, role = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    return WebhookSettingsOut(account=account_out(account, role), response_mode=channel.response_mode,
                              webhook_url=channel.webhook_url, use_webhook=channel.use_webhook,
                              webhook_redelivery=channel.webhook_redelivery, webhooks_go_out=_goes_out(channel),
                              failures=_failures(session, account.id))


def update_webhook_settings(session: Session, actor: Actor, account_id: int, *, webhook_url: str | None = None,
                            use_webhook: bool | None = None,
                            webhook_redelivery: bool | None = None) -> WebhookSettingsOut:
    """Change the webhook URL ("" removes it), "Use webhook" and "Webhook redelivery"."""
    account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
    channel = channel_of(session, account.id)
    if webhook_url is not None:
        channel.webhook_url = rules.check_endpoint(webhook_url, field="webhook_url") if webhook_url.strip() else None
    if use_webhook is not None:
        channel.use_webhook = use_webhook
    if webhook_redelivery is not None:
        channel.webhook_redelivery = webhook_redelivery
    session.flush()
    return webhook_settings(session, actor, account_id)


# ---------------------------------------------------------------- the Messaging API's endpoint settings

def _bot_channel(session: Session, bot: BotContext) -> Channel:
    channel = session.get(Channel, bot.channel_pk)
    if channel is None:
        raise NotFound()
    return channel


def bot_endpoint(session: Session, bot: BotContext) -> WebhookEndpointOut:
    """``GET /v2/bot/channel/webhook/endpoint``: the URL ("" when none) and whether "Use webhook" is on."""
    channel = _bot_channel(session, bot)
    return WebhookEndpointOut(endpoint=channel.webhook_url or "", active=channel.use_webhook)


def set_bot_endpoint(session: Session, bot: BotContext, endpoint: str) -> None:
    """``PUT /v2/bot/channel/webhook/endpoint``: a new URL; "Use webhook" is left as it is, as LINE does."""
    channel = _bot_channel(session, bot)
    channel.webhook_url = rules.check_endpoint(endpoint)
    session.flush()


# ---------------------------------------------------------------- test delivery ("Verify")

def _send_test(url: str, secret: str, destination: str, sender: WebhookSender | None) -> EndpointTestOut:
    body = rules.envelope(destination, [])
    started = clock.now()
    outcome = (sender or current_webhook_sender()).post(url, body, rules.request_headers(secret, body),
                                                        timeout=rules.TEST_TIMEOUT_SECONDS)
    reason = rules.failure_reason(outcome.status_code, outcome.failure)
    # LINE: "If the webhook response isn't received, the status code is set to zero".
    return EndpointTestOut(success=reason is None, timestamp=started, statusCode=outcome.status_code or 0,
                           reason=rules.verify_reason(reason), detail=outcome.detail or "")


def verify_webhook(db: Database, actor: Actor, account_id: int, *,
                   sender: WebhookSender | None = None) -> EndpointTestOut:
    """The console's "Verify": a signed empty envelope to the saved URL, and what the bot answered.

    Takes the database, not a session: the settings are read in a unit of work that ends
    before the POST, so a slow bot holds no transaction.
    """
    with db.scope() as session:
        account, _ = access_account(session, actor, account_id, Permission.MESSAGING_API)
        channel = channel_of(session, account.id)
        url, secret, destination = channel.webhook_url, channel.channel_secret, channel.bot_user_id
    if not url:
        raise Conflict(field="webhook_url", reason="Save a webhook URL first, then verify it.")
    return _send_test(url, secret, destination, sender)


def verify_bot_endpoint(db: Database, bot: BotContext, endpoint: str | None, *,
                      sender: WebhookSender | None = None) -> EndpointTestOut:
    """``POST /v2/bot/channel/webhook/test``: the given URL, or the saved one, gets an empty envelope."""
    url = rules.check_endpoint(endpoint) if endpoint is not None else None
    with db.scope() as session:
        channel = _bot_channel(session, bot)
        url = url or channel.webhook_url
        secret, destination = channel.channel_secret, channel.bot_user_id
    if not url:
        raise Invalid(field="endpoint", reason="No webhook URL is set. Set one, or give an endpoint to test.")
    return _send_test(url, secret, destination, sender)


# ---------------------------------------------------------------- what people do in a 1:1 chat

def emit_message(session: Session, account_id: int, *, user_id: int, scoped_user_id: str,
                 message: dict[str, Any]) -> WebhookEvent | None:
    """A person sent a message: a ``message`` event with a reply token (Bot mode only)."""
    if not _in_bot_mode(_channel(session, account_id)):
        return None
    token = issue_reply_token(session, account_id, user_id)
    return emit(session, account_id, rules.message_event(user_id=scoped_user_id, reply_token=token,
                                                         message=message))


def emit_postback(session: Session, account_id: int, *, user_id: int, scoped_user_id: str, data: str,
                  params: dict[str, str] | None = None) -> WebhookEvent | None:
    """A person tapped a postback (or datetime picker) action: a ``postback`` event with a reply token."""
    if not _in_bot_mode(_channel(session, account_id)):
        return None
    token = issue_reply_token(session, account_id, user_id)
    return emit(session, account_id, rules.postback_event(user_id=scoped_user_id, reply_token=token,
                                                          data=data, params=params))


def emit_unsend(session: Session, account_id: int, *, scoped_user_id: str, message_id: str) -> WebhookEvent | None:
    """A person unsent one of their messages: an ``unsend`` event."""
    return emit(session, account_id, rules.unsend_event(user_id=scoped_user_id, message_id=message_id))


# ---------------------------------------------------------------- housekeeping

def delete_events_before(session: Session, cutoff: datetime, *, limit: int) -> tuple[int, bool]:
    """Delete the events created before ``cutoff`` among the ``limit`` oldest, with their delivery
    log; (how many, whether older ones may remain). Walks the primary key, oldest first (ids grow
    with time), so it never scans the recent events."""
    oldest = session.execute(select(WebhookEvent.id, WebhookEvent.created_at).order_by(WebhookEvent.id)
                             .limit(limit)).all()
    doomed = [pk for pk, created in oldest if created < cutoff]
    if doomed:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(doomed)),
                        execution_options={"synchronize_session": False})
        session.execute(delete(WebhookEvent).where(WebhookEvent.id.in_(doomed)),
                        execution_options={"synchronize_session": False})
    return len(doomed), len(doomed) == limit


def delete_reply_tokens_before(session: Session, cutoff: datetime, *, limit: int) -> tuple[int, bool]:
    """Delete the reply tokens issued before ``cutoff`` (all long expired) among the ``limit`` oldest;
    (how many, whether older ones may remain)."""
    oldest = session.execute(select(ReplyToken.id, ReplyToken.created_at).order_by(ReplyToken.id).limit(limit)).all()
    doomed = [pk for pk, created in oldest if created < cutoff]
    if doomed:
        session.execute(delete(ReplyToken).where(ReplyToken.id.in_(doomed)),
                        execution_options={"synchronize_session": False})
    return len(doomed), len(doomed) == limit
