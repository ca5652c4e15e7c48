"""``JwtAuthConfig``: everything the SDK needs to mint, exchange and present a JWT.

SPEC §6 fixes the fields, their TOML names (the seed's "Jwt Auth …" settings, one to
one; docs/client.md has the table) and the rule that a bad configuration is refused
when it is built, naming the field: a key that does not fit the algorithm, an HS secret
shorter than RFC 7518 §3.2 allows, a missing ``issuer`` or ``audience``. The rest of the
fields are the token request's options, checked the same way: client authentication
(RFC 6749 §2.3.1, RFC 7523 §2.2), ``format`` (SPEC §2.3), timeouts and TLS.
"""

from __future__ import annotations

import ipaddress
import json
import os
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jwtgate.client import loading
from jwtgate.client.errors import JwtAuthConfigError
from jwtgate.client.keys import ALGORITHMS, SigningKey, load_signing_key
from jwtgate.client.transport import TlsOptions

__all__ = ["CLIENT_AUTH_METHODS", "JWT_BEARER_GRANT", "JwtAuthConfig"]

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
CLIENT_AUTH_METHODS = ("none", "client_secret_basic", "client_secret_post", "private_key_jwt")
FORMATS = ("json", "urlencoded", "xml")
# Filled in by the SDK on every mint (SPEC §6) or set by their own field.
RESERVED_CLAIMS = frozenset({"iss", "sub", "aud", "iat", "exp", "nbf", "jti"})


@dataclass(frozen=True, kw_only=True)
class JwtAuthConfig:
    """How to build the JWT and, with ``token_url``, how to exchange it (SPEC §6).

    ``private_key`` is a PEM private key or, for HS algorithms, the UTF-8 secret; it and
    ``client_secret`` are kept out of ``repr``. ``client_auth_method`` defaults to
    ``client_secret_basic`` when a ``client_secret`` is given, else ``none``.
    """

    private_key: str = field(default="", repr=False)
    algorithm: str = ""
    issuer: str = ""
    audience: str | Sequence[str] = ""
    subject: str | None = None
    expiry_seconds: int = 300
    headers: Mapping[str, Any] = field(default_factory=dict)
    additional_claims: Mapping[str, Any] = field(default_factory=dict)
    token_url: str | None = None
    grant_type: str = JWT_BEARER_GRANT
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    client_auth_method: str | None = None
    scope: str | None = None
    format: str | None = None
    timeout_seconds: float = 10.0
    tls_verify: bool = True
    ca_file: str | os.PathLike[str] | None = None
    client_cert_file: str | os.PathLike[str] | None = None
    client_key_file: str | os.PathLike[str] | None = None
    signing_key: SigningKey = field(init=False, repr=False, compare=False)
    tls: TlsOptions = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _text(self.algorithm, "algorithm")
        if self.algorithm not in ALGORITHMS:
            raise JwtAuthConfigError(
                "algorithm", f"{self.algorithm!r} is not one of {', '.join(ALGORITHMS)}"
            )
        _text(self.private_key, "private_key")
        self._set("signing_key", load_signing_key(self.algorithm, self.private_key))
        _text(self.issuer, "issuer")
        self._set("audience", _audience(self.audience))
        _optional_text(self.subject, "subject")
        _positive(self.expiry_seconds, "expiry_seconds", integer=True)
        self._set("headers", _json_object(self.headers, "headers"))
        if self.headers.get("alg", self.algorithm) != self.algorithm:
            raise JwtAuthConfigError("headers", f"alg must be {self.algorithm} (from algorithm)")
        self._set("additional_claims", _json_object(self.additional_claims, "additional_claims"))
        if clash := sorted(RESERVED_CLAIMS & set(self.additional_claims)):
            raise JwtAuthConfigError(
                "additional_claims", f"{', '.join(clash)} are filled in by the SDK or their field"
            )
        if self.token_url is not None:
            _check_token_url(self.token_url)
        _text(self.grant_type, "grant_type")
        self._check_client_authentication()
        _optional_text(self.scope, "scope")
        if self.format is not None and self.format not in FORMATS:
            raise JwtAuthConfigError("format", f"must be one of {', '.join(FORMATS)}")
        _positive(self.timeout_seconds, "timeout_seconds", integer=False)
        self._set("tls", self._tls_options())

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> JwtAuthConfig:
        """Load the SPEC §6 fields from a TOML file (``private_key`` or ``private_key_file``;
        relative file names are relative to the TOML file)."""
        return loading.build(cls, loading.toml_fields(Path(path)))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> JwtAuthConfig:
        """Load the same fields from ``JWTGATE_CLIENT_<FIELD>`` variables (tables and lists
        as JSON text); ``environ`` defaults to ``os.environ``."""
        return loading.build(cls, loading.env_fields(os.environ if environ is None else environ))

    def _set(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)  # normalising a frozen dataclass

    def _check_client_authentication(self) -> None:
        """RFC 6749 §2.3.1 (secret, Basic or form) and RFC 7523 §2.2 (private_key_jwt)."""
        _optional_text(self.client_id, "client_id")
        _optional_text(self.client_secret, "client_secret")
        method = self.client_auth_method or (
            "client_secret_basic" if self.client_secret else "none"
        )
        self._set("client_auth_method", method)
        if method not in CLIENT_AUTH_METHODS:
            raise JwtAuthConfigError(
                "client_auth_method", f"must be one of {', '.join(CLIENT_AUTH_METHODS)}"
            )
        if method != "none" and not self.client_id:
            raise JwtAuthConfigError("client_id", f"missing ({method} needs it)")
        if method.startswith("client_secret") and not self.client_secret:
            raise JwtAuthConfigError("client_secret", f"missing ({method} needs it)")
        if self.client_secret and not method.startswith("client_secret"):
            raise JwtAuthConfigError(
                "client_auth_method", f"{method} does not send the client_secret"
            )
        if method == "private_key_jwt" and self.algorithm.startswith("HS"):
            raise JwtAuthConfigError(
                "client_auth_method",
                "private_key_jwt signs with a private key; HS algorithms have none",
            )
        if self.grant_type == "client_credentials" and method != "private_key_jwt":
            raise JwtAuthConfigError(
                "client_auth_method",
                "client_credentials carries no assertion: the JWT is sent as the "
                "private_key_jwt client assertion (RFC 7523 §2.2)",
            )

    def _tls_options(self) -> TlsOptions:
        if not isinstance(self.tls_verify, bool):
            raise JwtAuthConfigError("tls_verify", "must be true or false")
        files = {}
        for name in ("ca_file", "client_cert_file", "client_key_file"):
            value = getattr(self, name)
            if value is not None:
                files[name] = os.fspath(value)
                self._set(name, files[name])
        if "ca_file" in files and not self.tls_verify:
            raise JwtAuthConfigError("tls_verify", "false contradicts ca_file")
        if "client_key_file" in files and "client_cert_file" not in files:
            raise JwtAuthConfigError("client_key_file", "needs client_cert_file")
        return TlsOptions(
            verify=self.tls_verify,
            ca_file=files.get("ca_file"),
            cert_file=files.get("client_cert_file"),
            key_file=files.get("client_key_file"),
        )


