"""``jwtgate keys list|rotate``: jwtgate's own signing keys."""

from __future__ import annotations

import time

import typer
from rich.console import Console
from rich.table import Table

from jwtgate.cli.common import (
    AdminClient,
    ConfigFile,
    CredentialFile,
    DatabaseUrl,
    DataDir,
    Server,
    run_on_store,
    settings_from,
)
from jwtgate.control import open_master_key, rotate_keys
from jwtgate.store import Database, KeyRepository

__all__ = ["app"]

app = typer.Typer(help="jwtgate's signing keys.", no_args_is_help=True)


@app.command("list")
def list_keys(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Print kid, algorithm, state and creation time of every key."""
    if server:
        keys = AdminClient(server, admin_credential_file).request("GET", "/admin/keys").json()
        _print(keys["keys"])
        return
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)

    async def work(database: Database) -> list[dict[str, object]]:
        return [
            {
                "kid": record.kid,
                "algorithm": record.algorithm,
                "state": record.state.value,
                "created_at": record.created_at,
            }
            for record in await KeyRepository(database).all()
        ]

    _print(run_on_store(settings, work))


@app.command()
def rotate(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Promote next to current, retire current, create a new next."""
    if server:
        answer = AdminClient(server, admin_credential_file).request("POST", "/admin/keys/rotate")
        rotated = answer.json()["rotated"]
    else:
        settings = settings_from(config, data_dir=data_dir, database_url=database_url)

        async def work(database: Database) -> dict[str, str | None]:
            plan = await rotate_keys(
                database, open_master_key(settings), settings.signing_algorithm
            )
            return {"current": plan.promote, "retired": plan.retire, "next": plan.create.kid}

        rotated = run_on_store(settings, work)
    typer.echo(
        f"rotated: current {rotated['current']}, retired {rotated['retired']}, "
        f"next {rotated['next']}"
    )


def _print(keys: list[dict[str, object]]) -> None:
    table = Table("kid", "algorithm", "state", "created (UTC)")
    for key in keys:
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(str(key["created_at"]))))
        table.add_row(str(key["kid"]), str(key["algorithm"]), str(key["state"]), created)
    Console(width=140).print(table)
