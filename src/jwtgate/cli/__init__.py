"""The ``jwtgate`` command line (SPEC §5)."""

from __future__ import annotations

import typer

from jwtgate.cli import audit, db, keys, policy, serve

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
app.add_typer(audit.app, name="audit")


def main() -> None:
    app()
