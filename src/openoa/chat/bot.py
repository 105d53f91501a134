"""What a bot does to its 1:1 chats through the Messaging API: fetch the content a person sent
(the blob host's ``/v2/bot/message/{id}/content``), show the loading animation, and mark a
person's messages as read (by user ID or by the ``markAsReadToken`` of a webhook event).

Every lookup is scoped to the bot's own account: another account's message or person is
answered exactly like one that does not exist (R-FRD-04/05).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.channels.schemas import BotContext
from openoa.chat.models import Conversation, PersonMessage
from openoa.core import clock
from openoa.core.errors import DomainError, FieldError, Invalid, NotFound
from openoa.core.pubsub import person_topic, publish_after_commit
from openoa.friends import queries as friend_queries
from openoa.integrations.storage import current_storage

# LINE's loading animation: 5 to 60 seconds in steps of 5, 20 when the bot does not say.
LOADING_DEFAULT_SECONDS = 20
LOADING_MIN_SECONDS = 5
LOADING_MAX_SECONDS = 60
LOADING_STEP_SECONDS = 5

# What the blob host serves, by the person message's type (LINE: contentProvider.type "line").
CONTENT_TYPES = frozenset({"image", "video", "audio", "file"})
PREVIEW_TYPES = frozenset({"image", "video"})
TRANSCODED_TYPES = frozenset({"video", "audio"})
TRANSCODING_SUCCEEDED = "succeeded"

CANNOT_PREVIEW = "The content can not be previewed"
CANNOT_TRANSCODE = "The content can not be transcoded"
CONTENT_GONE = "The content is gone"
_READ_TOKEN_PREFIX = b"oa-read:"


class ContentGone(DomainError):
    """The person unsent the message: LINE answers 410 for its content."""

    status = 410

    def __init__(self) -> None:
        super().__init__(CONTENT_GONE)


@dataclass(frozen=True)
class Content:
    """Bytes for the blob host, with their media type."""

    data: bytes
    content_type: str


def _body_invalid(field: str, message: str) -> Invalid:
    return Invalid([FieldError(field, message)], message="The request body has 1 error(s)")


# ---------------------------------------------------------------- content (blob host)

def _own_message(session: Session, bot: BotContext, message_id: str) -> PersonMessage:
    """A message a person sent to the bot's account; 404 for any other ID (no existence leak)."""
    message = session.scalar(select(PersonMessage).where(PersonMessage.message_id == message_id,
                                                         PersonMessage.account_id == bot.account_id))
    if message is None:
        raise NotFound()
    if message.unsent_at is not None:
        raise ContentGone()
    return message


def _stored(key: str | None, content_type: str | None) -> Content:
    data = current_storage().read(key) if key else None
    if data is None:
        raise NotFound()
    return Content(data, content_type or "application/octet-stream")


def message_content(session: Session, bot: BotContext, message_id: str) -> Content:
    """The image, video, audio or file a person sent (GET /v2/bot/message/{id}/content)."""
    message = _own_message(session, bot, message_id)
    if message.type not in CONTENT_TYPES:
        raise NotFound()
    return _stored(message.content_key, message.content_type)


def message_content_preview(session: Session, bot: BotContext, message_id: str) -> Content:
    """The preview image of an image or video a person sent; anything else cannot be previewed."""
    message = _own_message(session, bot, message_id)
    if message.type not in PREVIEW_TYPES:
        raise Invalid(message=CANNOT_PREVIEW)
    if message.preview_key:
        return _stored(message.preview_key, _image_type(message.preview_key))
    if message.type == "image":  # an image small enough to be its own preview
        return _stored(message.content_key, message.content_type)
    raise NotFound()


def _image_type(key: str) -> str:
    return "image/png" if key.endswith(".png") else "image/jpeg"


def message_content_transcoding(session: Session, bot: BotContext, message_id: str) -> str:
    """Whether a video's or audio's content can be fetched: OpenOA stores it ready, so "succeeded"."""
    message = _own_message(session, bot, message_id)
    if message.type not in TRANSCODED_TYPES:
        raise Invalid(message=CANNOT_TRANSCODE)
    if not message.content_key:
        raise NotFound()
    return TRANSCODING_SUCCEEDED


# ---------------------------------------------------------------- the person behind a chat ID

def _friend(session: Session, bot: BotContext, scoped_id: str, *, field: str) -> int:
    """The person behind a ``U…`` ID who is a current friend of the account and has not blocked it."""
    row = session.execute(friend_queries.follower_profile(bot.account_id, bot.provider_id, scoped_id)).first()
    if row is None:
        raise _body_invalid(field, "The user is not a friend of this account")
    return int(row[0].id)


