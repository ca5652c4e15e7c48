"""``jwtgate token exchange`` against the Authlib token endpoint (SPEC §5)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from jwtgate.cli import app
from tests.integration.client.oauth_server import Client, TokenServer
from tests.unit.client.material import private_key, verifying_key

runner = CliRunner()


def client_toml(folder: Path, oauth: TokenServer, audience: str) -> Path:
    (folder / "key.pem").write_text(private_key("RS256"))
    path = folder / "client.toml"
    path.write_text(
        f'private_key_file = "key.pem"\nalgorithm = "RS256"\nissuer = "cli-app"\n'
        f'audience = "{audience}"\nformat = "urlencoded"\n'
    )
    oauth.register(Client("cli-app", "RS256", verifying_key("RS256", private_key("RS256"))))
    return path


def test_exchange_prints_the_token_response(tmp_path: Path, oauth: TokenServer) -> None:
    config = client_toml(tmp_path, oauth, oauth.token_url)
    result = runner.invoke(
        app, ["token", "exchange", "--token-url", oauth.token_url, "--config", str(config)], env={}
    )
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["access_token"] in oauth.tokens
    assert (answer["token_type"], answer["expires_in"]) == ("Bearer", "3600")  # as sent


def test_exchange_refusal_exits_1_quoting_the_server(tmp_path: Path, oauth: TokenServer) -> None:
    config = client_toml(tmp_path, oauth, "https://someone-else.example")
    result = runner.invoke(
        app,
        ["token", "exchange", "--config", str(config), "--grant-type", "urn:example:unknown"],
        env={"JWTGATE_CLIENT_TOKEN_URL": oauth.token_url},
    )
    assert result.exit_code == 1
    assert result.stderr == f"error: {oauth.token_url} answered HTTP 400: unsupported_grant_type\n"
    refused = runner.invoke(
        app,
        ["token", "exchange", "--config", str(config)],
        env={"JWTGATE_CLIENT_TOKEN_URL": oauth.token_url},
    )
    assert refused.exit_code == 1
    assert "invalid_grant: Invalid claim: 'aud'" in refused.stderr


def test_exchange_unreachable(tmp_path: Path, oauth: TokenServer) -> None:
    config = client_toml(tmp_path, oauth, oauth.token_url)
    result = runner.invoke(
        app,
        ["token", "exchange", "--config", str(config), "--token-url", "http://127.0.0.1:9/t"],
        env={},
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("error: http://127.0.0.1:9/t: ")
