"""The conformance suite: the official `line-bot-sdk` v3 as the only client, against a real
server (uvicorn, a subprocess on a free loopback port, its own SQLite file). Data is made as an
operator would make it: with the real command line against the server's database, and channel
credentials read through the channels service in a unit of work on that same database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from openoa.channels import service as channels
from openoa.core.access import SYSTEM
from tests.live import LiveServer, serve


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serve(tmp_path_factory.mktemp("conformance"), secret="conformance-secret") as server:
        yield server


@dataclass
class SdkBot:
    """What a bot developer copies from the console: the channel's credentials and a token."""

    account_id: int
    basic_id: str
    display_name: str
    channel_id: str
    channel_secret: str
    bot_user_id: str
    token: str


def make_bot(server: LiveServer, name: str, *, badge: str = "gray") -> SdkBot:
    """An account made by `openoa account create`, and its long-lived token issued through the
    channels service (as the console's "Issue" button does) on the server's database."""
    account = server.cli("account", "create", "--name", name, "--badge", badge)
    db = server.database()
    try:
        with db.scope() as session:
            channel = channels.get_channel(session, SYSTEM, account["id"])
            token = channels.issue_long_lived_token(session, SYSTEM, account["id"]).access_token
    finally:
        db.engine.dispose()
    return SdkBot(account_id=account["id"], basic_id=account["basic_id"], display_name=name,
                  channel_id=channel.channel_id, channel_secret=channel.channel_secret,
                  bot_user_id=channel.bot_user_id, token=token)


def make_friend(server: LiveServer, bot: SdkBot, name: str) -> str:
    """A person made by `openoa user create` who adds the account with `openoa friend add`; the
    ``U…`` ID this account's bot sees."""
    user = server.cli("user", "create", "--name", name)
    return str(server.cli("friend", "add", "--account", bot.basic_id, "--user", str(user["id"]))["user_id"])
