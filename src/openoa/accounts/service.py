"""Use cases of Business IDs and official accounts: sign-up, login, passwords, accounts,
members and invitations, verification and badges (R-ACC-01..04)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openoa.accounts import rules
from openoa.accounts.models import (
    BadgeChange,
    BusinessId,
    Invitation,
    Membership,
    OfficialAccount,
    PasswordReset,
    VerificationApplication,
)
from openoa.accounts.rules import Permission, Role
from openoa.accounts.schemas import (
    AccountOut,
    ApplicationOut,
    BusinessIdOut,
    FeatureOut,
    FriendPathCount,
    HomeOut,
    InvitationOut,
    MemberOut,
    MembersOut,
    SettingsOut,
)
from openoa.core import clock, credentials, ids, images
from openoa.core.access import Actor, BusinessActor, PersonActor, StaffActor, SystemActor
from openoa.core.errors import Conflict, FieldError, Invalid, NotAllowed, NotFound
from openoa.core.security import hash_password, hash_token, verify_password
from openoa.core.settings import get_settings
from openoa.friends import queries as friend_queries
from openoa.integrations.mail import queue_mail
from openoa.integrations.storage import current_storage
from openoa.users import service as users_service
from openoa.users.models import User

# ---------------------------------------------------------------- Business IDs

def business_out(bid: BusinessId) -> BusinessIdOut:
    return BusinessIdOut(id=bid.id, display_name=bid.display_name, email=bid.email,
                         kind="chat_app" if bid.user_id else "business")


def sign_up(session: Session, *, email: str, password: str, display_name: str) -> BusinessId:
    """Register a business account (email + password)."""
    email = credentials.normalise_email(email)
    errors = []
    if (p := credentials.email_problem(email)):
        errors.append(FieldError("email", p))
    if (p := credentials.password_problem(password)):
        errors.append(FieldError("password", p))
    if not display_name.strip():
        errors.append(FieldError("display_name", "Enter your name."))
    elif len(display_name.strip()) > 50:
        errors.append(FieldError("display_name", "Use at most 50 characters."))
    if errors:
        raise Invalid(errors)
    if session.scalar(select(BusinessId.id).where(BusinessId.email == email)) is not None:
        raise Conflict(field="email", reason="A Business ID with this email already exists.")
    bid = BusinessId(email=email, password_hash=hash_password(password),
                     display_name=display_name.strip(), created_at=clock.now())
    session.add(bid)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(field="email", reason="A Business ID with this email already exists.") from exc
    return bid


def authenticate(session: Session, *, email: str, password: str) -> BusinessId:
    """The Business ID with these credentials; the same message for unknown email or wrong password."""
    bid = session.scalar(select(BusinessId).where(BusinessId.email == credentials.normalise_email(email)))
    if not verify_password(bid.password_hash if bid else None, password) or bid is None:
        raise Invalid(field="password", reason="The email or password is incorrect.")
    return bid


def business_id_for_user(session: Session, user: User) -> BusinessId:
    """The Business ID that is this Chat-app account, made on first console login (R-ACC-01)."""
    bid = session.scalar(select(BusinessId).where(BusinessId.user_id == user.id))
    if bid is None:
        bid = BusinessId(user_id=user.id, display_name=user.display_name[:50], created_at=clock.now())
        session.add(bid)
        session.flush()
    return bid


def chat_app_business_id(session: Session, *, email: str, password: str) -> BusinessId:
    """The Business ID of a Chat-app account, proven by that account's own credentials (R-ACC-01)."""
    user = users_service.authenticate(session, email=email, password=password)
    return business_id_for_user(session, user)


def business_id_for_person(session: Session, actor: PersonActor) -> BusinessId:
    """The Business ID of the person already logged in to the Chat app ("Continue as …")."""
    return business_id_for_user(session, users_service.get_me(session, actor))


def get_business_id(session: Session, actor: BusinessActor) -> BusinessId:
    bid = session.get(BusinessId, actor.business_id)
    if bid is None:
        raise NotFound("This Business ID no longer exists.")
    return bid


