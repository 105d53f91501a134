"""Rules of friendship: friend paths (R-FRD-02), blocking and target reach (R-FRD-03)."""

from __future__ import annotations

import base64
from enum import StrEnum

from openoa.accounts.rules import Feature, feature_refusal


class FriendPath(StrEnum):
    QR = "qr"
    URL = "url"
    BUTTON = "button"
    SEARCH = "search"
    PROFILE = "profile"
    AD = "ad"
    POSTER = "poster"
    SHARE = "share"


FRIEND_PATH_LABELS = {
    FriendPath.QR: "QR code", FriendPath.URL: "Add-friend URL", FriendPath.BUTTON: "Add-friend button",
    FriendPath.SEARCH: "Search", FriendPath.PROFILE: "Profile page", FriendPath.AD: "Ad",
    FriendPath.POSTER: "Poster", FriendPath.SHARE: "Shared by a friend",
}


def friend_path_from_source(source: str | None) -> FriendPath:
    """The path recorded for an add-friend link: its ``src`` parameter, else the plain URL."""
    try:
        return FriendPath(source) if source else FriendPath.URL
    except ValueError:
        return FriendPath.URL


def is_reachable(*, is_friend: bool, blocked: bool, active: bool) -> bool:
    """Target reach counts friends who have not blocked and whose account is active (R-FRD-03)."""
    return is_friend and not blocked and active


# GET /v2/bot/followers/ids (R-ACC-03 / API): verified (blue) and premium (green) accounts only;
# the gate is the shared one, the refusal LINE's own words.
FOLLOWER_IDS_REFUSAL = "Access to this API is not available for your account"
FOLLOWER_IDS_DEFAULT_LIMIT = 300
FOLLOWER_IDS_MAX_LIMIT = 1000


def can_list_follower_ids(package: str, badge: str) -> bool:
    """Whether an account on ``package`` (the one in force) with ``badge`` may list its followers."""
    return feature_refusal(Feature.FOLLOWER_IDS_API, package=package, badge=badge) is None


def follower_ids_cursor(user_id: int) -> str:
    """The opaque ``next`` of a follower-ID page: where the following page starts."""
    return base64.urlsafe_b64encode(f"f{user_id}".encode()).decode().rstrip("=")


def follower_ids_after(cursor: str) -> int | None:
    """The user the page after ``cursor`` starts behind, or None for a cursor we did not hand out."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except ValueError:
        return None
    return int(text[1:]) if text.startswith("f") and text[1:].isdigit() else None
