"""`openoa staff …`: platform staff logins (the Staff console has no sign-up)."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.cli.runtime import emit, unit_of_work
from openoa.core.access import SYSTEM
from openoa.trust import service as trust

app = typer.Typer(help="Platform staff.", no_args_is_help=True)


@app.command("create")
def create(
    email: Annotated[str, typer.Option("--email", help="Login email.")],
    password: Annotated[str, typer.Option("--password", help="Login password (8+ characters, letters "
                                                             "with digits or symbols).")],
    name: Annotated[str, typer.Option("--name", help="Display name; the email if not given.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the staff member as JSON.")] = False,
) -> None:
    """Create a Staff console login."""
    with unit_of_work({"display_name": "--name"}) as session:
        staff = trust.create_staff(session, SYSTEM, email=email, password=password, display_name=name.strip())
        result = {"id": staff.id, "email": staff.email, "display_name": staff.display_name}
    emit(result, as_json=as_json, title="Staff member created")
