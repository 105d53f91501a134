"""What the Chat app's chat use cases take and return: conversation items (one per LINE message
object, either way), the inbox's rows, and the requests of the JSON endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ChatItem(BaseModel):
    """One message object in a 1:1 chat: ``out`` from the account, ``in`` from the person."""

    direction: Literal["out", "in"]
    # The LINE message JSON: out, the request's message object; in, the webhook's content object.
    message: dict[str, Any]
    id: str
    sent_at: datetime
    unsent: bool = False
    # in: the account has read it (a console operator, or the bot's mark-as-read).
    read: bool = False
    has_content: bool = False
    has_preview: bool = False
    cursor: str


class ConversationPage(BaseModel):
    """A page of a chat in time order; ``before`` fetches older items, ``after`` newer ones."""

    account_id: int
    basic_id: str
    display_name: str
    profile_image_url: str | None = None
    items: list[ChatItem]
    before: str | None = Field(None, description="Cursor of older items, when there are any")
    after: str | None = Field(None, description="Cursor to ask for newer items with")
    loading_until: datetime | None = Field(
        None, description="The account's loading animation shows until then (it ends sooner when it answers)")


class ChatSummary(BaseModel):
    """An inbox row: a friend account and the latest of the chat with it."""

    account_id: int
    basic_id: str
    display_name: str
    profile_image_url: str | None = None
    badge: str
    last_message: str | None = Field(None, description="Notification text of the latest message (R-MSG-06)")
    last_from_me: bool = False
    last_activity_at: datetime | None = None
    unread_count: int = 0


class SendMessage(BaseModel):
    """A text, sticker or location the person sends (media go as multipart uploads)."""

    type: Literal["text", "sticker", "location"]
    text: str | None = None
    package_id: str | None = Field(None, alias="packageId")
    sticker_id: str | None = Field(None, alias="stickerId")
    title: str | None = None
    address: str | None = None
    latitude: float | str | None = None
    longitude: float | str | None = None

    model_config = {"populate_by_name": True}


class TapAction(BaseModel):
    """A tapped template, quick-reply or imagemap action."""

    action_type: Literal["postback", "message", "datetimepicker"]
    data: str = ""
    text: str = ""
    display_text: str = ""
    mode: str = ""
    date: str = ""
    time: str = ""
    datetime: str = ""


class StickerOut(BaseModel):
    package_id: str
    sticker_id: str
    name: str