def change_password(session: Session, actor: BusinessActor, *, current: str, new: str) -> BusinessId:
    """Replace the password after checking the current one; chat-app logins change theirs in the app."""
    bid = get_business_id(session, actor)
    if bid.user_id is not None:
        raise NotAllowed("You log in with your Chat-app account; change its password in the Chat app.")
    if not verify_password(bid.password_hash, current):
        raise Invalid(field="current_password", reason="The current password is incorrect.")
    if (p := credentials.password_problem(new)):
        raise Invalid(field="new_password", reason=p)
    bid.password_hash = hash_password(new)
    session.flush()
    return bid


def request_password_reset(session: Session, *, email: str) -> None:
    """Mail a single-use reset link if the email is known; says nothing either way."""
    email = credentials.normalise_email(email)
    if (p := credentials.email_problem(email)):
        raise Invalid(field="email", reason=p)
    bid = session.scalar(select(BusinessId).where(BusinessId.email == email))
    if bid is None:
        return
    token = ids.token()
    now = clock.now()
    session.add(PasswordReset(business_id=bid.id, token_hash=hash_token(token), created_at=now,
                              expires_at=now + rules.PASSWORD_RESET_VALID_FOR))
    session.flush()
    link = f"{get_settings().base_url}/console/password/reset/{token}"
    minutes = int(rules.PASSWORD_RESET_VALID_FOR.total_seconds() // 60)
    queue_mail(session, email, "Reset your OpenOA password",
               f"Hello {bid.display_name},\n\nOpen this link to choose a new password:\n{link}\n\n"
               f"The link works once and expires in {minutes} minutes. If you did not ask for it, "
               "ignore this mail; your password stays as it is.\n")


def _live_reset(session: Session, token: str) -> PasswordReset:
    reset = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_token(token)))
    if reset is None or reset.used_at is not None:
        raise Invalid(field="token", reason="This reset link is not valid or was already used. Ask for a new one.")
    if reset.expires_at <= clock.now():
        raise Invalid(field="token", reason="This reset link has expired. Ask for a new one.")
    return reset


def check_reset_token(session: Session, token: str) -> None:
    _live_reset(session, token)


def reset_password(session: Session, *, token: str, new_password: str) -> BusinessId:
    """Set a new password from a reset link; the link then stops working, as do all sessions."""
    reset = _live_reset(session, token)
    if (p := credentials.password_problem(new_password)):
        raise Invalid(field="new_password", reason=p)
    bid = session.get(BusinessId, reset.business_id)
    assert bid is not None  # FK
    bid.password_hash = hash_password(new_password)
    reset.used_at = clock.now()
    session.flush()
    return bid


# ---------------------------------------------------------------- accounts and access

def add_friend_url(basic_id: str, source: str | None = None) -> str:
    """The account's add-friend link; ``source`` (a friend path) lands in ``?src=`` (R-FRD-02)."""
    url = f"{get_settings().base_url}/add/{basic_id}"
    return f"{url}?src={source}" if source else url


def package_now(account: OfficialAccount) -> str:
    """The account's package now: a downgrade scheduled for a month that has begun counts (R-BILL-02)."""
    return rules.package_in_force(account.package, account.next_package, account.next_package_from, clock.now())


def account_out(account: OfficialAccount, role: str | None = None) -> AccountOut:
    storage = current_storage()
    return AccountOut(
        id=account.id, basic_id=account.basic_id, premium_id=account.premium_id,
        display_name=account.display_name, status_message=account.status_message,
        profile_image_url=storage.url(account.profile_image) if account.profile_image else None,
        timezone=account.timezone, badge=account.badge, add_friend_url=add_friend_url(account.basic_id), role=role,
        package=package_now(account))


def access_account(session: Session, actor: Actor, account_id: int,
                   permission: Permission | None = None) -> tuple[OfficialAccount, str]:
    """The account and the actor's role in it; NotFound for outsiders, NotAllowed for a role that lacks ``permission``."""
    if isinstance(actor, SystemActor | StaffActor):
        account = session.get(OfficialAccount, account_id)
        if account is None:
            raise NotFound("No such account.")
        return account, Role.ADMIN
    if not isinstance(actor, BusinessActor):
        raise NotFound("No such account.")
    row = session.execute(
        select(OfficialAccount, Membership.role)
        .join(Membership, Membership.account_id == OfficialAccount.id)
        .where(OfficialAccount.id == account_id, Membership.business_id == actor.business_id)
    ).first()
    if row is None:
        raise NotFound("No such account.")
    account, role = row
    if permission is not None and not rules.role_allows(role, permission):
        raise NotAllowed(rules.PERMISSION_REFUSALS[permission])
    return account, role


