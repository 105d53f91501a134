"""Rules of Business IDs and official accounts (R-ACC-01..05): roles, badges, limits, inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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


# ---------------------------------------------------------------- features gated by package or badge

class Feature(StrEnum):
    ADDITIONAL_MESSAGES = "additional_messages"
    CALL_REROUTING = "call_rerouting"
    FOLLOWER_IDS_API = "follower_ids_api"
    NPS_OPEN_ANSWER = "nps_open_answer"
    POSTER_MASCOT = "poster_mascot"
    GAIN_FRIENDS_ADS = "gain_friends_ads"
    PUBLIC_PROFILE = "public_profile"
    LIVE = "live"


@dataclass(frozen=True)
class Gate:
    """Who may use a feature: accounts on one of ``packages`` (None: any) with one of ``badges``
    (None: any). Premium (green) is above verified (blue): "verified accounts only" admits both."""

    label: str
    rule: str
    packages: frozenset[Package] | None = None
    badges: frozenset[Badge] | None = None
    # Whether OpenOA has the feature yet: the console lists only those (the rest are gated ahead).
    built: bool = False


_PAID = frozenset({Package.BASIC, Package.PRO})
_VERIFIED = frozenset({Badge.BLUE, Badge.GREEN})

# The one table of gated features; every gate in the product asks it (feature_refusal).
FEATURE_GATES: dict[Feature, Gate] = {
    Feature.ADDITIONAL_MESSAGES: Gate("Additional messages beyond the package", "R-MSG-04", packages=_PAID,
                                         built=True),
    Feature.CALL_REROUTING: Gate("Call rerouting to a phone number", "R-CALL-05", packages=_PAID),
    Feature.FOLLOWER_IDS_API: Gate("Follower IDs in the Messaging API", "R-ACC-03", badges=_VERIFIED,
                                      built=True),
    Feature.NPS_OPEN_ANSWER: Gate("Open-ended answer in NPS surveys", "R-OUT-07", badges=_VERIFIED),
    Feature.POSTER_MASCOT: Gate("Mascot design for posters", "R-GAIN-02", badges=_VERIFIED),
    Feature.GAIN_FRIENDS_ADS: Gate("Gain Friends Ads", "R-GAIN-03", badges=_VERIFIED),
    Feature.PUBLIC_PROFILE: Gate("Profile page shared on the open web", "R-GAIN-04", badges=_VERIFIED),
    Feature.LIVE: Gate("LIVE and On-Air", "R-GAIN-06", badges=frozenset({Badge.GREEN})),
}

_PACKAGE_NAMES = {Package.FREE: "Free", Package.BASIC: "Basic", Package.PRO: "Pro"}
_BADGE_NAMES = {Badge.GRAY: "unverified (gray)", Badge.BLUE: "verified (blue)", Badge.GREEN: "premium (green)"}


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def feature_needs(feature: Feature, *, package: str, badge: str) -> str | None:
    """What an account on ``package`` with ``badge`` lacks for ``feature`` ("needs the Basic or Pro
    package; this account is on Free"), or None when it has it."""
    gate = FEATURE_GATES[feature]
    if gate.packages is not None and package not in gate.packages:
        wanted = _either([_PACKAGE_NAMES[p] for p in Package if p in gate.packages])
        return f"needs the {wanted} package; this account is on {_PACKAGE_NAMES[Package(package)]}"
    if gate.badges is not None and badge not in gate.badges:
        wanted = _either([_BADGE_NAMES[b] for b in Badge if b in gate.badges])
        return f"needs a {wanted} badge; this account is {_BADGE_NAMES[Badge(badge)]}"
    return None


def feature_refusal(feature: Feature, *, package: str, badge: str) -> str | None:
    """Why an account on ``package`` with ``badge`` cannot use ``feature``, as a sentence, or None."""
    needs = feature_needs(feature, package=package, badge=badge)
    return None if needs is None else f"{FEATURE_GATES[feature].label} {needs}."


def package_in_force(package: str, next_package: str | None, next_from: datetime | None, moment: datetime) -> str:
    """The package that counts at ``moment``: the current one, or a scheduled downgrade once its
    month has begun (R-BILL-02)."""
    if next_package is not None and next_from is not None and next_from <= moment:
        return next_package
    return package


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
