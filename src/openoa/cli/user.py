"""`openoa user …`: Chat-app people for scripting (attributes optional, login optional)."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.cli.runtime import emit, unit_of_work
from openoa.core.access import SYSTEM
from openoa.users import service as users
from openoa.users.rules import Gender, PhoneOs

app = typer.Typer(help="Chat-app people.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Display name (at most 20 characters).")],
    gender: Annotated[Gender | None, typer.Option(case_sensitive=False)] = None,
    birth_year: Annotated[int | None, typer.Option("--birth-year", help="Four digits, e.g. 1990.")] = None,
    area: Annotated[str | None, typer.Option(help="Area code: th_01..th_08, jp_01..jp_47, tw_01..tw_22, "
                                                  "id_01..id_12.")] = None,
    os: Annotated[PhoneOs | None, typer.Option("--os", case_sensitive=False, help="Phone OS.")] = None,
    email: Annotated[str | None, typer.Option(help="Login email (with --password, the person can log in).")] = None,
    password: Annotated[str | None, typer.Option(help="Login password.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the user as JSON.")] = False,
) -> None:
    """Create a person; prints their id (use it with `openoa friend add --user`)."""
    with unit_of_work({"display_name": "--name"}) as session:
        user = users.create_user(session, SYSTEM, display_name=name, gender=gender, birth_year=birth_year,
                                 area=area.strip().lower() if area else None, os=os, email=email,
                                 password=password)
        result = users.user_out(user)
    emit(result, as_json=as_json, title="User created")
