"""Groups and rooms as people use them (R-CHT-02): create, add people, invite an account one is
friends with, post, leave — and the events the account's bot gets for each."""

from __future__ import annotations

import pytest
from linebot.v3.webhooks import CallbackRequest
from sqlalchemy.orm import Session

from openoa.channels import service as channels
from openoa.core.access import SYSTEM, PersonActor
from openoa.core.errors import Conflict, Invalid, NotFound
from openoa.friends import service as friends
from openoa.groups import service as groups
from openoa.webhooks import rules as webhook_rules
from tests import factories
from tests.api.bots import make_bot
from tests.groups.conftest import Scene, events


def test_r_cht_02_a_non_member_cannot_read_post_add_or_invite(session: Session, scene: Scene):
    stranger = PersonActor(factories.person(session, name="Stranger").id)
    for attempt in (lambda: groups.group_page(session, stranger, scene.chat_id),
                    lambda: groups.post_text(session, stranger, scene.chat_id, "hi"),
                    lambda: groups.add_member(session, stranger, scene.chat_id, "x@example.com"),
                    lambda: groups.invite_account(session, stranger, scene.chat_id, scene.bot.account.basic_id),
                    lambda: groups.leave_group(session, stranger, scene.chat_id),
                    lambda: groups.group_page(session, stranger, "C" + "0" * 32)):
        with pytest.raises(NotFound):
            attempt()
    assert groups.my_groups(session, stranger) == []


def test_a_named_chat_is_a_group_and_an_unnamed_one_a_room(session: Session, scene: Scene):
    room = groups.create_group(session, scene.somchai_actor, "")
    assert room.chat_id.startswith("R") and room.kind == "room" and room.name == "Multi-person chat"
    assert [g.chat_id for g in groups.my_groups(session, scene.somchai_actor)] == [room.chat_id, scene.chat_id]
    assert [g.member_count for g in groups.my_groups(session, scene.nok_actor)] == [2]
    with pytest.raises(Invalid) as refused:
        groups.create_group(session, scene.somchai_actor, "x" * 51)
    assert refused.value.by_field() == {"name": "Use at most 50 characters."}


def test_people_are_added_by_email_of_an_existing_user_once(session: Session, scene: Scene):
    with pytest.raises(Invalid) as refused:
        groups.add_member(session, scene.somchai_actor, scene.chat_id, "nobody@example.com")
    assert "email" in refused.value.by_field()
    with pytest.raises(Conflict):
        groups.add_member(session, scene.nok_actor, scene.chat_id, "somchai@example.com")


def test_r_cht_02_only_an_account_one_is_friends_with_can_be_invited(session: Session, scene: Scene):
    stranger_account = factories.account(session, name="Not A Friend")
    with pytest.raises(Invalid) as refused:
        groups.invite_account(session, scene.somchai_actor, scene.chat_id, stranger_account.basic_id)
    assert refused.value.by_field() == {"basic_id": "Choose an account you are friends with."}
    friends.block(session, scene.somchai_actor, scene.bot.account.id)
    with pytest.raises(Invalid):
        groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    assert events(session, scene.bot.account.id) == []


def test_inviting_an_account_sends_join_then_member_and_message_events(session: Session, scene: Scene):
    groups.invite_account(session, scene.nok_actor, scene.chat_id, scene.bot.account.basic_id)
    with pytest.raises(Conflict):
        groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    newcomer = factories.person(session, name="Lek", email="lek@example.com")
    groups.add_member(session, scene.somchai_actor, scene.chat_id, "lek@example.com")
    post = groups.post_text(session, scene.somchai_actor, scene.chat_id, "Noodles at noon?")
    groups.leave_group(session, PersonActor(newcomer.id), scene.chat_id)
    sent = events(session, scene.bot.account.id)
    assert [e["type"] for e in sent] == ["join", "memberJoined", "message", "memberLeft"]
    group_source = {"type": "group", "groupId": scene.chat_id}
    assert sent[0]["source"] == group_source and sent[0]["replyToken"]
    lek_id = friends.scoped_user_id(session, scene.bot.account.provider_id, newcomer.id)
    assert sent[1]["joined"] == {"members": [{"type": "user", "userId": lek_id}]}
    somchai_id = friends.scoped_user_id(session, scene.bot.account.provider_id, scene.somchai.id)
    assert sent[2]["source"] == {**group_source, "userId": somchai_id}
    assert sent[2]["message"]["text"] == "Noodles at noon?" and sent[2]["message"]["id"] == post.message_id
    assert sent[2]["message"]["quoteToken"]
    assert sent[3]["left"] == {"members": [{"type": "user", "userId": lek_id}]}
    with pytest.raises(NotFound):
        groups.group_page(session, PersonActor(newcomer.id), scene.chat_id)


