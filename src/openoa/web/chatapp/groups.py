"""Group chats and rooms in the Chat app (R-CHT-02): the list of one's groups with a form to
start one, a group's page (its posts, a form to post, add people by email, invite an account
one is friends with, leave), and their JSON twins under /app/api/groups. A non-member gets the
same 404 as for a group that does not exist. On a ``group`` notice static/groups.js fetches the
posts as HTML (``GET …/posts``, the page's own renderer) and appends the new ones."""

from __future__ import annotations

from enum import Enum
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.chat.schemas import TapAction
from openoa.core.access import PersonActor
from openoa.core.errors import Invalid
from openoa.groups import service as groups
from openoa.groups.schemas import (
    AccountIn,
    GroupAccountOut,
    GroupCard,
    GroupIn,
    GroupPage,
    MemberIn,
    MemberOut,
    PostIn,
    PostOut,
)
from openoa.web import deps
from openoa.web.chatapp.chats import UNUSABLE_ACTION, tap_form

router = APIRouter()
TAGS: list[str | Enum] = ["chat app: groups"]

NOTICES = {
    "created": "Your group is ready. Add people and invite an account you are friends with.",
    "member": "Added to the group.",
    "account": "The account joined the group.",
    "left": "You left the group.",
}


def _post_view(post: PostOut, chat_id: str) -> dict[str, Any]:
    """A post as the message macro takes it (chatapp/_messages.html): others' posts carry their name;
    an account's post carries where its actions (buttons, carousels, flex, imagemaps) are tapped."""
    message = dict(post.message)
    if not post.mine:
        message["sender"] = {"name": post.author}
    return {"direction": "in" if post.mine else "out", "message": message, "id": post.message_id,
            "sent_at": post.sent_at, "content_url": None, "preview_url": None, "unsent": False, "read": False,
            "action_url": _action_url(chat_id, post.message_id) if post.from_account else None}


def _action_url(chat_id: str, message_id: str) -> str:
    return f"{_group_url(chat_id)}/posts/{quote(message_id, safe='')}/actions"


def _group_url(chat_id: str, notice: str | None = None) -> str:
    return f"/app/groups/{quote(chat_id, safe='')}" + (f"?notice={notice}" if notice else "")


# ------------------------------------------------------------------ the list of groups

def _groups_page(request: Request, actor: PersonActor, *, notice: str | None = None,
                 errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                 status_code: int = 200) -> Response:
    with deps.scope(request) as session:
        cards = groups.my_groups(session, actor)
    return deps.render(request, "chatapp/groups.html", {
        "nav": "groups", "signed_in": True, "cards": cards, "notice": NOTICES.get(notice or ""),
        "errors": errors or {}, "values": values or {}}, status_code=status_code)


