"""Pure rules of friendship: friend paths (R-FRD-02) and target reach (R-FRD-03)."""

from __future__ import annotations

import pytest

from openoa.friends import rules
from openoa.friends.rules import FriendPath, friend_path_from_source, is_reachable

SPEC_PATHS = {"qr", "url", "button", "poster", "search", "profile", "ad", "share"}


def test_r_frd_02_every_friend_path_of_the_spec_exists_with_a_label() -> None:
    assert {p.value for p in FriendPath} == SPEC_PATHS
    assert set(rules.FRIEND_PATH_LABELS) == set(FriendPath)
    assert all(label for label in rules.FRIEND_PATH_LABELS.values())


@pytest.mark.parametrize("path", sorted(SPEC_PATHS))
def test_r_frd_02_add_friend_link_records_its_source_as_the_path(path: str) -> None:
    assert friend_path_from_source(path) == FriendPath(path)


@pytest.mark.parametrize("source", [None, "", "newsletter", "QR", "<script>"])
def test_r_frd_02_missing_or_unknown_source_counts_as_the_plain_url(source: str | None) -> None:
    assert friend_path_from_source(source) == FriendPath.URL


@pytest.mark.parametrize(("is_friend", "blocked", "active", "reached"), [
    (True, False, True, True),
    (True, True, True, False),    # blocked the account
    (True, False, False, False),  # their Chat-app account is no longer active
    (True, True, False, False),
    (False, False, True, False),  # never added the account
])
def test_r_frd_03_target_reach_is_friends_who_have_not_blocked_and_are_active(
        is_friend: bool, blocked: bool, active: bool, reached: bool) -> None:
    assert is_reachable(is_friend=is_friend, blocked=blocked, active=active) is reached
