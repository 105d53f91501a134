"""`openoa account …`: official accounts for scripting, made as the platform operator."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.accounts import service as accounts
from openoa.accounts.rules import Badge, Package
from openoa.channels import service as channels
from openoa.channels.rules import ResponseMode
from openoa.cli.runtime import as_data, emit, unit_of_work
from openoa.core.access import SYSTEM

app = typer.Typer(help="Official accounts.", no_args_is_help=True)


@app.command("create")
def create(
    name: Annotated[str, typer.Option("--name", help="Display name (at most 20 characters).")],
    package: Annotated[Package, typer.Option(case_sensitive=False, help="Messaging package.")] = Package.FREE,
    badge: Annotated[Badge, typer.Option(case_sensitive=False, help="gray (unverified), blue (verified) "
                                                                     "or green (premium).")] = Badge.GRAY,
    response_mode: Annotated[ResponseMode, typer.Option(
        "--response-mode", case_sensitive=False,
        help="chat (answer from the console) or bot (events go to the webhook; turns on Use webhook).",
    )] = ResponseMode.CHAT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the account as JSON.")] = False,
) -> None:
    """Create an official account with a generated basic ID; prints its id, basic_id and the
    Messaging API credentials (channel ID, secret, bot user ID and a long-lived access token)."""
    with unit_of_work({"display_name": "--name", "response_mode": "--response-mode"}) as session:
        account = accounts.create_account(session, SYSTEM, display_name=name, package=package, badge=badge)
        channel = channels.set_response_mode(session, SYSTEM, account.id, response_mode)
        # Issued in the same transaction: a refusal later in the block leaves no token behind either.
        token = channels.issue_long_lived_token(session, SYSTEM, account.id)
        result = {**as_data(accounts.account_out(account)),
                  "channel_id": channel.channel_id, "channel_secret": channel.channel_secret,
                  "bot_user_id": channel.bot_user_id, "response_mode": channel.response_mode,
                  "use_webhook": channel.use_webhook, "channel_access_token": token.access_token}
    if as_json:
        emit(result, as_json=True, title="Account created")
        return
    # A table would cut the long token short; on a line of its own it can be copied whole.
    token_text = result.pop("channel_access_token")
    emit(result, as_json=False, title="Account created")
    typer.echo(f"channel_access_token (shown only now; only its hash is kept):\n{token_text}")
