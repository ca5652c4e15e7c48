"""``jwtgate client add|list|remove``: the client application registry (SPEC §3, §5).

``add`` registers an OAuth client of one account with exactly one credential — an X.509
certificate PEM file (checked for key type, size and validity dates), a JWK or JWK Set
file, a ``--jwks-uri``, or ``--secret``, which generates a secret and prints it once
(only its SHA-256 is stored). List options take comma-separated values. Every command
works on the local store or, with ``--server`` and ``--admin-credential-file``, through
``/admin/clients``. Bad input prints each problem and changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

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
    fail,
    run_on_store,
    settings_from,
)
from jwtgate.oauth.registry import (
    ClientConflict,
    ClientInvalid,
    ClientNotFound,
    Registered,
    add_client,
    list_clients,
    remove_client,
)
from jwtgate.settings import Settings
from jwtgate.store import Database

__all__ = ["app"]

app = typer.Typer(help="OAuth clients of the client application registry.", no_args_is_help=True)

T = TypeVar("T")
MAX_FILE_BYTES = 1024 * 1024
ListOption = Annotated[str | None, typer.Option(help="Comma-separated values.")]


def _split(value: str | None) -> list[str] | None:
    return [item.strip() for item in value.split(",") if item.strip()] if value else None


def _read(path: Path, what: str) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            fail(f"{path}: the {what} file is larger than 1 MiB", 2)
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read the {what} file {path}: {getattr(error, 'strerror', None) or error}", 2)


def _jwks(path: Path) -> dict[str, Any]:
    """A JWK Set, or a single JWK wrapped into one (RFC 7517 §4, §5)."""
    try:
        document = json.loads(_read(path, "JWK"))
    except ValueError as error:
        fail(f"{path}: not JSON ({error})", 2)
    if isinstance(document, dict) and isinstance(document.get("keys"), list):
        return document
    if isinstance(document, dict) and "kty" in document:
        return {"keys": [document]}
    fail(f"{path}: neither a JWK nor a JWK Set", 2)


@app.command()
def add(
    client_id: Annotated[str, typer.Argument(help="The client id (its assertions' iss).")],
    account: Annotated[str, typer.Option(help="The account the client belongs to.")],
    certificate: Annotated[
        Path | None, typer.Option(help="PEM file of the client's X.509 certificate.")
    ] = None,
    jwk: Annotated[
        Path | None, typer.Option("--jwk", help="File with the client's public JWK or JWK Set.")
    ] = None,
    jwks_uri: Annotated[str | None, typer.Option(help="https URL of its JWK Set.")] = None,
    secret: Annotated[
        bool, typer.Option("--secret", help="Generate a client secret, printed once.")
    ] = False,
    grant_types: Annotated[
        str | None,
        typer.Option(
            help="jwt-bearer,client_credentials (default: both for a key, "
            "client_credentials for a secret)."
        ),
    ] = None,
    scopes: ListOption = None,
    default_scopes: ListOption = None,
    subjects: Annotated[
        str | None, typer.Option(help="Allowed sub of its assertions, globs (default: its id).")
    ] = None,
    audience: Annotated[str | None, typer.Option(help="aud of the tokens it gets.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Register a client with one credential: --certificate, --jwk, --jwks-uri or --secret."""
    request: dict[str, Any] = {
        "account": account,
        "id": client_id,
        "certificate": _read(certificate, "certificate") if certificate else None,
        "jwks": _jwks(jwk) if jwk else None,
        "jwks_uri": jwks_uri,
        "generate_secret": secret,
        "grant_types": _split(grant_types),
        "scopes": _split(scopes),
        "default_scopes": _split(default_scopes),
        "subjects": _split(subjects),
        "audience": _split(audience),
    }
    request = {name: value for name, value in request.items() if value not in (None, False)}
    if server:
        answer = AdminClient(server, admin_credential_file).request(
            "POST", "/admin/clients", json=request
        )
        body = answer.json()
        if answer.status_code == 422:
            _invalid(client_id, body["problems"])
        listed, generated = body["client"], body.get("client_secret")
    else:
        settings = settings_from(config, data_dir=data_dir, database_url=database_url)

        async def work(database: Database) -> Registered:
            return await add_client(database, request)

        registered = _on_store(settings, work, client_id)
        listed = {"id": registered.client.id, "account": registered.client.account}
        generated = registered.secret
    typer.echo(f"registered client {listed['id']} in account {listed['account']}")
    if generated:
        typer.echo(f"client secret: {generated}")
        typer.echo("(shown once: store it now; only its hash is kept)")


def _invalid(client_id: str, problems: list[str]) -> NoReturn:
    for problem in problems:
        typer.echo(f"error: client {client_id}: {problem}", err=True)
    raise typer.Exit(1)


def _on_store(settings: Settings, work: Callable[[Database], Awaitable[T]], client_id: str) -> T:
    """Run ``work`` on the local store, turning registry refusals into clear exits."""
    try:
        return run_on_store(settings, work)
    except ClientInvalid as error:
        _invalid(client_id, error.problems)
    except (ClientConflict, ClientNotFound) as error:
        fail(str(error))


@app.command("list")
def list_(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Print every client, from the policies and the registry (never a credential)."""
    if server:
        clients = AdminClient(server, admin_credential_file).request("GET", "/admin/clients")
        listed = clients.json()["clients"]
    else:
        settings = settings_from(config, data_dir=data_dir, database_url=database_url)
        listed = _on_store(settings, list_clients, "")
    _print(listed)


@app.command()
def remove(
    client_id: Annotated[str, typer.Argument(help="The registered client to remove.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Remove a registered client (a policy client is changed in its policy)."""
    if server:
        AdminClient(server, admin_credential_file).request("DELETE", f"/admin/clients/{client_id}")
    else:
        settings = settings_from(config, data_dir=data_dir, database_url=database_url)

        async def work(database: Database) -> None:
            await remove_client(database, client_id)

        _on_store(settings, work, client_id)
    typer.echo(f"removed client {client_id}")


def _print(clients: list[Mapping[str, Any]]) -> None:
    table = Table("id", "account", "origin", "credential", "grant types", "scopes", "since (UTC)")
    for client in clients:
        since = client.get("created_at")
        when = time.strftime("%Y-%m-%d %H:%M", time.gmtime(float(since))) if since else ""
        table.add_row(
            str(client["id"]),
            str(client["account"]),
            str(client["origin"]),
            str(client["credential"]),
            ",".join(client["grant_types"]),
            ",".join(client["scopes"]),
            when,
        )
    Console(width=160).print(table)
