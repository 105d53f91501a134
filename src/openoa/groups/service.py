"""Use cases of group chats and rooms: people create them, add people and invite official
accounts they are friends with (R-CHT-02), post; bots read the group (summary, members who
posted, R-FRD-04), receive its events and leave it.

Every person-side use case loads the group through :func:`access_group`, which answers a
non-member exactly like a group that does not exist; every bot-side one through
:func:`_bot_group`, which does the same for an account that is not in the group.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from openoa.accounts.models import OfficialAccount
from openoa.accounts.service import find_account_by_basic_id
from openoa.channels import rules as channel_rules
from openoa.channels import service as channels
from openoa.channels.schemas import BotContext
from openoa.chat import service as chat
from openoa.core import clock, ids
from openoa.core.access import PersonActor
from openoa.core.credentials import normalise_email
from openoa.core.errors import Conflict, Invalid, NotFound
from openoa.core.pubsub import person_topic, publish_after_commit
from openoa.core.security import hash_token
from openoa.friends.models import Friendship, ScopedUserId
from openoa.friends.service import scoped_user_id
from openoa.groups import rules
from openoa.groups.models import Group, GroupAccount, GroupMember, GroupPost
from openoa.groups.rules import GroupKind
from openoa.groups.schemas import (
    AccountPost,
    GroupAccountOut,
    GroupCard,
    GroupPage,
    GroupSummary,
    MemberCount,
    MemberIds,
    MemberOut,
    MemberProfile,
    PostOut,
)
from openoa.integrations.storage import public_url
from openoa.users.models import User
from openoa.webhooks import service as webhooks
from openoa.webhooks.models import ReplyToken
from openoa.webhooks.rules import REPLY_TOKEN_TTL

POSTS_SHOWN = 200
ROOM_NAME = "Multi-person chat"


# ---------------------------------------------------------------- loading

def access_group(session: Session, actor: PersonActor, chat_id: str) -> Group:
    """A group the person is a member of; NotFound for anyone else (no existence leak)."""
    group = session.scalar(select(Group).join(GroupMember, GroupMember.group_id == Group.id)
                           .where(Group.chat_id == chat_id, GroupMember.user_id == actor.user_id))
    if group is None:
        raise NotFound("No such group.")
    return group


def _bot_group(session: Session, bot: BotContext, kind: str, chat_id: str) -> Group:
    """A group or room the bot's account is in now; NotFound for any other ID."""
    group = session.scalar(select(Group).join(GroupAccount, GroupAccount.group_id == Group.id)
                           .where(Group.chat_id == chat_id, Group.kind == kind,
                                  GroupAccount.account_id == bot.account_id))
    if group is None:
        raise NotFound()
    return group


def _member_ids(session: Session, group_id: int) -> list[int]:
    return list(session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group_id)))


def _accounts_in(session: Session, group_id: int) -> list[OfficialAccount]:
    return list(session.scalars(select(OfficialAccount).join(GroupAccount, GroupAccount.account_id == OfficialAccount.id)
                                .where(GroupAccount.group_id == group_id).order_by(GroupAccount.id)))


def _card(session: Session, group: Group) -> GroupCard:
    count = session.scalar(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id))
    return GroupCard(chat_id=group.chat_id, kind=group.kind, name=group.name or ROOM_NAME, member_count=count or 0)


def _tell_members(session: Session, group: Group) -> None:
    publish_after_commit(session, [person_topic(u) for u in _member_ids(session, group.id)],
                         {"type": "group", "groupId": group.chat_id})


# ---------------------------------------------------------------- events for the accounts' bots

def _emit_with_reply_token(session: Session, account: OfficialAccount, group: Group, event: dict[str, Any],
                           token: str) -> None:
    # The token is kept only if the event was (Bot mode): a reply with it posts to the group.
    # It is kept with the 1:1 tokens, so delivering the event renews it (webhooks' rule).
    if webhooks.emit(session, account.id, event) is not None:
        now = clock.now()
        session.add(ReplyToken(token_hash=hash_token(token), group_id=group.id, user_id=None, account_id=account.id,
                               created_at=now, expires_at=now + REPLY_TOKEN_TTL))
        session.flush()


