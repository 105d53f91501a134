"""Migration 0008 moves group reply tokens into ``reply_tokens`` and back: a group event's token
issued before the upgrade still answers its group after it, a downgrade puts it back in
``group_reply_tokens`` (and takes only group tokens out of ``reply_tokens``), and a token row
must name a person or a group, never both nor neither."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.core import clock
from openoa.core.db import Database, alembic_config, upgrade
from openoa.groups import service as groups
from openoa.groups.models import Group
from openoa.webhooks.models import ReplyToken
from tests.groups.conftest import Scene, events, make_scene

BEFORE = "0007_groups"
AFTER = "0008_group_reply_tokens"


def _rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in conn.execute(text(sql))]


def test_a_group_token_survives_the_upgrade_and_the_downgrade_with_its_group(scratch_database_url: str):
    url = scratch_database_url  # migrated to head
    db = Database.from_url(url)
    try:
        with db.scope() as session:
            scene = make_scene(session)  # Somchai and Nok followed the account: two 1:1 tokens
            groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
            token = events(session, scene.bot.account.id)[0]["replyToken"]
            account_id, chat_id = scene.bot.account.id, scene.chat_id
        db.engine.dispose()

        command.downgrade(alembic_config(url), BEFORE)
        with db.engine.connect() as conn:
            assert "group_id" not in {c["name"] for c in inspect(conn).get_columns("reply_tokens")}
            [(group_account, used)] = _rows(conn, "SELECT account_id, used_at FROM group_reply_tokens")
            assert (group_account, used) == (account_id, None)
            assert _rows(conn, "SELECT count(*) FROM reply_tokens") == [(2,)]  # the follows' stay
        db.engine.dispose()

        upgrade(url, AFTER)
        with db.engine.connect() as conn:
            assert "group_reply_tokens" not in inspect(conn).get_table_names()
            assert [(fk["name"], fk["options"].get("ondelete")) for fk in inspect(conn).get_foreign_keys("reply_tokens")
                    if fk["referred_table"] == "groups"] == [("fk_reply_tokens_group_id_groups", "CASCADE")]
            assert _rows(conn, "SELECT count(*) FROM reply_tokens WHERE user_id IS NULL AND group_id IS NOT NULL") \
                == [(1,)]
        with db.scope() as session:
            assert groups.consume_reply_token(session, account_id, token) == chat_id
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("to_person, to_group", [(False, False), (True, True)],
                         ids=["neither a person nor a group", "both"])
def test_a_reply_token_answers_exactly_one_person_or_one_group(session: Session, scene: Scene, to_person: bool,
                                                              to_group: bool):
    group_pk = session.scalar(select(Group.id).where(Group.chat_id == scene.chat_id))
    now = clock.now()
    row = ReplyToken(token_hash="0" * 64, account_id=scene.bot.account.id,
                     user_id=scene.nok.id if to_person else None, group_id=group_pk if to_group else None,
                     created_at=now, expires_at=now)
    with pytest.raises(IntegrityError, match="ck_reply_tokens_one_recipient"), session.begin_nested():
        session.add(row)
        session.flush()