def features_of(account: OfficialAccount) -> list[FeatureOut]:
    """Every feature OpenOA has that is gated by package or badge, and why this account may not use it."""
    package = package_now(account)
    out = []
    for feature, gate in rules.FEATURE_GATES.items():
        if not gate.built:
            continue
        needs = rules.feature_needs(feature, package=package, badge=account.badge)
        out.append(FeatureOut(feature=feature, label=gate.label, rule=gate.rule, available=needs is None, needs=needs,
                              refusal=rules.feature_refusal(feature, package=package, badge=account.badge)))
    return out


def find_account_by_basic_id(session: Session, basic_id: str) -> OfficialAccount:
    """An account by its basic or premium ID, as people type it (with or without '@')."""
    key = basic_id.strip().lower()
    if not key:
        raise Invalid(field="basic_id", reason="Enter a basic ID, like @123abcde.")
    if not key.startswith("@"):
        key = "@" + key
    account = session.scalar(select(OfficialAccount).where(
        (OfficialAccount.basic_id == key) | (OfficialAccount.premium_id == key)))
    if account is None:
        raise NotFound(f"No account has the ID {key}.")
    return account


def _new_basic_id(session: Session) -> str:
    for _ in range(20):
        candidate = ids.basic_id()
        if session.scalar(select(OfficialAccount.id).where(OfficialAccount.basic_id == candidate)) is None:
            return candidate
    raise RuntimeError("could not find a free basic ID")  # 10^3 * 26^5 ids: practically unreachable


def create_account(session: Session, actor: Actor, *, display_name: str, image: bytes | None = None,
                   package: str = rules.DEFAULT_PACKAGE, badge: str = rules.INITIAL_BADGE,
                   admin_business_id: int | None = None) -> OfficialAccount:
    """Create an official account; its creator becomes its admin (R-ACC-02).

    Only the platform operator (CLI) may start an account on another package or badge.
    """
    errors = []
    if (p := rules.account_name_problem(display_name)):
        errors.append(FieldError("display_name", p))
    if package not in rules.Package.__members__.values():
        errors.append(FieldError("package", "Choose free, basic or pro."))
    if badge not in rules.Badge.__members__.values():
        errors.append(FieldError("badge", "Choose gray, blue or green."))
    png = None
    if image:
        try:
            png = images.profile_image(image)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid(errors)
    if isinstance(actor, BusinessActor):
        if package != rules.DEFAULT_PACKAGE or badge != rules.INITIAL_BADGE:
            raise NotAllowed("New accounts start on the Free package with a gray badge.")
        admin_business_id = actor.business_id
    elif not isinstance(actor, SystemActor):
        raise NotAllowed("Log in with a Business ID to create an account.")
    account = OfficialAccount(
        basic_id=_new_basic_id(session), display_name=display_name.strip(), status_message="",
        timezone=rules.DEFAULT_TIMEZONE, package=package, badge=badge, provider_id=ids.provider_id(),
        created_by=admin_business_id, created_at=clock.now(),
        profile_image=current_storage().save(png, suffix="png") if png else None)
    session.add(account)
    session.flush()
    if admin_business_id is not None:
        session.add(Membership(account_id=account.id, business_id=admin_business_id, role=Role.ADMIN,
                               created_at=clock.now()))
        session.flush()
    return account


def my_accounts(session: Session, actor: BusinessActor) -> list[AccountOut]:
    rows = session.execute(
        select(OfficialAccount, Membership.role)
        .join(Membership, Membership.account_id == OfficialAccount.id)
        .where(Membership.business_id == actor.business_id)
        .order_by(OfficialAccount.display_name, OfficialAccount.id)
    ).all()
    return [account_out(a, role) for a, role in rows]


def account_home(session: Session, actor: Actor, account_id: int) -> HomeOut:
    """The account's home: friends, blocks and target reach for roles that see insights."""
    account, role = access_account(session, actor, account_id, Permission.HOME)
    sees = rules.role_allows(role, Permission.INSIGHTS)
    friends = blocks = reach = paths = None
    if sees:
        row = session.execute(friend_queries.friend_counts(account.id)).one()
        friends, blocks, reach = int(row.friends or 0), int(row.blocks or 0), int(row.target_reach or 0)
        paths = [FriendPathCount(path=p, friends=n)
                 for p, n in session.execute(friend_queries.friends_by_path(account.id)).all()]
    return HomeOut(account=account_out(account, role), role=role, can_see_insights=sees,
                   friends=friends, blocks=blocks, target_reach=reach, friend_paths=paths)