def _emit_join(session: Session, account: OfficialAccount, group: Group) -> None:
    token = ids.reply_token()
    _emit_with_reply_token(session, account, group, rules.join_event(group.kind, group.chat_id, reply_token=token),
                           token)


def _emit_member_joined(session: Session, group: Group, user_id: int) -> None:
    for account in _accounts_in(session, group.id):
        token = ids.reply_token()
        scoped = scoped_user_id(session, account.provider_id, user_id)
        _emit_with_reply_token(session, account, group,
                               rules.member_joined_event(group.kind, group.chat_id, [scoped], reply_token=token),
                               token)


def _emit_member_left(session: Session, group: Group, user_id: int) -> None:
    for account in _accounts_in(session, group.id):
        scoped = scoped_user_id(session, account.provider_id, user_id)
        webhooks.emit(session, account.id, rules.member_left_event(group.kind, group.chat_id, [scoped]))


def _emit_message(session: Session, group: Group, user_id: int, post: GroupPost) -> None:
    content = {"type": post.type, "id": post.message_id, **post.body}
    if post.quote_token:
        content["quoteToken"] = post.quote_token
    for account in _accounts_in(session, group.id):
        token = ids.reply_token()
        scoped = scoped_user_id(session, account.provider_id, user_id)
        _emit_with_reply_token(session, account, group,
                               rules.message_event(group.kind, group.chat_id, scoped, reply_token=token,
                                                   message=content), token)


# ---------------------------------------------------------------- people

def create_group(session: Session, actor: PersonActor, name: str) -> GroupCard:
    """Start a group (with a name) or a multi-person chat (without); its creator is its first member."""
    problem = rules.name_problem(name)
    if problem:
        raise Invalid(field="name", reason=problem)
    kind = rules.kind_for_name(name)
    now = clock.now()
    group = Group(chat_id=ids.group_id() if kind == GroupKind.GROUP else ids.room_id(), kind=kind,
                  name=name.strip() or None, created_by=actor.user_id, created_at=now)
    session.add(group)
    session.flush()
    session.add(GroupMember(group_id=group.id, user_id=actor.user_id, joined_at=now))
    session.flush()
    return _card(session, group)


def my_groups(session: Session, actor: PersonActor) -> list[GroupCard]:
    """The groups and rooms the person is in, newest first."""
    groups = session.scalars(select(Group).join(GroupMember, GroupMember.group_id == Group.id)
                             .where(GroupMember.user_id == actor.user_id).order_by(Group.id.desc()))
    return [_card(session, group) for group in groups]


def _account_out(account: OfficialAccount) -> GroupAccountOut:
    return GroupAccountOut(account_id=account.id, basic_id=account.basic_id, display_name=account.display_name)


def _invitable(session: Session, actor: PersonActor, group_id: int) -> list[GroupAccountOut]:
    """The accounts the member is friends with that are not in the group and join group chats."""
    inside = select(GroupAccount.account_id).where(GroupAccount.group_id == group_id)
    accounts = session.scalars(select(OfficialAccount).join(Friendship, Friendship.account_id == OfficialAccount.id)
                               .where(Friendship.user_id == actor.user_id, Friendship.blocked.is_(False),
                                      OfficialAccount.id.not_in(inside),
                                      OfficialAccount.id.not_in(channels.refusing_group_chats()))
                               .order_by(OfficialAccount.display_name))
    return [_account_out(a) for a in accounts]


def _post_out(post: GroupPost, names: dict[int, str], accounts: dict[int, str], me: int) -> PostOut:
    if post.account_id is not None:
        author = accounts.get(post.account_id, "An official account")
    else:
        author = names.get(post.user_id or 0, "Someone who left")
    return PostOut(message_id=post.message_id, type=post.type, message={"type": post.type, **post.body},
                   author=author, from_account=post.account_id is not None, mine=post.user_id == me,
                   sent_at=post.created_at)


