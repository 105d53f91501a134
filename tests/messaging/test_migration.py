"""Migration 0011: a broadcast caught mid-fan-out by the upgrade (one cursor, one job) goes on as
one chunk from its old checkpoint and reaches the rest exactly once; deliveries keep their rows
without foreign keys, and the way back restores them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import func, select, text

from openoa.core.db import Database, alembic_config, upgrade
from openoa.core.jobs import run_due_jobs
from openoa.messaging import jobs as _jobs  # noqa: F401  (registers the fan-out jobs)
from openoa.messaging.models import Delivery, Send
from tests.api.bots import make_bot
from tests.messaging.crowd import add_friends

BEFORE = "0010_billing"
AFTER = "0011_fan_out_chunks"


def test_style_7c_a_fan_out_in_flight_during_the_upgrade_resumes_from_its_checkpoint_once(
        scratch_database_url: str):
    url = scratch_database_url  # migrated to head
    db = Database.from_url(url)
    try:
        with db.scope() as s:
            bot = make_bot(s, name="Upgrade Cafe")
            account_id = bot.account.id
            user_ids = add_friends(s, account_id, 30)
        db.engine.dispose()
        command.downgrade(alembic_config(url), BEFORE)
        with db.engine.begin() as conn:  # as the old code left it: 10 people reached, cursor at the 10th
            send_id = conn.execute(text(
                "INSERT INTO sends (account_id, kind, counted, request_id, messages, sent_messages, "
                "notification_disabled, recipients, status, target_count, success_count, cursor, upper_user_id, "
                "accepted_at) VALUES (:a, 'broadcast', :yes, 'old-1', '[{\"type\": \"text\", \"text\": \"Hi\"}]', "
                "'[]', :no, '{\"all\": true}', 'sending', 30, 10, :cursor, :upper, '2026-01-15 03:00:00.000000') "
                "RETURNING id"), {"a": account_id, "yes": True, "no": False, "cursor": user_ids[9],
                                  "upper": user_ids[-1]}).scalar_one()
            for uid in user_ids[:10]:
                conn.execute(text("INSERT INTO deliveries (send_id, account_id, user_id, created_at) "
                                  "VALUES (:s, :a, :u, '2026-01-15 03:00:00.000000')"),
                             {"s": send_id, "a": account_id, "u": uid})
        db.engine.dispose()

        upgrade(url, AFTER)
        run_due_jobs(db)
        with db.scope() as s:
            send = s.get_one(Send, send_id)
            reached = sorted(s.scalars(select(Delivery.user_id).where(Delivery.send_id == send_id)))
            rows = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.send_id == send_id))
        assert reached == user_ids and rows == 30
        assert (send.status, send.success_count, send.chunks_left) == ("succeeded", 30, 0)

        db.engine.dispose()
        command.downgrade(alembic_config(url), BEFORE)  # the way back keeps every delivery
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM deliveries WHERE send_id = :s"),
                                {"s": send_id}).scalar_one() == 30
        db.engine.dispose()
        upgrade(url)
    finally:
        db.engine.dispose()
