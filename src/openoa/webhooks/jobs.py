"""The ``webhooks.deliver`` job: one attempt to POST one event to the account's bot.

The attempt is read and signed in one unit of work, sent with none open (a bot that is slow
or down holds no transaction and no request), and recorded in a second one together with
the next attempt's job when redelivery is on. Running it twice records the attempt once.
"""

from __future__ import annotations

from openoa.core.db import Database
from openoa.core.jobs import job
from openoa.integrations.webhook_sender import current_webhook_sender
from openoa.webhooks import rules, service


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
