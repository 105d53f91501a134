"""What the broadcast composer shows and accepts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from openoa.accounts.schemas import AccountOut


class BroadcastIn(BaseModel):
    text: str
    max_recipients: int | None = Field(default=None, description="Maximum broadcast volume (R-BRD-02)")


class BroadcastOut(BaseModel):
    request_id: str
    text: str
    status: str = Field(description="waiting, sending, succeeded or failed")
    target_count: int
    success_count: int
    max_recipients: int | None
    accepted_at: datetime
    completed_at: datetime | None


class ComposerOut(BaseModel):
    account: AccountOut
    target_reach: int
    remaining: int = Field(description="Counted messages left this month")
    recent: list[BroadcastOut]
