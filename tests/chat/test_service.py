"""A person's 1:1 chats on a real database: every message kind stored in LINE's webhook shape,
Bot mode events that the SDK parses (R-CHT-01), reply tokens, postbacks, unsend, the merged
conversation and its pages, the inbox (R-MSG-06 previews) and who may see what."""

from __future__ import annotations

import asyncio
import io

import pytest
from linebot.v3.webhooks import (
    AudioMessageContent,
    FileMessageContent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    PostbackEvent,
    StickerMessageContent,
    TextMessageContent,
    UnsendEvent,
    VideoMessageContent,
)
from PIL import Image
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from openoa.chat import service
from openoa.chat.models import Conversation, PersonMessage
from openoa.chat.rules import START, encode_cursor
from openoa.core.access import SYSTEM, PersonActor
from openoa.core.clock import FakeClock
from openoa.core.errors import Invalid, NotAllowed, NotFound
from openoa.core.jobs import Job
from openoa.core.pubsub import hub, person_topic
from openoa.friends import service as friends
from openoa.integrations.storage import current_storage
from openoa.messaging import service as messaging
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import WebhookEvent
from tests import factories
from tests.chat.conftest import M4A, MP3, MP4, Pair, events, make_pair, png_bytes, strictly_parsed
from tests.messaging.crowd import context
from tests.own_loop import run_in_own_loop

SMILE = {"index": 6, "productId": "5ac1bfd5040ab15980c9b435", "emojiId": "001"}


def stored(session: Session, pair: Pair) -> list[PersonMessage]:
    return list(session.scalars(select(PersonMessage).where(PersonMessage.user_id == pair.user.id)
                                .order_by(PersonMessage.id)))


def last_message_event(session: Session, pair: Pair) -> MessageEvent:
    found = events(session, pair.bot.account.id, "message")
    assert found, "a message event was emitted"
    event = strictly_parsed(pair.bot, found[-1])
    assert isinstance(event, MessageEvent)
    assert event.source.user_id == pair.scoped_id and event.reply_token
    return event


# ---------------------------------------------------------------- every kind, as LINE shapes it

def test_r_cht_01_text_in_bot_mode_is_stored_and_becomes_a_message_event(session: Session, pair: Pair):
    item = service.send_text(session, pair.actor, pair.basic_id, "Hello")
    [row] = stored(session, pair)
    assert (row.type, row.body, row.account_id) == ("text", {"text": "Hello"}, pair.bot.account.id)
    assert len(row.message_id) == 18 and row.message_id.isdigit() and row.quote_token
    assert (item.direction, item.id, item.message["text"]) == ("in", row.message_id, "Hello")
    event = last_message_event(session, pair)
    assert isinstance(event.message, TextMessageContent)
    assert (event.message.id, event.message.text, event.message.quote_token) == (
        row.message_id, "Hello", row.quote_token)
    assert event.message.mark_as_read_token
    assert session.scalar(select(Conversation.user_id).where(Conversation.account_id == pair.bot.account.id)) \
        == pair.user.id


def test_text_with_a_line_emoji_carries_emojis_with_their_length(session: Session, pair: Pair):
    service.send_text(session, pair.actor, pair.basic_id, "Hello $", emojis=[SMILE])
    [row] = stored(session, pair)
    assert row.body["emojis"] == [{**SMILE, "length": 1}]
    event = last_message_event(session, pair)
    assert event.message.emojis[0].emoji_id == "001" and event.message.emojis[0].length == 1
    with pytest.raises(Invalid) as refused:
        service.send_text(session, pair.actor, pair.basic_id, "No dollar", emojis=[SMILE])
    assert refused.value.by_field() == {"emojis[0]": "An emoji must sit on a $ of the text."}


def test_text_must_not_be_empty_or_over_5000_utf16_units(session: Session, pair: Pair):
    for text, reason in (("   ", "Enter a message."), ("a" * 5001, "A message can be at most 5,000 characters."),
                         ("😀" * 2501, "A message can be at most 5,000 characters.")):
        with pytest.raises(Invalid) as refused:
            service.send_text(session, pair.actor, pair.basic_id, text)
        assert refused.value.by_field() == {"text": reason}
    service.send_text(session, pair.actor, pair.basic_id, "😀" * 2500)
    assert len(stored(session, pair)) == 1


