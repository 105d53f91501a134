"""Use cases of a person's 1:1 chats in the Chat app: sending an account text, stickers,
locations, photos, videos, audio and files; tapping template, quick-reply and imagemap actions;
unsending; reading a conversation (both directions merged in time order) and the inbox.

Every message a person sends is stored shaped like the ``message`` of LINE's webhook event;
in Bot mode it becomes a webhook event with a reply token in the same transaction (R-CHT-01),
in Chat mode it is only kept. The person's open pages hear of it after commit.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.service import find_account_by_basic_id
from openoa.chat import queries, rules
from openoa.chat.bot import conversation_state, loading_until, mark_as_read_token
from openoa.chat.models import Conversation, PersonMessage
from openoa.chat.rules import SOURCE_IN, SOURCE_OUT, Position
from openoa.chat.schemas import ChatItem, ChatSummary, ConversationPage, StickerOut
from openoa.core import clock, ids
from openoa.core.access import PersonActor
from openoa.core.db import Database
from openoa.core.errors import FieldError, Invalid, NotAllowed, NotFound
from openoa.core.pubsub import person_topic, publish_after_commit
from openoa.friends.models import Friendship
from openoa.friends.service import scoped_user_id
from openoa.integrations.storage import current_storage
from openoa.messaging.rules import notification_preview
from openoa.users.models import User
from openoa.webhooks import service as webhooks

UNSENT_PREVIEW = "You unsent a message."


@dataclass(frozen=True)
class Chat:
    """The account a person chats with, checked: a friend they have not blocked."""

    account: OfficialAccount
    user: User


# ---------------------------------------------------------------- access

def access_chat(session: Session, actor: PersonActor, basic_id: str, *, to_write: bool = False) -> Chat:
    """The chat of ``actor`` with the account ``basic_id``.

    An account they never added is "Not found" (as any unknown ID); one they blocked can be
    read but not written to, until they unblock it (R-FRD-03).
    """
    account = find_account_by_basic_id(session, basic_id)
    row = session.execute(select(Friendship.blocked, User)
                          .join(User, User.id == Friendship.user_id)
                          .where(Friendship.account_id == account.id, Friendship.user_id == actor.user_id)).first()
    if row is None or not row[1].active:
        raise NotFound(f"No chat with {basic_id}.")
    blocked, user = row
    if blocked and to_write:
        raise NotAllowed(f"You blocked {account.display_name}. Unblock it to send messages.")
    return Chat(account, user)


# ---------------------------------------------------------------- sending

def _content_object(message: PersonMessage) -> dict[str, Any]:
    """The message as the webhook's content object: type, id, the stored fields, quote token."""
    content: dict[str, Any] = {"type": message.type, "id": message.message_id, **message.body}
    if message.quote_token:
        content["quoteToken"] = message.quote_token
    return content


def _store(session: Session, chat: Chat, kind: str, body: dict[str, Any], *, content_key: str | None = None,
           content_type: str | None = None, preview_key: str | None = None, emit: bool = True) -> PersonMessage:
    """Keep a person's message, touch the chat, emit the event (Bot mode), tell open pages."""
    now = clock.now()
    message = PersonMessage(account_id=chat.account.id, user_id=chat.user.id, message_id=ids.message_id(),
                            type=kind, body=body,
                            quote_token=ids.quote_token() if kind in rules.QUOTABLE else None,
                            content_key=content_key, content_type=content_type, preview_key=preview_key,
                            created_at=now)
    session.add(message)
    session.flush()
    conversation_state(session, chat.account.id, chat.user.id).last_activity_at = now
    if emit:
        content = {**_content_object(message), "markAsReadToken": mark_as_read_token(message.message_id)}
        webhooks.emit_message(session, chat.account.id, user_id=chat.user.id,
                              scoped_user_id=scoped_user_id(session, chat.account.provider_id, chat.user.id),
                              message=content)
    session.flush()
    _tell(session, chat)
    return message


def _tell(session: Session, chat: Chat) -> None:
    publish_after_commit(session, [person_topic(chat.user.id)], {"type": "messages", "accountId": chat.account.id})


