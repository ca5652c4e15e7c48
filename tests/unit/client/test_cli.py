"""``jwtgate token mint|exchange`` argument handling (SPEC §5): flags over
``JWTGATE_CLIENT_*`` over ``--config``; errors name the flag and never echo a secret."""

from __future__ import annotations

from pathlib import Path

import pytest
from joserfc import jwt
from typer.testing import CliRunner

from jwtgate.cli import app
from tests.unit.client.material import private_key, verifying_key

runner = CliRunner()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "client-key.pem"
    path.write_text(private_key("ES256"))
    return path


def claims_of(output: str, key_file: Path) -> jwt.Token:
    return jwt.decode(output.strip(), verifying_key("ES256", key_file.read_text()), ["ES256"])


def test_mint_from_flags(key_file: Path) -> None:
    result = runner.invoke(
        app,
        [
            "token", "mint", "--key", str(key_file), "--alg", "ES256", "--iss", "my-app",
            "--sub", "alice", "--aud", "https://a.example,https://b.example", "--ttl", "60",
            "--claim", "scope=read write", "--claim", "n=5", "--claim", 'tenant={"id": 7}',
            "--claim", "flag=true", "--claim", "quoted=\"42\"", "--header", "kid=key-1",
        ],
        env={},
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    token = claims_of(result.stdout, key_file)
    assert token.header["kid"] == "key-1"
    claims = token.claims
    assert claims["aud"] == ["https://a.example", "https://b.example"]
    assert claims["exp"] - claims["iat"] == 60
    assert (claims["scope"], claims["n"], claims["tenant"]) == ("read write", 5, {"id": 7})
    assert (claims["flag"], claims["quoted"]) == (True, "42")


def test_flags_over_environment_over_file(tmp_path: Path, key_file: Path) -> None:
    toml = tmp_path / "client.toml"
    toml.write_text(
        f'private_key_file = "{key_file.name}"\nalgorithm = "ES256"\nissuer = "from-file"\n'
        'audience = "aud"\nsubject = "file-subject"\n'
        '[headers]\nkid = "file-kid"\n[additional_claims]\nscope = "read"\n'
    )
    result = runner.invoke(
        app,
        ["token", "mint", "--config", str(toml), "--sub", "flag-subject", "--header", "typ=at+jwt"],
        env={"JWTGATE_CLIENT_ISSUER": "from-env", "JWTGATE_CLIENT_SUBJECT": "env-subject"},
    )
    assert result.exit_code == 0, result.stderr
    token = claims_of(result.stdout, key_file)
    assert (token.claims["iss"], token.claims["sub"]) == ("from-env", "flag-subject")
    assert token.claims["scope"] == "read"
    assert (token.header["kid"], token.header["typ"]) == ("file-kid", "at+jwt")  # merged


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--alg", "ES256", "--aud", "a"], "error: --iss: missing"),
        (
            ["--alg", "ES256", "--iss", "i", "--aud", "a", "--claim", "novalue"],
            "error: --claim: expected key=value",
        ),
        (
            ["--alg", "ES256", "--iss", "i", "--aud", "a", "--claim", "exp=1"],
            "error: --claim: exp are filled in",
        ),
        (
            ["--alg", "RS256", "--iss", "i", "--aud", "a"],
            "error: --key: RS256 needs an RSA private key",
        ),
        (["--alg", "XS1", "--iss", "i", "--aud", "a"], "error: --alg: 'XS1' is not one of"),
    ],
)
def test_mint_errors_name_the_flag(key_file: Path, arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["token", "mint", "--key", str(key_file), *arguments], env={})
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert "BEGIN" not in result.output


def test_secret_is_never_echoed(tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("too-short-s3cret")
    result = runner.invoke(
        app,
        ["token", "mint", "--key", str(secret_file), "--alg", "HS256", "--iss", "i", "--aud", "a"],
        env={},
    )
    assert result.exit_code == 2
    assert "error: --key: the HS256 secret has 16 bytes" in result.stderr
    assert "too-short-s3cret" not in result.output


def test_unreadable_key_file(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["token", "mint", "--key", str(tmp_path / "missing.pem"), "--alg", "ES256"], env={}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --key: cannot be read (No such file or directory)")


def test_exchange_needs_a_token_url(key_file: Path) -> None:
    env = {
        "JWTGATE_CLIENT_PRIVATE_KEY_FILE": str(key_file),
        "JWTGATE_CLIENT_ALGORITHM": "ES256",
        "JWTGATE_CLIENT_ISSUER": "i",
        "JWTGATE_CLIENT_AUDIENCE": "a",
    }
    result = runner.invoke(app, ["token", "exchange"], env=env)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --token-url: missing")
    insecure = runner.invoke(
        app, ["token", "exchange", "--token-url", "http://as.example/t"], env=env
    )
    assert insecure.stderr.startswith("error: --token-url: must be https://")
