"""What every command shares: fresh settings, one unit of work, and how results and
refusals are printed (JSON or Rich on stdout; red messages on stderr, exit code 1)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

import click
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.orm import Session

from openoa.core.db import Database
from openoa.core.errors import DomainError, Invalid
from openoa.core.settings import Settings, get_settings

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def current_settings() -> Settings:
    """Settings read from the environment now (a test may have changed it since the last command)."""
    get_settings.cache_clear()
    return get_settings()


def fail(message: str) -> NoReturn:
    """Print ``message`` in red on stderr and end the command with exit code 1."""
    err.print(f"[bold red]Error:[/bold red] {escape(message)}")
    raise typer.Exit(1)


def _option(field: str, options: Mapping[str, str]) -> str:
    return options.get(field, "--" + field.replace("_", "-"))


def describe(error: DomainError, options: Mapping[str, str]) -> str:
    """A domain error as the person at the command line needs it: the option at fault first."""
    if isinstance(error, Invalid) and error.errors:
        return "\n       ".join(f"{_option(e.field, options)}: {e.message}" for e in error.errors)
    return error.message


def _database_problem(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc) or exc).strip().splitlines()[0]
    lowered = text.lower()
    if isinstance(exc, OperationalError | ProgrammingError) and (
            "no such table" in lowered or "does not exist" in lowered or "undefinedtable" in lowered):
        return f"The database is not set up yet ({text}). Run `openoa db upgrade` first."
    if isinstance(exc, OperationalError):
        return f"Cannot use the database: {text}. Check OPENOA_DATABASE_URL."
    return f"The database refused the change: {text}"


@contextmanager
def refusals(options: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn any refusal or failure inside the block into a red message and exit code 1.

    No traceback reaches the terminal: a traceback shows locals and paths, and can show a
    password given on the command line.
    """
    try:
        yield
    except (click.exceptions.Exit, click.exceptions.ClickException, click.exceptions.Abort):
        raise
    except DomainError as exc:
        fail(describe(exc, options or {}))
    except SQLAlchemyError as exc:
        fail(_database_problem(exc))
    except Exception as exc:
        fail(f"Unexpected {type(exc).__name__}: {exc}")


@contextmanager
def unit_of_work(options: Mapping[str, str] | None = None) -> Iterator[Session]:
    """The command's one transaction on the configured database; commits when the block ends.

    ``options`` maps a domain field to the command-line option that fills it, so a refusal
    names what the person typed (``display_name`` -> ``--name``).
    """
    settings = current_settings()
    with refusals(options):
        db = Database.from_url(settings.resolved_database_url)
        try:
            with db.scope() as session:
                yield session
        finally:
            db.engine.dispose()


def as_data(value: BaseModel | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return dict(value)


def emit(value: BaseModel | Mapping[str, Any], *, as_json: bool, title: str) -> None:
    """Print a result: indented JSON for scripts, else a two-column table for people."""
    data = as_data(value)
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("field", style="bold")
    table.add_column("value")
    for key, item in data.items():
        table.add_row(key, "" if item is None else escape(str(item)))
    out.print(table)
