"""What the broadcast composer shows and accepts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from openoa.accounts.schemas import AccountOut


class BroadcastIn(BaseModel):
    text: str
    # Judged by the broadcasts rules, so a wrong value gets their words rather than a coercion.
    max_recipients: Any = Field(default=None, description="Maximum broadcast volume (R-BRD-02): people, at least 1",
                                json_schema_extra={"type": "integer", "minimum": 1})


class BroadcastOut(BaseModel):
    request_id: str
    sent_from: str = Field(description="Console, Messaging API broadcast or Messaging API narrowcast")
    text: str
    status: str = Field(description="waiting, sending, succeeded or failed")
    target_count: int
    success_count: int
    max_recipients: int | None
    in_flight: bool = Field(description="Still waiting or sending: its counts move")
    accepted_at: datetime
    completed_at: datetime | None


class ComposerOut(BaseModel):
    account: AccountOut
    target_reach: int
    remaining: int = Field(description="Counted messages left this month")
    can_see_billing: bool = Field(description="Whether this member may open Usage and billing")
    recent: list[BroadcastOut]
