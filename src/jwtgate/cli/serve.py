"""``jwtgate serve`` and ``jwtgate init``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from jwtgate.cli.common import ConfigFile, DatabaseUrl, DataDir, fail, run_on_store, settings_from
from jwtgate.control import apply_policy, initialise, open_master_key, read_policy_file
from jwtgate.crypto import MasterKeyError
from jwtgate.logs import configure_logging
from jwtgate.policy import PolicyError
from jwtgate.server.app import SETTINGS_ENV
from jwtgate.settings import Settings
from jwtgate.store import Database, KeyRepository

__all__ = ["init", "serve"]


def init(
    data_dir: DataDir = None, database_url: DatabaseUrl = None, config: ConfigFile = None
) -> None:
    """Create the master key, signing keys, admin credential and a sample policy."""
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)
    result = run_on_store(settings, lambda database: initialise(settings, database))
    for item in result.created:
        typer.echo(f"created {item}")
    if not result.created:
        typer.echo(f"{settings.data_dir} is already initialised; nothing to do")
    if result.admin_credential:
        typer.echo(f"admin credential: {result.admin_credential}")
        typer.echo("(shown once: store it now; only its hash is kept)")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    public_url: Annotated[str | None, typer.Option(help="jwtgate's identity (iss).")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    data_dir: DataDir = None,
    policy: Annotated[Path | None, typer.Option(help="Apply this policy file first.")] = None,
    database_url: DatabaseUrl = None,
    cache_url: Annotated[str | None, typer.Option(help="memory:// or redis://…")] = None,
    tls_cert: Annotated[Path | None, typer.Option(help="Serve HTTPS with this cert.")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="The TLS certificate's key.")] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error.")] = None,
    config: ConfigFile = None,
) -> None:
    """Serve the HTTP API (migrations and --policy are applied before workers start)."""
    settings = settings_from(
        config,
        host=host,
        port=port,
        public_url=public_url,
        workers=workers,
        data_dir=data_dir,
        policy=policy,
        database_url=database_url,
        cache_url=cache_url,
        tls_cert=tls_cert,
        tls_key=tls_key,
        log_level=log_level,
    )
    if settings.workers > 1 and settings.cache_url.startswith("memory://"):
        fail(
            "--workers > 1 needs a shared cache (--cache-url redis://…): with the in-process "
            "cache each worker would accept a replayed assertion once",
            2,
        )
    if bool(settings.tls_cert) != bool(settings.tls_key):
        fail("--tls-cert and --tls-key go together", 2)
    if settings.database_url is None and not settings.data_dir.is_dir():
        fail(f"{settings.data_dir} does not exist: run `jwtgate init` first", 2)
    try:
        open_master_key(settings)
    except MasterKeyError as error:
        fail(str(error), 2)
    configure_logging(settings.log_level)
    run_on_store(settings, lambda database: _prepare(settings, database))
    env_settings = json.loads(settings.model_dump_json(exclude={"master_key"}))
    os.environ[SETTINGS_ENV] = json.dumps(env_settings)
    uvicorn.run(
        "jwtgate.server.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        log_config=None,
        proxy_headers=False,
        server_header=False,
    )


async def _prepare(settings: Settings, database: Database) -> None:
    await database.upgrade()
    if not await KeyRepository(database).all():
        fail(f"{settings.data_dir} is not initialised: run `jwtgate init` first", 2)
    if settings.policy is not None:
        try:
            text = read_policy_file(settings.policy)
            result = await apply_policy(database, text, str(settings.policy))
        except (OSError, ValueError) as error:
            fail(str(error), 2)
        except PolicyError as error:
            fail(f"policy not applied:\n{error}", 2)
        summary = f"version {result.version}" + ("" if result.applied else " (no changes)")
        typer.echo(f"policy {settings.policy} applied: {summary}", err=True)
