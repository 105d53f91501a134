"""The demo data use case: logins, two official accounts and up to a million friends.

The logins and accounts go through the real services (so they are exactly what a sign-up
or the console would make); the crowd of demo people is written set-based by the
statements in :mod:`openoa.demo.queries`. Running it again finds the demo admin and writes
nothing, so the command can sit in a setup script.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openoa.accounts import service as accounts
from openoa.accounts.models import BusinessId, OfficialAccount
from openoa.accounts.rules import Badge, Package, Role
from openoa.billing import service as billing
from openoa.channels import service as channels
from openoa.channels.rules import GRANT_TYPE
from openoa.core import clock
from openoa.core.access import Actor, BusinessActor, PersonActor, StaffActor, SystemActor
from openoa.core.errors import Invalid, NotAllowed
from openoa.core.settings import get_settings
from openoa.demo import queries, rules
from openoa.demo.schemas import DemoAccount, DemoBot, DemoLogin, DemoOut
from openoa.friends import queries as friend_queries
from openoa.friends import service as friends
from openoa.trust import service as trust
from openoa.users import service as users_service
from openoa.users.models import User

Progress = Callable[[int], None]


def check_size(users: int) -> None:
    """Refuse a demo size outside 1..1,000,000 before anything is touched."""
    if (problem := rules.users_problem(users)):
        raise Invalid(field="users", reason=problem)


def create_demo(session: Session, actor: Actor, *, users: int = rules.DEFAULT_USERS,
                on_progress: Progress | None = None) -> DemoOut:
    """Make the demo logins, accounts and ``users`` people with their friendships, once."""
    if not isinstance(actor, SystemActor):
        raise NotAllowed("Demo data is loaded from the command line.")
    check_size(users)
    admin = session.scalar(select(BusinessId).where(BusinessId.email == rules.ADMIN_EMAIL))
    if admin is not None:
        return _summary(session, admin, created=False, token=None)
    admin, pro, free, staff_id = _logins_and_accounts(session)
    _people(session, users, pro, free, on_progress)
    # Staff raise the ceiling and the admin the limit, as they would for a brand this big.
    limit = rules.additional_limit(users)
    billing.set_limit_ceiling(session, StaffActor(staff_id), pro.id, limit)
    billing.set_additional_limit(session, BusinessActor(admin.id), pro.id, limit)
    token = channels.issue_long_lived_token(session, BusinessActor(admin.id), pro.id).access_token
    return _summary(session, admin, created=True, token=(token, "long-lived"))


def _logins_and_accounts(session: Session) -> tuple[BusinessId, OfficialAccount, OfficialAccount, int]:
    admin = accounts.sign_up(session, email=rules.ADMIN_EMAIL, password=rules.PASSWORD, display_name="Demo Admin")
    operator = accounts.sign_up(session, email=rules.OPERATOR_EMAIL, password=rules.PASSWORD,
                                display_name="Demo Operator")
    pro = accounts.create_account(session, SystemActor(), display_name=rules.PRO_ACCOUNT_NAME,
                                  package=Package.PRO, badge=Badge.BLUE, admin_business_id=admin.id)
    free = accounts.create_account(session, SystemActor(), display_name=rules.FREE_ACCOUNT_NAME,
                                   package=Package.FREE, badge=Badge.GRAY, admin_business_id=admin.id)
    for account in (pro, free):
        # Members join only through an invitation link (R-ACC-04); the token is the link's last part.
        _, link = accounts.invite_member(session, BusinessActor(admin.id), account.id, role=Role.OPERATOR)
        accounts.accept_invitation(session, BusinessActor(operator.id), link.rsplit("/", 1)[-1])
    staff = trust.create_staff(session, SystemActor(), email=rules.STAFF_EMAIL, password=rules.PASSWORD,
                               display_name="Demo Staff")
    person = users_service.sign_up(session, email=rules.PERSON_EMAIL, password=rules.PASSWORD,
                                   display_name="Somchai")
    users_service.update_profile(session, PersonActor(person.id), status_message="Coffee first, then noodles.",
                                 gender="male", birth_year=clock.now().year - 32, area="th_01", os="android")
    # The person follows the Pro account and has the Free one left to add in the Chat app.
    friends.add_friend(session, PersonActor(person.id), pro.basic_id, path="qr")
    # A pending application gives the Staff console something to decide (R-ACC-03).
    accounts.apply_for_verification(session, BusinessActor(admin.id), free.id, applicant_name="Demo Admin",
                                    applicant_email=rules.ADMIN_EMAIL, business_name="Baan Noodles Co., Ltd.",
                                    website="https://example.com")
    session.flush()
    return admin, pro, free, staff.id


def _people(session: Session, users: int, pro: OfficialAccount, free: OfficialAccount,
            on_progress: Progress | None) -> None:
    dialect = session.get_bind().dialect.name
    now = clock.now()
    for first, last in rules.chunks(users):
        after = int(session.scalar(queries.last_user_id()) or 0)
        session.execute(queries.insert_people(first, last, dialect=dialect, now=now))
        upto = int(session.scalar(queries.last_user_id()) or 0)
        for account, paths, share in ((pro, rules.PRO_PATH_WEIGHTS, 100),
                                      (free, rules.FREE_PATH_WEIGHTS, rules.FREE_ACCOUNT_SHARE_PERCENT)):
            session.execute(queries.insert_friendships(account.id, after_user_id=after, last_user_id=upto,
                                                       dialect=dialect, now=now, paths=paths,
                                                       share_percent=share))
            session.execute(queries.insert_scoped_ids(account.id, account.provider_id, after_user_id=after,
                                                      last_user_id=upto, dialect=dialect))
        if on_progress:
            on_progress(last - first + 1)
    session.flush()


def _summary(session: Session, admin: BusinessId, *, created: bool, token: tuple[str, str] | None) -> DemoOut:
    base = get_settings().base_url
    demo_accounts = session.scalars(select(OfficialAccount).where(OfficialAccount.created_by == admin.id)
                                    .order_by(OfficialAccount.id).limit(2)).all()
    out = []
    for account in demo_accounts:
        counts = session.execute(friend_queries.friend_counts(account.id)).one()
        out.append(DemoAccount(id=account.id, basic_id=account.basic_id, display_name=account.display_name,
                               package=account.package, badge=account.badge,
                               add_friend_url=accounts.add_friend_url(account.basic_id),
                               friends=int(counts.friends or 0), blocks=int(counts.blocks or 0),
                               target_reach=int(counts.target_reach or 0)))
    logins = [
        DemoLogin(surface="Manager console", url=f"{base}/console/login", email=rules.ADMIN_EMAIL,
                  password=rules.PASSWORD, who="Admin of both accounts"),
        DemoLogin(surface="Manager console", url=f"{base}/console/login", email=rules.OPERATOR_EMAIL,
                  password=rules.PASSWORD, who="Operator of both accounts"),
        DemoLogin(surface="Staff console", url=f"{base}/staff/login", email=rules.STAFF_EMAIL,
                  password=rules.PASSWORD, who="Platform staff"),
        DemoLogin(surface="Chat app", url=f"{base}/app/login", email=rules.PERSON_EMAIL,
                  password=rules.PASSWORD, who="A person who follows Siam Coffee"),
    ]
    people = int(session.scalar(select(func.count()).select_from(User)) or 0)
    pro = demo_accounts[0]
    channel = channels.channel_of(session, pro.id)
    if token is None:
        # A repeat must not revoke the long-lived token bots already use: a 30-day one beside it.
        token = (channels.issue_short_lived_token(session, grant_type=GRANT_TYPE, client_id=channel.channel_id,
                                                  client_secret=channel.channel_secret).access_token, "short-lived")
    bot = DemoBot(basic_id=pro.basic_id, channel_id=channel.channel_id, channel_secret=channel.channel_secret,
                  channel_access_token=token[0], token_kind=token[1])
    return DemoOut(created=created, people=people, accounts=out, logins=logins, bot=bot)