def update_account(session: Session, actor: Actor, account_id: int, *, display_name: str | None = None,
                   status_message: str | None = None, image: bytes | None = None) -> OfficialAccount:
    """Change the account's name, status message or profile image (R-ACC-02)."""
    account, _ = access_account(session, actor, account_id, Permission.SETTINGS)
    errors = []
    if display_name is not None and (p := rules.account_name_problem(display_name)):
        errors.append(FieldError("display_name", p))
    if status_message is not None and len(status_message) > 500:
        errors.append(FieldError("status_message", "Use at most 500 characters."))
    png = None
    if image:
        try:
            png = images.profile_image(image)
        except Invalid as exc:
            errors += exc.errors
    if errors:
        raise Invalid(errors)
    if display_name is not None:
        account.display_name = display_name.strip()
    if status_message is not None:
        account.status_message = status_message
    if png is not None:
        account.profile_image = current_storage().save(png, suffix="png")
    session.flush()
    return account


# ---------------------------------------------------------------- members and invitations

def list_members(session: Session, actor: Actor, account_id: int) -> list[MemberOut]:
    account, _ = access_account(session, actor, account_id, Permission.MEMBERS)
    rows = session.execute(
        select(Membership, BusinessId)
        .join(BusinessId, BusinessId.id == Membership.business_id)
        .where(Membership.account_id == account.id)
        .order_by(Membership.created_at, Membership.id)
    ).all()
    return [MemberOut(business_id=b.id, display_name=b.display_name, email=b.email, role=m.role,
                      joined_at=m.created_at) for m, b in rows]


def account_members(session: Session, actor: Actor, account_id: int) -> MembersOut:
    """The members page: the account, its members and the invitations sent (admins only)."""
    account, role = access_account(session, actor, account_id, Permission.MEMBERS)
    return MembersOut(account=account_out(account, role), members=list_members(session, actor, account_id),
                      invitations=list_invitations(session, actor, account_id))


def _member_count(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Membership)
                              .where(Membership.account_id == account_id)) or 0)


def invite_member(session: Session, actor: Actor, account_id: int, *, role: str) -> tuple[Invitation, str]:
    """A single-use invitation link for ``role``, valid 7 days; returns it with its URL."""
    account, _ = access_account(session, actor, account_id, Permission.MEMBERS)
    if role not in Role.__members__.values():
        raise Invalid(field="role", reason="Choose one of the roles.")
    if _member_count(session, account.id) >= rules.MAX_MEMBERS:
        raise Invalid(field="role", reason=f"An account can have at most {rules.MAX_MEMBERS} members.")
    token = ids.token()
    now = clock.now()
    by = actor.business_id if isinstance(actor, BusinessActor) else None
    if by is None:
        raise NotAllowed("Only a member can invite.")
    invitation = Invitation(account_id=account.id, role=role, token_hash=hash_token(token), created_by=by,
                            created_at=now, expires_at=now + rules.INVITATION_VALID_FOR)
    session.add(invitation)
    session.flush()
    return invitation, f"{get_settings().base_url}/console/invitations/{token}"


def list_invitations(session: Session, actor: Actor, account_id: int) -> list[InvitationOut]:
    account, _ = access_account(session, actor, account_id, Permission.MEMBERS)
    rows = session.scalars(select(Invitation).where(Invitation.account_id == account.id)
                           .order_by(Invitation.created_at.desc())).all()
    return [InvitationOut(id=i.id, role=i.role, url=None, expires_at=i.expires_at, used=i.used_at is not None)
            for i in rows]


def _live_invitation(session: Session, token: str) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or invitation.used_at is not None:
        raise Invalid(field="token", reason="This invitation link is not valid or was already used.")
    if invitation.expires_at <= clock.now():
        raise Invalid(field="token", reason="This invitation link has expired. Ask the admin for a new one.")
    return invitation


