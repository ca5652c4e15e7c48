"""``jwtgate audit tail``: the newest decision events."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from jwtgate.audit import MAX_AUDIT_LIMIT, parse_since
from jwtgate.cli.common import (
    AdminClient,
    ConfigFile,
    CredentialFile,
    DatabaseUrl,
    DataDir,
    Server,
    fail,
    run_on_store,
    settings_from,
)
from jwtgate.store import AuditRepository, Database

__all__ = ["app"]

app = typer.Typer(help="The audit trail.", no_args_is_help=True)


@app.command()
def tail(
    since: Annotated[str | None, typer.Option(help="ISO 8601 or epoch seconds.")] = None,
    limit: Annotated[int, typer.Option(help=f"At most this many (1..{MAX_AUDIT_LIMIT}).")] = 100,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Print events newest first, one JSON object per line."""
    if not 1 <= limit <= MAX_AUDIT_LIMIT:
        fail(f"--limit must be 1..{MAX_AUDIT_LIMIT}", 2)
    try:
        since_epoch = parse_since(since)
    except ValueError as error:
        fail(str(error), 2)
    if server:
        params: dict[str, str | int] = {"limit": limit}
        if since:
            params["since"] = since
        answer = AdminClient(server, admin_credential_file).request(
            "GET", "/admin/audit", params=params
        )
        events = answer.json()["events"]
    else:
        settings = settings_from(config, data_dir=data_dir, database_url=database_url)

        async def work(database: Database) -> list[dict[str, object]]:
            found = await AuditRepository(database).read(since=since_epoch, limit=limit)
            return [event.public() for event in found]

        events = run_on_store(settings, work)
    for event in events:
        typer.echo(json.dumps(event))
