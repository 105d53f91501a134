"""Statement builders of the Chat app's chats: a conversation's pages from both tables (the
person's messages and the account's deliveries), the inbox's latest-of-each-chat and unread
counts, and the realtime catch-up's id-range scans. Each names the index it relies on."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, and_, false, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from openoa.accounts.models import OfficialAccount
from openoa.chat.models import Conversation, PersonMessage
from openoa.chat.rules import Position
from openoa.friends.models import Friendship
from openoa.messaging.models import Delivery, Send


def _beyond(created_at: Any, row_id: Any, source: int, cursor: Position, *, newer: bool,
            inclusive: bool) -> ColumnElement[bool]:
    """Rows of ``source`` whose (sent at, source, id) lies past ``cursor`` in one direction.

    ``inclusive`` keeps the cursor's own row: a send has several items, and the page may have
    ended in the middle of them (the caller drops the items already shown).
    """
    if newer:
        if source > cursor.source:
            return created_at >= cursor.at
        if source < cursor.source:
            return created_at > cursor.at
        same_row = row_id >= cursor.row if inclusive else row_id > cursor.row
        return or_(created_at > cursor.at, and_(created_at == cursor.at, same_row))
    if source < cursor.source:
        return created_at <= cursor.at
    if source > cursor.source:
        return created_at < cursor.at
    same_row = row_id <= cursor.row if inclusive else row_id < cursor.row
    return or_(created_at < cursor.at, and_(created_at == cursor.at, same_row))


def person_messages_page(account_id: int, user_id: int, source: int, *, after: Position | None,
                         before: Position | None, limit: int) -> Select[Any]:
    """Up to ``limit`` of the person's messages to the account next to a cursor (newest first
    when paging back or when there is no cursor).

    Scans ix_person_messages_account_user_id's (account_id, user_id) range: one chat's rows.
    """
    query = select(PersonMessage).where(PersonMessage.account_id == account_id, PersonMessage.user_id == user_id)
    if after is not None:
        query = query.where(_beyond(PersonMessage.created_at, PersonMessage.id, source, after,
                                    newer=True, inclusive=False))
        return query.order_by(PersonMessage.created_at, PersonMessage.id).limit(limit)
    if before is not None:
        query = query.where(_beyond(PersonMessage.created_at, PersonMessage.id, source, before,
                                    newer=False, inclusive=False))
    return query.order_by(PersonMessage.created_at.desc(), PersonMessage.id.desc()).limit(limit)


def deliveries_page(account_id: int, user_id: int, source: int, *, after: Position | None,
                    before: Position | None, limit: int) -> Select[Any]:
    """Up to ``limit`` deliveries of the account's sends to the person, with the sends' messages.

    Scans ix_deliveries_account_user_id's (account_id, user_id) range; each send by primary key.
    """
    query = (select(Delivery.id, Delivery.created_at, Send.messages, Send.sent_messages)
             .join(Send, Send.id == Delivery.send_id)
             .where(Delivery.account_id == account_id, Delivery.user_id == user_id))
    if after is not None:
        query = query.where(_beyond(Delivery.created_at, Delivery.id, source, after, newer=True, inclusive=True))
        return query.order_by(Delivery.created_at, Delivery.id).limit(limit)
    if before is not None:
        query = query.where(_beyond(Delivery.created_at, Delivery.id, source, before, newer=False, inclusive=True))
    return query.order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)


def newest_delivery_id(account_id: int, user_id: int) -> Select[Any]:
    """The person's newest delivery from the account: what "read up to" moves to when they look.

    The max of ix_deliveries_account_user_id's (account_id, user_id) range: one index probe.
    """
    return select(func.max(Delivery.id)).where(Delivery.account_id == account_id, Delivery.user_id == user_id)


def friend_accounts(user_id: int) -> Select[Any]:
    """The accounts a person has added and not blocked, with the chat state when there is one.

    ix_friendships_user_id; each account by primary key; the conversation by uq (account_id, user_id).
    """
    return (select(OfficialAccount, Conversation)
            .join(Friendship, Friendship.account_id == OfficialAccount.id)
            .outerjoin(Conversation, (Conversation.account_id == OfficialAccount.id)
                       & (Conversation.user_id == user_id))
            .where(Friendship.user_id == user_id, Friendship.blocked == false()))


def latest_person_messages(user_id: int, account_ids: Collection[int]) -> Select[Any]:
    """The person's newest message to each of ``account_ids``.

    The inner max per account reads the person's rows once (ix_person_messages_account_user_id
    has account_id first, so a person's rows across accounts are one probe per account); the
    outer rows come by primary key.
    """
    newest = (select(func.max(PersonMessage.id))
              .where(PersonMessage.user_id == user_id, PersonMessage.account_id.in_(list(account_ids)))
              .group_by(PersonMessage.account_id))
    return select(PersonMessage).where(PersonMessage.id.in_(newest.scalar_subquery()))


def latest_deliveries(user_id: int, account_ids: Collection[int]) -> Select[Any]:
    """The person's newest delivery from each of ``account_ids``, with its send's messages.

    Max per (account_id, user_id) range of ix_deliveries_account_user_id; rows by primary key.
    """
    newest = (select(func.max(Delivery.id))
              .where(Delivery.user_id == user_id, Delivery.account_id.in_(list(account_ids)))
              .group_by(Delivery.account_id))
    return (select(Delivery.account_id, Delivery.created_at, Send.messages)
            .join(Send, Send.id == Delivery.send_id)
            .where(Delivery.id.in_(newest.scalar_subquery())))


def unread_counts(user_id: int, account_ids: Collection[int]) -> Select[Any]:
    """Per account, how many message objects the person has not read: those of deliveries newer
    than the chat's read mark (every delivery when there is no chat row yet).

    The (account_id, user_id, id > mark) range of ix_deliveries_account_user_id; sends by
    primary key. ``json_array_length`` exists on SQLite and on PostgreSQL's json type.
    """
    mark = func.coalesce(Conversation.person_read_delivery_id, 0)
    return (select(Delivery.account_id, func.sum(func.json_array_length(Send.messages)))
            .join(Send, Send.id == Delivery.send_id)
            .outerjoin(Conversation, (Conversation.account_id == Delivery.account_id)
                       & (Conversation.user_id == Delivery.user_id))
            .where(Delivery.user_id == user_id, Delivery.account_id.in_(list(account_ids)), Delivery.id > mark)
            .group_by(Delivery.account_id))


# ---------------------------------------------------------------- realtime catch-up

def newest_ids() -> Select[Any]:
    """The highest delivery and person-message ids: the end of each primary key, two probes."""
    return select(select(func.max(Delivery.id)).scalar_subquery(), select(func.max(PersonMessage.id)).scalar_subquery())


def deliveries_between(low: int, high: int, user_ids: Collection[int]) -> Select[Any]:
    """(account, person) pairs of deliveries with ids in (low, high] to ``user_ids``: a primary-key range."""
    return (select(Delivery.account_id, Delivery.user_id).distinct()
            .where(Delivery.id > low, Delivery.id <= high, Delivery.user_id.in_(list(user_ids))))


def person_messages_between(low: int, high: int, user_ids: Collection[int]) -> Select[Any]:
    """(account, person) pairs of people's messages with ids in (low, high]: a primary-key range."""
    return (select(PersonMessage.account_id, PersonMessage.user_id).distinct()
            .where(PersonMessage.id > low, PersonMessage.id <= high, PersonMessage.user_id.in_(list(user_ids))))