def group_page(session: Session, actor: PersonActor, chat_id: str) -> GroupPage:
    """What a member sees of a group: members, accounts, the latest posts (oldest first)."""
    group = access_group(session, actor, chat_id)
    members = session.execute(select(User.id, User.display_name).join(GroupMember, GroupMember.user_id == User.id)
                              .where(GroupMember.group_id == group.id).order_by(GroupMember.id)).all()
    in_group = _accounts_in(session, group.id)
    posts = list(session.scalars(select(GroupPost).where(GroupPost.group_id == group.id)
                                 .order_by(GroupPost.id.desc()).limit(POSTS_SHOWN)))
    posts.reverse()
    names = {user_id: name for user_id, name in members}
    missing = {p.user_id for p in posts if p.user_id and p.user_id not in names}
    if missing:  # people who posted and left keep their name on their posts
        names.update(session.execute(select(User.id, User.display_name).where(User.id.in_(missing))).all())
    poster_accounts = {p.account_id for p in posts if p.account_id}
    account_names: dict[int, str] = {}
    if poster_accounts:
        account_names.update(session.execute(select(OfficialAccount.id, OfficialAccount.display_name)
                                             .where(OfficialAccount.id.in_(poster_accounts))).all())
    return GroupPage(group=_card(session, group),
                     members=[MemberOut(user_id=u, display_name=n) for u, n in members],
                     accounts=[_account_out(a) for a in in_group],
                     posts=[_post_out(p, names, account_names, actor.user_id) for p in posts],
                     invitable=_invitable(session, actor, group.id))


def add_member(session: Session, actor: PersonActor, chat_id: str, email: str) -> MemberOut:
    """Add someone who uses the Chat app, by email; the accounts' bots get ``memberJoined``."""
    group = access_group(session, actor, chat_id)
    user = session.scalar(select(User).where(User.email == normalise_email(email or ""), User.active.is_(True)))
    if user is None:
        raise Invalid(field="email", reason="No one uses OpenOA Chat with this email.")
    exists = session.scalar(select(GroupMember.id).where(GroupMember.group_id == group.id,
                                                         GroupMember.user_id == user.id))
    if exists is not None:
        raise Conflict(field="email", reason=f"{user.display_name} is already in this group.")
    session.add(GroupMember(group_id=group.id, user_id=user.id, joined_at=clock.now()))
    session.flush()
    _emit_member_joined(session, group, user.id)
    _tell_members(session, group)
    return MemberOut(user_id=user.id, display_name=user.display_name)


def invite_account(session: Session, actor: PersonActor, chat_id: str, basic_id: str) -> GroupAccountOut:
    """Bring an account one is friends with (and has not blocked) into the group: its bot gets ``join``.
    Refused while the account's admin does not let it join group chats (R-CHT-02)."""
    group = access_group(session, actor, chat_id)
    try:
        account = find_account_by_basic_id(session, basic_id)
    except (Invalid, NotFound) as exc:
        raise Invalid(field="basic_id", reason="Choose an account you are friends with.") from exc
    friend = session.scalar(select(Friendship.id).where(Friendship.account_id == account.id,
                                                        Friendship.user_id == actor.user_id,
                                                        Friendship.blocked.is_(False)))
    if friend is None:
        raise Invalid(field="basic_id", reason="Choose an account you are friends with.")
    inside = session.scalar(select(GroupAccount.id).where(GroupAccount.group_id == group.id,
                                                          GroupAccount.account_id == account.id))
    if inside is not None:
        raise Conflict(field="basic_id", reason=f"{account.display_name} is already in this group.")
    # The account's admin turned "Allow account to join group chats and multi-person chats" off.
    if not channels.joins_group_chats(session, account.id):
        raise Invalid(field="basic_id", reason=channel_rules.GROUP_CHATS_REFUSED)
    session.add(GroupAccount(group_id=group.id, account_id=account.id, joined_at=clock.now()))
    session.flush()
    _emit_join(session, account, group)
    _tell_members(session, group)
    return _account_out(account)


def post_text(session: Session, actor: PersonActor, chat_id: str, text: str) -> PostOut:
    """Post text in the group; each account's bot gets a ``message`` event from this member."""
    group = access_group(session, actor, chat_id)
    problem = rules.text_problem(text or "")
    if problem:
        raise Invalid(field="text", reason=problem)
    now = clock.now()
    post = GroupPost(group_id=group.id, user_id=actor.user_id, message_id=ids.message_id(), type="text",
                     body={"text": text}, quote_token=ids.quote_token(), created_at=now)
    session.add(post)
    # From now on the member is visible to the group's bots (R-FRD-04).
    session.execute(update(GroupMember).where(GroupMember.group_id == group.id, GroupMember.user_id == actor.user_id,
                                              GroupMember.first_posted_at.is_(None))
                    .values(first_posted_at=now), execution_options={"synchronize_session": False})
    session.flush()
    _emit_message(session, group, actor.user_id, post)
    _tell_members(session, group)
    user = session.get(User, actor.user_id)
    return _post_out(post, {actor.user_id: user.display_name if user else ""}, {}, actor.user_id)


