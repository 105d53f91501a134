"""Pure rules of Business IDs and official accounts (no database)."""

from __future__ import annotations

import pytest

from openoa.accounts import rules
from openoa.accounts.rules import Badge, Permission, Role, role_allows
from openoa.core import credentials

EVERYTHING = set(Permission)
OPERATOR = {Permission.HOME, Permission.CHAT, Permission.BROADCASTS, Permission.INSIGHTS, Permission.SETTINGS}


@pytest.mark.parametrize(("role", "allowed"), [
    (Role.ADMIN, EVERYTHING),
    (Role.OPERATOR, OPERATOR),
    (Role.OPERATOR_NO_BROADCASTS, OPERATOR - {Permission.BROADCASTS}),
    (Role.OPERATOR_NO_INSIGHTS, OPERATOR - {Permission.INSIGHTS}),
    (Role.CHAT_OPERATOR, {Permission.CHAT}),
])
def test_r_acc_04_each_role_has_exactly_its_permissions(role: Role, allowed: set[Permission]) -> None:
    assert {p for p in Permission if role_allows(role, p)} == allowed
    assert {p for p in Permission if role_allows(role.value, p)} == allowed


def test_r_acc_04_only_admins_manage_members_and_billing() -> None:
    for permission in (Permission.MEMBERS, Permission.BILLING, Permission.VERIFICATION):
        assert [r for r in Role if role_allows(r, permission)] == [Role.ADMIN]


def test_r_acc_04_chat_operator_cannot_open_home_broadcasts_or_insights() -> None:
    for permission in (Permission.HOME, Permission.BROADCASTS, Permission.INSIGHTS, Permission.SETTINGS):
        assert not role_allows(Role.CHAT_OPERATOR, permission)


def test_r_acc_04_every_role_can_chat() -> None:
    assert all(role_allows(r, Permission.CHAT) for r in Role)


def test_r_acc_04_unknown_role_is_allowed_nothing() -> None:
    assert not any(role_allows("owner", p) for p in Permission)
    assert not any(role_allows("", p) for p in Permission)


def test_r_acc_04_every_refusal_has_a_message_and_every_role_a_label() -> None:
    assert set(rules.PERMISSION_REFUSALS) == EVERYTHING
    assert all(message.endswith(".") for message in rules.PERMISSION_REFUSALS.values())
    assert set(rules.ROLE_LABELS) == set(Role)


def test_r_acc_04_member_cap_and_invitation_lifetime() -> None:
    assert rules.MAX_MEMBERS == 100
    assert rules.INVITATION_VALID_FOR.days == 7


def test_r_acc_03_accounts_start_gray() -> None:
    assert rules.INITIAL_BADGE == Badge.GRAY


def test_r_acc_03_only_a_gray_account_can_apply_for_verification() -> None:
    assert rules.can_apply_for_verification(Badge.GRAY)
    assert not rules.can_apply_for_verification(Badge.BLUE)
    assert not rules.can_apply_for_verification(Badge.GREEN)


def test_r_acc_03_approval_makes_gray_blue_and_never_lowers_green() -> None:
    assert rules.badge_after_approval(Badge.GRAY) == Badge.BLUE
    assert rules.badge_after_approval(Badge.BLUE) == Badge.BLUE
    assert rules.badge_after_approval(Badge.GREEN) == Badge.GREEN


def test_r_acc_02_new_accounts_default_to_free_in_bangkok_time() -> None:
    assert rules.DEFAULT_PACKAGE == rules.Package.FREE
    assert rules.DEFAULT_TIMEZONE == "Asia/Bangkok"


@pytest.mark.parametrize(("name", "ok"), [
    ("A" * 20, True),
    ("A" * 21, False),
    ("Cafe Aroi", True),
    ("  " + "B" * 20 + "  ", True),  # surrounding spaces are trimmed before counting
    ("", False),
    ("   ", False),
    ("ร้านกาแฟอร่อยมาก", True),
])
def test_r_acc_02_account_name_is_required_and_at_most_20_characters(name: str, ok: bool) -> None:
    assert (rules.account_name_problem(name) is None) is ok


@pytest.mark.parametrize(("password", "problem"), [
    ("correct-horse-9", None),
    ("abcdefg1", None),
    ("Sh0rt!", "at least 8"),
    ("a1" * 64 + "x", "at most 128"),
    ("password", "too common"),
    ("PASSWORD1", "too common"),
    ("onlyletters", "Mix letters"),
    ("1234567890", "Mix letters"),
])
def test_r_acc_01_password_strength(password: str, problem: str | None) -> None:
    found = credentials.password_problem(password)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


@pytest.mark.parametrize(("email", "ok"), [
    ("name@example.com", True),
    ("first.last+tag@sub.example.co.th", True),
    ("", False),
    ("name@", False),
    ("@example.com", False),
    ("name@example", False),
    ("two@@example.com", False),
    ("spa ce@example.com", False),
    ("x" * 65 + "@example.com", False),
    ("a@" + "b" * 250 + ".com", False),
])
def test_r_acc_01_email_must_look_like_an_address(email: str, ok: bool) -> None:
    assert (credentials.email_problem(email) is None) is ok


def test_r_acc_01_emails_are_compared_trimmed_and_lowercased() -> None:
    assert credentials.normalise_email("  Name@Example.COM ") == "name@example.com"


# ---------------------------------------------------------------- the shared feature gate

@pytest.mark.parametrize("package", ["free", "basic", "pro"])
@pytest.mark.parametrize("badge", ["gray", "blue", "green"])
def test_r_acc_03_r_call_05_every_gated_feature_opens_exactly_for_its_packages_and_badges(package, badge):
    opened = {f for f in rules.Feature if rules.feature_refusal(f, package=package, badge=badge) is None}
    paid, verified, premium = package in ("basic", "pro"), badge in ("blue", "green"), badge == "green"
    assert (rules.Feature.CALL_REROUTING in opened) == paid  # R-CALL-05
    assert (rules.Feature.ADDITIONAL_MESSAGES in opened) == paid  # R-MSG-04
    for feature in (rules.Feature.FOLLOWER_IDS_API, rules.Feature.NPS_OPEN_ANSWER, rules.Feature.POSTER_MASCOT,
                    rules.Feature.GAIN_FRIENDS_ADS, rules.Feature.PUBLIC_PROFILE):
        assert (feature in opened) == verified, feature
    assert (rules.Feature.LIVE in opened) == premium  # R-GAIN-06


def test_r_acc_03_a_closed_gate_says_what_it_needs_and_what_the_account_has():
    assert rules.feature_refusal(rules.Feature.CALL_REROUTING, package="free", badge="green") == (
        "Call rerouting to a phone number needs the Basic or Pro package; this account is on Free.")
    assert rules.feature_refusal(rules.Feature.LIVE, package="pro", badge="blue") == (
        "LIVE and On-Air needs a premium (green) badge; this account is verified (blue).")
    assert rules.feature_refusal(rules.Feature.FOLLOWER_IDS_API, package="pro", badge="gray") == (
        "Follower IDs in the Messaging API needs a verified (blue) or premium (green) badge; "
        "this account is unverified (gray).")
    assert all(gate.rule.startswith("R-") for gate in rules.FEATURE_GATES.values())
