"""Business IDs, official accounts, their members, invitations and verification applications."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime


class BusinessId(Base):
    """The one login of the Manager console: email + password, or a Chat-app identity."""

    __tablename__ = "business_ids"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # Set when the Business ID is a Chat-app account (R-ACC-01).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OfficialAccount(Base):
    __tablename__ = "official_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    basic_id: Mapped[str] = mapped_column(String(20), unique=True)
    premium_id: Mapped[str | None] = mapped_column(String(20), unique=True)
    display_name: Mapped[str] = mapped_column(String(20))
    profile_image: Mapped[str | None] = mapped_column(String(100))
    status_message: Mapped[str] = mapped_column(String(500), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    package: Mapped[str] = mapped_column(String(10))
    badge: Mapped[str] = mapped_column(String(10))
    # Additional counted messages the admin allows beyond the package (R-MSG-04); 0 until set.
    additional_message_limit: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The most the admin may set that limit to; staff raise it on an inquiry (R-MSG-04).
    additional_limit_ceiling: Mapped[int] = mapped_column(Integer, default=100_000, server_default="100000")
    # A downgrade waits for the next month (R-BILL-02): the package, and from when it counts.
    next_package: Mapped[str | None] = mapped_column(String(10))
    next_package_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Friends' user IDs are scoped per provider (R-FRD-05).
    provider_id: Mapped[str] = mapped_column(String(40), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("business_ids.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Membership(Base):
    __tablename__ = "account_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    business_id: Mapped[int] = mapped_column(ForeignKey("business_ids.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # Every console request checks (account, business ID); the list page reads by business ID.
    __table_args__ = (
        UniqueConstraint("account_id", "business_id"),
        Index("ix_account_members_business_id", "business_id"),
    )


class Invitation(Base):
    """A single-use link that makes whoever opens it a member with ``role``."""

    __tablename__ = "account_invitations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("business_ids.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[int | None] = mapped_column(ForeignKey("business_ids.id"))


class PasswordReset(Base):
    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("business_ids.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VerificationApplication(Base):
    """An admin's request for the blue badge; staff approve or reject it (R-ACC-03)."""

    __tablename__ = "verification_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"), index=True)
    reference_number: Mapped[str] = mapped_column(String(20), unique=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_email: Mapped[str] = mapped_column(String(254))
    business_name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), index=True)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("business_ids.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))


class BadgeChange(Base):
    """Audit of every badge change: who, when, from, to."""

    __tablename__ = "badge_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"), index=True)
    from_badge: Mapped[str] = mapped_column(String(10))
    to_badge: Mapped[str] = mapped_column(String(10))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_members.id"))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
