"""The ``openoa`` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from openoa.cli import account, db, demo, friend, serve, staff, user, worker
from openoa.cli.runtime import current_settings

app = typer.Typer(
    name="openoa",
    help="OpenOA: self-hosted official accounts that speak the LINE Messaging API.",
    no_args_is_help=True,
    add_completion=False,
    # Tracebacks print locals, which can include a password typed on the command line.
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def main() -> None:
    """Settings come from OPENOA_* environment variables (see docs/configuration.md)."""
    current_settings()


app.command("serve")(serve.serve)
app.command("worker")(worker.worker)
app.command("demo")(demo.run)
app.add_typer(db.app, name="db")
app.add_typer(account.app, name="account")
app.add_typer(user.app, name="user")
app.add_typer(friend.app, name="friend")
app.add_typer(staff.app, name="staff")