@router.get("/app/groups", include_in_schema=False)
def groups_page(request: Request, notice: str | None = None,
                actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _groups_page(request, actor, notice=notice)


@router.post("/app/groups", include_in_schema=False)
def create_page(request: Request, name: str = Form(""), actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            card = groups.create_group(session, actor, name)
    except Invalid as exc:
        return _groups_page(request, actor, errors=exc.by_field(), values={"name": name}, status_code=exc.status)
    return RedirectResponse(_group_url(card.chat_id, "created"), status_code=303)


# ------------------------------------------------------------------ one group

def _group_page(request: Request, actor: PersonActor, chat_id: str, *, notice: str | None = None,
                errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                status_code: int = 200) -> Response:
    with deps.scope(request) as session:
        page = groups.group_page(session, actor, chat_id)
    return deps.render(request, "chatapp/group.html", {
        "nav": "groups", "signed_in": True, "page": page, "action": _group_url(chat_id),
        "posts": [_post_view(p, chat_id) for p in page.posts],
        "invite_options": [(a.basic_id, a.display_name) for a in page.invitable],
        "notice": NOTICES.get(notice or ""), "errors": errors or {}, "values": values or {}},
        status_code=status_code)


@router.get("/app/groups/{chat_id}", include_in_schema=False)
def group_page(request: Request, chat_id: str, notice: str | None = None,
               actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _group_page(request, actor, chat_id, notice=notice)


@router.get("/app/groups/{chat_id}/posts", include_in_schema=False)
def posts_fragment(request: Request, chat_id: str, actor: PersonActor = Depends(deps.require_person)) -> Response:
    """The group's latest posts as HTML, for groups.js to append the new ones (the page's own renderer)."""
    with deps.scope(request) as session:
        page = groups.group_page(session, actor, chat_id)
    return deps.render(request, "chatapp/_group_posts.html", {"posts": [_post_view(p, chat_id) for p in page.posts]})


@router.post("/app/groups/{chat_id}/posts", include_in_schema=False)
def post_page(request: Request, chat_id: str, text: str = Form(""),
              actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            groups.post_text(session, actor, chat_id, text)
    except Invalid as exc:
        return _group_page(request, actor, chat_id, errors=exc.by_field(), values={"text": text},
                           status_code=exc.status)
    return RedirectResponse(_group_url(chat_id) + "#composer", status_code=303)


def _tap(request: Request, actor: PersonActor, chat_id: str, message_id: str, tap: TapAction) -> None:
    with deps.scope(request) as session:
        if tap.action_type == "message":
            groups.post_text(session, actor, chat_id, tap.text)
        elif tap.action_type == "datetimepicker":
            groups.pick_datetime_in_group(session, actor, chat_id, message_id, tap.data, tap.mode,
                                          {"date": tap.date, "time": tap.time, "datetime": tap.datetime}.get(tap.mode, ""))
        else:
            groups.postback_in_group(session, actor, chat_id, message_id, tap.data,
                                     display_text=tap.display_text or None)


@router.post("/app/groups/{chat_id}/posts/{message_id}/actions", include_in_schema=False)
def action_page(request: Request, chat_id: str, message_id: str, tap: TapAction | None = Depends(tap_form),
                actor: PersonActor = Depends(deps.require_person)) -> Response:
    if tap is None:
        return _group_page(request, actor, chat_id, errors={"action": UNUSABLE_ACTION}, status_code=400)
    try:
        _tap(request, actor, chat_id, message_id, tap)
    except Invalid as exc:
        # A tap has no field of its own on the page: say it above the composer.
        return _group_page(request, actor, chat_id, errors={"action": next(iter(exc.by_field().values()), exc.message)},
                           status_code=exc.status)
    return RedirectResponse(_group_url(chat_id) + "#composer", status_code=303)


@router.post("/app/groups/{chat_id}/members", include_in_schema=False)
def member_page(request: Request, chat_id: str, email: str = Form(""),
                actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            groups.add_member(session, actor, chat_id, email)
    except Invalid as exc:
        return _group_page(request, actor, chat_id, errors=exc.by_field(), values={"email": email},
                           status_code=exc.status)
    return RedirectResponse(_group_url(chat_id, "member"), status_code=303)


@router.post("/app/groups/{chat_id}/accounts", include_in_schema=False)
def account_page(request: Request, chat_id: str, basic_id: str = Form(""),
                 actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            groups.invite_account(session, actor, chat_id, basic_id)
    except Invalid as exc:
        return _group_page(request, actor, chat_id, errors=exc.by_field(), values={"basic_id": basic_id},
                           status_code=exc.status)
    return RedirectResponse(_group_url(chat_id, "account"), status_code=303)


@router.post("/app/groups/{chat_id}/leave", include_in_schema=False)
def leave_page(request: Request, chat_id: str, actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        groups.leave_group(session, actor, chat_id)
    return RedirectResponse("/app/groups?notice=left", status_code=303)


# ------------------------------------------------------------------ JSON twins

@router.get("/app/api/groups", tags=TAGS, response_model=list[GroupCard], summary="Your groups and rooms")
def api_groups(request: Request, actor: PersonActor = Depends(deps.require_person)) -> list[GroupCard]:
    with deps.scope(request) as session:
        return groups.my_groups(session, actor)


@router.post("/app/api/groups", tags=TAGS, status_code=201, response_model=GroupCard,
             summary="Start a group (with a name) or a multi-person chat (without)")
def api_create(body: GroupIn, request: Request, actor: PersonActor = Depends(deps.require_person)) -> GroupCard:
    with deps.scope(request) as session:
        return groups.create_group(session, actor, body.name)


@router.get("/app/api/groups/{chat_id}", tags=TAGS, response_model=GroupPage,
            summary="A group you are in: members, accounts, posts, accounts you could invite")
def api_group(chat_id: str, request: Request, actor: PersonActor = Depends(deps.require_person)) -> GroupPage:
    with deps.scope(request) as session:
        return groups.group_page(session, actor, chat_id)


@router.post("/app/api/groups/{chat_id}/posts", tags=TAGS, status_code=201, response_model=PostOut,
             summary="Post text in a group you are in")
def api_post(chat_id: str, body: PostIn, request: Request,
             actor: PersonActor = Depends(deps.require_person)) -> PostOut:
    with deps.scope(request) as session:
        return groups.post_text(session, actor, chat_id, body.text)


@router.post("/app/api/groups/{chat_id}/posts/{message_id}/actions", tags=TAGS, status_code=204,
             summary="Tap a postback, message or datetime-picker action of an account's post")
def api_action(chat_id: str, message_id: str, body: TapAction, request: Request,
               actor: PersonActor = Depends(deps.require_person)) -> Response:
    _tap(request, actor, chat_id, message_id, body)
    return Response(status_code=204)


@router.post("/app/api/groups/{chat_id}/members", tags=TAGS, status_code=201, response_model=MemberOut,
             summary="Add someone who uses OpenOA Chat, by email")
def api_member(chat_id: str, body: MemberIn, request: Request,
               actor: PersonActor = Depends(deps.require_person)) -> MemberOut:
    with deps.scope(request) as session:
        return groups.add_member(session, actor, chat_id, body.email)


@router.post("/app/api/groups/{chat_id}/accounts", tags=TAGS, status_code=201, response_model=GroupAccountOut,
             summary="Invite an official account you are friends with")
def api_account(chat_id: str, body: AccountIn, request: Request,
                actor: PersonActor = Depends(deps.require_person)) -> GroupAccountOut:
    with deps.scope(request) as session:
        return groups.invite_account(session, actor, chat_id, body.basic_id)


@router.post("/app/api/groups/{chat_id}/leave", tags=TAGS, status_code=204, summary="Leave a group")
def api_leave(chat_id: str, request: Request, actor: PersonActor = Depends(deps.require_person)) -> Response:
    with deps.scope(request) as session:
        groups.leave_group(session, actor, chat_id)
    return Response(status_code=204)
