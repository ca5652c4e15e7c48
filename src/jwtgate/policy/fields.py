"""Value rules of the policy file (SPEC §3, SPEC §2.1): one function per rule.

Each rule checks one value and raises a pydantic error whose message names the
problem; ``schema.py`` attaches them to fields as annotated types, so pydantic reports
them at the exact key path (``authenticators[0].algorithms[1]``).
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, NoReturn
from urllib.parse import urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

__all__ = [
    "ALGORITHMS",
    "REGISTERED_CLAIMS",
    "RESERVED_PATHS",
    "Algorithm",
    "Audience",
    "CaBundle",
    "Certificate",
    "ClaimName",
    "ClaimValue",
    "ClientId",
    "Glob",
    "GrantType",
    "HostId",
    "HttpUrl",
    "IdentityPath",
    "Jwk",
    "Name",
    "PermitEntry",
    "RoutePrefix",
    "Scope",
    "SecretSha256",
    "Text",
    "Upstream",
    "UserId",
    "VariableId",
    "fail",
    "is_loopback_url",
]

ALGORITHMS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"),
    *("EdDSA", "Ed25519"),
)
"""Signature algorithms an authenticator may accept (SPEC §2.1; Ed25519 per RFC 9864)."""

REGISTERED_CLAIMS = frozenset({"iss", "exp", "nbf", "iat", "jti", "aud"})
"""SPEC §2.1: checked by the engine itself, so never bound, enforced nor aliased."""

RESERVED_PATHS = (
    *("/authn-jwt/", "/authn/", "/oauth/", "/api/oauth/", "/admin/", "/.well-known/"),
    *("/secrets", "/whoami", "/healthz", "/readyz", "/metrics", "/ui/", "/docs"),
    "/openapi.json",
)
"""jwtgate's own paths, which no proxy route may shadow (SPEC §2.4)."""

_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")
_SEGMENTS = re.compile(r"[A-Za-z0-9._@+=~-]+(?:/[A-Za-z0-9._@+=~-]+)*")
_CLIENT_ID = re.compile(r"[\x21-\x7e]{1,256}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")  # RFC 6749 §3.3 scope-token
_HEX64 = re.compile(r"[0-9a-f]{64}")
_PREFIX = re.compile(r"/(?:[A-Za-z0-9._~!$&'()*+,;=:@-]+/)+")
_EC_CURVES = frozenset({"secp256r1", "secp384r1", "secp521r1"})
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "k")
_MAX_TEXT = 256


def fail(reason: str) -> NoReturn:
    """Reject the value being validated with ``reason`` as the whole message."""
    raise PydanticCustomError("policy", "{reason}", {"reason": reason})


def _name(value: str) -> str:
    """Account and authenticator names appear in URL paths: keep them plain."""
    if not _NAME.fullmatch(value) or set(value) == {"."}:
        fail(f"{value!r} must match [A-Za-z0-9._-]+ (at most 128 characters, not only dots)")
    return value


def _segments(value: str, what: str) -> str:
    if len(value) > _MAX_TEXT or not _SEGMENTS.fullmatch(value):
        fail(f"{value!r} is not a valid {what}: '/'-separated parts of [A-Za-z0-9._@+=~-]")
    if any(part in (".", "..") for part in value.split("/")):
        fail(f"{value!r} is not a valid {what}: '.' and '..' parts are not allowed")
    return value


def _host_id(value: str) -> str:
    """SPEC §2.1: the login is ``host/<id>``; an id starting with ``host/`` is a mistake."""
    if value.startswith("host/"):
        fail(f"{value!r}: write the host id without the 'host/' prefix")
    return _segments(value, "host id")


def _user_id(value: str) -> str:
    """SPEC §2.1: a URL id without ``host/`` names a user, so user ids hold no '/'."""
    if "/" in value:
        fail(f"{value!r}: a user id cannot contain '/'")
    return _segments(value, "user id")


def _client_id(value: str) -> str:
    if not _CLIENT_ID.fullmatch(value):
        fail(f"{value!r} is not a valid client id (1 to 256 printable ASCII characters)")
    return value


def _text(value: str) -> str:
    if not value or len(value) > 4096:
        fail("must be a non-empty string of at most 4096 characters")
    return value


def _claim_name(value: str) -> str:
    if not value or len(value) > _MAX_TEXT:
        fail("a claim name must be 1 to 256 characters")
    if value in REGISTERED_CLAIMS:
        fail(f"registered claim {value!r} is checked by jwtgate itself (SPEC §2.1)")
    return value


