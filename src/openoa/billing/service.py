"""Usage and billing of an account (R-BILL-01/02, R-MSG-04): the dashboard of this month's counted
messages and past months' bills, package changes (upgrades at once, downgrades next month), the
admin's additional-message limit and the ceiling staff set for it. Every change is audited.

The counting itself happens where messages are sent (``messaging``); this reads what it wrote.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.accounts.rules import Permission
from openoa.billing import rules
from openoa.billing.models import (
    ADDITIONAL_LIMIT,
    LIMIT_CEILING,
    PACKAGE,
    BillingChange,
    MessageUsage,
)
from openoa.billing.schemas import (
    ChangeOut,
    DashboardOut,
    DayUse,
    InvoiceOut,
    MonthStatement,
    PackageChangeOut,
)
from openoa.core import clock
from openoa.core.access import Actor, BusinessActor, StaffActor
from openoa.core.errors import Invalid, NotFound
from openoa.trust.models import StaffMember

HISTORY_MONTHS = 12
CHANGES_SHOWN = 20


def terms_now(account: OfficialAccount) -> rules.Terms:
    """The account's billing terms now (a scheduled downgrade whose month has begun applied)."""
    return rules.terms_in_force(account.package, account.next_package, account.next_package_from,
                                account.additional_message_limit, clock.now())


def _admin_account(session: Session, actor: Actor, account_id: int) -> OfficialAccount:
    """The account for a billing read (admins only); nothing is written."""
    account, _ = accounts.access_account(session, actor, account_id, Permission.BILLING)
    return account


def _locked_admin_account(session: Session, actor: Actor, account_id: int) -> OfficialAccount:
    """The account for a billing change: its row held (so changes and counted sends take turns) and
    read afresh under the lock, with a scheduled downgrade whose month has begun made the package."""
    account = _admin_account(session, actor, account_id)
    session.refresh(account, with_for_update=True)
    _apply_scheduled(session, account)
    return account


def _apply_scheduled(session: Session, account: OfficialAccount) -> None:
    terms = terms_now(account)
    if terms.package == account.package and terms.next_package == account.next_package:
        return
    if terms.additional_limit != account.additional_message_limit:  # the downgrade's own consequence
        _audit(session, account, None, ADDITIONAL_LIMIT, account.additional_message_limit, terms.additional_limit,
               account.next_package_from or clock.now())
    account.package, account.additional_message_limit = terms.package, terms.additional_limit
    account.next_package = account.next_package_from = None


def _audit(session: Session, account: OfficialAccount, actor: Actor | None, term: str, from_value: object,
           to_value: object, effective_from: datetime) -> BillingChange:
    change = BillingChange(account_id=account.id, term=term, from_value=str(from_value), to_value=str(to_value),
                           effective_from=effective_from, created_at=clock.now(),
                           business_id=actor.business_id if isinstance(actor, BusinessActor) else None,
                           staff_id=actor.staff_id if isinstance(actor, StaffActor) else None)
    session.add(change)
    return change


def _pending_downgrade(session: Session, account: OfficialAccount) -> BillingChange | None:
    return session.scalar(select(BillingChange).where(
        BillingChange.account_id == account.id, BillingChange.term == PACKAGE, BillingChange.cancelled_at.is_(None),
        BillingChange.effective_from > clock.now()).order_by(BillingChange.id.desc()).limit(1))


def _call_off_pending(session: Session, account: OfficialAccount, actor: Actor) -> None:
    pending = _pending_downgrade(session, account)
    if pending is not None:
        pending.cancelled_at = clock.now()
        pending.cancelled_by = actor.business_id if isinstance(actor, BusinessActor) else None
    account.next_package = account.next_package_from = None


def change_package(session: Session, actor: Actor, account_id: int, package: str) -> PackageChangeOut:
    """Move the account to ``package``: an upgrade at once, a downgrade from the next month
    (R-BILL-02). Asking for the package in force calls off a scheduled downgrade. Admins only."""
    account = _locked_admin_account(session, actor, account_id)
    if not rules.is_package(package):
        raise Invalid(field="package", reason="Choose Free, Basic or Pro.")
    now = clock.now()
    if package == account.package:
        if account.next_package is None:
            raise Invalid(field="package", reason=f"The account is already on {rules.PACKAGE_LABELS[package]}.")
        _call_off_pending(session, account, actor)
    elif rules.is_upgrade(account.package, package):
        _call_off_pending(session, account, actor)
        _audit(session, account, actor, PACKAGE, account.package, package, now)
        account.package = package
    else:
        if account.next_package == package:
            raise Invalid(field="package", reason=f"{rules.PACKAGE_LABELS[package]} is already scheduled "
                                                  "for the next month.")
        _call_off_pending(session, account, actor)
        starts = rules.change_takes_effect(account.package, package, now, account.timezone)
        _audit(session, account, actor, PACKAGE, account.package, package, starts)
        account.next_package, account.next_package_from = package, starts
    session.flush()
    return PackageChangeOut(package=account.package, next_package=account.next_package,
                            next_package_from=account.next_package_from)


