"""`openoa serve`: migrate, then run the web server (with the job worker inside, by default)."""

from __future__ import annotations

from typing import Annotated

import typer

from openoa.cli.db import upgrade_to_head
from openoa.cli.runtime import current_settings, out, refusals


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Do not run the job worker in this process "
                                                                "(scale-out: run `openoa worker`).")] = False,
) -> None:
    """Run OpenOA: the Manager console, Chat app, Staff console and their JSON endpoints."""
    import uvicorn

    from openoa.web.app import create_app

    settings = current_settings()
    # Migrating first means a fresh checkout or an upgraded install serves the schema it expects.
    upgrade_to_head(settings.resolved_database_url)
    with refusals():
        application = create_app(settings, worker=False if no_worker else None)
    embedded = settings.embedded_worker and not no_worker
    out.print(f"OpenOA at [bold]http://{host}:{port}[/bold] "
              f"({'with the job worker inside' if embedded else 'no job worker: run `openoa worker`'})")
    uvicorn.run(application, host=host, port=port, log_level="info")
