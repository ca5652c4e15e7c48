"""The ``jwtgate`` command line (SPEC §5)."""

from __future__ import annotations

import typer

from jwtgate.cli import audit, client, db, inspect, keys, policy, serve, token

__all__ = ["app", "main"]

app = typer.Typer(
    help="jwtgate: a self-hostable JWT authentication service.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("serve")(serve.serve)
app.command("init")(serve.init)
app.add_typer(db.app, name="db")
app.add_typer(policy.app, name="policy")
app.add_typer(keys.app, name="keys")
app.add_typer(client.app, name="client")
app.add_typer(audit.app, name="audit")
token.app.command("inspect")(inspect.inspect)
app.add_typer(token.app, name="token")


def main() -> None:
    app()
