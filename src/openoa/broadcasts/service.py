"""Broadcasts from the Manager console: compose one text balloon, send it now to every friend or
to at most a chosen number of them at random (R-BRD-02), counted against the month (R-MSG-02);
a broadcast that does not fit is refused whole with what is left and how to get more (R-MSG-05).
Delivery is the messaging pipeline's fan-out job; this keeps the console's use cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.rules import Permission, role_allows
from openoa.billing import rules as billing
from openoa.billing import service as billing_service
from openoa.broadcasts import rules
from openoa.broadcasts.schemas import BroadcastOut, ComposerOut
from openoa.core import ids
from openoa.core.access import Actor
from openoa.core.errors import FieldError, Invalid
from openoa.friends import queries as friend_queries
from openoa.messaging import service as messaging
from openoa.messaging.models import Send
from openoa.messaging.schemas import message_json, parse_messages


def _out(send: Send) -> BroadcastOut:
    first = send.messages[0] if send.messages else {}
    spec = send.recipients.get("narrowcast") or {}
    requested = spec.get("requested_max") if send.kind == rules.CONSOLE_BROADCAST else send.max_recipients
    text = first.get("text") if first.get("type") == "text" else f"({first.get('type', 'no')} message)"
    return BroadcastOut(request_id=send.request_id, sent_from=rules.SENT_FROM.get(send.kind, send.kind),
                        text=str(text), status=send.status, target_count=send.target_count,
                        success_count=send.success_count, max_recipients=requested,
                        in_flight=messaging.in_flight(send), accepted_at=send.accepted_at,
                        completed_at=send.completed_at)


def composer(session: Session, actor: Actor, account_id: int) -> ComposerOut:
    """The composer's facts: who a broadcast would reach, what the month has left, recent broadcasts."""
    account, role = accounts.access_account(session, actor, account_id, Permission.BROADCASTS)
    terms = billing_service.terms_now(account)
    reach = int(session.execute(friend_queries.friend_counts(account.id)).one().target_reach or 0)
    used = billing_service.month_use(session, account)
    recent = session.scalars(select(Send).where(Send.account_id == account.id, Send.kind.in_(list(rules.SENT_FROM)))
                             .order_by(Send.id.desc()).limit(rules.RECENT_SHOWN)).all()
    return ComposerOut(account=accounts.account_out(account, role), target_reach=reach,
                       can_see_billing=role_allows(role, Permission.BILLING),
                       remaining=billing.remaining(terms.package, terms.additional_limit, used),
                       recent=[_out(send) for send in recent])


def send_broadcast(session: Session, actor: Actor, account_id: int, *, text: str,
                   max_recipients: object = None) -> BroadcastOut:
    """Send ``text`` now to the account's friends (at most ``max_recipients`` of them, at random).
    Invalid names each bad field; MonthlyLimitReached when it cannot fit; nothing stored then."""
    account, _ = accounts.access_account(session, actor, account_id, Permission.BROADCASTS)
    errors = []
    if (problem := rules.text_problem(text)) is not None:
        errors.append(FieldError("text", problem))
    cap = rules.parse_max_recipients(max_recipients)
    if isinstance(cap, str):
        errors.append(FieldError("max_recipients", cap))
    if errors:
        raise Invalid(errors)
    assert not isinstance(cap, str)
    messages = [message_json(m) for m in parse_messages([{"type": "text", "text": text}])]
    send = messaging.broadcast_to_friends(session, account.id, kind=rules.CONSOLE_BROADCAST,
                                          request_id=ids.request_id(), messages=messages, max_recipients=cap)
    return _out(send)
