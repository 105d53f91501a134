"""Use cases of Business IDs and official accounts on the real database (R-ACC-01..04)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from openoa.accounts import rules
from openoa.accounts import service as accounts
from openoa.accounts.models import (
    BadgeChange,
    BusinessId,
    Invitation,
    Membership,
    OfficialAccount,
    PasswordReset,
)
from openoa.accounts.rules import Permission, Role
from openoa.core import clock as clock_module
from openoa.core.access import SYSTEM, BusinessActor, PersonActor, StaffActor
from openoa.core.db import Database
from openoa.core.errors import Conflict, Invalid, NotAllowed, NotFound
from openoa.core.jobs import Job, run_due_jobs
from openoa.trust import service as trust
from tests import factories
from tests.factories import PASSWORD


def as_actor(bid: BusinessId) -> BusinessActor:
    return BusinessActor(bid.id)


def join(session: Session, acc: OfficialAccount, admin: BusinessId, role: str) -> BusinessId:
    """A new Business ID that joined ``acc`` with ``role`` through an invitation link."""
    newcomer = factories.business(session, name=f"New {role}")
    _, url = accounts.invite_member(session, as_actor(admin), acc.id, role=role)
    accounts.accept_invitation(session, as_actor(newcomer), token_of(url))
    return newcomer


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def staff(session: Session) -> StaffActor:
    member = trust.create_staff(session, SYSTEM, email=f"staff{id(session)}@openoa.local",
                                password=PASSWORD, display_name="Staff")
    return StaffActor(member.id)


@pytest.fixture
def owner(session: Session) -> BusinessId:
    return factories.business(session, name="Owner")


@pytest.fixture
def acc(session: Session, owner: BusinessId) -> OfficialAccount:
    return factories.account(session, owner)


# ---------------------------------------------------------------- R-ACC-01 Business IDs and passwords

def test_r_acc_01_password_is_stored_only_as_a_slow_hash(session: Session) -> None:
    bid = factories.business(session, email="hash@example.com")
    stored = session.scalar(select(BusinessId.password_hash).where(BusinessId.id == bid.id))
    assert stored is not None and stored != PASSWORD and stored.startswith("$argon2id$")
    shown = accounts.business_out(bid).model_dump_json()
    assert PASSWORD not in shown and "argon2" not in shown


def test_r_acc_01_sign_up_normalises_email_and_refuses_a_second_sign_up(session: Session) -> None:
    bid = factories.business(session, email="  Brand@Example.COM ")
    assert bid.email == "brand@example.com"
    with pytest.raises(Conflict) as refused:
        factories.business(session, email="brand@example.com")
    assert refused.value.by_field() == {"email": "A Business ID with this email already exists."}


def test_r_acc_01_sign_up_names_every_bad_field_and_writes_nothing(session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(BusinessId))
    with pytest.raises(Invalid) as refused:
        accounts.sign_up(session, email="not-an-email", password="short", display_name=" ")
    assert set(refused.value.by_field()) == {"email", "password", "display_name"}
    assert session.scalar(select(func.count()).select_from(BusinessId)) == before


def test_r_acc_01_wrong_password_and_unknown_email_get_the_same_answer(session: Session) -> None:
    factories.business(session, email="login@example.com")
    assert accounts.authenticate(session, email="LOGIN@example.com", password=PASSWORD).email == "login@example.com"
    answers = []
    for email, password in (("login@example.com", "wrong-pass-1"), ("nobody@example.com", PASSWORD)):
        with pytest.raises(Invalid) as refused:
            accounts.authenticate(session, email=email, password=password)
        answers.append(refused.value.by_field())
    assert answers[0] == answers[1] == {"password": "The email or password is incorrect."}


def test_r_acc_01_change_password_checks_the_current_one(session: Session) -> None:
    bid = factories.business(session, email="change@example.com")
    with pytest.raises(Invalid) as wrong:
        accounts.change_password(session, as_actor(bid), current="not-it-1", new="new-password-2")
    assert set(wrong.value.by_field()) == {"current_password"}
    with pytest.raises(Invalid) as weak:
        accounts.change_password(session, as_actor(bid), current=PASSWORD, new="password")
    assert set(weak.value.by_field()) == {"new_password"}
    accounts.change_password(session, as_actor(bid), current=PASSWORD, new="new-password-2")
    assert accounts.authenticate(session, email="change@example.com", password="new-password-2").id == bid.id
    with pytest.raises(Invalid):
        accounts.authenticate(session, email="change@example.com", password=PASSWORD)


def test_r_acc_01_chat_app_business_id_has_no_password_of_its_own(session: Session) -> None:
    person = factories.person(session, email="chat@example.com")
    bid = accounts.business_id_for_user(session, person)
    assert bid.password_hash is None and bid.email is None
    assert accounts.business_id_for_user(session, person).id == bid.id, "one Business ID per Chat-app account"
    assert accounts.business_out(bid).kind == "chat_app"
    with pytest.raises(NotAllowed):
        accounts.change_password(session, as_actor(bid), current=PASSWORD, new="new-password-2")


def reset_link_token(mailbox: list[dict[str, str]]) -> str:
    [mail] = mailbox
    match = re.search(r"/console/password/reset/(\S+)", mail["body"])
    assert match, mail["body"]
    return match.group(1)


def test_r_acc_01_forgotten_password_is_replaced_through_a_single_use_link(db: Database, session: Session, mailbox) -> None:  # type: ignore[no-untyped-def]
    bid = factories.business(session, email="forgot@example.com")
    with db.scope() as use_case:  # the mail job runs only once the use case has committed
        accounts.request_password_reset(use_case, email="Forgot@example.com")
    run_due_jobs(db)
    assert mailbox[0]["to"] == "forgot@example.com"
    token = reset_link_token(mailbox)
    assert PASSWORD not in mailbox[0]["body"]
    assert session.scalar(select(PasswordReset.token_hash).where(PasswordReset.business_id == bid.id)) != token

    accounts.check_reset_token(session, token)
    accounts.reset_password(session, token=token, new_password="brand-new-pass-3")
    assert accounts.authenticate(session, email="forgot@example.com", password="brand-new-pass-3").id == bid.id
    with pytest.raises(Invalid) as reused:
        accounts.reset_password(session, token=token, new_password="another-pass-4")
    assert "already used" in reused.value.by_field()["token"]


def test_r_acc_01_reset_link_expires_after_an_hour(db: Database, session: Session, mailbox, clock) -> None:  # type: ignore[no-untyped-def]
    factories.business(session, email="late@example.com")
    with db.scope() as use_case:
        accounts.request_password_reset(use_case, email="late@example.com")
    run_due_jobs(db)
    token = reset_link_token(mailbox)
    clock.advance(minutes=59, seconds=59)
    accounts.check_reset_token(session, token)
    clock.advance(seconds=1)
    with pytest.raises(Invalid) as expired:
        accounts.reset_password(session, token=token, new_password="brand-new-pass-3")
    assert "expired" in expired.value.by_field()["token"]
    assert accounts.authenticate(session, email="late@example.com", password=PASSWORD)


def test_r_acc_01_reset_for_an_unknown_email_sends_nothing_and_says_nothing(session: Session) -> None:
    accounts.request_password_reset(session, email="nobody@example.com")
    assert session.scalar(select(func.count()).select_from(Job).where(Job.name == "mail.send")) == 0
    with pytest.raises(Invalid):
        accounts.request_password_reset(session, email="not an email")


def test_r_acc_01_made_up_reset_token_is_refused(session: Session) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.reset_password(session, token="made-up", new_password="brand-new-pass-3")
    assert set(refused.value.by_field()) == {"token"}


# ---------------------------------------------------------------- R-ACC-02 accounts

def test_r_acc_02_new_account_defaults(session: Session, owner: BusinessId) -> None:
    acc = accounts.create_account(session, as_actor(owner), display_name="  Cafe Aroi ")
    assert re.fullmatch(r"@[0-9]{3}[a-z]{5}", acc.basic_id)
    assert (acc.display_name, acc.badge, acc.package, acc.timezone, acc.premium_id) == (
        "Cafe Aroi", "gray", "free", "Asia/Bangkok", None)
    assert acc.provider_id and acc.created_by == owner.id
    role = session.scalar(select(Membership.role).where(Membership.account_id == acc.id,
                                                        Membership.business_id == owner.id))
    assert role == Role.ADMIN


def test_r_acc_02_one_business_id_is_admin_of_many_accounts(session: Session, owner: BusinessId) -> None:
    first = factories.account(session, owner, name="First")
    second = factories.account(session, owner, name="Second")
    mine = accounts.my_accounts(session, as_actor(owner))
    assert [(a.id, a.role) for a in mine] == [(first.id, "admin"), (second.id, "admin")]
    assert first.basic_id != second.basic_id


def test_r_acc_02_account_name_over_20_characters_is_refused(session: Session, owner: BusinessId) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.create_account(session, as_actor(owner), display_name="x" * 21)
    assert set(refused.value.by_field()) == {"display_name"}
    assert accounts.my_accounts(session, as_actor(owner)) == []


def test_r_acc_03_business_cannot_start_an_account_premium_or_paid(session: Session, owner: BusinessId) -> None:
    for kw in ({"badge": "green"}, {"package": "pro"}):
        with pytest.raises(NotAllowed):
            accounts.create_account(session, as_actor(owner), display_name="Shortcut", **kw)


def test_r_acc_02_operator_at_the_command_line_chooses_package_and_badge(session: Session) -> None:
    acc = accounts.create_account(session, SYSTEM, display_name="Ministry", package="pro", badge="green")
    assert (acc.package, acc.badge) == ("pro", "green")
    with pytest.raises(Invalid) as refused:
        accounts.create_account(session, SYSTEM, display_name="Bad", package="gold", badge="red")
    assert set(refused.value.by_field()) == {"package", "badge"}


def test_r_acc_02_account_is_found_by_its_basic_id_as_people_type_it(session: Session, acc: OfficialAccount) -> None:
    for typed in (acc.basic_id, acc.basic_id[1:], acc.basic_id.upper(), f"  {acc.basic_id} "):
        assert accounts.find_account_by_basic_id(session, typed).id == acc.id
    with pytest.raises(NotFound):
        accounts.find_account_by_basic_id(session, "@000zzzzz")
    with pytest.raises(Invalid):
        accounts.find_account_by_basic_id(session, " ")


# ---------------------------------------------------------------- R-ACC-04 access and roles

def test_r_acc_04_outsider_gets_not_found_exactly_as_for_a_missing_account(session: Session, acc: OfficialAccount) -> None:
    outsider = factories.business(session)
    with pytest.raises(NotFound) as theirs:
        accounts.access_account(session, as_actor(outsider), acc.id)
    with pytest.raises(NotFound) as missing:
        accounts.access_account(session, as_actor(outsider), acc.id + 10_000)
    assert theirs.value.message == missing.value.message
    for use_case in (accounts.account_home, accounts.list_members, accounts.account_applications):
        with pytest.raises(NotFound):
            use_case(session, as_actor(outsider), acc.id)
    with pytest.raises(NotFound):
        accounts.update_account(session, as_actor(outsider), acc.id, display_name="Taken over")


def test_r_acc_04_chat_app_person_is_not_a_member(session: Session, acc: OfficialAccount) -> None:
    person = factories.person(session)
    with pytest.raises(NotFound):
        accounts.access_account(session, PersonActor(person.id), acc.id)


@pytest.mark.parametrize("role", list(Role))
def test_r_acc_04_each_role_is_refused_what_it_lacks_with_the_rule_message(
        session: Session, acc: OfficialAccount, owner: BusinessId, role: Role) -> None:
    member = join(session, acc, owner, role)
    for permission in Permission:
        if rules.role_allows(role, permission):
            assert accounts.access_account(session, as_actor(member), acc.id, permission) == (acc, role)
        else:
            with pytest.raises(NotAllowed) as refused:
                accounts.access_account(session, as_actor(member), acc.id, permission)
            assert refused.value.message == rules.PERMISSION_REFUSALS[permission]


def test_r_acc_04_chat_operator_cannot_open_home_settings_or_members(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    chat = as_actor(join(session, acc, owner, Role.CHAT_OPERATOR))
    with pytest.raises(NotAllowed):
        accounts.account_home(session, chat, acc.id)
    with pytest.raises(NotAllowed):
        accounts.update_account(session, chat, acc.id, display_name="Renamed")
    with pytest.raises(NotAllowed):
        accounts.list_members(session, chat, acc.id)
    assert session.get(OfficialAccount, acc.id).display_name == "Cafe Aroi"  # type: ignore[union-attr]


def test_r_acc_04_operator_edits_settings_but_cannot_manage_members(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    operator = as_actor(join(session, acc, owner, Role.OPERATOR))
    accounts.update_account(session, operator, acc.id, display_name="Cafe Aroi 2", status_message="Open 8-5")
    assert (acc.display_name, acc.status_message) == ("Cafe Aroi 2", "Open 8-5")
    with pytest.raises(NotAllowed) as refused:
        accounts.invite_member(session, operator, acc.id, role=Role.OPERATOR)
    assert refused.value.message == "Only admins can manage members."
    with pytest.raises(NotAllowed):
        accounts.change_member_role(session, operator, acc.id, owner.id, role=Role.CHAT_OPERATOR)
    with pytest.raises(NotAllowed):
        accounts.remove_member(session, operator, acc.id, owner.id)


def test_r_acc_04_operator_without_insights_sees_home_without_numbers(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    no_insights = as_actor(join(session, acc, owner, Role.OPERATOR_NO_INSIGHTS))
    home = accounts.account_home(session, no_insights, acc.id)
    assert (home.can_see_insights, home.friends, home.blocks, home.target_reach) == (False, None, None, None)
    admin_home = accounts.account_home(session, as_actor(owner), acc.id)
    assert (admin_home.can_see_insights, admin_home.friends, admin_home.target_reach) == (True, 0, 0)


def test_r_acc_04_staff_and_the_command_line_see_any_account(session: Session, acc: OfficialAccount) -> None:
    assert accounts.access_account(session, staff(session), acc.id, Permission.MEMBERS) == (acc, Role.ADMIN)
    assert accounts.access_account(session, SYSTEM, acc.id) == (acc, Role.ADMIN)
    with pytest.raises(NotFound):
        accounts.access_account(session, SYSTEM, acc.id + 10_000)


# ---------------------------------------------------------------- R-ACC-04 invitations and members

def test_r_acc_04_invitation_joins_with_its_role_and_works_once(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    invitation, url = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR_NO_BROADCASTS)
    token = token_of(url)
    assert invitation.token_hash != token and token not in url.rsplit("/", 2)[0]
    preview, role = accounts.preview_invitation(session, token)
    assert (preview.id, role) == (acc.id, Role.OPERATOR_NO_BROADCASTS)

    first, second = factories.business(session), factories.business(session)
    assert accounts.accept_invitation(session, as_actor(first), token).id == acc.id
    assert accounts.access_account(session, as_actor(first), acc.id)[1] == Role.OPERATOR_NO_BROADCASTS
    with pytest.raises(Invalid) as reused:
        accounts.accept_invitation(session, as_actor(second), token)
    assert "already used" in reused.value.by_field()["token"]
    with pytest.raises(NotFound):
        accounts.access_account(session, as_actor(second), acc.id)


def test_r_acc_04_invitation_expires_after_7_days(session: Session, acc: OfficialAccount, owner: BusinessId, clock) -> None:  # type: ignore[no-untyped-def]
    _, early = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    _, late = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    clock.advance(days=7, seconds=-1)
    accounts.accept_invitation(session, as_actor(factories.business(session)), token_of(early))
    clock.advance(seconds=1)
    with pytest.raises(Invalid) as expired:
        accounts.accept_invitation(session, as_actor(factories.business(session)), token_of(late))
    assert "expired" in expired.value.by_field()["token"]


def test_r_acc_04_member_cannot_accept_an_invitation_twice(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    _, url = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    with pytest.raises(Conflict):
        accounts.accept_invitation(session, as_actor(owner), token_of(url))
    assert session.scalar(select(Invitation.used_at).where(Invitation.account_id == acc.id)) is None


def test_r_acc_04_invitation_role_must_be_one_of_the_five(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.invite_member(session, as_actor(owner), acc.id, role="owner")
    assert set(refused.value.by_field()) == {"role"}


def fill_with_members(session: Session, acc: OfficialAccount, until: int) -> None:
    """Bring ``acc`` to ``until`` members in one statement each (sign-ups would hash a hundred passwords)."""
    have = session.scalar(select(func.count()).select_from(Membership).where(Membership.account_id == acc.id)) or 0
    now = clock_module.now()
    for n in range(until - have):
        bid_id = session.execute(insert(BusinessId).values(
            email=f"filler{n}-{acc.id}@example.com", display_name=f"Filler {n}", created_at=now)
            .returning(BusinessId.id)).scalar_one()
        session.execute(insert(Membership).values(account_id=acc.id, business_id=bid_id, role=Role.CHAT_OPERATOR,
                                                  created_at=now))


def test_r_acc_04_an_account_has_at_most_100_members(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    fill_with_members(session, acc, rules.MAX_MEMBERS - 1)
    _, first = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    _, second = accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    accounts.accept_invitation(session, as_actor(factories.business(session)), token_of(first))
    assert len(accounts.list_members(session, as_actor(owner), acc.id)) == 100

    latecomer = factories.business(session)
    with pytest.raises(Invalid) as full:
        accounts.accept_invitation(session, as_actor(latecomer), token_of(second))
    assert "100 members" in full.value.message
    with pytest.raises(NotFound):
        accounts.access_account(session, as_actor(latecomer), acc.id)
    with pytest.raises(Invalid) as no_more:
        accounts.invite_member(session, as_actor(owner), acc.id, role=Role.OPERATOR)
    assert "100 members" in no_more.value.message


def test_r_acc_04_last_admin_cannot_be_demoted_or_removed(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    with pytest.raises(Invalid) as demote:
        accounts.change_member_role(session, as_actor(owner), acc.id, owner.id, role=Role.OPERATOR)
    assert set(demote.value.by_field()) == {"role"}
    with pytest.raises(Invalid):
        accounts.remove_member(session, as_actor(owner), acc.id, owner.id)
    assert accounts.access_account(session, as_actor(owner), acc.id)[1] == Role.ADMIN

    second_admin = join(session, acc, owner, Role.ADMIN)
    accounts.change_member_role(session, as_actor(second_admin), acc.id, owner.id, role=Role.OPERATOR)
    assert accounts.access_account(session, as_actor(owner), acc.id)[1] == Role.OPERATOR
    with pytest.raises(Invalid):
        accounts.remove_member(session, as_actor(second_admin), acc.id, second_admin.id)


def test_r_acc_04_admin_changes_roles_and_removes_members(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    member = join(session, acc, owner, Role.OPERATOR)
    accounts.change_member_role(session, as_actor(owner), acc.id, member.id, role=Role.CHAT_OPERATOR)
    assert accounts.access_account(session, as_actor(member), acc.id)[1] == Role.CHAT_OPERATOR
    with pytest.raises(Invalid):
        accounts.change_member_role(session, as_actor(owner), acc.id, member.id, role="superuser")
    accounts.remove_member(session, as_actor(owner), acc.id, member.id)
    with pytest.raises(NotFound):
        accounts.access_account(session, as_actor(member), acc.id)
    with pytest.raises(NotFound):
        accounts.remove_member(session, as_actor(owner), acc.id, member.id)


# ---------------------------------------------------------------- R-ACC-03 verification and badges

def apply(session: Session, actor: BusinessActor, acc: OfficialAccount):  # type: ignore[no-untyped-def]
    return accounts.apply_for_verification(session, actor, acc.id, applicant_name="Malee",
                                           applicant_email="malee@example.com", business_name="Aroi Co., Ltd.",
                                           website="https://aroi.example")


def badge_changes(session: Session, acc: OfficialAccount) -> list[tuple[str, str, int | None, str]]:
    rows = session.scalars(select(BadgeChange).where(BadgeChange.account_id == acc.id).order_by(BadgeChange.id))
    return [(r.from_badge, r.to_badge, r.staff_id, r.reason) for r in rows]


def test_r_acc_03_application_returns_a_reference_number_and_staff_approval_makes_it_blue(
        session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    application = apply(session, as_actor(owner), acc)
    assert re.fullmatch(r"VA-[0-9]{10}", application.reference_number)
    assert (application.status, acc.badge) == ("pending", "gray")

    reviewer = staff(session)
    pending = accounts.list_applications(session, reviewer)
    assert [a.reference_number for a in pending] == [application.reference_number]

    decided = accounts.decide_application(session, reviewer, application.id, approve=True)
    assert (decided.status, decided.badge, acc.badge) == ("approved", "blue", "blue")
    assert badge_changes(session, acc) == [
        ("gray", "blue", reviewer.staff_id, f"verification {application.reference_number}")]
    assert accounts.list_applications(session, reviewer) == []
    with pytest.raises(Conflict):
        accounts.decide_application(session, reviewer, application.id, approve=False)
    with pytest.raises(Invalid) as again:
        apply(session, as_actor(owner), acc)
    assert again.value.message == "This account is already verified."


def test_r_acc_03_rejected_application_leaves_the_badge_gray_and_may_be_retried(
        session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    application = apply(session, as_actor(owner), acc)
    with pytest.raises(Conflict):
        apply(session, as_actor(owner), acc)  # one application under review at a time
    accounts.decide_application(session, staff(session), application.id, approve=False)
    assert acc.badge == "gray" and badge_changes(session, acc) == []
    assert apply(session, as_actor(owner), acc).reference_number != application.reference_number


def test_r_acc_03_only_admins_apply_and_only_staff_decide(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    operator = as_actor(join(session, acc, owner, Role.OPERATOR))
    with pytest.raises(NotAllowed) as refused:
        apply(session, operator, acc)
    assert refused.value.message == "Only admins can apply for verification."
    application = apply(session, as_actor(owner), acc)
    for not_staff in (as_actor(owner), SYSTEM):
        with pytest.raises(NotFound):
            accounts.decide_application(session, not_staff, application.id, approve=True)
        with pytest.raises(NotFound):
            accounts.list_applications(session, not_staff)
    assert acc.badge == "gray"


def test_r_acc_03_application_names_each_missing_field(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    with pytest.raises(Invalid) as refused:
        accounts.apply_for_verification(session, as_actor(owner), acc.id, applicant_name=" ",
                                        applicant_email="nope", business_name="", website="aroi.example")
    assert set(refused.value.by_field()) == {"applicant_name", "applicant_email", "business_name", "website"}
    assert accounts.account_applications(session, as_actor(owner), acc.id) == []


def test_r_acc_03_premium_green_is_granted_by_staff_only_and_audited(session: Session, acc: OfficialAccount, owner: BusinessId) -> None:
    with pytest.raises(NotFound):
        accounts.grant_premium(session, as_actor(owner), acc.id)
    reviewer = staff(session)
    accounts.grant_premium(session, reviewer, acc.id)
    assert acc.badge == "green"
    assert badge_changes(session, acc) == [("gray", "green", reviewer.staff_id, "premium granted")]
    accounts.grant_premium(session, reviewer, acc.id)
    assert len(badge_changes(session, acc)) == 1, "granting again changes nothing"
    with pytest.raises(Invalid):
        apply(session, as_actor(owner), acc)


def test_r_acc_03_badge_change_is_stamped_with_the_time(session: Session, acc: OfficialAccount, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(days=3)
    accounts.grant_premium(session, staff(session), acc.id)
    stamped = session.scalar(select(BadgeChange.created_at).where(BadgeChange.account_id == acc.id))
    assert stamped == clock.now()
    assert clock.now() - acc.created_at == timedelta(days=3)
