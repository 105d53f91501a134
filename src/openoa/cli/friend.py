"""`openoa friend …`: a person adds an account, through the Chat app's own use case."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.cli.runtime import emit, unit_of_work
from openoa.core.access import SYSTEM
from openoa.core.errors import Conflict
from openoa.friends import service as friends
from openoa.friends.rules import FriendPath

app = typer.Typer(help="Friendships between people and accounts.", no_args_is_help=True)


@app.command("add")
def add(
    account: Annotated[str, typer.Option("--account", help="The account's basic ID, e.g. @123abcde.")],
    user: Annotated[int, typer.Option("--user", help="The person's id (from `openoa user create`).")],
    path: Annotated[FriendPath, typer.Option(case_sensitive=False, help="How the person found the account.")]
    = FriendPath.URL,
    as_json: Annotated[bool, typer.Option("--json", help="Print the friendship as JSON.")] = False,
) -> None:
    """Make USER a friend of the account; prints the account-scoped U… ID its bots will see."""
    # The same use case as the Chat app's "Add friend", so whatever follows a real add follows this.
    with unit_of_work({"basic_id": "--account", "path": "--path", "user_id": "--user"}) as session:
        try:
            result = friends.add_friend(session, SYSTEM, account, path=path, user_id=user)
        except Conflict as exc:  # the service speaks to the person ("your friend"); say it for the operator
            raise Conflict(field="basic_id", reason=f"User {user} is already a friend of {account}.") from exc
    emit(result, as_json=as_json, title="Friend added")