def test_a_post_is_checked_and_shown_to_members_in_order(session: Session, scene: Scene):
    with pytest.raises(Invalid) as refused:
        groups.post_text(session, scene.somchai_actor, scene.chat_id, "   ")
    assert "text" in refused.value.by_field()
    groups.post_text(session, scene.somchai_actor, scene.chat_id, "first")
    groups.post_text(session, scene.nok_actor, scene.chat_id, "second")
    page = groups.group_page(session, scene.nok_actor, scene.chat_id)
    assert [(p.author, p.message["text"], p.mine) for p in page.posts] == [("Somchai", "first", False),
                                                                           ("Nok", "second", True)]
    assert [m.display_name for m in page.members] == ["Somchai", "Nok"]
    assert [a.basic_id for a in page.invitable] == [scene.bot.account.basic_id]


def test_a_bot_s_message_and_reply_token_land_in_the_group(session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    token = events(session, scene.bot.account.id)[0]["replyToken"]
    assert groups.consume_reply_token(session, scene.bot.account.id + 1, token) is None  # another account's
    assert groups.consume_reply_token(session, scene.bot.account.id, token) == scene.chat_id
    assert groups.consume_reply_token(session, scene.bot.account.id, token) is None  # single use
    posted = groups.post_from_account(session, scene.bot.account.id, scene.chat_id,
                                      [{"type": "text", "text": "Hello, Lunch club!"}])
    assert posted is not None and posted[0].quote_token
    page = groups.group_page(session, scene.nok_actor, scene.chat_id)
    assert [(p.author, p.from_account, p.message) for p in page.posts] == [
        ("Noodle Bot", True, {"type": "text", "text": "Hello, Lunch club!"})]
    other = factories.account(session, name="Outsider")
    assert groups.post_from_account(session, other.id, scene.chat_id, [{"type": "text", "text": "x"}]) is None


def test_in_chat_mode_events_are_not_kept_and_no_reply_token_is_issued(session: Session, scene: Scene):
    channels.set_response_mode(session, SYSTEM, scene.bot.account.id, "chat")
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    assert events(session, scene.bot.account.id) == []


def test_stored_group_events_parse_strictly_with_the_sdk(session: Session, scene: Scene):
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    newcomer = factories.person(session, name="Lek", email="lek@example.com")
    groups.add_member(session, scene.somchai_actor, scene.chat_id, "lek@example.com")
    groups.post_text(session, scene.nok_actor, scene.chat_id, "hi")
    groups.leave_group(session, PersonActor(newcomer.id), scene.chat_id)
    stored = [webhook_rules.as_delivered(e, is_redelivery=False) for e in events(session, scene.bot.account.id)]
    body = webhook_rules.envelope(scene.bot.bot_user_id, stored).decode()
    parsed = CallbackRequest.from_json(body)
    assert [type(e).__name__ for e in parsed.events] == ["JoinEvent", "MemberJoinedEvent", "MessageEvent",
                                                         "MemberLeftEvent"]


def test_r_cht_02_an_account_that_does_not_join_group_chats_cannot_be_invited(session: Session, scene: Scene):
    account = scene.bot.account
    channels.set_join_group_chats(session, SYSTEM, account.id, False)
    with pytest.raises(Invalid) as refused:
        groups.invite_account(session, scene.somchai_actor, scene.chat_id, account.basic_id)
    assert refused.value.by_field() == {"basic_id": "This official account does not join group chats."}
    page = groups.group_page(session, scene.somchai_actor, scene.chat_id)
    assert (page.accounts, page.invitable) == ([], [])  # not offered either
    assert events(session, account.id) == []

    channels.set_join_group_chats(session, SYSTEM, account.id, True)
    assert [a.basic_id for a in groups.group_page(session, scene.somchai_actor, scene.chat_id).invitable] == [
        account.basic_id]
    joined = groups.invite_account(session, scene.somchai_actor, scene.chat_id, account.basic_id)
    assert joined.account_id == account.id
    assert [e["type"] for e in events(session, account.id)] == ["join"]


def test_r_cht_02_turning_group_chats_off_keeps_the_account_in_the_groups_it_is_in(session: Session,
                                                                                    scene: Scene):
    account = scene.bot.account
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, account.basic_id)
    channels.set_join_group_chats(session, SYSTEM, account.id, False)
    page = groups.group_page(session, scene.nok_actor, scene.chat_id)
    assert [a.account_id for a in page.accounts] == [account.id]
    groups.post_text(session, scene.nok_actor, scene.chat_id, "Still here?")
    assert [e["type"] for e in events(session, account.id)] == ["join", "message"]