def preview_invitation(session: Session, token: str) -> tuple[AccountOut, str]:
    """Which account and role an invitation link offers (shown before accepting)."""
    invitation = _live_invitation(session, token)
    account = session.get(OfficialAccount, invitation.account_id)
    assert account is not None
    return account_out(account), invitation.role


def accept_invitation(session: Session, actor: BusinessActor, token: str) -> OfficialAccount:
    """Join the account with the invitation's role; the link then stops working."""
    invitation = _live_invitation(session, token)
    account = session.get(OfficialAccount, invitation.account_id)
    assert account is not None
    existing = session.scalar(select(Membership).where(Membership.account_id == account.id,
                                                       Membership.business_id == actor.business_id))
    if existing is not None:
        raise Conflict(field="token", reason="You are already a member of this account.")
    if _member_count(session, account.id) >= rules.MAX_MEMBERS:
        raise Invalid(field="token", reason=f"This account already has {rules.MAX_MEMBERS} members.")
    invitation.used_at = clock.now()
    invitation.used_by = actor.business_id
    session.add(Membership(account_id=account.id, business_id=actor.business_id, role=invitation.role,
                           created_at=clock.now()))
    session.flush()
    return account


def _admins(session: Session, account_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Membership).where(
        Membership.account_id == account_id, Membership.role == Role.ADMIN)) or 0)


def change_member_role(session: Session, actor: Actor, account_id: int, business_id: int, *, role: str) -> None:
    """Give a member another role; an account always keeps at least one admin."""
    account, _ = access_account(session, actor, account_id, Permission.MEMBERS)
    if role not in Role.__members__.values():
        raise Invalid(field="role", reason="Choose one of the roles.")
    member = session.scalar(select(Membership).where(Membership.account_id == account.id,
                                                     Membership.business_id == business_id))
    if member is None:
        raise NotFound("No such member.")
    if member.role == Role.ADMIN and role != Role.ADMIN and _admins(session, account.id) <= 1:
        raise Invalid(field="role", reason="The account needs at least one admin.")
    member.role = role
    session.flush()


def remove_member(session: Session, actor: Actor, account_id: int, business_id: int) -> None:
    account, _ = access_account(session, actor, account_id, Permission.MEMBERS)
    member = session.scalar(select(Membership).where(Membership.account_id == account.id,
                                                     Membership.business_id == business_id))
    if member is None:
        raise NotFound("No such member.")
    if member.role == Role.ADMIN and _admins(session, account.id) <= 1:
        raise Invalid(field="business_id", reason="The last admin cannot be removed.")
    session.delete(member)
    session.flush()


# ---------------------------------------------------------------- verification and badges

def _application_out(app: VerificationApplication, account: OfficialAccount) -> ApplicationOut:
    return ApplicationOut(id=app.id, account_id=account.id, account_name=account.display_name,
                          basic_id=account.basic_id, reference_number=app.reference_number,
                          applicant_name=app.applicant_name, applicant_email=app.applicant_email,
                          business_name=app.business_name, website=app.website, status=app.status,
                          created_at=app.created_at, badge=account.badge)


def apply_for_verification(session: Session, actor: BusinessActor, account_id: int, *, applicant_name: str,
                           applicant_email: str, business_name: str, website: str = "") -> ApplicationOut:
    """An admin asks for the blue badge; returns the application with its reference number."""
    account, _ = access_account(session, actor, account_id, Permission.VERIFICATION)
    if not rules.can_apply_for_verification(account.badge):
        raise Invalid(field="account", reason="This account is already verified.")
    pending = session.scalar(select(VerificationApplication).where(
        VerificationApplication.account_id == account.id, VerificationApplication.status == "pending"))
    if pending is not None:
        raise Conflict(field="account",
                       reason=f"An application is already under review ({pending.reference_number}).")
    errors = []
    if not applicant_name.strip():
        errors.append(FieldError("applicant_name", "Enter the applicant's name."))
    email = credentials.normalise_email(applicant_email)
    if (p := credentials.email_problem(email)):
        errors.append(FieldError("applicant_email", p))
    if not business_name.strip():
        errors.append(FieldError("business_name", "Enter the business or organisation name."))
    if website and not website.startswith(("http://", "https://")):
        errors.append(FieldError("website", "Enter a web address starting with http:// or https://."))
    if errors:
        raise Invalid(errors)
    app = VerificationApplication(
        account_id=account.id, reference_number=ids.reference_number(), applicant_name=applicant_name.strip(),
        applicant_email=email, business_name=business_name.strip(), website=website.strip(),
        status="pending", submitted_by=actor.business_id, created_at=clock.now())
    session.add(app)
    session.flush()
    return _application_out(app, account)


