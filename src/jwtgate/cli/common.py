"""What every state-changing command shares: settings, the local store, the admin API.

A command works on the local store (``--data-dir``/``--database-url``) or, given
``--server URL --admin-credential-file FILE``, through the admin API of a running
server. Failures print one clear line on stderr and exit non-zero, never a traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import typer
from sqlalchemy.engine import make_url

from jwtgate.crypto import DecryptionError, MasterKeyError
from jwtgate.settings import Settings, SettingsError, load_settings
from jwtgate.store import Database, StoreUnavailable

T = TypeVar("T")

DataDir = Annotated[Path | None, typer.Option(help="Data directory (default ./var).")]
DatabaseUrl = Annotated[str | None, typer.Option(help="postgresql+asyncpg://… (default SQLite).")]
ConfigFile = Annotated[Path | None, typer.Option("--config", help="jwtgate.toml to read.")]
Server = Annotated[str | None, typer.Option(help="Work through this server's admin API.")]
CredentialFile = Annotated[
    Path | None, typer.Option(help="File holding the admin credential (with --server).")
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings_from(config: Path | None, **flags: Any) -> Settings:
    try:
        return load_settings(config, **flags)
    except SettingsError as error:
        fail(str(error), 2)


def run_on_store(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``work`` against the local store, closing it afterwards."""

    async def runner() -> T:
        database = Database(settings.effective_database_url)
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(runner())
    except StoreUnavailable as error:
        fail(f"the store at {_safe_url(settings.effective_database_url)} is unavailable: {error}")
    except (MasterKeyError, DecryptionError) as error:
        fail(str(error))


class AdminClient:
    """A small client for the admin API (``--server``)."""

    def __init__(self, server: str, credential_file: Path | None) -> None:
        if credential_file is None:
            fail("--server needs --admin-credential-file FILE", 2)
        try:
            credential = credential_file.read_text().strip()
        except OSError as error:
            fail(f"cannot read {credential_file}: {error.strerror}", 2)
        self.client = httpx.Client(
            base_url=server.rstrip("/"),
            headers={"Authorization": f"Bearer {credential}"},
            timeout=30,
        )

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **options)
        except httpx.HTTPError as error:
            fail(f"cannot reach {self.client.base_url}: {error}")
        if response.status_code >= 400 and response.status_code != 422:
            try:
                body = response.json()
                detail = f"{body.get('error')}: {body.get('error_description')}"
            except ValueError:
                detail = response.text[:200]
            fail(f"{method} {path} answered {response.status_code}: {detail}")
        return response


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
