"""Delivering many webhook events at once (what the job worker does under load): every attempt of
a batch is read and signed in one unit of work, the POSTs go out together with none open, and
the outcomes are recorded in a second one — a few statements per batch instead of per event.

The rules are :mod:`openoa.webhooks.service`'s (``prepare_delivery`` / ``record_delivery``):
an attempt already recorded is not sent again, nor recorded twice; a failure is recorded
through ``record_delivery`` itself, so its redelivery is queued exactly as for one event.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.channels import rules as channel_rules
from openoa.core import clock
from openoa.core.security import hash_token
from openoa.integrations.ports import PostOutcome
from openoa.webhooks import queries, rules
from openoa.webhooks.models import ReplyToken
from openoa.webhooks.schemas import Delivery
from openoa.webhooks.service import record_delivery

Attempt = tuple[int, int]  # (event pk, attempt number)


def _recorded(session: Session, attempts: list[Attempt]) -> set[Attempt]:
    rows = queries.RECORDED_ATTEMPTS.rows(session, event_ids=sorted({event_pk for event_pk, _ in attempts}))
    return {(event_pk, attempt) for event_pk, attempt in rows}


def _renew_reply_tokens(session: Session, tokens: list[str]) -> None:
    """``rules.reply_token_expiry_on_delivery`` for every token of a batch, in two statements."""
    if not tokens:
        return
    now = clock.now()
    until = now + rules.REPLY_TOKEN_TTL
    # Tokens issued since ``recent`` are not near their 20-minute bound: all get ``until``, in
    # one UPDATE. Older ones (a late redelivery) are bounded by their own issue time, row by row.
    recent = until - rules.REDELIVERED_REPLY_TOKEN_LIMIT
    hashes = {hash_token(t) for t in tokens}
    unused = (ReplyToken.token_hash.in_(hashes), ReplyToken.used_at.is_(None))
    renewed_now = queries.RENEW_RECENT_REPLY_TOKENS.run(session, b_hashes=sorted(hashes), b_recent=recent, b_until=until)
    if renewed_now == len(hashes):  # every token was recent: nothing older to do
        return
    older = session.execute(select(ReplyToken.id, ReplyToken.created_at, ReplyToken.expires_at)
                            .where(*unused, ReplyToken.created_at < recent)).all()
    renewed = [{"id": pk, "expires_at": rules.reply_token_expiry_on_delivery(created, now)}
               for pk, created, expires in older if rules.reply_token_expiry_on_delivery(created, now) > expires]
    if renewed:
        session.execute(update(ReplyToken), renewed)


def prepare_deliveries(session: Session, attempts: list[Attempt],
                       resumed: frozenset[Attempt] = frozenset()) -> dict[Attempt, Delivery]:
    """The attempts there is something to send for, signed and ready; the others are left out
    (already made, event gone, or webhooks no longer going out). ``resumed``: attempts whose job
    ran before (its worker died), which may have reached the bot already: sent as redeliveries."""
    recorded = _recorded(session, attempts)
    wanted = [a for a in dict.fromkeys(attempts) if a not in recorded]
    if not wanted:
        return {}
    rows = queries.EVENTS.rows(session, event_ids=sorted({event_pk for event_pk, _ in wanted}))
    events = {pk: (account_id, payload) for pk, account_id, payload in rows}
    channels = {c.account_id: c for c in queries.CHANNELS.rows(
        session, account_ids=sorted({account_id for account_id, _ in events.values()}))}
    ready: dict[Attempt, Delivery] = {}
    tokens: list[str] = []
    for event_pk, attempt in wanted:
        if event_pk not in events or events[event_pk][0] not in channels:
            continue
        account_id, payload = events[event_pk]
        channel = channels[account_id]
        if not (channel_rules.webhooks_go_out(channel.response_mode, channel.use_webhook, channel.webhook_url)
                and channel.webhook_url):
            continue
        if payload.get("replyToken"):
            tokens.append(payload["replyToken"])
        again = attempt > 1 or (event_pk, attempt) in resumed
        body = rules.envelope(channel.bot_user_id, [rules.as_delivered(payload, is_redelivery=again)])
        ready[(event_pk, attempt)] = Delivery(event_pk=event_pk, account_id=account_id, attempt=attempt,
                                              url=channel.webhook_url, body=body,
                                              headers=rules.request_headers(channel.channel_secret, body),
                                              is_redelivery=again)
    _renew_reply_tokens(session, tokens)
    return ready


def _row(delivery: Delivery, outcome: PostOutcome) -> dict[str, object]:
    return {"event_id": delivery.event_pk, "account_id": delivery.account_id, "attempt": delivery.attempt,
            "is_redelivery": delivery.is_redelivery, "endpoint": delivery.url, "status_code": outcome.status_code,
            "reason": None, "detail": outcome.detail or None, "duration_ms": int(outcome.seconds * 1000),
            "attempted_at": clock.now()}


def record_deliveries(session: Session, results: list[tuple[Delivery, PostOutcome]]) -> None:
    """Record every attempt of a batch once: the 2xx ones in one insert, each failure (with its
    redelivery) as :func:`~openoa.webhooks.service.record_delivery` records it."""
    failed = [(d, o) for d, o in results if rules.failure_reason(o.status_code, o.failure) is not None]
    succeeded = [(d, o) for d, o in results if rules.failure_reason(o.status_code, o.failure) is None]
    if succeeded:
        try:
            with session.begin_nested():
                queries.INSERT_DELIVERIES.run(session, [_row(d, o) for d, o in succeeded])
        except IntegrityError:  # another run recorded some of them meanwhile: one by one, skipping those
            for delivery, outcome in succeeded:
                record_delivery(session, delivery, outcome)
    for delivery, outcome in failed:
        record_delivery(session, delivery, outcome)