def set_additional_limit(session: Session, actor: Actor, account_id: int, raw: object) -> int:
    """Set how many additional messages the account may send this month and after (R-MSG-04):
    Basic and Pro only, never above the account's ceiling. Admins only."""
    account = _locked_admin_account(session, actor, account_id)
    value = rules.parse_additional_limit(raw)
    if isinstance(value, str):
        raise Invalid(field="additional_limit", reason=value)
    problem = rules.additional_limit_problem(account.package, value, account.additional_limit_ceiling)
    if problem is not None:
        raise Invalid(field="additional_limit", reason=problem)
    if value != account.additional_message_limit:
        _audit(session, account, actor, ADDITIONAL_LIMIT, account.additional_message_limit, value, clock.now())
        account.additional_message_limit = value
        session.flush()
    return value


def set_limit_ceiling(session: Session, actor: Actor, account_id: int, raw: object) -> int:
    """Staff set the most an account's admin may allow as additional messages (the answer to an
    inquiry, R-MSG-04). A limit above a lowered ceiling comes down to it, audited too."""
    if not isinstance(actor, StaffActor):
        raise NotFound("No such account.")
    account = session.get(OfficialAccount, account_id, with_for_update=True, populate_existing=True)
    if account is None:
        raise NotFound("No such account.")
    value = rules.parse_additional_limit(raw)
    if isinstance(value, str):
        raise Invalid(field="additional_limit_ceiling", reason=value.replace("limit", "ceiling"))
    problem = rules.ceiling_problem(value)
    if problem is not None:
        raise Invalid(field="additional_limit_ceiling", reason=problem)
    now = clock.now()
    if value != account.additional_limit_ceiling:
        _audit(session, account, actor, LIMIT_CEILING, account.additional_limit_ceiling, value, now)
        account.additional_limit_ceiling = value
    if account.additional_message_limit > value:
        _audit(session, account, actor, ADDITIONAL_LIMIT, account.additional_message_limit, value, now)
        account.additional_message_limit = value
    session.flush()
    return value


# ---------------------------------------------------------------- the dashboard

def month_use(session: Session, account: OfficialAccount) -> int:
    """Counted messages ``account`` used this month (its timezone's month), as the dashboard shows it."""
    month = rules.month_of(clock.now(), account.timezone)
    used = session.scalar(select(func.sum(MessageUsage.used)).where(
        MessageUsage.account_id == account.id, MessageUsage.year == month.year, MessageUsage.month == month.month))
    return int(used or 0)


def _use_by_month(session: Session, account_id: int) -> dict[rules.Month, int]:
    rows = session.execute(select(MessageUsage.year, MessageUsage.month, func.sum(MessageUsage.used))
                           .where(MessageUsage.account_id == account_id)
                           .group_by(MessageUsage.year, MessageUsage.month)).all()
    return {rules.Month(year, month): int(used or 0) for year, month, used in rows}


def _statement_out(account: OfficialAccount, statement: rules.Statement) -> MonthStatement:
    month = statement.month
    return MonthStatement(
        year=month.year, month=month.month, invoice_number=f"{account.basic_id.lstrip('@').upper()}-"
                                                           f"{month.year}{month.month:02d}",
        package=statement.package, used=statement.used, included=statement.included,
        additional_used=statement.additional_used, fee_satang=statement.fee_satang,
        additional_satang=statement.additional_satang, total_satang=statement.total_satang)


def _changes_out(session: Session, account_id: int) -> list[ChangeOut]:
    rows = session.execute(
        select(BillingChange, BusinessId.display_name, StaffMember.display_name)
        .outerjoin(BusinessId, BusinessId.id == BillingChange.business_id)
        .outerjoin(StaffMember, StaffMember.id == BillingChange.staff_id)
        .where(BillingChange.account_id == account_id)
        .order_by(BillingChange.id.desc()).limit(CHANGES_SHOWN)).all()
    return [ChangeOut(term=change.term, from_value=change.from_value, to_value=change.to_value,
                      effective_from=change.effective_from, changed_at=change.created_at,
                      changed_by=member or (f"Staff: {staff}" if staff else "System"),
                      cancelled_at=change.cancelled_at)
            for change, member, staff in rows]