def test_r_msg_07_default_sticker_with_resource_type_and_keywords(session: Session, pair: Pair):
    service.send_sticker(session, pair.actor, pair.basic_id, "446", "1988")
    [row] = stored(session, pair)
    assert row.body == {"packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC",
                        "keywords": ["OK", "Good"]}
    event = last_message_event(session, pair)
    assert isinstance(event.message, StickerMessageContent) and event.message.quote_token
    with pytest.raises(Invalid) as refused:
        service.send_sticker(session, pair.actor, pair.basic_id, "11537", "52002734")
    assert refused.value.by_field() == {"sticker": "Choose one of the stickers shown."}
    assert len(stored(session, pair)) == 1


def test_location_with_title_and_address(session: Session, pair: Pair):
    service.send_location(session, pair.actor, pair.basic_id, latitude="13.7466", longitude="100.5393",
                          title="Siam", address="Pathum Wan, Bangkok")
    [row] = stored(session, pair)
    assert row.body == {"title": "Siam", "address": "Pathum Wan, Bangkok", "latitude": 13.7466,
                        "longitude": 100.5393}
    assert row.quote_token is None  # LINE gives locations no quote token
    event = last_message_event(session, pair)
    assert isinstance(event.message, LocationMessageContent) and event.message.latitude == 13.7466


def test_location_out_of_range_names_each_field(session: Session, pair: Pair):
    with pytest.raises(Invalid) as refused:
        service.send_location(session, pair.actor, pair.basic_id, latitude="91", longitude="east",
                              title="x" * 101)
    assert refused.value.by_field() == {"latitude": "The latitude must be between -90 and 90.",
                                        "longitude": "Enter the longitude as a number.",
                                        "title": "The title can be at most 100 characters."}
    assert stored(session, pair) == []


def test_image_is_kept_privately_with_a_preview_and_a_line_content_provider(session: Session, pair: Pair):
    data = png_bytes()
    service.send_media(session, pair.actor, pair.basic_id, "image", data, filename="photo.png",
                       content_type="application/octet-stream")
    [row] = stored(session, pair)
    assert row.body == {"contentProvider": {"type": "line"}} and row.content_type == "image/png"
    assert row.content_key.startswith("private/") and current_storage().read(row.content_key) == data
    with Image.open(io.BytesIO(current_storage().read(row.preview_key))) as preview:
        assert preview.format == "JPEG" and max(preview.size) == 240
    event = last_message_event(session, pair)
    assert isinstance(event.message, ImageMessageContent) and event.message.content_provider.type == "line"
    assert event.message.quote_token


def test_video_audio_and_file_as_line_shapes_them(session: Session, pair: Pair):
    service.send_media(session, pair.actor, pair.basic_id, "video", MP4, filename="clip.mp4", duration_ms=3000)
    service.send_media(session, pair.actor, pair.basic_id, "audio", M4A, filename="voice.m4a", duration_ms=1500)
    service.send_media(session, pair.actor, pair.basic_id, "file", b"%PDF-1.7 menu", filename="../../menu.pdf",
                       content_type="application/pdf")
    video, audio, file = stored(session, pair)
    assert (video.body, video.content_type) == ({"contentProvider": {"type": "line"}, "duration": 3000}, "video/mp4")
    assert (audio.body, audio.content_type, audio.quote_token) == (
        {"contentProvider": {"type": "line"}, "duration": 1500}, "audio/mp4", None)
    assert (file.body, file.content_type) == ({"fileName": "menu.pdf", "fileSize": 13}, "application/pdf")
    kinds = [type(strictly_parsed(pair.bot, e).message) for e in events(session, pair.bot.account.id, "message")]
    assert kinds == [VideoMessageContent, AudioMessageContent, FileMessageContent]


@pytest.mark.parametrize(("kind", "data", "reason"), [
    ("image", b"GIF89a-not-really", "This is not a PNG, JPEG, GIF or WebP image we can read."),
    ("video", MP3, "Upload an MP4, MOV or WebM video."),
    ("audio", b"plain text", "Upload an MP3, M4A, AAC, OGG, WAV or WebM audio file."),
    ("file", b"", "The file is empty."),
    ("image", b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), "The file is larger than 10 MB."),
])
def test_bad_uploads_are_refused_at_the_file_field_and_keep_nothing(session: Session, pair: Pair, kind, data,
                                                                     reason):
    with pytest.raises(Invalid) as refused:
        service.send_media(session, pair.actor, pair.basic_id, kind, data, filename="x")
    assert refused.value.by_field() == {"file": reason}
    assert stored(session, pair) == [] and events(session, pair.bot.account.id, "message") == []


