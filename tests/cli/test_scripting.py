"""Scripting commands: `openoa account|user|friend|staff …` print JSON with --json, refuse bad
arguments with a clear message and a non-zero exit, and write nothing when they refuse."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import func, select

from openoa.accounts.models import OfficialAccount
from openoa.core.access import PersonActor
from openoa.friends import service as friends
from openoa.friends.models import Friendship, ScopedUserId
from openoa.trust import service as trust
from openoa.users.models import User
from tests.cli.conftest import Cli, fresh_cli, plain

SCOPED_ID = re.compile(r"^U[0-9a-f]{32}$")


def _count(cli: Cli, model: type) -> int:
    db = cli.database()
    try:
        with db.scope() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        db.engine.dispose()


def test_help_lists_every_command_group(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("serve", "worker", "db", "demo", "account", "user", "friend", "staff"):
        assert command in result.stdout


def test_db_upgrade_can_run_again(cli: Cli) -> None:
    again = cli("db", "upgrade")
    assert again.exit_code == 0 and "up to date" in again.stdout


def test_commands_on_a_database_never_migrated_say_what_to_do(tmp_path: Path) -> None:
    bare = fresh_cli(tmp_path, "bare")
    result = bare("account", "create", "--name", "Cafe")
    assert result.exit_code == 1
    assert "Run `openoa db upgrade` first" in result.stderr


# ---------------------------------------------------------------- accounts

def test_r_acc_02_account_create_prints_id_and_basic_id(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi", "--package", "pro", "--badge", "blue")
    assert isinstance(account["id"], int)
    assert re.fullmatch(r"@[0-9]{3}[a-z]{5}", account["basic_id"])
    assert (account["display_name"], account["package"], account["badge"], account["timezone"]) == (
        "Cafe Aroi", "pro", "blue", "Asia/Bangkok")
    assert account["add_friend_url"] == f"http://oa.test/add/{account['basic_id']}"
    db = cli.database()
    with db.scope() as s:
        stored = s.get(OfficialAccount, account["id"])
        assert stored is not None and (stored.basic_id, stored.package, stored.badge) == (
            account["basic_id"], "pro", "blue")
    db.engine.dispose()


def test_r_acc_03_account_create_defaults_to_free_and_gray(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Noodle Bar")
    assert (account["package"], account["badge"]) == ("free", "gray")
    plain = cli("account", "create", "--name", "Second Shop")
    assert plain.exit_code == 0 and "basic_id" in plain.stdout


def test_account_create_refuses_an_unknown_package_and_writes_nothing(cli: Cli) -> None:
    result = cli("account", "create", "--name", "Cafe", "--package", "gold", "--json")
    assert result.exit_code == 2
    assert "Invalid value for '--package'" in plain(result.stderr)
    assert "'gold' is not one of 'free', 'basic', 'pro'" in plain(result.stderr)
    assert result.stdout == ""
    badge = cli("account", "create", "--name", "Cafe", "--badge", "purple")
    assert badge.exit_code == 2 and "--badge" in badge.stderr
    assert _count(cli, OfficialAccount) == 0


def test_account_create_names_the_option_at_fault(cli: Cli) -> None:
    result = cli("account", "create", "--name", "A name far longer than twenty", "--json")
    assert result.exit_code == 1
    assert "--name: Use at most 20 characters." in result.stderr
    assert result.stdout == ""
    assert _count(cli, OfficialAccount) == 0


# ---------------------------------------------------------------- users

def test_r_frd_01_user_create_prints_the_person_with_id(cli: Cli) -> None:
    user = cli.json("user", "create", "--name", "Somchai", "--gender", "male", "--birth-year", "1990",
                    "--area", "th_01", "--os", "android")
    assert isinstance(user["id"], int)
    assert (user["display_name"], user["gender"], user["birth_year"], user["area"], user["os"]) == (
        "Somchai", "male", 1990, "th_01", "android")
    bare = cli.json("user", "create", "--name", "Nobody In Particular")
    assert bare["gender"] is None and bare["birth_year"] is None and bare["id"] != user["id"]


def test_r_frd_01_user_create_with_a_login(cli: Cli) -> None:
    user = cli.json("user", "create", "--name", "Pim", "--email", "Pim@Example.com", "--password", "sunny-day-42")
    assert user["email"] == "pim@example.com"
    assert "sunny-day-42" not in str(user)


def test_r_frd_01_user_create_refuses_impossible_birth_years(cli: Cli) -> None:
    future = cli("user", "create", "--name", "Somchai", "--birth-year", "3000")
    assert future.exit_code == 1
    assert "--birth-year: The birth year cannot be in the future." in future.stderr
    ancient = cli("user", "create", "--name", "Somchai", "--birth-year", "1800", "--json")
    assert ancient.exit_code == 1 and "--birth-year: The birth year cannot be before" in ancient.stderr
    assert ancient.stdout == ""
    not_a_year = cli("user", "create", "--name", "Somchai", "--birth-year", "nineteen")
    assert not_a_year.exit_code == 2 and "--birth-year" in not_a_year.stderr
    assert _count(cli, User) == 0


def test_user_create_lists_every_problem_at_once(cli: Cli) -> None:
    result = cli("user", "create", "--name", "Somchai", "--area", "mars", "--email", "not-an-email",
                 "--password", "short")
    assert result.exit_code == 1
    for line in ("--area: Choose an area from the list.", "--email: Enter a valid email address",
                 "--password: Use at least 8 characters."):
        assert line in result.stderr
    assert cli("user", "create", "--name", "Somchai", "--gender", "robot").exit_code == 2
    assert _count(cli, User) == 0


# ---------------------------------------------------------------- friends

def test_r_frd_02_friend_add_is_the_chat_apps_add_friend(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi")
    user = cli.json("user", "create", "--name", "Somchai")
    friendship = cli.json("friend", "add", "--account", account["basic_id"], "--user", str(user["id"]),
                          "--path", "qr")
    assert SCOPED_ID.match(friendship["user_id"])
    assert (friendship["account_id"], friendship["basic_id"], friendship["friend_path"], friendship["blocked"]) == (
        account["id"], account["basic_id"], "qr", False)

    db = cli.database()
    with db.scope() as s:
        # The person sees the account in their Chat-app friend list …
        listed = friends.my_friends(s, PersonActor(user["id"]))
        assert [(a.basic_id, a.is_friend, a.blocked) for a in listed] == [(account["basic_id"], True, False)]
        # … the friendship is the row the Chat app writes, and the U… ID is the one the bots see.
        row = s.scalar(select(Friendship).where(Friendship.user_id == user["id"]))
        assert row is not None and (row.account_id, row.friend_path, row.blocked) == (account["id"], "qr", False)
        provider = s.scalar(select(OfficialAccount.provider_id).where(OfficialAccount.id == account["id"]))
        assert friends.scoped_user_id(s, str(provider), user["id"]) == friendship["user_id"]
        # The person can now block it in the Chat app, like any friend.
        assert friends.block(s, PersonActor(user["id"]), account["id"]).user_id == friendship["user_id"]
    db.engine.dispose()


def test_r_frd_05_scoped_ids_differ_per_provider(cli: Cli) -> None:
    first = cli.json("account", "create", "--name", "First Shop")
    second = cli.json("account", "create", "--name", "Second Shop")
    user = cli.json("user", "create", "--name", "Somchai")
    a = cli.json("friend", "add", "--account", first["basic_id"], "--user", str(user["id"]))
    b = cli.json("friend", "add", "--account", second["basic_id"].upper(), "--user", str(user["id"]))
    assert a["friend_path"] == "url"  # the default path, as a plain add-friend link
    assert SCOPED_ID.match(a["user_id"]) and SCOPED_ID.match(b["user_id"]) and a["user_id"] != b["user_id"]


def test_r_frd_02_friend_add_refuses_an_unknown_account(cli: Cli) -> None:
    user = cli.json("user", "create", "--name", "Somchai")
    result = cli("friend", "add", "--account", "@000zzzzz", "--user", str(user["id"]), "--json")
    assert result.exit_code == 1
    assert "No account has the ID @000zzzzz." in result.stderr and result.stdout == ""
    assert _count(cli, Friendship) == 0


def test_r_frd_02_friend_add_refuses_an_unknown_user(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi")
    result = cli("friend", "add", "--account", account["basic_id"], "--user", "424242")
    assert result.exit_code == 1 and "No user with ID 424242." in result.stderr
    assert cli("friend", "add", "--account", account["basic_id"], "--user", "somchai").exit_code == 2
    assert _count(cli, Friendship) == 0 and _count(cli, ScopedUserId) == 0


def test_r_frd_02_adding_twice_is_refused(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi")
    user = cli.json("user", "create", "--name", "Somchai")
    args = ("friend", "add", "--account", account["basic_id"], "--user", str(user["id"]))
    assert cli(*args).exit_code == 0
    again = cli(*args, "--path", "search")
    assert again.exit_code == 1
    assert f"User {user['id']} is already a friend of {account['basic_id']}." in again.stderr
    assert _count(cli, Friendship) == 1


def test_r_frd_02_friend_add_refuses_an_unknown_path(cli: Cli) -> None:
    account = cli.json("account", "create", "--name", "Cafe Aroi")
    user = cli.json("user", "create", "--name", "Somchai")
    result = cli("friend", "add", "--account", account["basic_id"], "--user", str(user["id"]), "--path", "fax")
    assert result.exit_code == 2 and "Invalid value for '--path'" in plain(result.stderr)
    assert _count(cli, Friendship) == 0


# ---------------------------------------------------------------- staff

def test_r_acc_03_staff_create_makes_a_staff_console_login(cli: Cli) -> None:
    staff = cli.json("staff", "create", "--email", "Pat@Staff.example", "--password", "sunny-day-42",
                     "--name", "Pat")
    assert staff == {"id": staff["id"], "email": "pat@staff.example", "display_name": "Pat"}
    db = cli.database()
    with db.scope() as s:
        assert trust.authenticate(s, email="pat@staff.example", password="sunny-day-42").id == staff["id"]
    db.engine.dispose()


def test_r_acc_03_staff_create_refuses_duplicates_and_weak_passwords(cli: Cli) -> None:
    assert cli("staff", "create", "--email", "pat@staff.example", "--password", "sunny-day-42").exit_code == 0
    again = cli("staff", "create", "--email", "PAT@staff.example", "--password", "sunny-day-42")
    assert again.exit_code == 1 and "--email: A staff member with this email already exists." in again.stderr
    weak = cli("staff", "create", "--email", "sam@staff.example", "--password", "password")
    assert weak.exit_code == 1 and "--password: This password is too common" in weak.stderr
    missing = cli("staff", "create", "--email", "sam@staff.example")
    assert missing.exit_code == 2 and "--password" in missing.stderr
