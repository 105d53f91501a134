"""What the usage and billing dashboard shows and accepts (R-BILL-01/02, R-MSG-04). Money is in
satang, as integers; the pages format it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from openoa.accounts.schemas import AccountOut, FeatureOut


class DayUse(BaseModel):
    day: date
    used: int


class MonthStatement(BaseModel):
    """One month's bill: its package's fee plus additional messages at 4 satang each."""

    year: int
    month: int
    invoice_number: str
    package: str
    used: int
    included: int
    additional_used: int
    fee_satang: int
    additional_satang: int
    total_satang: int


class InvoiceOut(BaseModel):
    """One month's invoice: who is billed, for which days, and the bill; ``final`` once the month is over."""

    account: AccountOut
    timezone: str
    first_day: date
    last_day: date
    final: bool = Field(description="False for the month still running: a statement so far")
    statement: MonthStatement


class ChangeOut(BaseModel):
    """One audited change of a billing term: who, when, from, to, from when it counts."""

    term: str
    from_value: str
    to_value: str
    effective_from: datetime
    changed_at: datetime
    changed_by: str
    cancelled_at: datetime | None


class DashboardOut(BaseModel):
    account: AccountOut
    timezone: str
    year: int
    month: int
    package: str
    next_package: str | None
    next_package_from: date | None = Field(description="The day (account's timezone) a scheduled downgrade applies")
    used: int = Field(description="Counted messages sent this month")
    included: int
    additional_used: int
    additional_limit: int
    additional_limit_ceiling: int
    monthly_limit: int
    remaining: int
    can_change_limit: bool
    limit_refusal: str | None = Field(description="Why the limit cannot be changed, when it cannot")
    this_month: MonthStatement = Field(description="The bill so far")
    projected_used: int = Field(description="Counted messages at this month's pace so far, capped by the limit")
    projected_satang: int
    daily: list[DayUse]
    history: list[MonthStatement] = Field(description="Past months, newest first (up to 12)")
    changes: list[ChangeOut] = Field(description="Changes of package and limits, newest first")
    features: list[FeatureOut] = Field(description="Features gated by package or badge, and why any is unavailable")


class PackageIn(BaseModel):
    package: str


# Limits arrive as whatever JSON the client sent and the billing rules judge them, so a wrong
# value gets the rule's own words ("Enter a whole number…") rather than a coercion (true → 1).
WholeNumber = Annotated[Any, Field(json_schema_extra={"type": "integer", "minimum": 0})]


class AdditionalLimitIn(BaseModel):
    additional_limit: WholeNumber


class CeilingIn(BaseModel):
    additional_limit_ceiling: WholeNumber


class PackageChangeOut(BaseModel):
    package: str = Field(description="The package in force now")
    next_package: str | None
    next_package_from: datetime | None
