"""The algorithms the SDK signs with and the key each one needs (SPEC §6).

SPEC §6 lists HS256/384/512, RS256/384/512, PS256, ES256/384 and EdDSA. A key that does
not fit its algorithm is refused when the config is built, so a misconfiguration shows
at start-up rather than as an ``invalid_grant`` at the first request:

- HMAC secrets are the UTF-8 bytes of ``private_key`` and at least as long as the hash
  output (RFC 7518 §3.2: 32, 48 and 64 bytes); SPEC §6's "under 32 bytes" is the HS256
  case. A PEM text is never an HMAC secret (the HS/RS key confusion of RFC 8725 §2.1).
- RSA keys have at least 2048 bits (RFC 7518 §3.3, §3.5), as jwtgate's verifier requires.
- An ECDSA key's curve is part of the algorithm (RFC 7518 §3.4): ES256 needs P-256.
- EdDSA signs with Ed25519 (RFC 8037), the one curve jwtgate accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from jwtgate.client.errors import JwtAuthConfigError

__all__ = ["ALGORITHMS", "SigningKey", "load_signing_key"]

MIN_RSA_BITS = 2048

SigningKey = bytes | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class _KeyRule:
    """What one algorithm needs: an HMAC secret of ``secret_bytes``, or a private key."""

    family: str  # "hmac", "rsa", "ec" or "ed25519"
    description: str
    secret_bytes: int = 0
    curve: type[ec.EllipticCurve] | None = None


_RSA = _KeyRule("rsa", "an RSA private key")
ALGORITHMS: dict[str, _KeyRule] = {
    "HS256": _KeyRule("hmac", "a shared secret", secret_bytes=32),
    "HS384": _KeyRule("hmac", "a shared secret", secret_bytes=48),
    "HS512": _KeyRule("hmac", "a shared secret", secret_bytes=64),
    "RS256": _RSA,
    "RS384": _RSA,
    "RS512": _RSA,
    "PS256": _RSA,
    "ES256": _KeyRule("ec", "a P-256 (secp256r1) key", curve=ec.SECP256R1),
    "ES384": _KeyRule("ec", "a P-384 (secp384r1) key", curve=ec.SECP384R1),
    "EdDSA": _KeyRule("ed25519", "an Ed25519 key"),
}


def load_signing_key(algorithm: str, private_key: str) -> SigningKey:
    """The key PyJWT signs with, or :class:`JwtAuthConfigError` naming ``private_key``.

    Messages describe the key, never quote it.
    """
    rule = ALGORITHMS[algorithm]
    if rule.family == "hmac":
        return _hmac_secret(algorithm, private_key, rule.secret_bytes)
    try:
        key = load_pem_private_key(private_key.encode("utf-8"), password=None)
    except TypeError as error:  # cryptography: the key is encrypted and no password given
        raise JwtAuthConfigError("private_key", "an encrypted PEM key is not supported") from error
    except ValueError as error:
        raise JwtAuthConfigError(
            "private_key", f"{algorithm} needs a PEM private key ({rule.description})"
        ) from error
    if isinstance(key, rsa.RSAPrivateKey) and rule.family == "rsa":
        if key.key_size < MIN_RSA_BITS:
            raise JwtAuthConfigError(
                "private_key",
                f"the RSA key has {key.key_size} bits; {algorithm} needs at least {MIN_RSA_BITS}",
            )
        return key
    curve = rule.curve
    if isinstance(key, ec.EllipticCurvePrivateKey) and curve and isinstance(key.curve, curve):
        return key
    if isinstance(key, ed25519.Ed25519PrivateKey) and rule.family == "ed25519":
        return key
    raise JwtAuthConfigError(
        "private_key", f"{algorithm} needs {rule.description}, not {_describe(key)}"
    )


def _hmac_secret(algorithm: str, private_key: str, minimum: int) -> bytes:
    if "-----BEGIN" in private_key:
        raise JwtAuthConfigError(
            "private_key", f"{algorithm} needs a shared secret, not a PEM key or certificate"
        )
    secret = private_key.encode("utf-8")
    if len(secret) < minimum:
        raise JwtAuthConfigError(
            "private_key",
            f"the {algorithm} secret has {len(secret)} bytes; RFC 7518 §3.2 needs at least "
            f"{minimum} ({minimum * 8} bits)",
        )
    return secret


def _describe(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "an RSA key"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"a {key.curve.name} key"
    return f"a key of type {type(key).__name__.removesuffix('PrivateKey')}"
