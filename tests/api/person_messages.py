"""Messages a person sent to an account, written as rows with their media in storage.

Until the Chat app's own sending service lands, tests of what a bot reads of them (content,
mark-as-read) build the rows the way that service stores them: LINE's message object in
``body``, the media under a storage key with its media type."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openoa.chat.models import PersonMessage
from openoa.core import clock, ids
from openoa.integrations.storage import LocalStorage


def sent(session: Session, *, account_id: int, user_id: int, type: str = "text",  # noqa: A002 - LINE's name
         body: dict | None = None, data: bytes | None = None, suffix: str = "png",
         content_type: str | None = None, preview: bytes | None = None,
         storage: LocalStorage | None = None) -> PersonMessage:
    """One message from ``user_id`` to ``account_id``; media bytes go to ``storage``."""
    content_key = storage.save(data, suffix=suffix) if data is not None and storage is not None else None
    preview_key = storage.save(preview, suffix="png") if preview is not None and storage is not None else None
    message = PersonMessage(account_id=account_id, user_id=user_id, message_id=ids.message_id(), type=type,
                            body=body if body is not None else ({"text": "hi"} if type == "text" else {}),
                            quote_token=ids.quote_token(), content_key=content_key, content_type=content_type,
                            preview_key=preview_key, created_at=clock.now())
    session.add(message)
    session.flush()
    return message
