"""What the Manager and Staff consoles show and accept about Business IDs and accounts."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BusinessIdOut(BaseModel):
    id: int
    display_name: str
    email: str | None
    kind: str  # "business" (email + password) or "chat_app"


class AccountOut(BaseModel):
    id: int
    basic_id: str
    premium_id: str | None
    display_name: str
    status_message: str
    profile_image_url: str | None
    timezone: str
    package: str
    badge: str
    add_friend_url: str
    role: str | None = None
    # Only in staff's account search: the ceiling of the admin's additional-message limit (R-MSG-04).
    additional_limit_ceiling: int | None = None


class FeatureOut(BaseModel):
    """A feature gated by package or badge: whether this account may use it, and if not, why."""

    feature: str
    label: str
    rule: str
    available: bool
    needs: str | None
    refusal: str | None


class FriendPathCount(BaseModel):
    path: str
    friends: int


class HomeOut(BaseModel):
    account: AccountOut
    role: str
    can_see_insights: bool
    friends: int | None
    blocks: int | None
    target_reach: int | None
    friend_paths: list[FriendPathCount] | None = None


class MemberOut(BaseModel):
    business_id: int
    display_name: str
    email: str | None
    role: str
    joined_at: datetime


class InvitationOut(BaseModel):
    id: int
    role: str
    url: str | None
    expires_at: datetime
    used: bool


class ApplicationOut(BaseModel):
    id: int
    account_id: int
    account_name: str
    basic_id: str
    reference_number: str
    applicant_name: str
    applicant_email: str
    business_name: str
    website: str
    status: str
    created_at: datetime
    badge: str


class MembersOut(BaseModel):
    account: AccountOut
    members: list[MemberOut]
    invitations: list[InvitationOut]


class SettingsOut(BaseModel):
    account: AccountOut
    applications: list[ApplicationOut]
    can_apply: bool
    apply_refusal: str | None  # why this member cannot apply now, written for them


class InvitationPreviewOut(BaseModel):
    account: AccountOut
    role: str


class NoticeOut(BaseModel):
    message: str


# ---------------------------------------------------------------- what the console accepts

class SignUpIn(BaseModel):
    email: str
    password: str
    display_name: str


class LoginIn(BaseModel):
    email: str
    password: str


class PasswordChangeIn(BaseModel):
    current_password: str
    new_password: str


class PasswordForgotIn(BaseModel):
    email: str


class PasswordResetIn(BaseModel):
    token: str
    new_password: str


class AccountCreateIn(BaseModel):
    display_name: str


class AccountUpdateIn(BaseModel):
    display_name: str | None = None
    status_message: str | None = None


class RoleIn(BaseModel):
    role: str


class VerificationIn(BaseModel):
    applicant_name: str
    applicant_email: str
    business_name: str
    website: str = ""