def test_r_cht_01_in_chat_mode_messages_are_only_stored(session: Session, chat_pair: Pair):
    service.send_text(session, chat_pair.actor, chat_pair.basic_id, "Hello")
    service.postback(session, chat_pair.actor, chat_pair.basic_id, "action=buy")
    assert len(stored(session, chat_pair)) == 1
    assert events(session, chat_pair.bot.account.id) == []


# ---------------------------------------------------------------- replies, postbacks, unsend

def test_the_reply_token_of_a_message_event_answers_once_with_messaging_reply(session: Session, pair: Pair):
    service.send_text(session, pair.actor, pair.basic_id, "hello")
    token = last_message_event(session, pair).reply_token
    bot = context(session, pair.bot)
    answer = messaging.reply(session, bot, request_id="r-1", reply_token=token,
                             messages=[{"type": "text", "text": "hello"}])
    assert answer.sent_messages
    page = service.conversation(session, pair.actor, pair.basic_id)
    assert [(i.direction, i.message.get("text")) for i in page.items] == [("in", "hello"), ("out", "hello")]
    with pytest.raises(Invalid):
        messaging.reply(session, bot, request_id="r-2", reply_token=token, messages=[{"type": "text", "text": "x"}])


def test_postback_event_with_its_data_and_a_reply_token(session: Session, pair: Pair):
    service.postback(session, pair.actor, pair.basic_id, "action=buy&itemid=111")
    [raw] = events(session, pair.bot.account.id, "postback")
    event = strictly_parsed(pair.bot, raw)
    assert isinstance(event, PostbackEvent) and event.reply_token
    assert (event.postback.data, event.postback.params) == ("action=buy&itemid=111", None)
    assert stored(session, pair) == []


@pytest.mark.parametrize(("mode", "value", "params"), [
    ("date", "2026-12-24", {"date": "2026-12-24"}),
    ("time", "18:30:00", {"time": "18:30"}),
    ("datetime", "2026-12-24T18:30", {"datetime": "2026-12-24T18:30"}),
])
def test_datetime_picker_params_as_line_formats_them(session: Session, pair: Pair, mode, value, params):
    service.pick_datetime(session, pair.actor, pair.basic_id, "storeId=12345", mode, value)
    [raw] = events(session, pair.bot.account.id, "postback")
    assert raw["postback"] == {"data": "storeId=12345", "params": params}
    assert strictly_parsed(pair.bot, raw).postback.params == params


def test_datetime_picker_with_a_bad_value_names_the_field(session: Session, pair: Pair):
    with pytest.raises(Invalid) as refused:
        service.pick_datetime(session, pair.actor, pair.basic_id, "d", "date", "24/12/2026")
    assert refused.value.by_field() == {"date": "Choose a date."}
    assert events(session, pair.bot.account.id, "postback") == []


def test_postback_display_text_shows_as_the_persons_words_but_is_no_message_event(session: Session, pair: Pair):
    service.postback(session, pair.actor, pair.basic_id, "action=buy", display_text="Buy")
    assert [m.body for m in stored(session, pair)] == [{"text": "Buy"}]
    assert events(session, pair.bot.account.id, "message") == []
    assert len(events(session, pair.bot.account.id, "postback")) == 1


def test_unsend_hides_the_message_and_emits_an_unsend_event(session: Session, pair: Pair):
    item = service.send_media(session, pair.actor, pair.basic_id, "image", png_bytes())
    service.unsend(session, pair.actor, pair.basic_id, item.id)
    [row] = stored(session, pair)
    assert row.unsent_at is not None
    event = strictly_parsed(pair.bot, events(session, pair.bot.account.id, "unsend")[0])
    assert isinstance(event, UnsendEvent) and event.unsend.message_id == item.id
    [shown] = service.conversation(session, pair.actor, pair.basic_id).items
    assert (shown.unsent, shown.message, shown.has_content) == (True, {"type": "image"}, False)
    with pytest.raises(NotFound):
        service.message_content(session, pair.actor, pair.basic_id, item.id)


def test_a_person_cannot_unsend_someone_elses_message(session: Session, pair: Pair):
    item = service.send_text(session, pair.actor, pair.basic_id, "mine")
    other = factories.person(session, name="Pim")
    factories.friend(session, other, pair.bot.account)
    with pytest.raises(NotFound):
        service.unsend(session, PersonActor(other.id), pair.basic_id, item.id)
    assert stored(session, pair)[0].unsent_at is None


# ---------------------------------------------------------------- the conversation

