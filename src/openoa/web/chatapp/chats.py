"""Chats in the Chat app: the inbox, a 1:1 conversation with its composer (text, stickers,
photos, videos, audio, files, locations), taps on template/quick-reply/imagemap actions,
unsend, the person's own media, their JSON twins, and the WebSocket that tells open pages
to fetch (R-CHT-01, R-MSG-06).

Forms work without JavaScript (POST, then redirect back to the chat). static/chat.js submits
the same forms with ``X-Requested-With: fetch`` and gets 204 instead of the redirect, then
fetches the new items as HTML from ``/items`` — the one renderer of messages is the server's.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Request,
    Response,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from openoa.chat import service as chat
from openoa.chat.rules import PAGE_MAX
from openoa.chat.schemas import (
    ChatItem,
    ChatSummary,
    ConversationPage,
    SendMessage,
    StickerOut,
    TapAction,
)
from openoa.core import clock
from openoa.core.access import PersonActor
from openoa.core.errors import Invalid
from openoa.core.pubsub import hub, person_topic
from openoa.web import deps
from openoa.web.chatapp import realtime

router = APIRouter()
FETCH_HEADER = "x-requested-with"


def _base(basic_id: str) -> str:
    return f"/app/chats/{quote(basic_id, safe='@')}"


def _item_view(basic_id: str, item: ChatItem) -> dict[str, Any]:
    """An item as the message macro takes it (chatapp/_messages.html): URLs of the person's media."""
    base = _base(basic_id)
    return {"direction": item.direction, "message": item.message, "id": item.id, "sent_at": item.sent_at,
            "content_url": f"{base}/content/{item.id}" if item.has_content else None,
            "preview_url": f"{base}/content/{item.id}/preview" if item.has_preview else None,
            "unsent": item.unsent, "read": item.read, "cursor": item.cursor}


def _by_fetch(request: Request) -> bool:
    return request.headers.get(FETCH_HEADER) == "fetch"


def _done(request: Request, basic_id: str) -> Response:
    if _by_fetch(request):
        return Response(status_code=204)
    return RedirectResponse(f"{_base(basic_id)}#latest", status_code=303)


# ------------------------------------------------------------------ inbox

