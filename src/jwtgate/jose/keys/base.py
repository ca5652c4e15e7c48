"""The key-source protocol and the key set every source hands to the engine.

DESIGN "Key sources": one interface, one module per source. A :class:`KeySet` is built
once per fetch (or once for a static JWKS): each JWK is loaded into a ``cryptography``
public key there, so verifying a token never parses key material.

Which JWKs are *usable* (SPEC §2.1, RFC 7517 §4): ``kty`` and curve of a supported
algorithm (see :mod:`jwtgate.jose.algorithms`), ``use`` absent or ``sig``, ``key_ops``
absent or containing ``verify`` (RFC 7517 §4.3), ``alg`` absent or a supported algorithm
of that key type, ``kid`` absent or a string, RSA at least 2048 bits. Anything else —
including a key that fails to load — is ignored, never an error: one bad entry must not
take down the others.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

from jwtgate.jose.algorithms import (
    ALGORITHMS,
    ED25519,
    MIN_RSA_BITS,
    P256,
    P384,
    P521,
    RSA,
    Algorithm,
    KeyType,
    canonical_name,
)

__all__ = ["KeySet", "KeySource", "KeysUnavailable", "VerificationKey", "load_jwk"]

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey

_CURVES = {"P-256": P256, "P-384": P384, "P-521": P521}


class KeysUnavailable(Exception):
    """No usable key can be had right now (SPEC §2.5): ``token_unprocessable``, never
    ``bad_signature`` — the token is not at fault."""


@dataclass(frozen=True)
class VerificationKey:
    """One usable public key; ``algorithm`` is the JWK's ``alg`` restriction, if any."""

    kid: str | None
    key_type: KeyType
    algorithm: str | None
    key: PublicKey

    def usable_for(self, algorithm: Algorithm) -> bool:
        return self.key_type == algorithm.key_type and self.algorithm in (None, algorithm.name)

    def describe(self) -> str:
        return (
            f"{self.key_type} key {self.kid!a}" if self.kid is not None else f"{self.key_type} key"
        )


def _public_key(jwk: dict[str, Any]) -> tuple[KeyType, PublicKey] | None:
    """Load one JWK with PyJWT's loaders; None when it is not a supported key type."""
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "RSA":
        loaded = RSAAlgorithm.from_jwk(jwk)
        public = loaded.public_key() if isinstance(loaded, rsa.RSAPrivateKey) else loaded
        return (RSA, public) if public.key_size >= MIN_RSA_BITS else None
    if kty == "EC" and isinstance(crv, str) and crv in _CURVES:
        point = ECAlgorithm.from_jwk(jwk)
        ec_public = point.public_key() if isinstance(point, ec.EllipticCurvePrivateKey) else point
        return _CURVES[crv], ec_public
    if kty == "OKP" and crv == "Ed25519":
        okp = OKPAlgorithm.from_jwk(jwk)
        if isinstance(okp, ed25519.Ed25519PrivateKey):
            return ED25519, okp.public_key()
        if isinstance(okp, ed25519.Ed25519PublicKey):
            return ED25519, okp
    return None


def load_jwk(jwk: object) -> VerificationKey | None:
    """The usable key a JWK describes, or None (the JWK is then ignored, SPEC §2.1)."""
    if not isinstance(jwk, Mapping):
        return None
    kid, use, key_ops, alg = (jwk.get(name) for name in ("kid", "use", "key_ops", "alg"))
    if kid is not None and not isinstance(kid, str):
        return None
    if use is not None and use != "sig":
        return None
    if key_ops is not None and not (isinstance(key_ops, list) and "verify" in key_ops):
        return None
    if alg is not None and not (isinstance(alg, str) and canonical_name(alg) in ALGORITHMS):
        return None
    try:
        loaded = _public_key(dict(jwk))
    except Exception:  # PyJWT and cryptography raise many types for bad JWKs
        return None
    if loaded is None:
        return None
    key_type, key = loaded
    restriction = canonical_name(alg) if isinstance(alg, str) else None
    if restriction is not None and ALGORITHMS[restriction].key_type != key_type:
        return None
    return VerificationKey(kid=kid, key_type=key_type, algorithm=restriction, key=key)


class KeySet:
    """The usable keys of one JWKS, indexed by ``kid`` and by key type (SPEC §2.1)."""

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        self.keys = tuple(keys)
        self._by_kid: dict[str, list[VerificationKey]] = {}
        self._by_type: dict[KeyType, list[VerificationKey]] = {}
        for key in self.keys:
            if key.kid is not None:
                self._by_kid.setdefault(key.kid, []).append(key)
            self._by_type.setdefault(key.key_type, []).append(key)

    @classmethod
    def from_jwks(cls, document: object) -> KeySet:
        """Load a JWK Set (RFC 7517 §5); ``ValueError`` unless it is ``{"keys": [...]}``."""
        if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
            raise ValueError('a JWK Set is a JSON object with a "keys" array (RFC 7517 §5)')
        loaded = (load_jwk(jwk) for jwk in document["keys"])
        return cls(key for key in loaded if key is not None)

    def __len__(self) -> int:
        return len(self.keys)

    def candidates(self, algorithm: Algorithm, kid: str | None) -> tuple[VerificationKey, ...]:
        """The keys that may verify a token: with ``kid``, the usable keys of that id;
        without, the one usable key for the algorithm — none when there are several
        (SPEC §2.1: a token without ``kid`` needs exactly one)."""
        if kid is not None:
            return tuple(key for key in self._by_kid.get(kid, ()) if key.usable_for(algorithm))
        usable = tuple(
            key for key in self._by_type.get(algorithm.key_type, ()) if key.usable_for(algorithm)
        )
        return usable if len(usable) == 1 else ()


class KeySource(Protocol):
    """Where an authenticator's keys come from (DESIGN "Key sources")."""

    async def key_set(self) -> KeySet:
        """The current usable keys; raises :class:`KeysUnavailable` when none can be had."""
        ...

    async def refresh(self, reason: str) -> KeySet | None:
        """A cooldown-limited refetch after an unknown ``kid`` or a signature failure;
        the new keys, or None when in cooldown, failed or nothing to refetch."""
        ...

    @property
    def issuer(self) -> str | None:
        """The issuer the source vouches for (OIDC discovery), else None."""
        ...

    async def aclose(self) -> None:
        """Release network resources; the source is not used afterwards."""
        ...
