"""``jwtgate db upgrade``: apply the store's migrations."""

from __future__ import annotations

import typer

from jwtgate.cli.common import ConfigFile, DatabaseUrl, DataDir, run_on_store, settings_from
from jwtgate.store import Database

__all__ = ["app"]

app = typer.Typer(help="The store.", no_args_is_help=True)


@app.command()
def upgrade(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, config: ConfigFile = None
) -> None:
    """Apply every migration the store does not have yet."""
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)

    async def work(database: Database) -> None:
        await database.upgrade()

    run_on_store(settings, work)
    typer.echo("store schema is current")