def _item_of(message: PersonMessage, read_up_to: int) -> ChatItem:
    unsent = message.unsent_at is not None
    return ChatItem(direction="in", message={"type": message.type} if unsent else _content_object(message),
                    id=message.message_id, sent_at=message.created_at, unsent=unsent,
                    read=message.id <= read_up_to, has_content=bool(message.content_key) and not unsent,
                    has_preview=bool(message.preview_key) and not unsent,
                    cursor=rules.encode_cursor(Position(message.created_at, SOURCE_IN, message.id)))


def send_text(session: Session, actor: PersonActor, basic_id: str, text: str, *,
              emojis: list[dict[str, Any]] | None = None) -> ChatItem:
    """Send a text (≤ 5,000 UTF-16 units); ``emojis`` are LINE emoji at ``$`` placeholders."""
    problem = rules.text_problem(text or "")
    if problem:
        raise Invalid(field="text", reason=problem)
    chat = access_chat(session, actor, basic_id, to_write=True)
    body: dict[str, Any] = {"text": text}
    if emojis:
        body["emojis"] = _checked_emojis(text, emojis)
    return _item_of(_store(session, chat, "text", body), 0)


def _checked_emojis(text: str, emojis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    units = text.encode("utf-16-le")
    for i, emoji in enumerate(emojis):
        index = emoji.get("index")
        at = units[2 * index:2 * index + 2] if isinstance(index, int) and index >= 0 else b""
        if at != "$".encode("utf-16-le") or not emoji.get("productId") or not emoji.get("emojiId"):
            raise Invalid(field=f"emojis[{i}]", reason="An emoji must sit on a $ of the text.")
        out.append({"index": index, "length": 1, "productId": str(emoji["productId"]),
                    "emojiId": str(emoji["emojiId"])})
    return out


def send_sticker(session: Session, actor: PersonActor, basic_id: str, package_id: str, sticker_id: str) -> ChatItem:
    """Send one of the default stickers (R-MSG-07)."""
    sticker = rules.default_sticker(str(package_id or ""), str(sticker_id or ""))
    if sticker is None:
        raise Invalid(field="sticker", reason="Choose one of the stickers shown.")
    chat = access_chat(session, actor, basic_id, to_write=True)
    body: dict[str, Any] = {"packageId": sticker.package_id, "stickerId": sticker.sticker_id,
                            "stickerResourceType": sticker.resource_type}
    if sticker.keywords:
        body["keywords"] = list(sticker.keywords)
    return _item_of(_store(session, chat, "sticker", body), 0)


def stickers() -> list[StickerOut]:
    """The stickers every person can send."""
    return [StickerOut(package_id=s.package_id, sticker_id=s.sticker_id, name=s.name) for s in rules.DEFAULT_STICKERS]


def send_location(session: Session, actor: PersonActor, basic_id: str, *, latitude: Any, longitude: Any,
                  title: str | None = None, address: str | None = None) -> ChatItem:
    """Send a place: latitude and longitude, with an optional title and address (≤ 100 each)."""
    errors: list[FieldError] = []
    values: dict[str, float] = {}
    for name, value, bound in (("latitude", latitude, 90.0), ("longitude", longitude, 180.0)):
        try:
            values[name] = rules.coordinate(value, -bound, bound, name)
        except ValueError as exc:
            errors.append(FieldError(name, str(exc)))
    title, address = (title or "").strip(), (address or "").strip()
    if len(title) > rules.LOCATION_TITLE_MAX:
        errors.append(FieldError("title", f"The title can be at most {rules.LOCATION_TITLE_MAX} characters."))
    if len(address) > rules.LOCATION_ADDRESS_MAX:
        errors.append(FieldError("address", f"The address can be at most {rules.LOCATION_ADDRESS_MAX} characters."))
    if errors:
        raise Invalid(errors)
    chat = access_chat(session, actor, basic_id, to_write=True)
    body: dict[str, Any] = {}
    if title:
        body["title"] = title
    if address:
        body["address"] = address
    body.update(values)
    return _item_of(_store(session, chat, "location", body), 0)


def _image(data: bytes) -> tuple[str, str, bytes]:
    """(content type, suffix, preview bytes) of an uploaded image, checked by decoding it."""
    try:
        with Image.open(io.BytesIO(data)) as probe:
            fmt = probe.format
            probe.verify()
        if fmt not in rules.IMAGE_TYPES:
            raise Invalid(field="file", reason=f"Upload {rules.KIND_NAMES['image']}.")
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > rules.MAX_IMAGE_PIXELS:
                raise Invalid(field="file", reason="The image has too many pixels.")
            preview = img.convert("RGB")
            preview.thumbnail((rules.PREVIEW_SIZE, rules.PREVIEW_SIZE))
            out = io.BytesIO()
            preview.save(out, format="JPEG", quality=80)
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Invalid(field="file", reason=f"This is not {rules.KIND_NAMES['image']} we can read.") from exc
    content_type, suffix = rules.IMAGE_TYPES[fmt]
    return content_type, suffix, out.getvalue()


def send_media(session: Session, actor: PersonActor, basic_id: str, kind: str, data: bytes, *,
               filename: str | None = None, content_type: str | None = None,
               duration_ms: int | None = None) -> ChatItem:
    """Send a photo, video, audio or file; checked by its bytes (never by the browser's word) and size.

    ``duration_ms`` of a video or audio is what the browser measured, when it could.
    """
    if kind not in rules.MEDIA_KINDS:
        raise Invalid(field="kind", reason="Choose a photo, video, audio or file.")
    problem = rules.size_problem(kind, len(data))
    if problem:
        raise Invalid(field="file", reason=problem)
    storage = current_storage()
    preview_key = None
    body: dict[str, Any] = {}
    if kind == "image":
        stored_type, suffix, preview = _image(data)
    elif kind == "file":
        name = rules.clean_file_name(filename)
        stored_type, suffix = (content_type or "application/octet-stream")[:100], rules.file_suffix(name)
        body = {"fileName": name, "fileSize": len(data)}
    else:
        sniffed = rules.sniff_media(kind, data)
        if sniffed is None:
            raise Invalid(field="file", reason=f"Upload {rules.KIND_NAMES[kind]}.")
        stored_type, suffix = sniffed
    if kind in rules.LINE_PROVIDED:
        body["contentProvider"] = {"type": "line"}
        if kind in ("video", "audio") and isinstance(duration_ms, int) and duration_ms > 0:
            body["duration"] = duration_ms
    chat = access_chat(session, actor, basic_id, to_write=True)
    key = storage.save_private(data, suffix=suffix)
    if kind == "image":
        preview_key = storage.save_private(preview, suffix="jpg")
    return _item_of(_store(session, chat, kind, body, content_key=key, content_type=stored_type,
                           preview_key=preview_key), 0)


# ---------------------------------------------------------------- actions and unsend

def postback(session: Session, actor: PersonActor, basic_id: str, data: str, *,
             params: dict[str, str] | None = None, display_text: str | None = None) -> None:
    """A tapped postback (or datetime picker) action: a ``postback`` event for the bot (Bot mode).

    ``display_text`` shows in the chat as the person's words, as LINE does; it is not a
    message event (only the postback is).
    """
    check_postback(data, display_text)
    chat = access_chat(session, actor, basic_id, to_write=True)
    if display_text:
        _store(session, chat, "text", {"text": display_text}, emit=False)
    webhooks.emit_postback(session, chat.account.id, user_id=chat.user.id,
                           scoped_user_id=scoped_user_id(session, chat.account.provider_id, chat.user.id),
                           data=data or "", params=params)


def check_postback(data: str, display_text: str | None) -> None:
    """Invalid, naming the field, for postback data or display text past LINE's limits (1:1 and groups)."""
    if len(data or "") > rules.POSTBACK_DATA_MAX:
        raise Invalid(field="data", reason=f"Postback data can be at most {rules.POSTBACK_DATA_MAX} characters.")
    if display_text and len(display_text) > rules.DISPLAY_TEXT_MAX:
        raise Invalid(field="display_text",
                      reason=f"The display text can be at most {rules.DISPLAY_TEXT_MAX} characters.")


def picked_params(mode: str, value: str) -> dict[str, str]:
    """A datetime picker's choice as the postback's ``params`` (LINE's format); Invalid, naming the
    picker's field, when nothing usable was chosen. Shared by 1:1 chats and groups."""
    if mode not in rules.PICKER_MODES:
        raise Invalid(field="mode", reason="Choose a date, a time, or both.")
    params = rules.picker_params(mode, value)
    if params is None:
        raise Invalid(field=mode, reason={"date": "Choose a date.", "time": "Choose a time.",
                                          "datetime": "Choose a date and time."}[mode])
    return params


def pick_datetime(session: Session, actor: PersonActor, basic_id: str, data: str, mode: str, value: str, *,
                  display_text: str | None = None) -> None:
    """A datetime picker's choice: a postback whose ``params`` carry it in LINE's format."""
    postback(session, actor, basic_id, data, params=picked_params(mode, value), display_text=display_text)


def unsend(session: Session, actor: PersonActor, basic_id: str, message_id: str) -> None:
    """Take back one of one's own messages: gone for everyone, and an ``unsend`` event for the bot."""
    chat = access_chat(session, actor, basic_id)
    message = session.scalar(select(PersonMessage).where(PersonMessage.message_id == str(message_id),
                                                         PersonMessage.account_id == chat.account.id,
                                                         PersonMessage.user_id == chat.user.id))
    if message is None:
        raise NotFound("No such message.")
    if message.unsent_at is not None:
        return
    message.unsent_at = clock.now()
    session.flush()
    webhooks.emit_unsend(session, chat.account.id,
                         scoped_user_id=scoped_user_id(session, chat.account.provider_id, chat.user.id),
                         message_id=message.message_id)
    _tell(session, chat)


# ---------------------------------------------------------------- reading

def _out_items(row: Any) -> list[ChatItem]:
    delivery_id, created_at, messages, sent = row
    items = []
    for index, message in enumerate(messages):
        message_id = sent[index]["id"] if index < len(sent) else f"{delivery_id}-{index}"
        items.append(ChatItem(direction="out", message=message, id=message_id, sent_at=created_at, read=True,
                              cursor=rules.encode_cursor(Position(created_at, SOURCE_OUT, delivery_id, index))))
    return items


def _position(item: ChatItem) -> Position:
    return rules.decode_cursor(item.cursor)  # type: ignore[return-value]


def _cursor(value: str | None, field: str) -> Position | None:
    if value is None or value == "":
        return None
    position = rules.decode_cursor(value)
    if position is None:
        raise Invalid(field=field, reason="This cursor was not handed out here.")
    return position


def conversation(session: Session, actor: PersonActor, basic_id: str, *, after: str | None = None,
                 before: str | None = None, limit: int = rules.PAGE_DEFAULT, mark_read: bool = True) -> ConversationPage:
    """A page of the chat, oldest first: the newest ``limit`` items, or those after/before a cursor.

    Looking at the chat marks the account's messages read (``mark_read``).
    """
    if not 1 <= limit <= rules.PAGE_MAX:
        raise Invalid(field="limit", reason=f"Must be between 1 and {rules.PAGE_MAX}")
    after_at, before_at = _cursor(after, "after"), _cursor(before, "before")
    chat = access_chat(session, actor, basic_id)
    account_id, user_id = chat.account.id, chat.user.id
    state = session.scalar(select(Conversation).where(Conversation.account_id == account_id,
                                                      Conversation.user_id == user_id))
    read_up_to = state.account_read_message_id if state else 0
    fetch = limit + 1
    mine = session.scalars(queries.person_messages_page(account_id, user_id, SOURCE_IN, after=after_at,
                                                        before=before_at, limit=fetch)).all()
    theirs = session.execute(queries.deliveries_page(account_id, user_id, SOURCE_OUT, after=after_at,
                                                     before=before_at, limit=fetch)).all()
    items = [_item_of(m, read_up_to) for m in mine] + [i for row in theirs for i in _out_items(row)]
    items.sort(key=_position)
    if after_at is not None:
        items = [i for i in items if _position(i) > after_at]
        more_older, page = True, items[:limit]
    else:
        if before_at is not None:
            items = [i for i in items if _position(i) < before_at]
        more_older, page = len(items) > limit, items[-limit:]
    if mark_read:
        _mark_read(session, account_id, user_id)
    storage = current_storage()
    return ConversationPage(
        account_id=account_id, basic_id=chat.account.basic_id, display_name=chat.account.display_name,
        profile_image_url=storage.url(chat.account.profile_image) if chat.account.profile_image else None,
        items=page, before=page[0].cursor if page and more_older else None,
        after=page[-1].cursor if page else (after or rules.encode_cursor(rules.START)),
        loading_until=loading_until(session, account_id, user_id))


def _mark_read(session: Session, account_id: int, user_id: int) -> None:
    newest = session.scalar(queries.newest_delivery_id(account_id, user_id)) or 0
    state = session.scalar(select(Conversation).where(Conversation.account_id == account_id,
                                                      Conversation.user_id == user_id))
    if state is not None and state.person_read_delivery_id >= newest:
        return
    if state is None and newest == 0:
        return
    state = state or conversation_state(session, account_id, user_id)
    state.person_read_delivery_id = max(state.person_read_delivery_id or 0, newest)
    session.flush()


def message_content(session: Session, actor: PersonActor, basic_id: str, message_id: str, *,
                    preview: bool = False) -> tuple[bytes, str, PersonMessage]:
    """The bytes of a photo, video, audio or file the person sent this account; 404 for anyone else's."""
    chat = access_chat(session, actor, basic_id)
    message = session.scalar(select(PersonMessage).where(PersonMessage.message_id == str(message_id),
                                                         PersonMessage.account_id == chat.account.id,
                                                         PersonMessage.user_id == chat.user.id))
    key = None if message is None or message.unsent_at else (message.preview_key if preview else message.content_key)
    data = current_storage().read(key) if key else None
    if message is None or data is None:
        raise NotFound("No such file.")
    return data, "image/jpeg" if preview else (message.content_type or "application/octet-stream"), message


# ---------------------------------------------------------------- the inbox

def _preview_of_person_message(message: PersonMessage) -> str:
    if message.unsent_at is not None:
        return UNSENT_PREVIEW
    return notification_preview({"type": message.type, **message.body})


def inbox(session: Session, actor: PersonActor) -> list[ChatSummary]:
    """The person's chats: every account they added and did not block, the latest message's
    notification text (R-MSG-06), unread counts; most recent first, then by name. Four queries."""
    rows = session.execute(queries.friend_accounts(actor.user_id)).all()
    account_ids = [account.id for account, _ in rows]
    if not account_ids:
        return []
    mine = {m.account_id: m for m in session.scalars(queries.latest_person_messages(actor.user_id, account_ids))}
    theirs = {row.account_id: row for row in session.execute(queries.latest_deliveries(actor.user_id, account_ids))}
    unread = {a: int(n or 0) for a, n in session.execute(queries.unread_counts(actor.user_id, account_ids))}
    storage = current_storage()
    out = []
    for account, _ in rows:
        sent, got = mine.get(account.id), theirs.get(account.id)
        last, from_me, at = None, False, None
        if got is not None and (sent is None or got.created_at > sent.created_at):
            last, at = notification_preview(got.messages[-1]) if got.messages else None, got.created_at
        elif sent is not None:
            last, from_me, at = _preview_of_person_message(sent), True, sent.created_at
        out.append(ChatSummary(account_id=account.id, basic_id=account.basic_id, display_name=account.display_name,
                               profile_image_url=storage.url(account.profile_image) if account.profile_image else None,
                               badge=account.badge, last_message=last, last_from_me=from_me, last_activity_at=at,
                               unread_count=unread.get(account.id, 0)))
    out.sort(key=lambda s: (s.last_activity_at is None, -(s.last_activity_at.timestamp() if s.last_activity_at
                                                          else 0), s.display_name.lower(), s.account_id))
    return out



# ---------------------------------------------------------------- realtime catch-up (other processes' writes)

@dataclass(frozen=True)
class Marks:
    """The highest delivery and person-message ids a poller has looked at."""

    delivery_id: int
    person_message_id: int


def newest_ids(db: Database) -> Marks:
    """Where a new poller starts: everything written so far was told by its writer or is fetched anyway."""
    with db.scope() as session:
        deliveries, messages = session.execute(queries.newest_ids()).one()
    return Marks(int(deliveries or 0), int(messages or 0))


def reached_since(db: Database, marks: Marks, user_ids: set[int]) -> tuple[Marks, set[tuple[int, int]]]:
    """(account, person) pairs among ``user_ids`` with messages written since ``marks``, and the new marks.

    Takes the database, not a session: the poller is not a request, and its short read ends
    before it publishes.
    """
    with db.scope() as session:
        deliveries, messages = session.execute(queries.newest_ids()).one()
        now = Marks(int(deliveries or 0), int(messages or 0))
        reached: set[tuple[int, int]] = set()
        if now.delivery_id > marks.delivery_id:
            reached.update(map(tuple, session.execute(queries.deliveries_between(
                marks.delivery_id, now.delivery_id, user_ids))))
        if now.person_message_id > marks.person_message_id:
            reached.update(map(tuple, session.execute(queries.person_messages_between(
                marks.person_message_id, now.person_message_id, user_ids))))
    return now, reached