BUTTONS = {"type": "template", "altText": "Lunch?", "template": {
    "type": "buttons", "text": "Where to?", "actions": [
        {"type": "postback", "label": "Noodles", "data": "place=noodles", "displayText": "Noodles please"},
        {"type": "message", "label": "Rice", "text": "Rice!"},
        {"type": "datetimepicker", "label": "When", "data": "when", "mode": "datetime"}]}}


def _bot_post(session: Session, scene: Scene, message: dict) -> str:  # type: ignore[type-arg]
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, scene.bot.account.basic_id)
    posted = groups.post_from_account(session, scene.bot.account.id, scene.chat_id, [message])
    assert posted is not None
    return posted[0].id


def test_r_cht_02_a_postback_in_a_group_reaches_the_bot_that_posted_it_with_a_reply_token(
        session: Session, scene: Scene):
    message_id = _bot_post(session, scene, BUTTONS)
    other = make_bot(session, name="Other Bot")
    channels.set_response_mode(session, SYSTEM, other.account.id, "bot")
    factories.friend(session, scene.somchai, other.account)
    groups.invite_account(session, scene.somchai_actor, scene.chat_id, other.account.basic_id)
    groups.postback_in_group(session, scene.nok_actor, scene.chat_id, message_id, "place=noodles",
                             display_text="Noodles please")
    postback = events(session, scene.bot.account.id)[-1]
    assert postback["type"] == "postback" and postback["postback"] == {"data": "place=noodles"}
    assert postback["source"] == {"type": "group", "groupId": scene.chat_id,
                                  "userId": friends.scoped_user_id(session, scene.bot.account.provider_id,
                                                                   scene.nok.id)}
    assert [e["type"] for e in events(session, other.account.id)] == ["join"]  # only the poster hears
    body = webhook_rules.envelope(scene.bot.bot_user_id, [webhook_rules.as_delivered(postback, is_redelivery=False)])
    parsed = CallbackRequest.from_json(body.decode()).events[0]
    assert (type(parsed).__name__, type(parsed.source).__name__, parsed.postback.data) == (
        "PostbackEvent", "GroupSource", "place=noodles")
    # The display text shows as Nok's words; the reply token answers into the group.
    page = groups.group_page(session, scene.somchai_actor, scene.chat_id)
    assert (page.posts[-1].author, page.posts[-1].message) == ("Nok", {"type": "text", "text": "Noodles please"})
    assert groups.consume_reply_token(session, scene.bot.account.id, postback["replyToken"]) == scene.chat_id


def test_a_datetime_picked_in_a_group_is_a_postback_with_params(session: Session, scene: Scene):
    message_id = _bot_post(session, scene, BUTTONS)
    groups.pick_datetime_in_group(session, scene.somchai_actor, scene.chat_id, message_id, "when", "datetime",
                                  "2026-12-01T12:30")
    assert events(session, scene.bot.account.id)[-1]["postback"] == {"data": "when",
                                                                     "params": {"datetime": "2026-12-01T12:30"}}
    with pytest.raises(Invalid) as refused:
        groups.pick_datetime_in_group(session, scene.somchai_actor, scene.chat_id, message_id, "when", "date", "")
    assert refused.value.by_field() == {"date": "Choose a date."}


def test_group_taps_refuse_what_is_not_an_accounts_post_in_that_group_and_store_nothing(
        session: Session, scene: Scene):
    message_id = _bot_post(session, scene, BUTTONS)
    mine = groups.post_text(session, scene.nok_actor, scene.chat_id, "hello").message_id
    before = len(events(session, scene.bot.account.id))
    elsewhere = groups.create_group(session, scene.somchai_actor, "Dinner club").chat_id
    with pytest.raises(NotFound):  # a member's own post has no actions
        groups.postback_in_group(session, scene.nok_actor, scene.chat_id, mine, "x")
    with pytest.raises(NotFound):  # the post is in another group
        groups.postback_in_group(session, scene.somchai_actor, elsewhere, message_id, "x")
    stranger = factories.person(session, name="Stranger")
    with pytest.raises(NotFound):  # not a member
        groups.postback_in_group(session, PersonActor(stranger.id), scene.chat_id, message_id, "x")
    with pytest.raises(Invalid):
        groups.postback_in_group(session, scene.nok_actor, scene.chat_id, message_id, "x" * 301)
    assert len(events(session, scene.bot.account.id)) == before
