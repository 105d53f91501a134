"""Migration 0010 turns a month's one usage row into one row per day and back, and gives every
account a ceiling for its additional-message limit that admits the limit it already had."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from openoa.core.db import Database, alembic_config, upgrade
from tests import factories

BEFORE = "0009_join_group_chats"
AFTER = "0010_billing"


def _rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


def test_r_msg_04_daily_use_sums_back_to_months_and_old_limits_fit_their_new_ceiling(scratch_database_url: str):
    url = scratch_database_url  # migrated to head
    db = Database.from_url(url)
    try:
        with db.scope() as session:
            shop, big = factories.account(session, name="Shop").id, factories.account(session, name="Big").id
        db.engine.dispose()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO message_usage (account_id, year, month, day, used) "
                              "VALUES (:a, 2026, 3, 1, 5), (:a, 2026, 3, 17, 7), (:a, 2026, 4, 9, 11)"), {"a": shop})
        db.engine.dispose()

        command.downgrade(alembic_config(url), BEFORE)
        assert sorted(_rows(db, "SELECT account_id, year, month, used FROM message_usage")) == [
            (shop, 2026, 3, 12), (shop, 2026, 4, 11)]  # a month without a row on the 1st keeps its use too
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE official_accounts SET additional_message_limit = 250000 WHERE id = :a"),
                         {"a": big})
        db.engine.dispose()

        upgrade(url, AFTER)
        assert sorted(_rows(db, "SELECT account_id, year, month, day, used FROM message_usage")) == [
            (shop, 2026, 3, 1, 12), (shop, 2026, 4, 1, 11)]
        assert sorted(_rows(db, "SELECT id, additional_message_limit, additional_limit_ceiling "
                                "FROM official_accounts")) == [(shop, 0, 100_000), (big, 250_000, 250_000)]
    finally:
        db.engine.dispose()