def _text(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise JwtAuthConfigError(name, "must be a string")
    if not value.strip():
        raise JwtAuthConfigError(name, "missing")


def _optional_text(value: object, name: str) -> None:
    if value is not None:
        _text(value, name)


def _positive(value: object, name: str, *, integer: bool) -> None:
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds) or value <= 0:
        raise JwtAuthConfigError(name, f"must be a positive {'integer' if integer else 'number'}")


def _audience(value: object) -> str | tuple[str, ...]:
    """RFC 7519 §4.1.3: one string, or an array of strings."""
    if isinstance(value, str):
        _text(value, "audience")
        return value
    if isinstance(value, Sequence) and value:
        for item in value:
            _text(item, "audience")
        return tuple(value)
    raise JwtAuthConfigError("audience", "missing (a string or a non-empty list of strings)")


def _json_object(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise JwtAuthConfigError(name, "must be a table with string keys")
    try:
        json.dumps(dict(value))
    except (TypeError, ValueError) as error:
        raise JwtAuthConfigError(name, f"values must be JSON ({error})") from error
    return MappingProxyType(dict(value))


def _check_token_url(url: object) -> None:
    """Assertions and secrets never cross the network in clear: https://, or http:// to a
    loopback address (the rule SPEC §2.1 applies to key URLs)."""
    _text(url, "token_url")
    parts = urllib.parse.urlsplit(str(url))
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return
    raise JwtAuthConfigError("token_url", "must be https:// (http:// only to a loopback address)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
