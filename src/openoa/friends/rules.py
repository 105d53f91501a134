"""Rules of friendship: friend paths (R-FRD-02), blocking and target reach (R-FRD-03)."""

from __future__ import annotations

from enum import StrEnum


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
