"""Counted messages per account and day, and the audit of an account's billing terms: package changes (scheduled or at once), the admin's
additional-message limit and the ceiling staff set for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime

PACKAGE = "package"
ADDITIONAL_LIMIT = "additional_limit"
LIMIT_CEILING = "limit_ceiling"


class BillingChange(Base):
    """One change of a billing term: who (a member or staff), when, from, to, and from when it counts.

    A package change is also the package history invoices are billed from; a scheduled downgrade
    that is called off keeps its row, marked cancelled."""

    __tablename__ = "billing_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(20))
    from_value: Mapped[str] = mapped_column(String(20))
    to_value: Mapped[str] = mapped_column(String(20))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    business_id: Mapped[int | None] = mapped_column(ForeignKey("business_ids.id", ondelete="SET NULL"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[int | None] = mapped_column(ForeignKey("business_ids.id", ondelete="SET NULL"))

    # The dashboard reads an account's changes newest first; invoices its package history.
    __table_args__ = (Index("ix_billing_changes_account_id", "account_id", "id"),)


class MessageUsage(Base):
    """Counted messages an account used on one day of a billing month (both in its timezone): the
    month's use is the sum of its days, and the billing dashboard charts them."""

    __tablename__ = "message_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    day: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    used: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (UniqueConstraint("account_id", "year", "month", "day"),)
