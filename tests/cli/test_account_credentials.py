"""`openoa account create` hands a bot developer everything the Messaging API needs: channel ID,
channel secret, bot user ID and a long-lived access token that works, in the response mode asked
for (R-CHT-01); a bad mode is refused with a clear message and nothing is written."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from openoa.accounts.models import OfficialAccount
from openoa.channels import service as channels
from openoa.channels.models import AccessToken, Channel
from openoa.core.access import SYSTEM
from tests.cli.conftest import Cli, plain

CHANNEL_ID = re.compile(r"^[1-9][0-9]{9}$")
SECRET = re.compile(r"^[0-9a-f]{32}$")
BOT_USER_ID = re.compile(r"^U[0-9a-f]{32}$")


def test_account_create_json_prints_line_shaped_credentials_and_a_working_token(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi")
    assert CHANNEL_ID.match(account["channel_id"])
    assert SECRET.match(account["channel_secret"])
    assert BOT_USER_ID.match(account["bot_user_id"])
    assert account["response_mode"] == "chat" and account["use_webhook"] is False
    token = account["channel_access_token"]
    assert isinstance(token, str) and len(token) >= 100

    db = cli.database()
    try:
        with db.scope() as s:
            bot = channels.authenticate_bearer(s, f"Bearer {token}")
            assert (bot.account_id, bot.channel_id, bot.bot_user_id, bot.token_kind) == (
                account["id"], account["channel_id"], account["bot_user_id"], "long_lived")
            stored = channels.get_channel(s, SYSTEM, account["id"])
            assert (stored.channel_secret, stored.response_mode) == (account["channel_secret"], "chat")
            # Only the hash is stored.
            assert s.scalar(select(func.count()).select_from(AccessToken)
                            .where(AccessToken.token_hash == token)) == 0
    finally:
        db.engine.dispose()


def test_each_account_gets_its_own_credentials(cli: Cli) -> None:
    first = cli.json("account", "create", "--name", "Cafe Aroi")
    second = cli.json("account", "create", "--name", "Noodle Bar")
    for key in ("channel_id", "channel_secret", "bot_user_id", "channel_access_token"):
        assert first[key] != second[key], key


def test_r_cht_01_response_mode_bot_turns_use_webhook_on(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Echo Bot", "--response-mode", "bot")
    assert (account["response_mode"], account["use_webhook"]) == ("bot", True)
    db = cli.database()
    try:
        with db.scope() as s:
            stored = channels.get_channel(s, SYSTEM, account["id"])
            assert (stored.response_mode, stored.use_webhook, stored.webhook_url) == ("bot", True, None)
            assert channels.authenticate_bearer(s, f"Bearer {account['channel_access_token']}").account_id == (
                account["id"])
    finally:
        db.engine.dispose()


@pytest.mark.parametrize("mode", ["BOT", "Chat"])
def test_response_mode_is_not_case_sensitive(cli: Cli, mode: str) -> None:
    assert cli.json("account", "create", "--name", "Cafe", "--response-mode", mode)["response_mode"] == mode.lower()


def test_account_create_without_json_shows_the_credentials_too(cli: Cli) -> None:
    result = cli("account", "create", "--name", "Cafe Aroi", "--response-mode", "bot")
    assert result.exit_code == 0, result.output
    for key in ("channel_id", "channel_secret", "bot_user_id", "response_mode", "channel_access_token"):
        assert key in result.stdout, key
    # The token sits whole on its own last line: a table cell would cut it short.
    token = result.stdout.strip().splitlines()[-1]
    db = cli.database()
    try:
        with db.scope() as s:
            channel = s.scalars(select(Channel)).one()
            assert channel.channel_id in result.stdout and channel.channel_secret in result.stdout
            assert channel.bot_user_id in result.stdout and channel.response_mode == "bot"
            assert channels.authenticate_bearer(s, f"Bearer {token}").channel_id == channel.channel_id
    finally:
        db.engine.dispose()


def test_a_bad_response_mode_is_refused_and_writes_nothing(cli: Cli) -> None:
    result = cli("account", "create", "--name", "Cafe", "--response-mode", "both", "--json")
    assert result.exit_code == 2
    assert "Invalid value for '--response-mode'" in plain(result.stderr)
    assert "'both' is not one of 'chat', 'bot'" in plain(result.stderr)
    assert result.stdout == ""
    db = cli.database()
    try:
        with db.scope() as s:
            assert s.scalar(select(func.count()).select_from(OfficialAccount)) == 0
            assert s.scalar(select(func.count()).select_from(Channel)) == 0
    finally:
        db.engine.dispose()


def test_a_refused_name_leaves_no_channel_or_token(cli: Cli) -> None:
    result = cli("account", "create", "--name", "A name far longer than twenty", "--response-mode", "bot")
    assert result.exit_code == 1 and "--name: Use at most 20 characters." in result.stderr
    db = cli.database()
    try:
        with db.scope() as s:
            assert s.scalar(select(func.count()).select_from(Channel)) == 0
            assert s.scalar(select(func.count()).select_from(AccessToken)) == 0
    finally:
        db.engine.dispose()