def _claim_text(value: Any) -> Any:
    """SPEC §2.1: numbers and booleans compare by their JSON text (``42``, ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return value


def _audience(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _scope(value: str) -> str:
    if not _SCOPE.fullmatch(value):
        fail(f'{value!r} is not a scope token (printable ASCII without space, " or \\)')
    return value


def _algorithm(value: str) -> str:
    allowed = ", ".join(ALGORITHMS)
    if value.lower() == "none":
        fail(f"{value!r} is not an allowed algorithm: tokens must be signed (allowed: {allowed})")
    if value.upper().startswith("HS"):
        fail(
            f"{value!r} is not an allowed algorithm: HMAC with a public key is key confusion "
            f"(allowed: {allowed})"
        )
    if value not in ALGORITHMS:
        fail(f"{value!r} is not an allowed algorithm (allowed: {allowed})")
    return value


def _http_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        host, _port = parts.hostname, parts.port
    except ValueError:
        fail(f"{value!r} is not a valid URL")
    if any(c.isspace() or ord(c) < 0x20 for c in value) or len(value) > 2048:
        fail(f"{value!r} is not a valid URL")
    if parts.scheme not in ("http", "https") or not host:
        fail(f"{value!r} must be an http:// or https:// URL with a host")
    return value


def is_loopback_url(url: str) -> bool:
    """Whether ``url`` names a loopback host (127.0.0.0/8, ::1, localhost), SPEC §2.1."""
    host = urlsplit(url).hostname or ""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _upstream(value: str) -> str:
    """SPEC §2.4: the forwarded path is the upstream path joined with the request path."""
    _http_url(value)
    parts = urlsplit(value)
    if parts.query or parts.fragment or parts.username is not None:
        fail(f"{value!r}: an upstream URL has no query, fragment or user info")
    return value


def _pem_certificates(value: str) -> list[x509.Certificate]:
    if not value.isascii():
        fail("is not PEM: PEM text is ASCII")
    try:
        return x509.load_pem_x509_certificates(value.encode("ascii"))
    except (ValueError, TypeError):
        fail("is not a PEM X.509 certificate (or bundle of them)")


def _ca_bundle(value: str) -> str:
    _pem_certificates(value)
    return value


def _certificate(value: str) -> str:
    """SPEC §2.3: the client's X.509 certificate; its key must be fit for signing JWTs."""
    certificates = _pem_certificates(value)
    if len(certificates) != 1:
        fail(f"must hold exactly one certificate, found {len(certificates)}")
    try:
        key = certificates[0].public_key()
    except Exception:  # cryptography raises several types for unsupported keys
        fail("the certificate's public key cannot be loaded")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        fail(f"the certificate's RSA key has {key.key_size} bits (at least 2048 needed)")
    if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name not in _EC_CURVES:
        fail(f"the certificate's EC curve {key.curve.name} is not P-256, P-384 or P-521")
    if not isinstance(key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        fail("the certificate's key must be RSA, EC (P-256/384/521) or Ed25519")
    return value


def _secret_sha256(value: str) -> str:
    if not _HEX64.fullmatch(value):
        fail("must be the SHA-256 of the secret as 64 lowercase hex characters")
    return value


def _jwk(value: dict[str, Any]) -> dict[str, Any]:
    """A key of a static JWKS must be a usable public signing key (SPEC §2.1).

    Keys marked for another ``use`` (e.g. ``enc``) are ignored, as in a fetched JWKS;
    anything else that would be ignored at runtime is an error here, because in a file
    the operator wrote it is a mistake, not noise.
    """
    if value.get("use", "sig") != "sig":
        return value
    if value.get("kty") == "oct":
        fail("symmetric (oct) keys are refused: HMAC with a published key is key confusion")
    private = [m for m in _PRIVATE_MEMBERS if m in value]
    if private:
        fail(f"holds private key material ({', '.join(private)}): publish only public keys")
    try:
        key = jwt.PyJWK(value).key
    except Exception as err:  # PyJWK raises many types (PyJWKError, ValueError, TypeError...)
        fail(f"key does not load: {str(err)[:100] or type(err).__name__}")
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < 2048:
        fail(f"RSA key has {key.key_size} bits (at least 2048 needed)")
    usable = (rsa.RSAPublicKey, ec.EllipticCurvePublicKey, ed25519.Ed25519PublicKey)
    curve = key.curve.name if isinstance(key, ec.EllipticCurvePublicKey) else None
    if not isinstance(key, usable) or (curve is not None and curve not in _EC_CURVES):
        fail("key type is not usable with any allowed algorithm")
    return value


def _permit_entry(value: str) -> str:
    kind, _, ident = value.partition(":")
    if kind == "host" and ident:
        _host_id(ident)
    elif kind == "user" and ident:
        _user_id(ident)
    else:
        fail(f"{value!r} must be host:<id> or user:<id>")
    return value


def _route_prefix(value: str) -> str:
    if value == "/":
        fail("'/' overlaps all of jwtgate's own paths")
    if not _PREFIX.fullmatch(value) or any(p in (".", "..") for p in value.split("/")):
        fail(f"{value!r} must start and end with '/' and hold plain path segments")
    for reserved in RESERVED_PATHS:
        bare = reserved.rstrip("/")
        if value.startswith(bare + "/") or reserved.startswith(value):
            fail(f"{value!r} overlaps jwtgate's own path {reserved}")
    return value


Name = Annotated[str, AfterValidator(_name)]
Text = Annotated[str, AfterValidator(_text)]
ClaimName = Annotated[str, AfterValidator(_claim_name)]
ClaimValue = Annotated[str, BeforeValidator(_claim_text), AfterValidator(_text)]
Audience = Annotated[list[Text], BeforeValidator(_audience)]
Scope = Annotated[str, AfterValidator(_scope)]
Glob = Text
HttpUrl = Annotated[str, AfterValidator(_http_url)]
Algorithm = Annotated[str, AfterValidator(_algorithm)]
Jwk = Annotated[dict[str, Any], AfterValidator(_jwk)]
HostId = Annotated[str, AfterValidator(_host_id)]
UserId = Annotated[str, AfterValidator(_user_id)]
ClientId = Annotated[str, AfterValidator(_client_id)]
VariableId = Annotated[str, AfterValidator(lambda v: _segments(v, "variable id"))]
IdentityPath = Annotated[str, AfterValidator(lambda v: _segments(v, "identity path"))]
Certificate = Annotated[str, AfterValidator(_certificate)]
CaBundle = Annotated[str, AfterValidator(_ca_bundle)]
SecretSha256 = Annotated[str, AfterValidator(_secret_sha256)]
PermitEntry = Annotated[str, AfterValidator(_permit_entry)]
RoutePrefix = Annotated[str, AfterValidator(_route_prefix)]
Upstream = Annotated[str, AfterValidator(_upstream)]
GrantType = Literal["jwt-bearer", "client_credentials"]
