"""Rules of Business IDs and official accounts (R-ACC-01..05): roles, badges, limits, inputs."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    OPERATOR_NO_BROADCASTS = "operator_no_broadcasts"
    OPERATOR_NO_INSIGHTS = "operator_no_insights"
    CHAT_OPERATOR = "chat_operator"


ROLE_LABELS = {
    Role.ADMIN: "Admin",
    Role.OPERATOR: "Operator",
    Role.OPERATOR_NO_BROADCASTS: "Operator (no broadcasts)",
    Role.OPERATOR_NO_INSIGHTS: "Operator (no insights)",
    Role.CHAT_OPERATOR: "Chat operator",
}


class Permission(StrEnum):
    HOME = "home"
    CHAT = "chat"
    BROADCASTS = "broadcasts"
    INSIGHTS = "insights"
    SETTINGS = "settings"
    MEMBERS = "members"
    BILLING = "billing"
    VERIFICATION = "verification"
    MESSAGING_API = "messaging_api"


_OPERATOR = frozenset({Permission.HOME, Permission.CHAT, Permission.BROADCASTS,
                       Permission.INSIGHTS, Permission.SETTINGS})

# R-ACC-04: Admin everything; Operator all but members and billing; the two narrowed
# operators lose broadcasts or insights; Chat operator has chat only.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPERATOR: _OPERATOR,
    Role.OPERATOR_NO_BROADCASTS: _OPERATOR - {Permission.BROADCASTS},
    Role.OPERATOR_NO_INSIGHTS: _OPERATOR - {Permission.INSIGHTS},
    Role.CHAT_OPERATOR: frozenset({Permission.CHAT}),
}

PERMISSION_REFUSALS = {
    Permission.HOME: "Your role only gives access to chats.",
    Permission.CHAT: "Your role does not include chats.",
    Permission.BROADCASTS: "Your role does not allow broadcasts.",
    Permission.INSIGHTS: "Your role does not allow viewing insights.",
    Permission.SETTINGS: "Your role does not allow changing account settings.",
    Permission.MEMBERS: "Only admins can manage members.",
    Permission.BILLING: "Only admins can manage billing.",
    Permission.VERIFICATION: "Only admins can apply for verification.",
    Permission.MESSAGING_API: "Only admins can see and change the Messaging API settings.",
}


def role_allows(role: str, permission: Permission) -> bool:
    """Whether a member with ``role`` may do what ``permission`` covers (R-ACC-04)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


MAX_MEMBERS = 100
INVITATION_VALID_FOR = timedelta(days=7)
PASSWORD_RESET_VALID_FOR = timedelta(hours=1)


class Badge(StrEnum):
    GRAY = "gray"
    BLUE = "blue"
    GREEN = "green"


BADGE_LABELS = {Badge.GRAY: "Unverified", Badge.BLUE: "Verified", Badge.GREEN: "Premium"}


class Package(StrEnum):
    FREE = "free"
    BASIC = "basic"
    PRO = "pro"


DEFAULT_TIMEZONE = "Asia/Bangkok"
DEFAULT_PACKAGE = Package.FREE
INITIAL_BADGE = Badge.GRAY


def can_apply_for_verification(badge: str) -> bool:
    """Only an unverified account applies; blue and green are already past it (R-ACC-03)."""
    return badge == Badge.GRAY


def badge_after_approval(badge: str) -> str:
    """Approval makes gray blue; it never lowers a premium account."""
    return Badge.GREEN if badge == Badge.GREEN else Badge.BLUE


ACCOUNT_NAME_MAX = 20


def account_name_problem(name: str) -> str | None:
    """LINE's limit for an official account's display name is 20 characters."""
    if not name.strip():
        return "Enter the account name."
    if len(name.strip()) > ACCOUNT_NAME_MAX:
        return f"Use at most {ACCOUNT_NAME_MAX} characters."
    return None
