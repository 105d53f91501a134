"""`openoa db …`: the database schema, kept by the Alembic migrations."""

from __future__ import annotations

import typer
from sqlalchemy.engine import make_url

from openoa.cli.runtime import current_settings, out, refusals
from openoa.core import db

app = typer.Typer(help="Database schema.", no_args_is_help=True)


def upgrade_to_head(url: str) -> None:
    """Migrate ``url`` to the newest schema, refusals printed in red."""
    with refusals():
        db.upgrade(url)


@app.command("upgrade")
def upgrade() -> None:
    """Apply every migration up to the newest (safe to run again)."""
    url = current_settings().resolved_database_url
    upgrade_to_head(url)
    out.print(f"[green]Database is up to date[/green] ({make_url(url).render_as_string(hide_password=True)})")
