"""The ``webhooks.deliver`` job: one attempt to POST one event to the account's bot.

The attempt is read and signed in one unit of work, sent with none open (a bot that is slow
or down holds no transaction and no request), and recorded in a second one together with
the next attempt's job when redelivery is on. Running it twice records the attempt once.

A worker runs these jobs in batches (:func:`deliver_batch`): the same two units of work for
up to :data:`BATCH` events, whose POSTs are in flight together over the sender's keep-alive
connections while the worker starts the next batch — so one worker keeps up with many events
without a thread per delivery.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta

from openoa.core import clock
from openoa.core.db import Database
from openoa.core.jobs import PRUNE_CHUNK, Claimed, Settle, batch_job, job, recurring
from openoa.core.settings import get_settings
from openoa.integrations.ports import PostOutcome
from openoa.integrations.webhook_sender import current_webhook_sender, submit_all
from openoa.webhooks import batch, rules, service
from openoa.webhooks.schemas import Delivery

# Deliveries a worker has in flight at once (and jobs it claims together for them): the
# sender's connection pool (100). A batch is read and signed in one unit of work and recorded
# in another; the Worker starts the next batch while this one's POSTs are in flight (InFlight).
BATCH = 100


@job(service.DELIVER_JOB)
def deliver(db: Database, *, event_id: int, attempt: int = 1) -> None:
    """Send attempt ``attempt`` of webhook event ``event_id`` and record what the bot did."""
    with db.scope() as session:
        delivery = service.prepare_delivery(session, event_id, attempt)
    if delivery is None:
        return
    outcome = current_webhook_sender().post(delivery.url, delivery.body, delivery.headers,
                                            timeout=rules.DELIVERY_TIMEOUT_SECONDS)
    with db.scope() as session:
        service.record_delivery(session, delivery, outcome)


@dataclass
class Sending:
    """A batch's POSTs in flight; :meth:`complete` waits for them and records every outcome
    together with the jobs' states."""

    db: Database
    deliveries: list[Delivery]
    outcomes: Future[list[PostOutcome]] | None
    errors: dict[int, str]

    def complete(self, settle: Settle) -> None:
        results = []
        if self.outcomes is not None:
            results = list(zip(self.deliveries, self.outcomes.result(rules.DELIVERY_TIMEOUT_SECONDS + 10),
                               strict=True))
        with self.db.scope() as session:
            batch.record_deliveries(session, results)
            settle(session, self.errors)


@batch_job(service.DELIVER_JOB, size=BATCH)
def deliver_batch(db: Database, claimed: list[Claimed]) -> Sending:
    """Read and sign the attempts of many ``webhooks.deliver`` jobs and send them; the answer,
    once complete, records them. A job whose payload is unreadable fails alone."""
    errors: dict[int, str] = {}
    attempts: list[tuple[int, int]] = []
    resumed: set[tuple[int, int]] = set()
    for item in claimed:
        try:
            attempts.append((int(item.payload["event_id"]), int(item.payload.get("attempt", 1))))
        except (KeyError, TypeError, ValueError) as exc:
            errors[item.id] = f"bad payload: {exc!r}"
            continue
        if item.attempt > 1:  # claimed before by a worker that never finished it: it may have sent
            resumed.add(attempts[-1])
    with db.scope() as session:
        deliveries = list(batch.prepare_deliveries(session, attempts, frozenset(resumed)).values())
    outcomes = None
    if deliveries:
        outcomes = submit_all(current_webhook_sender(), [(d.url, d.body, d.headers) for d in deliveries],
                              timeout=rules.DELIVERY_TIMEOUT_SECONDS)
    return Sending(db, deliveries, outcomes, errors)


# Reply tokens live minutes (20 at most, redelivered); a day later nothing can use them.
REPLY_TOKENS_KEPT = timedelta(days=1)


@recurring("webhooks.prune", every=timedelta(hours=1))
def prune(db: Database) -> None:
    """Delete webhook events (with their delivery log) older than ``OPENOA_WEBHOOK_EVENT_RETENTION_DAYS``
    and reply tokens a day after their issue, a chunk per transaction."""
    now = clock.now()
    event_cutoff = now - timedelta(days=get_settings().webhook_event_retention_days)
    for delete_chunk, cutoff in ((service.delete_events_before, event_cutoff),
                                 (service.delete_reply_tokens_before, now - REPLY_TOKENS_KEPT)):
        more = True
        while more:
            with db.scope() as session:
                _count, more = delete_chunk(session, cutoff, limit=PRUNE_CHUNK)
