"""Sends (one request to deliver messages: its messages, recipients, progress and whether it is
counted), the slices a broadcast or narrowcast fans out in, and the delivery rows fan-out writes
(one per send and person)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from openoa.core.db import Base, UTCDateTime

WAITING, SENDING, SUCCEEDED, FAILED = "waiting", "sending", "succeeded", "failed"


class Send(Base):
    __tablename__ = "sends"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("official_accounts.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(24))
    counted: Mapped[bool] = mapped_column(Boolean)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    retry_key: Mapped[str | None] = mapped_column(String(40))
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    sent_messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notification_disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # {"user_ids": [internal ids]} for push, multicast and reply; {"all": true} for broadcast;
    # {"narrowcast": {"recipient", "filter", "year"}} for narrowcast (queries.narrowcast_targeting).
    recipients: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=WAITING)
    target_count: Mapped[int] = mapped_column(Integer, default=0)
    success_count: Mapped[int] = mapped_column(Integer, default=0)
    # The highest internal user id this send may reach (fixed at acceptance, so friends added
    # later are not picked up by a resumed fan-out), and how many of its chunks are not done.
    upper_user_id: Mapped[int] = mapped_column(Integer, default=0)
    chunks_left: Mapped[int] = mapped_column(Integer, default=0)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Narrowcast's random pick (limit.max, upToRemainingQuota): at most ``max_recipients``
    # people, those whose hash under ``seed`` is at or below ``pick_threshold`` (fixed when
    # delivery starts, so resumed chunks pick the same people).
    max_recipients: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[int | None] = mapped_column(BigInteger)
    pick_threshold: Mapped[int | None] = mapped_column(BigInteger)
    # Why a narrowcast failed: LINE's progress errorCode and failedDescription.
    error_code: Mapped[int | None] = mapped_column(Integer)
    failed_description: Mapped[str | None] = mapped_column(String(200))

    # Retry keys are per account; the in-flight quota check filters on (account, status).
    __table_args__ = (
        UniqueConstraint("account_id", "retry_key"),
        Index("ix_sends_account_status", "account_id", "status"),
        Index("ix_sends_account_kind_accepted", "account_id", "kind", "accepted_at"),
    )


class SendChunk(Base):
    """One slice of a broadcast's or narrowcast's fan-out: its friends with internal user ids in
    (after_user_id, upto_user_id]. ``done`` is the checkpoint: it turns true in the transaction
    that writes the slice's delivery rows (STYLE 7c), so workers can share one send's slices."""

    __tablename__ = "send_chunks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("sends.id", ondelete="CASCADE"))
    after_user_id: Mapped[int] = mapped_column(Integer)
    upto_user_id: Mapped[int] = mapped_column(Integer)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (UniqueConstraint("send_id", "after_user_id"),)


class Delivery(Base):
    """A send reaching one person; unique per (send, user) so a replayed chunk writes nothing.

    No foreign keys: fan-out writes a million of these per broadcast, and PostgreSQL checks each
    key row by row (the send's alone doubled B1). They are written only from friendships, and
    sends, accounts and people are never deleted; whoever adds deleting them deletes these too.
    """

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    send_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    # (account, user, id) is the Chat-app inbox's page of one conversation.
    __table_args__ = (
        UniqueConstraint("send_id", "user_id"),
        Index("ix_deliveries_account_user_id", "account_id", "user_id", "id"),
    )
