"""The JWS algorithms jwtgate verifies, and the key each one needs.

SPEC §2.1: only asymmetric algorithms — RS256/384/512, PS256/384/512, ES256/384/512 and
EdDSA — can ever be accepted, and a key's type includes its curve (ES384 needs P-384).
``none`` (RFC 7518 §3.6) and the HMAC family are not in this table at all, so no
allow-list can switch them on: an HMAC "secret" would otherwise be whatever public key
the verifier holds (the RS/HS key-confusion attack, RFC 8725 §2.1 and §3.1).

RFC 9864 makes ``Ed25519`` the fully specified name of what RFC 8037 calls ``EdDSA``
with an Ed25519 key; SPEC §2.2 accepts both names wherever an algorithm is configured or
verified, so they compare equal through :func:`canonical_name`. Ed448 is not accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from jwt.algorithms import Algorithm as PyJWTAlgorithm
from jwt.algorithms import get_default_algorithms

__all__ = ["ALGORITHMS", "Algorithm", "KeyType", "canonical_name", "is_none"]


@dataclass(frozen=True)
class KeyType:
    """A JWK key type with its curve (RFC 7518 §6, RFC 8037 §2): what an algorithm needs."""

    kty: str
    crv: str | None = None

    def __str__(self) -> str:
        return f"{self.kty} {self.crv}" if self.crv else self.kty


RSA = KeyType("RSA")
P256 = KeyType("EC", "P-256")
P384 = KeyType("EC", "P-384")
P521 = KeyType("EC", "P-521")
ED25519 = KeyType("OKP", "Ed25519")

# RFC 7518 §3.3 / §3.5 and SPEC §2.1: RSA keys below 2048 bits are not usable.
MIN_RSA_BITS = 2048


@dataclass(frozen=True)
class Algorithm:
    """One accepted JWS algorithm: its canonical name, key type and PyJWT verifier."""

    name: str
    key_type: KeyType
    verifier: PyJWTAlgorithm


def canonical_name(name: str) -> str:
    """``EdDSA`` and ``Ed25519`` are one algorithm (RFC 9864 §2, SPEC §2.2)."""
    return "Ed25519" if name == "EdDSA" else name


def is_none(name: str) -> bool:
    """``alg: none`` in any spelling (``None``, ``NONE``…) — refused by name (RFC 8725 §3.1)."""
    return name.strip().casefold() == "none"


def _table() -> Mapping[str, Algorithm]:
    pyjwt = get_default_algorithms()
    wanted = {
        "RS256": RSA,
        "RS384": RSA,
        "RS512": RSA,
        "PS256": RSA,
        "PS384": RSA,
        "PS512": RSA,
        "ES256": P256,
        "ES384": P384,
        "ES512": P521,
    }
    table = {name: Algorithm(name, key_type, pyjwt[name]) for name, key_type in wanted.items()}
    table["Ed25519"] = Algorithm("Ed25519", ED25519, pyjwt["EdDSA"])
    return MappingProxyType(table)


ALGORITHMS: Mapping[str, Algorithm] = _table()
"""Every algorithm jwtgate can verify, keyed by canonical name (see :func:`canonical_name`)."""
