"""``jwtgate token``: the client SDK on the command line (SPEC §5, §6).

``mint`` prints the JWT that a :class:`~jwtgate.client.JwtAuthConfig` builds;
``exchange`` prints the token endpoint's response. The configuration is read as every
jwtgate command reads its settings (SPEC §5): flags over ``JWTGATE_CLIENT_*`` variables
over the ``--config`` TOML file, so that keys and secrets stay in files or the
environment, never on the command line. Each command is one function on :data:`app`;
another (``inspect``) joins them the same way.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from jwtgate.cli.common import fail
from jwtgate.client import JwtAuthConfig, JwtAuthConfigError, TokenRequestError
from jwtgate.client import exchange as exchange_token
from jwtgate.client import mint as mint_token
from jwtgate.client.loading import Layer, build, env_fields, toml_fields

__all__ = ["app"]

app = typer.Typer(help="Client tokens: mint and exchange (SPEC §6).", no_args_is_help=True)

ClientConfig = Annotated[
    Path | None, typer.Option("--config", help="client.toml with the SPEC §6 fields.")
]
# The flag that sets each field, for error messages.
FLAGS = {
    "private_key": "--key",
    "private_key_file": "--key",
    "algorithm": "--alg",
    "issuer": "--iss",
    "subject": "--sub",
    "audience": "--aud",
    "expiry_seconds": "--ttl",
    "additional_claims": "--claim",
    "headers": "--header",
    "token_url": "--token-url",
    "grant_type": "--grant-type",
}


@app.command()
def mint(
    config: ClientConfig = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="File with the PEM private key or HS secret.")
    ] = None,
    alg: Annotated[str | None, typer.Option("--alg", help="HS256, RS256, ES256, …")] = None,
    iss: Annotated[str | None, typer.Option("--iss", help="The iss claim.")] = None,
    sub: Annotated[str | None, typer.Option("--sub", help="The sub claim.")] = None,
    aud: Annotated[str | None, typer.Option("--aud", help="The aud claim; a,b for a list.")] = None,
    ttl: Annotated[int | None, typer.Option("--ttl", help="Seconds until exp.")] = None,
    claim: Annotated[
        list[str] | None, typer.Option("--claim", help="k=v, repeatable; v as JSON if valid.")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("--header", help="k=v header, repeatable (kid, typ).")
    ] = None,
) -> None:
    """Print the JWT built from --config and/or the flags."""
    flags: dict[str, Any] = {
        "private_key_file": None if key is None else str(key),
        "algorithm": alg,
        "issuer": iss,
        "subject": sub,
        "audience": None if aud is None else _audience(aud),
        "expiry_seconds": ttl,
        "additional_claims": _pairs(claim, "--claim"),
        "headers": _pairs(header, "--header"),
    }
    typer.echo(mint_token(_load(config, flags)))


@app.command()
def exchange(
    token_url: Annotated[
        str | None, typer.Option("--token-url", help="Token endpoint (default: the config's).")
    ] = None,
    grant_type: Annotated[
        str | None, typer.Option("--grant-type", help="Default: RFC 7523 jwt-bearer.")
    ] = None,
    config: ClientConfig = None,
) -> None:
    """Mint the JWT, exchange it at the token URL and print the token response as JSON."""
    settings = _load(config, {"token_url": token_url, "grant_type": grant_type})
    if settings.token_url is None:
        fail("--token-url: missing (or token_url in the configuration)", 2)
    try:
        answer = exchange_token(settings)
    except TokenRequestError as error:
        fail(str(error))
    except httpx.HTTPError as error:
        fail(f"{settings.token_url}: {str(error) or type(error).__name__}")
    typer.echo(json.dumps(dict(answer.fields), indent=2))


def _load(config_file: Path | None, flags: dict[str, Any]) -> JwtAuthConfig:
    """TOML, then the environment, then the flags given; tables from flags add to the
    configured ones key by key."""
    given = {name: value for name, value in flags.items() if value is not None}
    try:
        layers = [toml_fields(config_file)] if config_file else []
        layers.append(env_fields(os.environ))
        for table in ("additional_claims", "headers"):
            if table in given:
                below = [layer.fields[table] for layer in layers if table in layer.fields]
                base = below[-1] if below and isinstance(below[-1], dict) else {}
                given[table] = {**base, **given[table]}
        labels = {name: FLAGS.get(name, name) for name in given}
        top = Layer(given, labels, name_missing=lambda name: FLAGS.get(name, name))
        layers.append(top.resolve_key_file())
        return build(JwtAuthConfig, *layers)
    except JwtAuthConfigError as error:
        fail(str(error), 2)


def _audience(text: str) -> str | list[str]:
    """SPEC §5: list options take comma-separated values."""
    return [part.strip() for part in text.split(",")] if "," in text else text


def _pairs(items: list[str] | None, flag: str) -> dict[str, Any] | None:
    """``k=v`` pairs; SPEC §5: a value is JSON when it parses as JSON, else a string."""
    if not items:
        return None
    pairs: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name:
            fail(f"{flag}: expected key=value, got {item!r}", 2)
        try:
            pairs[name] = json.loads(text)
        except ValueError:
            pairs[name] = text
    return pairs
