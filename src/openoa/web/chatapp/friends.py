"""Friends in the Chat app: the friends list with block/unblock (R-FRD-03), finding an account
by basic ID, and the public add-friend URL that QR codes point at (R-FRD-02)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from starlette.responses import RedirectResponse

from openoa.core.access import PersonActor
from openoa.core.errors import Invalid, NotFound
from openoa.friends import service as friends
from openoa.friends.rules import FriendPath, friend_path_from_source
from openoa.friends.schemas import AccountCard, AddFriend, FriendshipOut
from openoa.web import deps

router = APIRouter()

# What the friends list says after a successful action; {name} is the account's display name.
NOTICES = {
    "added": "{name} is now your friend.",
    "blocked": "You blocked {name}. You will not receive its messages until you unblock it.",
    "unblocked": "You unblocked {name}. You will receive its messages again.",
}


# ------------------------------------------------------------------ friends list

def _friends_page(request: Request, actor: PersonActor, *, notice: str | None = None, account: int | None = None,
                  errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with deps.scope(request) as session:
        cards = friends.my_friends(session, actor)
    message = None
    if notice in NOTICES:
        name = next((c.display_name for c in cards if c.id == account), "The account")
        message = NOTICES[notice].format(name=name)
    return deps.render(request, "chatapp/friends.html", {
        "nav": "friends", "signed_in": True, "cards": cards, "notice": message, "errors": errors or {}},
        status_code=status_code)


@router.get("/app", include_in_schema=False)
def friends_page(request: Request, notice: str | None = None, account: int | None = None,
                 actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _friends_page(request, actor, notice=notice, account=account)


@router.post("/app/friends/{account_id}/block", include_in_schema=False)
def block_page(request: Request, account_id: int, actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            friends.block(session, actor, account_id)
    except Invalid as exc:
        return _friends_page(request, actor, errors=exc.by_field(), status_code=exc.status)
    return RedirectResponse(f"/app?notice=blocked&account={account_id}", status_code=303)


@router.post("/app/friends/{account_id}/unblock", include_in_schema=False)
def unblock_page(request: Request, account_id: int, actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            friends.unblock(session, actor, account_id)
    except Invalid as exc:
        return _friends_page(request, actor, errors=exc.by_field(), status_code=exc.status)
    return RedirectResponse(f"/app?notice=unblocked&account={account_id}", status_code=303)


# ------------------------------------------------------------------ find by basic ID

def _find_page(request: Request, actor: PersonActor, basic_id: str | None, *,
               errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    card = None
    errors = dict(errors or {})
    if basic_id is not None:
        try:
            with deps.scope(request) as session:
                card = friends.view_account(session, actor, basic_id)
        except (Invalid, NotFound) as exc:
            errors.setdefault("basic_id", exc.message)
            status_code = max(status_code, exc.status)
    return deps.render(request, "chatapp/find.html", {
        "nav": "find", "signed_in": True, "card": card, "values": {"basic_id": basic_id or ""},
        "errors": errors}, status_code=status_code)


@router.get("/app/find", include_in_schema=False)
def find_page(request: Request, basic_id: str | None = None,
              actor: PersonActor = Depends(deps.require_person)) -> Response:
    return _find_page(request, actor, basic_id)


@router.post("/app/find", include_in_schema=False)
def add_found(request: Request, basic_id: str = Form(""),
              actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            added = friends.add_friend(session, actor, basic_id, path=FriendPath.SEARCH)
    except (Invalid, NotFound) as exc:
        errors = exc.by_field() if isinstance(exc, Invalid) else {"basic_id": exc.message}
        return _find_page(request, actor, basic_id, errors=errors, status_code=exc.status)
    return RedirectResponse(f"/app?notice=added&account={added.account_id}", status_code=303)


# ------------------------------------------------------------------ public add-friend URL (QR target)

def _add_page(request: Request, actor: PersonActor | None, basic_id: str, src: str | None, *,
              errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    with deps.scope(request) as session:
        card = friends.view_account(session, actor, basic_id)
    # The page posts to itself and sends visitors to log in and back here, keeping the friend path.
    here = f"/add/{quote(basic_id, safe='@')}" + (f"?src={quote(src, safe='')}" if src else "")
    back = quote(here, safe="")
    return deps.render(request, "chatapp/add.html", {
        "signed_in": actor is not None, "card": card, "action": here, "errors": errors or {},
        "login_url": f"/app/login?next={back}", "signup_url": f"/app/signup?next={back}"},
        status_code=status_code)


@router.get("/add/{basic_id}", include_in_schema=False)
def add_page(request: Request, basic_id: str, src: str | None = None) -> Response:
    return _add_page(request, deps.person_actor(request), basic_id, src)


@router.post("/add/{basic_id}", include_in_schema=False)
def add_from_url(request: Request, basic_id: str, src: str | None = None,
                 actor: PersonActor = Depends(deps.require_person)) -> Response:
    try:
        with deps.scope(request) as session:
            added = friends.add_friend(session, actor, basic_id, path=friend_path_from_source(src))
    except Invalid as exc:
        return _add_page(request, actor, basic_id, src, errors=exc.by_field(), status_code=exc.status)
    return RedirectResponse(f"/app?notice=added&account={added.account_id}", status_code=303)


# ------------------------------------------------------------------ JSON

@router.get("/app/api/friends", tags=["chat app"], response_model=list[AccountCard],
            summary="Accounts you added as friends, blocked ones marked")
def api_friends(request: Request, actor: PersonActor = Depends(deps.require_person)) -> list[AccountCard]:
    with deps.scope(request) as session:
        return friends.my_friends(session, actor)


@router.post("/app/api/friends", tags=["chat app"], status_code=201, response_model=FriendshipOut,
             summary="Add an account as a friend through a friend path")
def api_add_friend(body: AddFriend, request: Request,
                   actor: PersonActor = Depends(deps.require_person)) -> FriendshipOut:
    with deps.scope(request) as session:
        return friends.add_friend(session, actor, body.basic_id, path=body.path)


@router.post("/app/api/friends/{account_id}/block", tags=["chat app"], response_model=FriendshipOut,
             summary="Block an account you are friends with")
def api_block(account_id: int, request: Request, actor: PersonActor = Depends(deps.require_person)) -> FriendshipOut:
    with deps.scope(request) as session:
        return friends.block(session, actor, account_id)


@router.post("/app/api/friends/{account_id}/unblock", tags=["chat app"], response_model=FriendshipOut,
             summary="Unblock an account you blocked")
def api_unblock(account_id: int, request: Request,
                actor: PersonActor = Depends(deps.require_person)) -> FriendshipOut:
    with deps.scope(request) as session:
        return friends.unblock(session, actor, account_id)


@router.get("/app/api/accounts/{basic_id}", tags=["chat app"], response_model=AccountCard,
            summary="An account's public card, found by basic ID")
def api_account(basic_id: str, request: Request, actor: PersonActor = Depends(deps.require_person)) -> AccountCard:
    with deps.scope(request) as session:
        return friends.view_account(session, actor, basic_id)

