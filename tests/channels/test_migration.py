"""Migration 0009 adds "Allow account to join group chats and multi-person chats" to channels:
every channel that existed before the upgrade has it on (LINE's default), and a downgrade
takes the column away again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from openoa.core.db import Database, alembic_config, upgrade
from tests import factories

BEFORE = "0008_group_reply_tokens"
AFTER = "0009_join_group_chats"


def test_r_cht_02_channels_made_before_the_upgrade_join_group_chats(scratch_database_url: str):
    url = scratch_database_url  # migrated to head
    db = Database.from_url(url)
    try:
        with db.scope() as session:
            account_id = factories.account(session, name="Old Shop").id
            channels.get_channel(session, SYSTEM, account_id)
        db.engine.dispose()

        command.downgrade(alembic_config(url), BEFORE)
        with db.engine.connect() as conn:
            assert "join_group_chats" not in {c["name"] for c in inspect(conn).get_columns("channels")}
            assert conn.execute(text("SELECT count(*) FROM channels")).scalar() == 1
        db.engine.dispose()

        upgrade(url, AFTER)
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT join_group_chats FROM channels")).scalar() in (1, True)
        db.engine.dispose()
        upgrade(url)  # the models are head's
        with db.scope() as session:
            assert channels.joins_group_chats(session, account_id) is True
            assert channels.get_channel(session, SYSTEM, account_id).join_group_chats is True
    finally:
        db.engine.dispose()