def postback_in_group(session: Session, actor: PersonActor, chat_id: str, message_id: str, data: str, *,
                      params: dict[str, str] | None = None, display_text: str | None = None) -> None:
    """A member tapped a postback (or datetime picker) action of an account's post: a ``postback``
    event, with a reply token, for that account's bot only.

    ``display_text`` shows in the group as the member's words, as LINE does; it is not a message
    event for the group's bots.
    """
    chat.check_postback(data, display_text)
    group = access_group(session, actor, chat_id)
    account = session.scalar(select(OfficialAccount).join(GroupPost, GroupPost.account_id == OfficialAccount.id)
                             .where(GroupPost.group_id == group.id, GroupPost.message_id == str(message_id)))
    if account is None:
        raise NotFound("No such message.")
    if display_text:
        session.add(GroupPost(group_id=group.id, user_id=actor.user_id, message_id=ids.message_id(), type="text",
                              body={"text": display_text}, quote_token=ids.quote_token(), created_at=clock.now()))
        session.flush()
    if session.scalar(select(GroupAccount.id).where(GroupAccount.group_id == group.id,
                                                    GroupAccount.account_id == account.id)) is not None:
        token = ids.reply_token()
        scoped = scoped_user_id(session, account.provider_id, actor.user_id)
        _emit_with_reply_token(session, account, group,
                               rules.postback_event(group.kind, group.chat_id, scoped, reply_token=token,
                                                    data=data or "", params=params), token)
    _tell_members(session, group)


def pick_datetime_in_group(session: Session, actor: PersonActor, chat_id: str, message_id: str, data: str,
                           mode: str, value: str) -> None:
    """A datetime picker's choice in a group: a postback whose ``params`` carry it in LINE's format."""
    postback_in_group(session, actor, chat_id, message_id, data, params=chat.picked_params(mode, value))


def leave_group(session: Session, actor: PersonActor, chat_id: str) -> None:
    """Leave a group: the accounts' bots get ``memberLeft``; the person no longer sees it."""
    group = access_group(session, actor, chat_id)
    _tell_members(session, group)
    session.execute(delete(GroupMember).where(GroupMember.group_id == group.id, GroupMember.user_id == actor.user_id),
                    execution_options={"synchronize_session": False})
    _emit_member_left(session, group, actor.user_id)


# ---------------------------------------------------------------- bots (Messaging API)

def group_summary(session: Session, bot: BotContext, chat_id: str) -> GroupSummary:
    """GET /v2/bot/group/{groupId}/summary."""
    group = _bot_group(session, bot, GroupKind.GROUP, chat_id)
    return GroupSummary(group_id=group.chat_id, group_name=group.name or "")


def member_count(session: Session, bot: BotContext, kind: str, chat_id: str) -> MemberCount:
    """How many people are in the group or room (the account itself not counted)."""
    group = _bot_group(session, bot, kind, chat_id)
    count = session.scalar(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group.id))
    return MemberCount(count=count or 0)


def member_ids(session: Session, bot: BotContext, kind: str, chat_id: str, start: str | None) -> MemberIds:
    """A page of the user IDs of members who posted (R-FRD-04), 100 at a time, in joining order."""
    group = _bot_group(session, bot, kind, chat_id)
    after = rules.members_after(start)
    if after is None:
        raise Invalid(field="start", reason="Invalid start")
    page = list(session.scalars(select(GroupMember.user_id)
                                .where(GroupMember.group_id == group.id, GroupMember.first_posted_at.is_not(None),
                                       GroupMember.user_id > after)
                                .order_by(GroupMember.user_id).limit(rules.MEMBER_IDS_PAGE + 1)))
    more = len(page) > rules.MEMBER_IDS_PAGE
    page = page[:rules.MEMBER_IDS_PAGE]
    # At most 100 look-ups; a member who posted before the account joined has no ID under its provider yet.
    scoped = [scoped_user_id(session, bot.provider_id, user_id) for user_id in page]
    return MemberIds(member_ids=scoped, next=rules.members_cursor(page[-1]) if more else None)


