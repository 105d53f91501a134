"""Pure rules of groups and rooms: kinds by name, limits, member-ID cursors, event shapes the SDK
accepts (checked with the SDK's strict `CallbackRequest`)."""

from __future__ import annotations

import json

from linebot.v3.webhooks import CallbackRequest

from openoa.core import ids
from openoa.groups import rules


def test_a_named_chat_is_a_group_and_an_unnamed_one_a_room():
    assert rules.kind_for_name("Lunch club") == "group"
    assert rules.kind_for_name("   ") == "room"
    assert rules.name_problem("x" * 50) is None
    assert rules.name_problem("x" * 51)
    assert rules.id_matches("group", ids.group_id()) and rules.id_matches("room", ids.room_id())
    assert not rules.id_matches("group", ids.room_id())


def test_member_id_cursors_round_trip_and_refuse_made_up_ones():
    assert rules.members_after(rules.members_cursor(42)) == 42
    assert rules.members_after(None) == 0
    assert rules.members_after("nonsense") is None


def test_group_events_parse_strictly_with_the_sdk():
    group, room, user = ids.group_id(), ids.room_id(), ids.scoped_user_id()
    events = [
        rules.join_event("group", group, reply_token=ids.reply_token()),
        rules.leave_event("room", room),
        rules.member_joined_event("group", group, [user], reply_token=ids.reply_token()),
        rules.member_left_event("group", group, [user]),
        rules.message_event("group", group, user, reply_token=ids.reply_token(),
                            message={"type": "text", "id": ids.message_id(), "text": "hi",
                                     "quoteToken": ids.quote_token()}),
    ]
    common = {"timestamp": 1, "mode": "active", "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
              "deliveryContext": {"isRedelivery": False}}
    body = json.dumps({"destination": ids.scoped_user_id(), "events": [{**common, **e} for e in events]})
    parsed = CallbackRequest.from_json(body)
    assert [type(e).__name__ for e in parsed.events] == ["JoinEvent", "LeaveEvent", "MemberJoinedEvent",
                                                         "MemberLeftEvent", "MessageEvent"]
    assert parsed.events[4].source.group_id == group and parsed.events[4].source.user_id == user
    assert parsed.events[1].source.room_id == room