def _package_history(session: Session, account: OfficialAccount) -> tuple[str, list[tuple[datetime, str]]]:
    """The package the account started with and every change that took or takes effect."""
    rows = session.execute(select(BillingChange.from_value, BillingChange.to_value, BillingChange.effective_from,
                                  BillingChange.cancelled_at)
                           .where(BillingChange.account_id == account.id, BillingChange.term == PACKAGE)
                           .order_by(BillingChange.id)).all()
    initial = rows[0].from_value if rows else terms_now(account).package
    return initial, [(row.effective_from, row.to_value) for row in rows if row.cancelled_at is None]


def invoice(session: Session, actor: Actor, account_id: int, period: str) -> InvoiceOut:
    """The invoice of month ``period`` (``YYYYMM``, the account's timezone), from the month the account
    was made until this one, which is a statement so far (admins only)."""
    account = _admin_account(session, actor, account_id)
    tz = account.timezone
    wanted = rules.parse_period(period)
    current, created = rules.month_of(clock.now(), tz), rules.month_of(account.created_at, tz)
    if wanted is None or not (created.year, created.month) <= (wanted.year, wanted.month) <= (current.year,
                                                                                            current.month):
        raise NotFound("There is no invoice for that month.")
    initial, changes = _package_history(session, account)
    used = _use_by_month(session, account.id).get(wanted, 0)
    statement = rules.statement(wanted, rules.package_of_month(initial, changes, wanted, tz), used)
    last_day = (wanted.end(tz) - timedelta(microseconds=1)).astimezone(ZoneInfo(tz)).date()
    return InvoiceOut(account=accounts.account_out(account, "admin"), timezone=tz,
                      first_day=last_day.replace(day=1), last_day=last_day, final=wanted != current,
                      statement=_statement_out(account, statement))


def dashboard(session: Session, actor: Actor, account_id: int) -> DashboardOut:
    """Settings › Usage and billing › Dashboard: this month's counted messages, the bill so far and
    at this pace, each day's use, past months' bills and the audit of changes (admins only)."""
    account = _admin_account(session, actor, account_id)
    terms = terms_now(account)
    now, tz = clock.now(), account.timezone
    month = rules.month_of(now, tz)
    by_month = _use_by_month(session, account.id)
    used = by_month.get(month, 0)
    limit = rules.monthly_limit(terms.package, terms.additional_limit)
    this_month = rules.statement(month, terms.package, used)
    projected = rules.projected_use(used, now, month, tz, limit)
    days = dict(session.execute(select(MessageUsage.day, MessageUsage.used).where(
        MessageUsage.account_id == account.id, MessageUsage.year == month.year,
        MessageUsage.month == month.month)).tuples().all())
    today = rules.day_of(now, tz)
    daily = [DayUse(day=today.replace(day=d), used=int(days.get(d, 0))) for d in range(1, today.day + 1)]

    initial, changes = _package_history(session, account)
    created = rules.month_of(account.created_at, tz)
    history: list[MonthStatement] = []
    past = month
    for _ in range(HISTORY_MONTHS):
        past = rules.Month(past.year - (past.month == 1), 12 if past.month == 1 else past.month - 1)
        if (past.year, past.month) < (created.year, created.month):
            break
        package = rules.package_of_month(initial, changes, past, tz)
        history.append(_statement_out(account, rules.statement(past, package, by_month.get(past, 0))))

    refusal = None
    if not rules.may_send_additional(terms.package):
        refusal = rules.additional_limit_problem(terms.package, 0, account.additional_limit_ceiling)
    return DashboardOut(
        account=accounts.account_out(account, "admin"), timezone=tz, year=month.year, month=month.month,
        package=terms.package, next_package=terms.next_package,
        next_package_from=rules.day_of(terms.next_package_from, tz) if terms.next_package_from else None,
        used=used, included=this_month.included, additional_used=this_month.additional_used,
        additional_limit=terms.additional_limit, additional_limit_ceiling=account.additional_limit_ceiling,
        monthly_limit=limit, remaining=rules.remaining(terms.package, terms.additional_limit, used),
        can_change_limit=refusal is None, limit_refusal=refusal, this_month=_statement_out(account, this_month),
        projected_used=projected, projected_satang=rules.statement(month, terms.package, projected).total_satang,
        daily=daily, history=history, changes=_changes_out(session, account.id),
        features=accounts.features_of(account))
