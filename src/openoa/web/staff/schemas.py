"""What the Staff console's JSON endpoints accept and return beyond the domains' own schemas."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class StaffOut(BaseModel):
    id: int
    email: str
    display_name: str


Decision = Literal["approve", "reject"]
ApplicationFilter = Literal["pending", "approved", "rejected", "all"]


class DecisionIn(BaseModel):
    decision: Decision = Field(description="approve: the badge becomes blue; reject: it stays as it is")