def member_profile(session: Session, bot: BotContext, kind: str, chat_id: str, user_id: str) -> MemberProfile:
    """A member's public profile, by the ID this account sees, once they posted in the group (R-FRD-04)."""
    group = _bot_group(session, bot, kind, chat_id)
    user = session.scalar(select(User)
                          .join(ScopedUserId, ScopedUserId.user_id == User.id)
                          .join(GroupMember, GroupMember.user_id == User.id)
                          .where(ScopedUserId.scoped_id == user_id, ScopedUserId.provider_id == bot.provider_id,
                                 GroupMember.group_id == group.id, GroupMember.first_posted_at.is_not(None),
                                 User.active.is_(True)))
    if user is None:
        raise NotFound()
    return MemberProfile(display_name=user.display_name, user_id=user_id,
                         picture_url=public_url(user.profile_image) if user.profile_image else None)


def bot_leave(session: Session, bot: BotContext, kind: str, chat_id: str) -> None:
    """The account leaves the group or room: its bot gets ``leave``; members see it gone."""
    if not rules.id_matches(kind, chat_id):
        raise Invalid(message=f"Invalid {kind} ID")
    group = _bot_group(session, bot, kind, chat_id)
    session.execute(delete(GroupAccount).where(GroupAccount.group_id == group.id,
                                               GroupAccount.account_id == bot.account_id),
                    execution_options={"synchronize_session": False})
    webhooks.emit(session, bot.account_id, rules.leave_event(group.kind, group.chat_id))
    _tell_members(session, group)


# ---------------------------------------------------------------- what the messaging pipeline calls

def consume_reply_token(session: Session, account_id: int, token: str) -> str | None:
    """Use up a group event's reply token for ``account_id``; the group's ID to reply to, or None.

    One conditional UPDATE decides, as for 1:1 reply tokens, so two replies cannot both win.
    A 1:1 event's token is not touched (None): it answers a person, never a group.
    """
    now = clock.now()
    group_id = session.execute(
        update(ReplyToken)
        .where(ReplyToken.token_hash == hash_token(token or ""), ReplyToken.account_id == account_id,
               ReplyToken.group_id.is_not(None), ReplyToken.used_at.is_(None), ReplyToken.expires_at > now)
        .values(used_at=now).returning(ReplyToken.group_id),
        execution_options={"synchronize_session": False}).scalar_one_or_none()
    if group_id is None:
        return None
    return session.scalar(select(Group.chat_id).where(Group.id == group_id))


def members_reached(session: Session, account_id: int, chat_id: str) -> int:
    """People a message from the account into ``chat_id`` reaches: its members, or 0 when the account is not in it."""
    group_id = session.scalar(select(Group.id).join(GroupAccount, GroupAccount.group_id == Group.id)
                              .where(Group.chat_id == chat_id, GroupAccount.account_id == account_id))
    if group_id is None:
        return 0
    return int(session.scalar(select(func.count()).select_from(GroupMember).where(GroupMember.group_id == group_id))
               or 0)


def post_from_account(session: Session, account_id: int, chat_id: str,
                      messages: list[dict[str, Any]]) -> list[AccountPost] | None:
    """Leave a bot's messages (LINE message objects, already validated) in a group it is in.

    None when the account is not in that group: like a push to a non-friend, accepted and not
    delivered. Members' open pages hear about it after commit.
    """
    group = session.scalar(select(Group).join(GroupAccount, GroupAccount.group_id == Group.id)
                           .where(Group.chat_id == chat_id, GroupAccount.account_id == account_id))
    if group is None:
        return None
    now = clock.now()
    sent = []
    for message in messages:
        body = {k: v for k, v in message.items() if k != "type"}
        post = GroupPost(group_id=group.id, account_id=account_id, message_id=ids.message_id(),
                         type=str(message.get("type", "text"))[:12], body=body,
                         quote_token=ids.quote_token() if message.get("type") in ("text", "sticker", "image", "video")
                         else None, created_at=now)
        session.add(post)
        sent.append(post)
    session.flush()
    _tell_members(session, group)
    return [AccountPost(id=p.message_id, quote_token=p.quote_token) for p in sent]

