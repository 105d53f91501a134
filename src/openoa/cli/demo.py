"""`openoa demo`: logins, two official accounts and a crowd of people with friendships."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from openoa.cli.db import upgrade_to_head
from openoa.cli.runtime import as_data, current_settings, err, out, refusals, unit_of_work
from openoa.core.access import SYSTEM
from openoa.demo import rules
from openoa.demo import service as demo
from openoa.demo.schemas import DemoOut


def run(
    users: Annotated[int, typer.Option("--users", help=f"How many demo people (1 to {rules.MAX_USERS:,}).")]
    = rules.DEFAULT_USERS,
    as_json: Annotated[bool, typer.Option("--json", help="Print accounts and logins as JSON.")] = False,
) -> None:
    """Load demo data once (running it again writes nothing) and print the demo logins."""
    with refusals({"users": "--users"}):
        demo.check_size(users)  # before the database is touched: a refused size writes nothing
    upgrade_to_head(current_settings().resolved_database_url)
    started = time.perf_counter()
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err) as progress:
        task: list[TaskID] = []

        def advance(count: int) -> None:
            if not task:  # only a first run writes people; a repeat shows no bar
                task.append(progress.add_task("Demo people", total=users))
            progress.advance(task[0], count)

        with unit_of_work({"users": "--users"}) as session:
            result = demo.create_demo(session, SYSTEM, users=users, on_progress=advance)
    seconds = time.perf_counter() - started
    if as_json:
        typer.echo(json.dumps(as_data(result), indent=2, ensure_ascii=False))
        return
    _print(result, users, seconds)


def _print(result: DemoOut, users: int, seconds: float) -> None:
    # Plain lines rather than tables: a narrow terminal must not cut an email or a password.
    if result.created:
        out.print(f"[green]Demo data loaded[/green]: {users:,} people with their friendships in {seconds:.1f} s.")
    else:
        out.print("[yellow]Demo data is already there[/yellow]; nothing was written. The logins again:")
    out.print("\n[bold]Official accounts[/bold]")
    for a in result.accounts:
        out.print(f"  {escape(a.display_name)} [bold]{a.basic_id}[/bold] ({a.package}, {a.badge} badge): "
                  f"{a.friends:,} friends, {a.blocks:,} blocked, target reach {a.target_reach:,}  "
                  f"{a.add_friend_url}")
    out.print("\n[bold]Logins[/bold]")
    for login in result.logins:
        out.print(f"  {login.surface}: [bold]{login.email}[/bold] / [bold]{login.password}[/bold]  "
                  f"({login.who})  {login.url}")
    bot = result.bot
    out.print(f"\n[bold]Messaging API[/bold] of {bot.basic_id} (for line-bot-sdk; --json prints it too)")
    out.print(f"  channel ID {bot.channel_id}, channel secret {bot.channel_secret}")
    out.print(f"  {bot.token_kind} channel access token: {bot.channel_access_token}")
    out.print(f"\n{result.people:,} Chat-app people in the database.")
