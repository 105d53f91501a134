"""Channel credentials and the bearer-token check of the Messaging API."""

from __future__ import annotations

import re

import pytest

from openoa.channels import service as channels
from openoa.core.access import BusinessActor
from openoa.core.errors import NotAllowed, NotFound, Unauthenticated
from tests import factories
from tests.web.console.conftest import member


def test_every_account_gets_a_channel_with_line_shaped_credentials(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    channel = channels.get_channel(session, BusinessActor(owner.id), acc.id)
    assert re.fullmatch(r"[1-9][0-9]{9}", channel.channel_id)
    assert re.fullmatch(r"[0-9a-f]{32}", channel.channel_secret)
    assert re.fullmatch(r"U[0-9a-f]{32}", channel.bot_user_id)
    assert channel.response_mode == "chat" and channel.use_webhook is False


def test_r_acc_04_only_admins_see_channel_credentials(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    operator = member(session, acc, owner, "operator")
    outsider = factories.business(session)
    with pytest.raises(NotAllowed):
        channels.get_channel(session, BusinessActor(operator.id), acc.id)
    with pytest.raises(NotFound):
        channels.get_channel(session, BusinessActor(outsider.id), acc.id)


def test_long_lived_token_authenticates_and_a_reissue_revokes_the_old_one(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    actor = BusinessActor(owner.id)
    first = channels.issue_long_lived_token(session, actor, acc.id).access_token
    bot = channels.authenticate_bearer(session, f"Bearer {first}")
    assert bot.account_id == acc.id and bot.token_kind == "long_lived"
    second = channels.issue_long_lived_token(session, actor, acc.id).access_token
    assert channels.authenticate_bearer(session, f"Bearer {second}").account_id == acc.id
    for header in (f"Bearer {first}", "Bearer nonsense", None, first):
        with pytest.raises(Unauthenticated):
            channels.authenticate_bearer(session, header)


def test_r_cht_01_bot_mode_turns_use_webhook_on(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    out = channels.set_response_mode(session, BusinessActor(owner.id), acc.id, "bot")
    assert (out.response_mode, out.use_webhook) == ("bot", True)


def test_r_cht_02_an_account_joins_group_chats_until_an_admin_turns_it_off(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    assert channels.joins_group_chats(session, acc.id) is True  # LINE's default, before any channel exists
    actor = BusinessActor(owner.id)
    assert channels.get_channel(session, actor, acc.id).join_group_chats is True
    assert channels.set_join_group_chats(session, actor, acc.id, False).join_group_chats is False
    assert channels.joins_group_chats(session, acc.id) is False
    assert channels.set_join_group_chats(session, actor, acc.id, True).join_group_chats is True
    assert channels.joins_group_chats(session, acc.id) is True


def test_r_acc_04_only_admins_change_whether_the_account_joins_group_chats(session):
    owner = factories.business(session)
    acc = factories.account(session, owner)
    operator = member(session, acc, owner, "operator")
    outsider = factories.business(session)
    with pytest.raises(NotAllowed):
        channels.set_join_group_chats(session, BusinessActor(operator.id), acc.id, False)
    with pytest.raises(NotFound):
        channels.set_join_group_chats(session, BusinessActor(outsider.id), acc.id, False)
    assert channels.joins_group_chats(session, acc.id) is True