@router.get("/app/chats", include_in_schema=False)
def inbox_page(request: Request, actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        chats = chat.inbox(session, actor)
    return deps.render(request, "chatapp/inbox.html", {"nav": "chats", "signed_in": True, "chats": chats})


@router.get("/app/api/chats", tags=["chat app"], response_model=list[ChatSummary],
            summary="Your chats: accounts you added, the latest message's preview, unread counts")
def api_inbox(request: Request, actor: PersonActor = Depends(deps.require_person)) -> list[ChatSummary]:
    with deps.scope(request) as session:
        return chat.inbox(session, actor)


# ------------------------------------------------------------------ a conversation

def _chat_page(request: Request, actor: PersonActor, basic_id: str, *, before: str | None = None,
               errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
               status_code: int = 200) -> Response:
    with deps.scope(request) as session:
        page = chat.conversation(session, actor, basic_id, before=before)
    return deps.render(request, "chatapp/chat.html", {
        "nav": "chats", "signed_in": True, "page": page, "base": _base(page.basic_id),
        "items": [_item_view(page.basic_id, i) for i in page.items], "stickers": chat.stickers(),
        # chat.js times the typing indicator by the server's clock, whatever the phone's says.
        "now": clock.now(), "errors": errors or {}, "values": values or {}}, status_code=status_code)


@router.get("/app/chats/{basic_id}", include_in_schema=False)
def chat_page(request: Request, basic_id: str, before: str | None = None,
              actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _chat_page(request, actor, basic_id, before=before)


@router.get("/app/chats/{basic_id}/items", include_in_schema=False)
def chat_items(request: Request, basic_id: str, after: str | None = None,
               actor: PersonActor = Depends(deps.require_person)) -> Response:
    """The items after a cursor (without one, the newest) as HTML, for chat.js to append new
    messages and to refresh the "Read" marks of those on the page (the page's own renderer)."""
    with deps.scope(request) as session:
        page = chat.conversation(session, actor, basic_id, after=after, limit=PAGE_MAX)
    return deps.render(request, "chatapp/_chat_items.html", {
        "items": [_item_view(page.basic_id, i) for i in page.items], "base": _base(page.basic_id),
        "last_is_latest": True})


@router.get("/app/api/chats/{basic_id}/messages", tags=["chat app"], response_model=ConversationPage,
            summary="A page of a chat, oldest first; marks the account's messages read")
def api_conversation(request: Request, basic_id: str, after: str | None = None, before: str | None = None,
                     limit: int = 50, actor: PersonActor = Depends(deps.require_person)) -> ConversationPage:
    with deps.scope(request) as session:
        return chat.conversation(session, actor, basic_id, after=after, before=before, limit=limit)


# ------------------------------------------------------------------ sending

def _send(request: Request, actor: PersonActor, basic_id: str, body: SendMessage) -> ChatItem:
    with deps.scope(request) as session:
        if body.type == "text":
            return chat.send_text(session, actor, basic_id, body.text or "")
        if body.type == "sticker":
            return chat.send_sticker(session, actor, basic_id, body.package_id or "", body.sticker_id or "")
        return chat.send_location(session, actor, basic_id, latitude=body.latitude, longitude=body.longitude,
                                  title=body.title, address=body.address)


@router.post("/app/chats/{basic_id}/messages", include_in_schema=False)
def send_form(request: Request, basic_id: str, kind: str = Form("text"), text: str = Form(""),
              sticker: str = Form(""), latitude: str = Form(""), longitude: str = Form(""),
              title: str = Form(""), address: str = Form(""),
              actor: PersonActor = Depends(deps.require_person)) -> Response:
    package_id, _, sticker_id = sticker.partition(":")
    body = SendMessage(type=kind if kind in ("text", "sticker", "location") else "text", text=text,
                       packageId=package_id, stickerId=sticker_id, latitude=latitude, longitude=longitude,
                       title=title, address=address)
    try:
        _send(request, actor, basic_id, body)
    except Invalid as exc:
        values = {"text": text, "latitude": latitude, "longitude": longitude, "title": title, "address": address}
        return _chat_page(request, actor, basic_id, errors=exc.by_field(), values=values, status_code=exc.status)
    return _done(request, basic_id)


@router.post("/app/api/chats/{basic_id}/messages", tags=["chat app"], status_code=201, response_model=ChatItem,
             summary="Send a text, a default sticker or a location")
def api_send(request: Request, basic_id: str, body: SendMessage,
             actor: PersonActor = Depends(deps.require_person)) -> ChatItem:
    return _send(request, actor, basic_id, body)


async def _upload(request: Request, actor: PersonActor, basic_id: str, kind: str, file: UploadFile | None,
                  duration: str) -> ChatItem:
    data = await file.read() if file is not None else b""
    duration_ms = int(duration) if duration.isdigit() else None
    with deps.scope(request) as session:
        return chat.send_media(session, actor, basic_id, kind, data,
                               filename=file.filename if file is not None else None,
                               content_type=file.content_type if file is not None else None,
                               duration_ms=duration_ms)


@router.post("/app/chats/{basic_id}/media", include_in_schema=False)
async def send_media_form(request: Request, basic_id: str, kind: str = Form("image"),
                          file: UploadFile | None = File(None), duration: str = Form(""),
                          actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        await _upload(request, actor, basic_id, kind, file, duration)
    except Invalid as exc:
        return _chat_page(request, actor, basic_id, errors=exc.by_field(), values={"kind": kind},
                          status_code=exc.status)
    return _done(request, basic_id)


@router.post("/app/api/chats/{basic_id}/media", tags=["chat app"], status_code=201, response_model=ChatItem,
             summary="Send a photo, video, audio or file (multipart: kind, file, optional duration in ms)")
async def api_send_media(request: Request, basic_id: str, kind: str = Form(...), file: UploadFile = File(...),
                         duration: str = Form(""), actor: PersonActor = Depends(deps.require_person)) -> ChatItem:
    return await _upload(request, actor, basic_id, kind, file, duration)


# ------------------------------------------------------------------ actions and unsend

def _tap(request: Request, actor: PersonActor, basic_id: str, tap: TapAction) -> None:
    with deps.scope(request) as session:
        if tap.action_type == "message":
            chat.send_text(session, actor, basic_id, tap.text)
        elif tap.action_type == "datetimepicker":
            chat.pick_datetime(session, actor, basic_id, tap.data, tap.mode,
                               {"date": tap.date, "time": tap.time, "datetime": tap.datetime}.get(tap.mode, ""))
        else:
            chat.postback(session, actor, basic_id, tap.data, display_text=tap.display_text or None)


UNUSABLE_ACTION = "This action cannot be used here."


def tap_form(action_type: str = Form(...), data: str = Form(""), text: str = Form(""), display_text: str = Form(""),
             mode: str = Form(""), date: str = Form(""), time: str = Form(""),
             datetime: str = Form("")) -> TapAction | None:
    """A tapped action from its form (a 1:1 chat's or a group's); None for a kind that is not sent."""
    if action_type not in ("postback", "message", "datetimepicker"):
        return None
    return TapAction(action_type=action_type, data=data, text=text, display_text=display_text,  # type: ignore[arg-type]
                     mode=mode, date=date, time=time, datetime=datetime)


@router.post("/app/chats/{basic_id}/actions", include_in_schema=False)
def action_form(request: Request, basic_id: str, tap: TapAction | None = Depends(tap_form),
                actor: PersonActor = Depends(deps.require_person)) -> Response:
    if tap is None:
        return _chat_page(request, actor, basic_id, errors={"action": UNUSABLE_ACTION}, status_code=400)
    try:
        _tap(request, actor, basic_id, tap)
    except Invalid as exc:
        errors = exc.by_field()
        # A tap has no field of its own on the page: say it above the composer.
        return _chat_page(request, actor, basic_id, errors={"action": next(iter(errors.values()), exc.message)},
                          status_code=exc.status)
    return _done(request, basic_id)


@router.post("/app/api/chats/{basic_id}/actions", tags=["chat app"], status_code=204,
             summary="Tap a postback, message or datetime-picker action of a message")
def api_action(request: Request, basic_id: str, body: TapAction,
               actor: PersonActor = Depends(deps.require_person)) -> Response:
    _tap(request, actor, basic_id, body)
    return Response(status_code=204)


@router.post("/app/chats/{basic_id}/messages/{message_id}/unsend", include_in_schema=False)
def unsend_form(request: Request, basic_id: str, message_id: str,
                actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        chat.unsend(session, actor, basic_id, message_id)
    return _done(request, basic_id)


@router.post("/app/api/chats/{basic_id}/messages/{message_id}/unsend", tags=["chat app"], status_code=204,
             summary="Unsend one of your messages")
def api_unsend(request: Request, basic_id: str, message_id: str,
               actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        chat.unsend(session, actor, basic_id, message_id)
    return Response(status_code=204)


@router.get("/app/api/stickers", tags=["chat app"], response_model=list[StickerOut],
            summary="The stickers everyone can send")
def api_stickers(actor: PersonActor = Depends(deps.require_person)) -> list[StickerOut]:
    return chat.stickers()


# ------------------------------------------------------------------ the person's own media

def _content(request: Request, actor: PersonActor, basic_id: str, message_id: str, preview: bool) -> Response:
    with deps.scope(request) as session:
        data, content_type, message = chat.message_content(session, actor, basic_id, message_id, preview=preview)
    headers = {"Cache-Control": "private, max-age=3600", "Content-Security-Policy": "sandbox"}
    if message.type == "file" and not preview:
        name = quote(message.body.get("fileName", "file"))
        headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{name}"
    return Response(data, media_type=content_type, headers=headers)


@router.get("/app/chats/{basic_id}/content/{message_id}", include_in_schema=False)
def content(request: Request, basic_id: str, message_id: str,
            actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _content(request, actor, basic_id, message_id, preview=False)


@router.get("/app/chats/{basic_id}/content/{message_id}/preview", include_in_schema=False)
def content_preview(request: Request, basic_id: str, message_id: str,
                    actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _content(request, actor, basic_id, message_id, preview=True)


# ------------------------------------------------------------------ realtime

def _same_origin(websocket: WebSocket) -> bool:
    """Only pages of this site may open the socket: a cookie alone would let any site listen."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    allowed = {websocket.headers.get("host", "")}
    allowed.add(urlsplit(deps.settings_of(websocket).base_url).netloc)  # type: ignore[arg-type]
    return urlsplit(origin).netloc in allowed


@router.websocket("/app/ws")
async def notices(websocket: WebSocket) -> None:
    """Notices for the logged-in person, each meaning "fetch": ``messages`` and ``read`` (accountId),
    ``loading`` (accountId, until) and ``group`` (groupId)."""
    actor = await run_in_threadpool(deps.person_actor, websocket) if _same_origin(websocket) else None
    if actor is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    subscription = hub.subscribe(person_topic(actor.user_id))
    realtime.ensure_catch_up(deps.db_of(websocket))  # type: ignore[arg-type]
    listen = asyncio.ensure_future(websocket.receive())
    try:
        while True:
            notice = asyncio.ensure_future(subscription.queue.get())
            done, _ = await asyncio.wait({listen, notice}, return_when=asyncio.FIRST_COMPLETED)
            if notice in done:
                await websocket.send_json(notice.result())
            else:
                notice.cancel()
            if listen in done:
                if listen.result().get("type") == "websocket.disconnect":
                    break
                listen = asyncio.ensure_future(websocket.receive())
    except WebSocketDisconnect:
        pass
    finally:
        listen.cancel()
        hub.unsubscribe(subscription)
        with contextlib.suppress(Exception):
            await websocket.close()
