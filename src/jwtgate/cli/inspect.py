"""``jwtgate token inspect``: why is this token rejected? (SPEC §5)

It runs the server's own checks (see :mod:`jwtgate.diagnose`) against a JWKS URI with
explicit rules, an authenticator of the local store, or — with ``--server`` — of a
running jwtgate through ``POST /admin/diagnose``. Exit code 0 only when the token would
be accepted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from jwtgate.cache import MemoryCache
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
from jwtgate.control import load_policies
from jwtgate.diagnose import (
    Report,
    clean_token,
    inspect_authenticator,
    inspect_oauth,
    inspect_with_rules,
)
from jwtgate.jose import Rules, jwks_uri_source
from jwtgate.key_sources import KeySourceRegistry
from jwtgate.oauth import ClientDirectory, OAuthContext
from jwtgate.policy import compile_snapshot
from jwtgate.store import ClientRepository, Database

__all__ = ["inspect"]

STDIN = "-"
DEFAULT_ALGORITHMS = "RS256,RS384,RS512"  # an authenticator's default (SPEC §3)
_MARKS = {"pass": "[green]✔ pass[/]", "fail": "[red]✘ fail[/]", "skip": "[dim]- skip[/]"}


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def inspect(
    token: Annotated[str, typer.Argument(help="The token, or - to read it from stdin.")],
    jwks_uri: Annotated[str | None, typer.Option(help="Check against this JWKS.")] = None,
    issuer: Annotated[str | None, typer.Option(help="Required iss (with --jwks-uri).")] = None,
    audience: Annotated[str | None, typer.Option(help="Accepted aud values, a,b.")] = None,
    algorithms: Annotated[str, typer.Option(help="Allowed algorithms, a,b.")] = DEFAULT_ALGORITHMS,
    authenticator: Annotated[
        str | None, typer.Option(help="ACCOUNT/SERVICE_ID of an authn-jwt authenticator.")
    ] = None,
    login: Annotated[str | None, typer.Option(help="The id the URL would carry.")] = None,
    oauth: Annotated[
        bool, typer.Option("--oauth", help="Check an RFC 7523 assertion for the token endpoint.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Decode a token and run every check the server would run, with pass/fail and why."""
    text = sys.stdin.read() if token == STDIN else token
    cleaned = clean_token(text)
    if not cleaned:
        fail("no token given", 2)
    if [bool(jwks_uri), bool(authenticator), oauth].count(True) != 1:
        fail("give exactly one of --jwks-uri URL, --authenticator ACCOUNT/SERVICE_ID, --oauth", 2)
    if jwks_uri:
        report = _jwks(cleaned, jwks_uri, issuer, audience, algorithms)
    elif server:
        report_json = _remote(cleaned, authenticator, login, server, admin_credential_file)
        _finish(report_json, as_json)
        return
    elif oauth:
        report = _local_oauth(cleaned, data_dir, database_url, config)
    else:
        report = _local(cleaned, str(authenticator), login, data_dir, database_url, config)
    _finish(report.as_json(), as_json)


def _jwks(token: str, uri: str, issuer: str | None, audience: str | None, algs: str) -> Report:
    try:
        source = jwks_uri_source(uri)
        rules = Rules(algorithms=frozenset(_split(algs)), issuer=issuer, audience=_split(audience))
    except ValueError as error:
        fail(str(error), 2)

    async def run() -> Report:
        try:
            return await inspect_with_rules(
                token, rules, source, now=time.time(), target={"kind": "jwks_uri", "jwks_uri": uri}
            )
        finally:
            await source.aclose()

    return asyncio.run(run())


def _split_target(target: str) -> tuple[str, str]:
    account, _, service_id = target.partition("/")
    if not account or not service_id:
        fail("--authenticator is ACCOUNT/SERVICE_ID", 2)
    return account, service_id


def _local(
    token: str,
    target: str,
    login: str | None,
    data_dir: Path | None,
    database_url: str | None,
    config: Path | None,
) -> Report:
    account, service_id = _split_target(target)
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)

    async def work(database: Database) -> Report:
        version, policies = await load_policies(database)
        sources = KeySourceRegistry()
        try:
            return await inspect_authenticator(
                token,
                compile_snapshot(policies, version),
                sources,
                account=account,
                service_id=service_id,
                login=login,
                now=time.time(),
            )
        finally:
            await sources.aclose()

    return run_on_store(settings, work)


def _local_oauth(
    token: str, data_dir: Path | None, database_url: str | None, config: Path | None
) -> Report:
    """The token endpoint's rules with the local store's clients and the local settings'
    public URL (SPEC §5)."""
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)

    async def work(database: Database) -> Report:
        version, policies = await load_policies(database)
        registered = await ClientRepository(database).all()
        directory = ClientDirectory.build(
            compile_snapshot(policies, version),
            ((client.account, client.document) for client in registered),
        )
        sources = KeySourceRegistry()
        context = OAuthContext(
            public_url=settings.effective_public_url,
            settings=settings.oauth,
            directory=directory,
            key_sources=sources,
            cache=MemoryCache(),  # inspecting never records single use
            now=time.time(),
        )
        try:
            return await inspect_oauth(token, context)
        finally:
            await sources.aclose()

    return run_on_store(settings, work)


def _remote(
    token: str, target: str | None, login: str | None, server: str, credential_file: Path | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"token": token}
    if target is None:
        body["oauth"] = True
    else:
        _split_target(target)
        body["authenticator"] = target
    if login:
        body["login"] = login
    answer = AdminClient(server, credential_file).request("POST", "/admin/diagnose", json=body)
    report: dict[str, Any] = answer.json()
    return report


def _finish(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report, indent=2))
    else:
        _print(report)
    raise typer.Exit(0 if report["accepted"] else 1)


def _print(report: dict[str, Any]) -> None:
    console = Console(highlight=False, soft_wrap=True)
    decoded = report["token"]
    for part in ("header", "claims"):
        if part in decoded:
            console.print(f"[bold]{part:<10}[/]{escape(json.dumps(decoded[part]))}")
    if "signature_length" in decoded:
        console.print(f"[bold]{'signature':<10}[/]{decoded['signature_length']} characters")
    for name, when in report["times"].items():
        console.print(f"[bold]{name:<10}[/]{when['utc']} ({when['relative']})")
    console.print("[bold]checks[/]")
    for check in report["checks"]:
        label = " ".join(part for part in (check["code"], check["reason"]) if part)
        console.print(
            f"  {_MARKS[check['status']]}  {check['name']:<15} "
            f"{escape(label + ('  ' if label else ''))}{escape(check['message'])}"
        )
    error = report["error"]
    if report["accepted"]:
        console.print("[bold green]accepted[/]: every check passes")
    elif error:
        reason = f": {error['reason']}" if error["reason"] else ""
        console.print(f"[bold red]refused[/]: {error['check']} — {error['code']}{reason}")
    else:
        console.print("[bold red]refused[/]: not every check could run")
