"""``jwtgate policy validate|apply|show|diff`` (SPEC §3, §5)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
from jwtgate.control import (
    DEFAULT_REPLAY_DAYS,
    ApplyResult,
    apply_policy,
    load_policies,
    read_policy_file,
)
from jwtgate.policy import PolicyError, dump_policy, load_policy
from jwtgate.store import Database

__all__ = ["app"]

app = typer.Typer(help="The policy file: validate, apply, show, diff.", no_args_is_help=True)

PolicyFile = Annotated[Path, typer.Argument(help="The policy YAML file.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Report what would change only.")]
SinceDays = Annotated[
    int,
    typer.Option(min=0, max=365, help="Days of successful logins to replay (0: none)."),
]


def _read(path: Path) -> str:
    try:
        return read_policy_file(path)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        fail(str(error), 1)


@app.command()
def validate(file: PolicyFile) -> None:
    """Exit 0 when FILE is a valid policy, 1 (with FILE:LINE:COL reasons) otherwise."""
    try:
        policy = load_policy(_read(file), str(file))
    except PolicyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"{file}: valid policy for account {policy.account} "
        f"({len(policy.authenticators)} authenticators, {len(policy.hosts)} hosts, "
        f"{len(policy.users)} users, {len(policy.clients)} clients)"
    )


@app.command()
def apply(
    file: PolicyFile,
    dry_run: DryRun = False,
    since_days: SinceDays = DEFAULT_REPLAY_DAYS,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Apply FILE atomically; a second apply of the same file reports no changes."""
    result = _apply(
        file, dry_run, since_days, data_dir, database_url, config, server, admin_credential_file
    )
    _report(result, dry_run)
    if dry_run and result.lockouts:
        raise typer.Exit(2)


@app.command()
def diff(
    file: PolicyFile,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Print what applying FILE would change, without applying it."""
    result = _apply(
        file,
        True,
        DEFAULT_REPLAY_DAYS,
        data_dir,
        database_url,
        config,
        server,
        admin_credential_file,
    )
    _report(result, True)


@app.command()
def show(
    account: Annotated[str | None, typer.Option(help="The account to show.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    config: ConfigFile = None,
    server: Server = None,
    admin_credential_file: CredentialFile = None,
) -> None:
    """Print the applied policy as YAML, defaults filled in."""
    if server:
        params = {"account": account} if account else {}
        answer = AdminClient(server, admin_credential_file).request(
            "GET", "/admin/policy", params=params
        )
        typer.echo(answer.text, nl=False)
        return
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)
    _, policies = run_on_store(settings, load_policies)
    if not policies:
        fail("no policy has been applied")
    if account is None and len(policies) > 1:
        fail(f"several accounts have policies ({', '.join(sorted(policies))}): pick --account")
    name = account or next(iter(policies))
    if name not in policies:
        fail(f"no policy is applied for account {name}")
    typer.echo(dump_policy(policies[name]), nl=False)


def _apply(
    file: Path,
    dry_run: bool,
    since_days: int,
    data_dir: Path | None,
    database_url: str | None,
    config: Path | None,
    server: str | None,
    credential_file: Path | None,
) -> ApplyResult:
    text = _read(file)
    if server:
        answer = AdminClient(server, credential_file).request(
            "POST",
            "/admin/policy",
            params={"dry_run": "true" if dry_run else "false", "since_days": since_days},
            content=text.encode(),
            headers={"Content-Type": "application/yaml"},
        )
        body = answer.json()
        if answer.status_code == 422:
            typer.echo("\n".join(body["problems"]).replace("<request body>", str(file)), err=True)
            raise typer.Exit(1)
        return ApplyResult(body["applied"], body["version"], body["changes"], body["lockouts"])
    settings = settings_from(config, data_dir=data_dir, database_url=database_url)

    async def work(database: Database) -> ApplyResult:
        return await apply_policy(database, text, str(file), dry_run=dry_run, since_days=since_days)

    try:
        return run_on_store(settings, work)
    except PolicyError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from None


def _report(result: ApplyResult, dry_run: bool) -> None:
    if not result.changes:
        typer.echo("no changes")
        return
    for change in result.changes:
        typer.echo(change)
    for lockout in result.lockouts:
        typer.echo(
            f"lockout: {lockout['identity']} on {lockout['authenticator']}: "
            f"{lockout['check']} ({lockout['reason']})"
        )
    verb = "would apply" if dry_run else "applied"
    typer.echo(f"{verb} as version {result.version}")
