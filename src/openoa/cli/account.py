"""`openoa account …`: official accounts for scripting, made as the platform operator."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.accounts import service as accounts
from openoa.accounts.rules import Badge, Package
from openoa.cli.runtime import emit, unit_of_work
from openoa.core.access import SYSTEM

app = typer.Typer(help="Official accounts.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Display name (at most 20 characters).")],
    package: Annotated[Package, typer.Option(case_sensitive=False, help="Messaging package.")] = Package.FREE,
    badge: Annotated[Badge, typer.Option(case_sensitive=False, help="gray (unverified), blue (verified) "
                                                                     "or green (premium).")] = Badge.GRAY,
    as_json: Annotated[bool, typer.Option("--json", help="Print the account as JSON.")] = False,
) -> None:
    """Create an official account with a generated basic ID; prints its id and basic_id."""
    with unit_of_work({"display_name": "--name"}) as session:
        account = accounts.create_account(session, SYSTEM, display_name=name, package=package, badge=badge)
        result = accounts.account_out(account)
    emit(result, as_json=as_json, title="Account created")
