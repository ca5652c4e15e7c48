"""``JwtAuthConfig``: every refusal names its field, never its value (SPEC §6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, rsa

from jwtgate.client import JwtAuthConfig, JwtAuthConfigError
from tests.support.idp import generate
from tests.unit.client.material import ALGORITHMS, pem, private_key

ES256_KEY = private_key("ES256")
HS_SECRET = "k" * 32


def config(**changes: Any) -> JwtAuthConfig:
    fields: dict[str, Any] = {
        "private_key": ES256_KEY,
        "algorithm": "ES256",
        "issuer": "my-app",
        "audience": "https://auth.example.com/oauth/token",
    }
    return JwtAuthConfig(**{**fields, **changes})


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_algorithm_builds(algorithm: str) -> None:
    built = config(private_key=private_key(algorithm), algorithm=algorithm)
    assert built.algorithm == algorithm


def test_defaults_and_normalisation() -> None:
    built = config(audience=["a", "b"], headers={"kid": "k1"})
    assert built.audience == ("a", "b")
    assert built.expiry_seconds == 300
    assert built.grant_type == "urn:ietf:params:oauth:grant-type:jwt-bearer"
    assert built.client_auth_method == "none"
    with pytest.raises(TypeError):
        built.headers["kid"] = "k2"  # type: ignore[index]  # frozen, tables included
    assert config(client_id="app", client_secret="s" * 32).client_auth_method == (
        "client_secret_basic"
    )


REFUSED: list[tuple[str, dict[str, Any], str, str]] = [
    ("no algorithm", {"algorithm": ""}, "algorithm", "missing"),
    ("unknown algorithm", {"algorithm": "ES512"}, "algorithm", "is not one of HS256"),
    ("none", {"algorithm": "none"}, "algorithm", "is not one of"),
    ("no key", {"private_key": ""}, "private_key", "missing"),
    ("key not text", {"private_key": b"bytes"}, "private_key", "must be a string"),
    ("short HS256", {"algorithm": "HS256", "private_key": "k" * 31}, "private_key", "31 bytes"),
    ("short HS384", {"algorithm": "HS384", "private_key": "k" * 47}, "private_key", "at least 48"),
    ("short HS512", {"algorithm": "HS512", "private_key": "k" * 63}, "private_key", "at least 64"),
    ("PEM as HS secret", {"algorithm": "HS256"}, "private_key", "not a PEM key"),
    ("secret as RS key", {"algorithm": "RS256", "private_key": HS_SECRET}, "private_key", "PEM"),
    ("EC key for RS256", {"algorithm": "RS256"}, "private_key", "not a secp256r1 key"),
    ("P-256 for ES384", {"algorithm": "ES384"}, "private_key", "needs a P-384"),
    ("EC key for EdDSA", {"algorithm": "EdDSA"}, "private_key", "needs an Ed25519 key"),
    ("no issuer", {"issuer": ""}, "issuer", "missing"),
    ("blank issuer", {"issuer": "  "}, "issuer", "missing"),
    ("no audience", {"audience": ""}, "audience", "missing"),
    ("empty audience list", {"audience": []}, "audience", "missing"),
    ("audience of numbers", {"audience": [1]}, "audience", "must be a string"),
    ("empty subject", {"subject": ""}, "subject", "missing"),
    ("zero expiry", {"expiry_seconds": 0}, "expiry_seconds", "positive integer"),
    ("bool expiry", {"expiry_seconds": True}, "expiry_seconds", "positive integer"),
    ("float expiry", {"expiry_seconds": 1.5}, "expiry_seconds", "positive integer"),
    ("headers a list", {"headers": ["kid"]}, "headers", "table"),
    ("header alg clash", {"headers": {"alg": "HS256"}}, "headers", "alg must be ES256"),
    ("claims not JSON", {"additional_claims": {"x": b"1"}}, "additional_claims", "JSON"),
    ("claims override exp", {"additional_claims": {"exp": 1}}, "additional_claims", "exp"),
    ("claims override jti", {"additional_claims": {"jti": "x"}}, "additional_claims", "jti"),
    ("plain http", {"token_url": "http://auth.example.com/t"}, "token_url", "https://"),
    ("not a URL", {"token_url": "auth.example.com"}, "token_url", "https://"),
    ("empty grant type", {"grant_type": ""}, "grant_type", "missing"),
    ("unknown method", {"client_auth_method": "tls"}, "client_auth_method", "one of none"),
    ("basic without id", {"client_secret": "s" * 32}, "client_id", "client_secret_basic needs"),
    (
        "post without secret",
        {"client_id": "a", "client_auth_method": "client_secret_post"},
        "client_secret",
        "missing",
    ),
    (
        "secret with private_key_jwt",
        {"client_id": "a", "client_secret": "s", "client_auth_method": "private_key_jwt"},
        "client_auth_method",
        "does not send the client_secret",
    ),
    (
        "private_key_jwt with HS",
        {
            "algorithm": "HS256",
            "private_key": HS_SECRET,
            "client_id": "a",
            "client_auth_method": "private_key_jwt",
        },
        "client_auth_method",
        "HS algorithms",
    ),
    (
        "client_credentials without private_key_jwt",
        {"grant_type": "client_credentials"},
        "client_auth_method",
        "client_credentials",
    ),
    ("format", {"format": "yaml"}, "format", "json, urlencoded, xml"),
    ("timeout", {"timeout_seconds": -1}, "timeout_seconds", "positive number"),
    ("tls_verify text", {"tls_verify": "no"}, "tls_verify", "true or false"),
    ("missing CA file", {"ca_file": "/nonexistent/ca.pem"}, "ca_file", "cannot be loaded"),
    ("key without cert", {"client_key_file": "k.pem"}, "client_key_file", "needs client_cert"),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_refused_naming_the_field(changes: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(JwtAuthConfigError) as caught:
        config(**changes)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("key", "algorithm", "message"),
    [
        (rsa.generate_private_key(65537, 1024), "RS256", "1024 bits; RS256 needs at least 2048"),
        (ec.generate_private_key(ec.SECP384R1()), "ES256", "not a secp384r1 key"),
        (ed448.Ed448PrivateKey.generate(), "EdDSA", "not a key of type Ed448"),
        (generate("EdDSA"), "PS256", "not a key of type Ed25519"),
    ],
)
def test_keys_that_do_not_fit(key: Any, algorithm: str, message: str) -> None:
    with pytest.raises(JwtAuthConfigError, match=message):
        config(private_key=pem(key), algorithm=algorithm)


def test_encrypted_key_is_refused() -> None:
    encrypted = (
        generate("ES256")
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
        .decode()
    )
    with pytest.raises(JwtAuthConfigError, match="private_key: an encrypted PEM key"):
        config(private_key=encrypted)


def test_secrets_never_show() -> None:
    secret = "super-secret-" + "x" * 40
    built = config(client_id="app", client_secret=secret)
    assert secret not in repr(built) and "BEGIN" not in repr(built)
    short = "short-secret"
    with pytest.raises(JwtAuthConfigError) as caught:
        config(algorithm="HS256", private_key=short)
    assert short not in str(caught.value)


def test_loopback_http_and_https_token_urls() -> None:
    for url in (
        "https://auth.example.com/oauth/token",
        "http://127.0.0.1:8080/oauth/token",
        "http://[::1]/t",
        "http://localhost/t",
    ):
        assert config(token_url=url).token_url == url


def test_tls_files(tmp_path: Path) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    issued = ca.issue_cert("client.example")
    issued.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    issued.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    built = config(
        ca_file=tmp_path / "ca.pem",
        client_cert_file=tmp_path / "cert.pem",
        client_key_file=tmp_path / "key.pem",
    )
    assert built.ca_file == str(tmp_path / "ca.pem")  # paths are kept as text
    (tmp_path / "bad.pem").write_text("not a certificate")
    with pytest.raises(JwtAuthConfigError, match="ca_file: cannot be loaded"):
        config(ca_file=tmp_path / "bad.pem")
    with pytest.raises(JwtAuthConfigError, match="client_cert_file: cannot be loaded"):
        config(client_cert_file=tmp_path / "ca.pem")  # a certificate without its key
    with pytest.raises(JwtAuthConfigError, match="tls_verify: false contradicts ca_file"):
        config(ca_file=tmp_path / "ca.pem", tls_verify=False)


# -- TOML -----------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_from_toml_with_key_file(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    write(tmp_path / "keys" / "client.pem", ES256_KEY)
    toml = write(
        tmp_path / "client.toml",
        """
        private_key_file = "keys/client.pem"   # relative to this file
        algorithm = "ES256"
        expiry_seconds = 120
        issuer = "my-app"
        audience = ["https://auth.example.com/oauth/token", "https://auth.example.com"]
        subject = "alice"
        token_url = "https://auth.example.com/oauth/token"
        grant_type = "urn:example:custom"
        client_id = "my-app"
        client_auth_method = "private_key_jwt"
        scope = "read write"
        format = "xml"
        timeout_seconds = 2.5
        tls_verify = true

        [headers]
        kid = "key-1"

        [additional_claims]
        tenant = {id = 7, name = "blue"}
        """.replace("\n        ", "\n"),
    )
    built = JwtAuthConfig.from_toml(toml)
    assert built.private_key == ES256_KEY
    assert built.audience == ("https://auth.example.com/oauth/token", "https://auth.example.com")
    assert (built.expiry_seconds, built.timeout_seconds, built.format) == (120, 2.5, "xml")
    assert dict(built.headers) == {"kid": "key-1"}
    assert dict(built.additional_claims) == {"tenant": {"id": 7, "name": "blue"}}
    assert built.client_auth_method == "private_key_jwt"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('algorithm = "ES256"\nissuer = "a"\naudience = "b"', "client.toml: private_key: missing"),
        (
            'private_key_file = "nope.pem"\nalgorithm = "ES256"',
            "client.toml: private_key_file: cannot be read (No such file or directory)",
        ),
        ('isuser = "typo"', "client.toml: isuser: unknown field"),
        ("expiry_seconds = ", "client.toml: not TOML"),
        (
            'private_key_file = "k.pem"\nalgorithm = "RS256"\nissuer = "a"\naudience = "b"',
            "client.toml: private_key_file: RS256 needs an RSA private key",
        ),
        (
            'private_key_file = "k.pem"\nalgorithm = "ES256"\nissuer = "a"\naudience = "b"\n'
            'expiry_seconds = "300"',
            "client.toml: expiry_seconds: must be a positive integer",
        ),
        (
            'private_key_file = "k.pem"\nprivate_key = "x"',
            "client.toml: private_key_file: give private_key or private_key_file, not both",
        ),
    ],
)
def test_toml_errors_name_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / "k.pem", ES256_KEY)
    toml = write(tmp_path / "client.toml", text)
    with pytest.raises(JwtAuthConfigError) as caught:
        JwtAuthConfig.from_toml(toml)
    assert str(caught.value).replace(f"{tmp_path}/", "").startswith(message)
    assert "BEGIN" not in str(caught.value)


# -- environment -----------------------------------------------------------------------


def test_from_env_parses_each_kind(tmp_path: Path) -> None:
    write(tmp_path / "client.pem", ES256_KEY)
    built = JwtAuthConfig.from_env(
        {
            "JWTGATE_CLIENT_PRIVATE_KEY_FILE": str(tmp_path / "client.pem"),
            "JWTGATE_CLIENT_ALGORITHM": "ES256",
            "JWTGATE_CLIENT_ISSUER": "my-app",
            "JWTGATE_CLIENT_AUDIENCE": '["a", "b"]',
            "JWTGATE_CLIENT_SUBJECT": "",  # empty: not set
            "JWTGATE_CLIENT_EXPIRY_SECONDS": "60",
            "JWTGATE_CLIENT_HEADERS": '{"kid": "k1", "typ": "JWT"}',
            "JWTGATE_CLIENT_ADDITIONAL_CLAIMS": '{"scope": "read", "n": 1}',
            "JWTGATE_CLIENT_TIMEOUT_SECONDS": "0.5",
            "JWTGATE_CLIENT_TLS_VERIFY": "false",
            "JWTGATE_OTHER": "ignored",
        }
    )
    assert built.audience == ("a", "b") and built.subject is None
    assert (built.expiry_seconds, built.timeout_seconds, built.tls_verify) == (60, 0.5, False)
    assert dict(built.headers) == {"kid": "k1", "typ": "JWT"}
    assert dict(built.additional_claims) == {"scope": "read", "n": 1}


def test_from_env_plain_audience_and_inline_key() -> None:
    built = JwtAuthConfig.from_env(
        {
            "JWTGATE_CLIENT_PRIVATE_KEY": HS_SECRET,
            "JWTGATE_CLIENT_ALGORITHM": "HS256",
            "JWTGATE_CLIENT_ISSUER": "my-app",
            "JWTGATE_CLIENT_AUDIENCE": "https://auth.example.com",
        }
    )
    assert built.audience == "https://auth.example.com"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"JWTGATE_CLIENT_ISSUER": None}, "JWTGATE_CLIENT_ISSUER: missing"),
        (
            {"JWTGATE_CLIENT_EXPIRY_SECONDS": "5m"},
            "JWTGATE_CLIENT_EXPIRY_SECONDS: must be an integer",
        ),
        ({"JWTGATE_CLIENT_HEADERS": "kid=1"}, "JWTGATE_CLIENT_HEADERS: must be a JSON object"),
        ({"JWTGATE_CLIENT_HEADERS": "[1]"}, "JWTGATE_CLIENT_HEADERS: must be a table"),
        (
            {"JWTGATE_CLIENT_TLS_VERIFY": "maybe"},
            "JWTGATE_CLIENT_TLS_VERIFY: must be true or false",
        ),
        ({"JWTGATE_CLIENT_AUDIENCE": "[oops"}, "JWTGATE_CLIENT_AUDIENCE: must be a string or"),
        ({"JWTGATE_CLIENT_ISUSER": "typo"}, "JWTGATE_CLIENT_ISUSER: unknown variable"),
        ({"JWTGATE_CLIENT_PRIVATE_KEY": "tiny-s3cret"}, "JWTGATE_CLIENT_PRIVATE_KEY: the HS256"),
    ],
)
def test_env_errors_name_the_variable(changes: dict[str, str | None], message: str) -> None:
    environ: dict[str, str | None] = {
        "JWTGATE_CLIENT_PRIVATE_KEY": HS_SECRET,
        "JWTGATE_CLIENT_ALGORITHM": "HS256",
        "JWTGATE_CLIENT_ISSUER": "my-app",
        "JWTGATE_CLIENT_AUDIENCE": "aud",
    }
    environ.update(changes)
    present = {name: value for name, value in environ.items() if value is not None}
    with pytest.raises(JwtAuthConfigError) as caught:
        JwtAuthConfig.from_env(present)
    assert str(caught.value).startswith(message)
    assert "tiny-s3cret" not in str(caught.value) and HS_SECRET not in str(caught.value)


def test_from_env_reads_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "PRIVATE_KEY": HS_SECRET,
        "ALGORITHM": "HS256",
        "ISSUER": "from-env",
        "AUDIENCE": json.dumps(["x"]),
    }.items():
        monkeypatch.setenv(f"JWTGATE_CLIENT_{name}", value)
    assert JwtAuthConfig.from_env().issuer == "from-env"
