"""R-MSG-05 under load: twenty clients pushing at once into a Free account with ten counted
messages left get exactly ten sends through — ten deliveries, ten counted messages, ten 429s with
LINE's "monthly limit" body — on the run's database (SQLite, or PostgreSQL under scripts/pg.sh).

The clients are twenty threads, each with its own `line-bot-sdk` v3 `MessagingApi`, released
together by a barrier against a real uvicorn server on loopback serving the scratch database:
TestClient would run the requests one after another and prove nothing about races.

Why this fails if the quota check is not serialised: every push reads the month's use (490) and
checks that its one recipient fits in what is left. Overlapping transactions that did not take
turns — the account row held FOR UPDATE on PostgreSQL, SQLite's one writer with the API's grouped
units seeing each other's writes — would all read 490 and all fit, so more than ten would be
delivered and counted (up to twenty, 510 used), and fewer than ten refused.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    PushMessageRequest,
    TextMessage,
)
from sqlalchemy import func, select

from openoa.accounts.rules import Package
from openoa.billing import rules as billing
from openoa.billing.models import MessageUsage
from openoa.core import clock
from openoa.core.clock import SystemClock
from openoa.core.db import Database
from openoa.messaging.models import Delivery, Send
from tests import factories
from tests.api.bots import make_bot
from tests.live import serve

pytestmark = pytest.mark.slow

CLIENTS, LEFT = 20, 10
MONTHLY_LIMIT = "You have reached your monthly limit."


def test_r_msg_05_twenty_concurrent_pushes_with_ten_left_deliver_and_count_exactly_ten(
        scratch_database_url: str, tmp_path: Path):
    clock.use(SystemClock())  # the server runs on the system clock: the usage rows must be in its month
    db = Database.from_url(scratch_database_url)
    with db.scope() as session:
        bot = make_bot(session, name="Rush Hour Cafe")
        assert bot.account.package == Package.FREE
        people = [factories.person(session) for _ in range(CLIENTS)]
        scoped = {factories.friend(session, person, bot.account).user_id: person.id for person in people}
        account_id, timezone = bot.account.id, bot.account.timezone
        month, today = billing.month_of(clock.now(), timezone), billing.day_of(clock.now(), timezone)
        # 490 used over earlier days when the month has them: today's row is made by the racing pushes.
        days = list(range(1, today.day))[:2] or [today.day]
        session.add_all(MessageUsage(account_id=account_id, year=month.year, month=month.month, day=day,
                                     used=(500 - LEFT) // len(days)) for day in days)

    with serve(tmp_path, secret="concurrency-secret", database_url=scratch_database_url,
               settings={"OPENOA_EMBEDDED_WORKER": "false"}) as server:
        url = server.url
        start = threading.Barrier(CLIENTS)

        def push(to: str) -> tuple[str, int, dict[str, Any]]:
            with ApiClient(Configuration(host=url, access_token=bot.token)) as client:
                messaging = MessagingApi(client)
                messaging.get_message_quota(_request_timeout=30)  # connected and authenticated before the race
                start.wait(timeout=60)
                try:
                    answer = messaging.push_message_with_http_info(
                        PushMessageRequest(to=to, messages=[TextMessage(text="Lunch rush!")]), _request_timeout=60)
                    return to, answer.status_code, {}
                except ApiException as refused:
                    return to, refused.status, json.loads(refused.body)

        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(pool.map(push, scoped))
        with ApiClient(Configuration(host=url, access_token=bot.token)) as client:
            consumption = MessagingApi(client).get_message_quota_consumption()

    statuses = sorted(status for _, status, _ in answers)
    assert statuses == [200] * LEFT + [429] * (CLIENTS - LEFT), answers
    assert {body["message"] for _, status, body in answers if status == 429} == {MONTHLY_LIMIT}
    accepted = {scoped[to] for to, status, _ in answers if status == 200}
    with db.scope() as session:
        delivered = session.scalars(select(Delivery.user_id).where(Delivery.account_id == account_id)).all()
        assert sorted(delivered) == sorted(accepted)  # exactly the ten answered 200, once each
        assert session.scalar(select(func.count()).select_from(Send).where(Send.account_id == account_id)) == LEFT
        used = session.scalar(select(func.sum(MessageUsage.used)).where(
            MessageUsage.account_id == account_id, MessageUsage.year == month.year, MessageUsage.month == month.month))
        assert used == 500
    assert consumption.total_usage == 500
    db.engine.dispose()