def _push(session: Session, pair: Pair, *texts: str, emojis: list | None = None) -> None:
    messages = [{"type": "text", "text": t, **({"emojis": emojis} if emojis else {})} for t in texts]
    messaging.push(session, context(session, pair.bot), request_id=f"req-{texts[0]}", to=pair.scoped_id,
                   messages=messages)


def test_conversation_merges_both_ways_in_time_order_one_item_per_message_object(
        session: Session, pair: Pair, clock: FakeClock):
    service.send_text(session, pair.actor, pair.basic_id, "1 hi")
    clock.advance(seconds=1)
    _push(session, pair, "2 welcome", "3 menu")
    clock.advance(seconds=1)
    service.send_sticker(session, pair.actor, pair.basic_id, "446", "1989")
    _push(session, pair, "5 same instant: after the person's")
    page = service.conversation(session, pair.actor, pair.basic_id)
    assert [(i.direction, i.message.get("text") or i.message["type"]) for i in page.items] == [
        ("in", "1 hi"), ("out", "2 welcome"), ("out", "3 menu"), ("in", "sticker"),
        ("out", "5 same instant: after the person's")]
    assert page.before is None and page.after == page.items[-1].cursor
    assert page.items[1].id != page.items[2].id


def test_conversation_pages_back_and_forward_without_gaps_or_repeats(session: Session, pair: Pair, clock: FakeClock):
    for n in range(3):
        service.send_text(session, pair.actor, pair.basic_id, f"in {n}")
        _push(session, pair, f"out {n}a", f"out {n}b")
        clock.advance(seconds=1)
    everything = [i.message["text"] for i in service.conversation(session, pair.actor, pair.basic_id).items]
    assert len(everything) == 9
    newest = service.conversation(session, pair.actor, pair.basic_id, limit=4)
    assert [i.message["text"] for i in newest.items] == everything[-4:]
    older = service.conversation(session, pair.actor, pair.basic_id, before=newest.before, limit=4)
    oldest = service.conversation(session, pair.actor, pair.basic_id, before=older.before, limit=4)
    assert [i.message["text"] for i in oldest.items + older.items + newest.items] == everything
    assert oldest.before is None
    forward, seen = encode_cursor(START), []
    while True:
        page = service.conversation(session, pair.actor, pair.basic_id, after=forward, limit=2)
        if not page.items:
            break
        seen += [i.message["text"] for i in page.items]
        forward = page.after
    assert seen == everything
    with pytest.raises(Invalid) as refused:
        service.conversation(session, pair.actor, pair.basic_id, after="not-ours")
    assert refused.value.by_field() == {"after": "This cursor was not handed out here."}


def test_an_empty_chat_still_gives_a_cursor_to_ask_for_newer_items(session: Session, pair: Pair):
    page = service.conversation(session, pair.actor, pair.basic_id)
    assert page.items == [] and page.after
    _push(session, pair, "first")
    assert [i.message["text"] for i in service.conversation(session, pair.actor, pair.basic_id,
                                                            after=page.after).items] == ["first"]


# ---------------------------------------------------------------- the inbox

def test_r_msg_06_inbox_previews_emoji_as_text_names_unread_counts_newest_first(
        session: Session, pair: Pair, clock: FakeClock):
    quiet = make_pair(session, name="Quiet Shop")
    friends.add_friend(session, pair.actor, quiet.basic_id)
    noodles = make_pair(session, name="Noodles")
    friends.add_friend(session, pair.actor, noodles.basic_id)
    service.send_text(session, pair.actor, noodles.basic_id, "One bowl please")
    clock.advance(minutes=1)
    _push(session, pair, "Hello $ friend", "Today's menu", emojis=None)
    messaging.push(session, context(session, pair.bot), request_id="emoji", to=pair.scoped_id,
                   messages=[{"type": "text", "text": "Thanks $", "emojis": [{**SMILE, "index": 7}]}])
    rows = service.inbox(session, pair.actor)
    assert [(r.display_name, r.last_message, r.last_from_me, r.unread_count) for r in rows] == [
        ("Echo Bot", "Thanks (smile)", False, 3), ("Noodles", "One bowl please", True, 0),
        ("Quiet Shop", None, False, 0)]
    service.conversation(session, pair.actor, pair.basic_id)
    assert service.inbox(session, pair.actor)[0].unread_count == 0