def conversation_state(session: Session, account_id: int, user_id: int) -> Conversation:
    """The (account, person) chat's state row, made on first need; a concurrent maker wins quietly."""
    found = session.scalar(select(Conversation).where(Conversation.account_id == account_id,
                                                      Conversation.user_id == user_id))
    if found is not None:
        return found
    row = Conversation(account_id=account_id, user_id=user_id, last_activity_at=clock.now(),
                       person_read_delivery_id=0, account_read_message_id=0)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return session.scalars(select(Conversation).where(Conversation.account_id == account_id,
                                                          Conversation.user_id == user_id)).one()
    return row


# ---------------------------------------------------------------- loading animation

def loading_seconds_problem(seconds: int) -> str | None:
    """LINE's rule for ``loadingSeconds``: 5 to 60, a multiple of 5."""
    if not LOADING_MIN_SECONDS <= seconds <= LOADING_MAX_SECONDS:
        return f"Must be between {LOADING_MIN_SECONDS} and {LOADING_MAX_SECONDS}"
    if seconds % LOADING_STEP_SECONDS:
        return f"Must be a multiple of {LOADING_STEP_SECONDS}"
    return None


def show_loading(session: Session, bot: BotContext, chat_id: str,
                 loading_seconds: int = LOADING_DEFAULT_SECONDS) -> datetime:
    """Show the loading animation in a friend's chat for ``loading_seconds`` (POST /v2/bot/chat/loading/start).

    A second request while it shows replaces the end time, as on LINE. The person's open
    Chat-app pages hear ``{"type": "loading"}`` after commit; the animation ends at
    ``until`` or when the account's next message arrives (:func:`end_loading`).
    """
    problem = loading_seconds_problem(loading_seconds)
    if problem:
        raise _body_invalid("loadingSeconds", problem)
    user_id = _friend(session, bot, chat_id, field="chatId")
    until = clock.now() + timedelta(seconds=loading_seconds)
    conversation_state(session, bot.account_id, user_id).loading_until = until
    session.flush()
    publish_after_commit(session, [person_topic(user_id)],
                         {"type": "loading", "accountId": bot.account_id, "until": until.isoformat()})
    return until


def end_loading(session: Session, account_id: int, user_ids: list[int]) -> None:
    """The account's message reached these people: their loading animations stop (one UPDATE)."""
    if user_ids:
        session.execute(update(Conversation)
                        .where(Conversation.account_id == account_id, Conversation.user_id.in_(user_ids),
                               Conversation.loading_until.is_not(None))
                        .values(loading_until=None), execution_options={"synchronize_session": False})


def loading_until(session: Session, account_id: int, user_id: int) -> datetime | None:
    """When the loading animation in this chat ends, if it shows now."""
    until = session.scalar(select(Conversation.loading_until).where(Conversation.account_id == account_id,
                                                                    Conversation.user_id == user_id))
    return until if until is not None and until > clock.now() else None


# ---------------------------------------------------------------- mark as read

def _mark_read_up_to(session: Session, account_id: int, user_id: int, message_pk: int) -> None:
    conversation = conversation_state(session, account_id, user_id)
    # Reading never goes backwards: an old token must not un-read newer messages.
    conversation.account_read_message_id = max(conversation.account_read_message_id or 0, message_pk)
    session.flush()
    publish_after_commit(session, [person_topic(user_id)], {"type": "read", "accountId": account_id})


def mark_as_read(session: Session, bot: BotContext, user_id: str) -> None:
    """Mark everything a friend has sent the account as read (POST /v2/bot/message/markAsRead)."""
    person = _friend(session, bot, user_id, field="chat.userId")
    newest = session.scalar(select(func.max(PersonMessage.id)).where(PersonMessage.account_id == bot.account_id,
                                                                     PersonMessage.user_id == person))
    _mark_read_up_to(session, bot.account_id, person, int(newest or 0))


def mark_as_read_token(message_id: str) -> str:
    """The ``markAsReadToken`` of a webhook message event for the person message ``message_id``.

    It names the message only: the endpoint that takes it authenticates the bot and looks the
    message up within the bot's own account, so a token is worthless to anyone else.
    """
    return base64.urlsafe_b64encode(_READ_TOKEN_PREFIX + message_id.encode()).decode().rstrip("=")


def _message_id_of_token(token: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(_READ_TOKEN_PREFIX):
        return None
    message_id = raw[len(_READ_TOKEN_PREFIX):].decode(errors="replace")
    return message_id if message_id.isdigit() else None


def mark_as_read_by_token(session: Session, bot: BotContext, token: str) -> None:
    """Mark a person's messages read up to the event's message (POST /v2/bot/chat/markAsRead)."""
    message_id = _message_id_of_token(token or "")
    message = None if message_id is None else session.scalar(
        select(PersonMessage).where(PersonMessage.message_id == message_id,
                                    PersonMessage.account_id == bot.account_id))
    if message is None:
        raise _body_invalid("markAsReadToken", "Invalid mark as read token")
    _mark_read_up_to(session, bot.account_id, message.user_id, message.id)
