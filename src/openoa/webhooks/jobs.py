"""The ``webhooks.deliver`` job: one attempt to POST one event to the account's bot.

The attempt is read and signed in one unit of work, sent with none open (a bot that is slow
or down holds no transaction and no request), and recorded in a second one together with
the next attempt's job when redelivery is on. Running it twice records the attempt once.

A worker runs these jobs in batches (:func:`deliver_batch`): the same two units of work for
up to :data:`BATCH` events, whose POSTs are in flight together over the sender's keep-alive
connections — so one worker keeps up with many events without a thread per delivery.
"""

from __future__ import annotations

from concurrent.futures import Future

from openoa.core.db import Database
from openoa.core.jobs import Claimed, batch_job, job
from openoa.integrations.ports import PostOutcome
from openoa.integrations.webhook_sender import current_webhook_sender, submit_all
from openoa.webhooks import batch, rules, service
from openoa.webhooks.schemas import Delivery

# Deliveries a worker has in flight at once (and jobs it claims together for them): the
# sender's connection pool (100). Sent in slices of SLICE so that reading, sending and
# recording overlap; fewer, larger statements beat finer overlap on a busy core (measured, B3).
BATCH = 100
SLICE = 50


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


@batch_job(service.DELIVER_JOB, size=BATCH)
def deliver_batch(db: Database, claimed: list[Claimed]) -> dict[int, str]:
    """Send the attempts of many ``webhooks.deliver`` jobs and record them; a job whose payload is
    unreadable fails alone.

    The batch goes in slices, pipelined: a slice's POSTs are in flight while the next slice is
    read and signed and the previous one recorded, so the database work and the network
    overlap instead of taking turns.
    """
    errors: dict[int, str] = {}
    attempts: list[tuple[int, int]] = []
    for item in claimed:
        try:
            attempts.append((int(item.payload["event_id"]), int(item.payload.get("attempt", 1))))
        except (KeyError, TypeError, ValueError) as exc:
            errors[item.id] = f"bad payload: {exc!r}"
    sender = current_webhook_sender()
    in_flight: list[tuple[list[Delivery], Future[list[PostOutcome]]]] = []
    for start in range(0, len(attempts), SLICE):
        with db.scope() as session:
            deliveries = list(batch.prepare_deliveries(session, attempts[start:start + SLICE]).values())
        if deliveries:
            in_flight.append((deliveries, submit_all(sender, [(d.url, d.body, d.headers) for d in deliveries],
                                                     timeout=rules.DELIVERY_TIMEOUT_SECONDS)))
    for deliveries, outcomes in in_flight:
        results = list(zip(deliveries, outcomes.result(rules.DELIVERY_TIMEOUT_SECONDS + 10), strict=True))
        with db.scope() as session:
            batch.record_deliveries(session, results)
    return errors
