"""The command line on a fresh SQLite file, migrated by `openoa db upgrade` itself."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from openoa.cli.main import app
from openoa.core.db import Database
from openoa.core.settings import get_settings


@dataclass
class Cli:
    """Runs `openoa …` in-process against one database, as a script would."""

    env: dict[str, str]
    url: str

    def __call__(self, *args: str) -> Result:
        result = CliRunner().invoke(app, list(args), env=self.env)
        # Whatever happened, the person at the terminal never sees a Python traceback.
        assert "Traceback" not in result.output, result.output
        return result

    def json(self, *args: str) -> Any:
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def database(self) -> Database:
        return Database.from_url(self.url)


def plain(text: str) -> str:
    """Terminal output as one line of words: Rich draws usage errors in a box and wraps them."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def fresh_cli(tmp_path: Path, name: str = "cli") -> Cli:
    url = f"sqlite:///{tmp_path / (name + '.db')}"
    return Cli(env={"OPENOA_DATABASE_URL": url, "OPENOA_DATA_DIR": str(tmp_path / "var"),
                    "OPENOA_BASE_URL": "http://oa.test"}, url=url)


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Cli]:
    runner = fresh_cli(tmp_path)
    upgraded = runner("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    yield runner
    # The commands read settings from the environment they were given; later tests must not inherit them.
    get_settings.cache_clear()
