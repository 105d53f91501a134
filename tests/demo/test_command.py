"""`openoa demo [--users N] [--json]` as a setup script runs it: migrates, loads once, prints logins."""

from __future__ import annotations

from pathlib import Path

import pytest

from openoa.demo import rules
from tests.cli.conftest import Cli, fresh_cli, plain


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    from openoa.core.settings import get_settings

    yield fresh_cli(tmp_path, "demo")
    get_settings.cache_clear()


def _database_file(cli: Cli) -> Path:
    return Path(cli.url.removeprefix("sqlite:///"))


def test_demo_on_a_fresh_database_prints_accounts_and_logins_as_json(cli: Cli) -> None:
    out = cli.json("demo", "--users", "300")
    assert out["created"] is True and out["people"] == 301
    pro, free = out["accounts"]
    assert (pro["package"], pro["badge"], free["package"], free["badge"]) == ("pro", "blue", "free", "gray")
    assert pro["friends"] == 301 and pro["basic_id"].startswith("@") and isinstance(pro["id"], int)
    assert pro["add_friend_url"] == f"http://oa.test/add/{pro['basic_id']}"
    assert [(login["email"], login["password"]) for login in out["logins"]] == [
        (rules.ADMIN_EMAIL, rules.PASSWORD), (rules.OPERATOR_EMAIL, rules.PASSWORD),
        (rules.STAFF_EMAIL, rules.PASSWORD), (rules.PERSON_EMAIL, rules.PASSWORD)]
    assert out["logins"][2]["url"] == "http://oa.test/staff/login"
    bot = out["bot"]
    assert bot["basic_id"] == pro["basic_id"] and bot["token_kind"] == "long-lived"
    assert bot["channel_id"].isdigit() and len(bot["channel_secret"]) == 32 and len(bot["channel_access_token"]) > 100


def test_demo_again_writes_nothing_and_prints_the_logins_again(cli: Cli) -> None:
    first = cli.json("demo", "--users", "50")
    again = cli("demo", "--users", "80")
    assert again.exit_code == 0
    assert "already there; nothing was written" in again.stdout
    for email in (rules.ADMIN_EMAIL, rules.OPERATOR_EMAIL, rules.STAFF_EMAIL, rules.PERSON_EMAIL):
        assert f"{email} / {rules.PASSWORD}" in again.stdout
    assert first["accounts"][0]["basic_id"] in again.stdout
    assert "51 Chat-app people" in again.stdout
    as_json = cli.json("demo")
    assert as_json["created"] is False and as_json["accounts"] == first["accounts"]


def test_demo_prints_a_summary_for_people(cli: Cli) -> None:
    result = cli("demo", "--users", "20")
    assert result.exit_code == 0
    assert "Demo data loaded: 20 people" in result.stdout
    assert "Demo people" in result.stderr  # the progress bar, kept off stdout for scripts


@pytest.mark.parametrize("value", ["0", "-5", str(rules.MAX_USERS + 1), "10" + "0" * 30])
def test_demo_refuses_a_size_outside_1_to_a_million_and_writes_nothing(cli: Cli, value: str) -> None:
    result = cli("demo", "--users", value)
    assert result.exit_code == 1
    assert plain(result.stderr).startswith("Error: --users: The number of demo users")
    assert not _database_file(cli).exists()


def test_demo_refuses_a_size_that_is_not_a_number(cli: Cli) -> None:
    result = cli("demo", "--users", "lots")
    assert result.exit_code == 2 and "Invalid value for '--users'" in plain(result.stderr)
    assert not _database_file(cli).exists()