def test_inbox_of_a_sticker_and_an_unsent_message(session: Session, pair: Pair, clock: FakeClock):
    service.send_sticker(session, pair.actor, pair.basic_id, "446", "1988")
    assert service.inbox(session, pair.actor)[0].last_message == "sent a sticker"
    clock.advance(seconds=1)
    item = service.send_text(session, pair.actor, pair.basic_id, "oops")
    service.unsend(session, pair.actor, pair.basic_id, item.id)
    assert service.inbox(session, pair.actor)[0].last_message == "You unsent a message."


def test_inbox_uses_four_queries_however_many_friends(session: Session, pair: Pair):
    for n in range(5):
        other = make_pair(session, name=f"Shop {n}")
        friends.add_friend(session, pair.actor, other.basic_id)
        service.send_text(session, pair.actor, other.basic_id, "hi")
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        assert len(service.inbox(session, pair.actor)) == 6
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    assert len(statements) == 4


# ---------------------------------------------------------------- who may see what

def test_a_person_cannot_read_or_write_the_chat_of_an_account_they_did_not_add(session: Session, pair: Pair):
    stranger = factories.person(session, name="Stranger")
    actor = PersonActor(stranger.id)
    with pytest.raises(NotFound):
        service.conversation(session, actor, pair.basic_id)
    with pytest.raises(NotFound):
        service.send_text(session, actor, pair.basic_id, "hi")
    with pytest.raises(NotFound):
        service.postback(session, actor, pair.basic_id, "x")
    assert all(r.basic_id != pair.basic_id for r in service.inbox(session, actor))


def test_after_blocking_the_chat_is_read_only_and_leaves_the_inbox(session: Session, pair: Pair):
    service.send_text(session, pair.actor, pair.basic_id, "before")
    friends.block(session, pair.actor, pair.bot.account.id)
    with pytest.raises(NotAllowed):
        service.send_text(session, pair.actor, pair.basic_id, "after")
    with pytest.raises(NotAllowed):
        service.postback(session, pair.actor, pair.basic_id, "x")
    assert [i.message["text"] for i in service.conversation(session, pair.actor, pair.basic_id).items] == ["before"]
    assert service.inbox(session, pair.actor) == []


def test_another_persons_media_is_not_found(session: Session, pair: Pair):
    item = service.send_media(session, pair.actor, pair.basic_id, "image", png_bytes())
    data, content_type, _ = service.message_content(session, pair.actor, pair.basic_id, item.id)
    assert content_type == "image/png" and data.startswith(b"\x89PNG")
    other = factories.person(session, name="Pim")
    factories.friend(session, other, pair.bot.account)
    with pytest.raises(NotFound):
        service.message_content(session, PersonActor(other.id), pair.basic_id, item.id)


def test_r_frd_04_the_bot_can_read_the_profile_of_a_person_who_messaged_it(session: Session, pair: Pair):
    service.send_text(session, pair.actor, pair.basic_id, "hello")
    profile = friends.follower_profile(session, context(session, pair.bot), last_message_event(
        session, pair).source.user_id)
    assert (profile.display_name, profile.user_id) == ("Mali", pair.scoped_id)


def test_a_rolled_back_send_keeps_nothing_queues_nothing_and_tells_no_one(db):  # type: ignore[no-untyped-def]
    with db.scope() as session:
        pair = make_pair(session)
        webhooks.update_webhook_settings(session, SYSTEM, pair.bot.account.id, webhook_url="https://bot.example/cb",
                                         use_webhook=True)
        before = (session.scalar(select(func.count()).select_from(WebhookEvent)),
                  session.scalar(select(func.count()).select_from(Job)))

    async def scenario() -> list[dict]:
        subscription = hub.subscribe(person_topic(pair.user.id))
        try:
            with pytest.raises(RuntimeError), db.scope() as session:
                service.send_text(session, pair.actor, pair.basic_id, "never")
                raise RuntimeError("the request failed after the use case")
            await asyncio.sleep(0.05)
            return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]
        finally:
            hub.unsubscribe(subscription)

    assert run_in_own_loop(scenario) == []
    with db.scope() as session:
        assert stored(session, pair) == []
        assert (session.scalar(select(func.count()).select_from(WebhookEvent)),
                session.scalar(select(func.count()).select_from(Job))) == before

    async def committed() -> list[dict]:
        subscription = hub.subscribe(person_topic(pair.user.id))
        try:
            with db.scope() as session:
                service.send_text(session, pair.actor, pair.basic_id, "kept")
            await asyncio.sleep(0.05)
            return [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]
        finally:
            hub.unsubscribe(subscription)

    assert run_in_own_loop(committed) == [{"type": "messages", "accountId": pair.bot.account.id}]
    with db.scope() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == before[1] + 1