def account_applications(session: Session, actor: Actor, account_id: int) -> list[ApplicationOut]:
    account, _ = access_account(session, actor, account_id, Permission.SETTINGS)
    apps = session.scalars(select(VerificationApplication).where(VerificationApplication.account_id == account.id)
                           .order_by(VerificationApplication.created_at.desc())).all()
    return [_application_out(a, account) for a in apps]


def account_settings(session: Session, actor: Actor, account_id: int) -> SettingsOut:
    """The settings page: the account, its applications, and whether (or why not) this member may apply."""
    account, role = access_account(session, actor, account_id, Permission.SETTINGS)
    applications = account_applications(session, actor, account_id)
    refusal = None
    if not rules.role_allows(role, Permission.VERIFICATION):
        refusal = rules.PERMISSION_REFUSALS[Permission.VERIFICATION]
    elif not rules.can_apply_for_verification(account.badge):
        refusal = "This account is already verified."
    elif pending := [a for a in applications if a.status == "pending"]:
        refusal = f"An application is already under review ({pending[0].reference_number})."
    return SettingsOut(account=account_out(account, role), applications=applications,
                       can_apply=refusal is None, apply_refusal=refusal)


def _require_staff(actor: Actor) -> StaffActor:
    if not isinstance(actor, StaffActor):
        raise NotFound()
    return actor


def list_applications(session: Session, actor: Actor, *, status: str | None = "pending") -> list[ApplicationOut]:
    _require_staff(actor)
    stmt = select(VerificationApplication, OfficialAccount).join(
        OfficialAccount, OfficialAccount.id == VerificationApplication.account_id)
    if status:
        stmt = stmt.where(VerificationApplication.status == status)
    rows = session.execute(stmt.order_by(VerificationApplication.created_at, VerificationApplication.id)).all()
    return [_application_out(a, acc) for a, acc in rows]


def _set_badge(session: Session, account: OfficialAccount, badge: str, staff: StaffActor | None, reason: str) -> None:
    if account.badge == badge:
        return
    session.add(BadgeChange(account_id=account.id, from_badge=account.badge, to_badge=badge,
                            staff_id=staff.staff_id if staff else None, reason=reason, created_at=clock.now()))
    account.badge = badge


def decide_application(session: Session, actor: Actor, application_id: int, *, approve: bool) -> ApplicationOut:
    """Staff approve (badge → blue) or reject a pending application (R-ACC-03)."""
    staff = _require_staff(actor)
    app = session.get(VerificationApplication, application_id)
    if app is None:
        raise NotFound("No such application.")
    if app.status != "pending":
        raise Conflict(field="status", reason=f"This application was already {app.status}.")
    account = session.get(OfficialAccount, app.account_id)
    assert account is not None
    app.status = "approved" if approve else "rejected"
    app.decided_at = clock.now()
    app.decided_by = staff.staff_id
    if approve:
        _set_badge(session, account, rules.badge_after_approval(account.badge), staff,
                   f"verification {app.reference_number}")
    session.flush()
    return _application_out(app, account)


def grant_premium(session: Session, actor: Actor, account_id: int) -> OfficialAccount:
    """Staff make an account premium (green); only staff can (R-ACC-03)."""
    staff = _require_staff(actor)
    account = session.get(OfficialAccount, account_id)
    if account is None:
        raise NotFound("No such account.")
    _set_badge(session, account, rules.Badge.GREEN, staff, "premium granted")
    session.flush()
    return account


def search_accounts(session: Session, actor: Actor, *, query: str = "", limit: int = 50) -> list[AccountOut]:
    """Staff find accounts by name or basic ID."""
    _require_staff(actor)
    stmt = select(OfficialAccount).order_by(OfficialAccount.id.desc()).limit(limit)
    q = query.strip().lower()
    if q:
        stmt = stmt.where(func.lower(OfficialAccount.display_name).contains(q)
                          | OfficialAccount.basic_id.contains(q))
    return [account_out(a).model_copy(update={"additional_limit_ceiling": a.additional_limit_ceiling})
            for a in session.scalars(stmt).all()]
