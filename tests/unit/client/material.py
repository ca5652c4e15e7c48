"""Keys and secrets for the client SDK's tests, one per SPEC §6 algorithm.

Private keys are PEM text (what ``private_key`` holds); :func:`verifying_key` gives the
joserfc key that checks the SDK's signatures independently of PyJWT.
"""

from __future__ import annotations

import functools
import secrets
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, Key, OctKey, OKPKey, RSAKey

from tests.support.idp import generate

ALGORITHMS = (
    "HS256",
    "HS384",
    "HS512",
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "ES256",
    "ES384",
    "EdDSA",
)
SECRET_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


def pem(private: Any) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@functools.cache
def _generated(family: str) -> str:
    """One key per family for the whole run (RSA generation is slow)."""
    return pem(generate(family))


def private_key(alg: str) -> str:
    """A fitting ``private_key`` value for ``alg``: a fresh HS secret, or a PEM key."""
    if alg in SECRET_BYTES:
        return secrets.token_hex(SECRET_BYTES[alg])  # twice the minimum, as ASCII text
    return _generated("RS256" if alg[:2] in ("RS", "PS") else alg)


def verifying_key(alg: str, private_text: str) -> Key:
    """The joserfc key that verifies what ``private_text`` signs (public part only)."""
    if alg in SECRET_BYTES:
        return OctKey.import_key(private_text.encode())
    private = serialization.load_pem_private_key(private_text.encode(), password=None)
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    kind = {"RS": RSAKey, "PS": RSAKey, "ES": ECKey}.get(alg[:2], OKPKey)
    return kind.import_key(public_pem)


def public_jwk(alg: str, private_text: str, kid: str) -> dict[str, Any]:
    """The public JWK (for a jwtgate policy's ``public_keys``)."""
    jwk = verifying_key(alg, private_text).as_dict(private=False)
    return {**jwk, "kid": kid, "alg": alg, "use": "sig"}
