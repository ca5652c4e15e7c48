"""jwtgate's own signing keys: generation, rotation, the key ring and the JWKS (SPEC §2.2, §3).

Keys move ``next`` → ``current`` → ``retired`` (SPEC §3 "Signing keys"). A ``next``
key is published before it signs, so verifiers that cache the JWKS already know it
when a rotation promotes it; a retired key stays published for the retention the
caller passes (the longest access-token lifetime plus 5 minutes), so tokens in
flight keep verifying.

Nothing here does I/O: the store persists :class:`KeyRecord` rows and applies
:class:`RotationPlan` s; the server builds a :class:`KeyRing` per key-set version.
Signatures are made and checked by PyJWT on ``cryptography`` keys; nothing is
hand-rolled.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from jwtgate.crypto import MasterKey

__all__ = [
    "DEFAULT_ALGORITHM",
    "SUPPORTED_ALGORITHMS",
    "KeyRecord",
    "KeyRing",
    "KeyState",
    "PublicKey",
    "RotationPlan",
    "generate_key",
    "jwk_thumbprint",
    "normalise_algorithm",
    "plan_initial",
    "plan_rotation",
]

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey

DEFAULT_ALGORITHM = "ES256"


@dataclass(frozen=True)
class _Algorithm:
    generate: Callable[[], PrivateKey]
    fits: Callable[[PublicKey], bool]  # SPEC §2.1: a key's type includes its curve


_ALGORITHMS: dict[str, _Algorithm] = {
    "ES256": _Algorithm(
        lambda: ec.generate_private_key(ec.SECP256R1()),
        lambda k: isinstance(k, ec.EllipticCurvePublicKey) and isinstance(k.curve, ec.SECP256R1),
    ),
    "RS256": _Algorithm(
        lambda: rsa.generate_private_key(public_exponent=65537, key_size=3072),
        lambda k: isinstance(k, rsa.RSAPublicKey) and k.key_size >= 2048,
    ),
    "EdDSA": _Algorithm(
        ed25519.Ed25519PrivateKey.generate,
        lambda k: isinstance(k, ed25519.Ed25519PublicKey),
    ),
}
SUPPORTED_ALGORITHMS = frozenset(_ALGORITHMS)
_ALIASES = {"Ed25519": "EdDSA"}  # RFC 9864 fully-specified name; JWS headers say "EdDSA"


def normalise_algorithm(name: str) -> str:
    """Map a configured algorithm name to the JWS ``alg`` jwtgate signs with (SPEC §2.2)."""
    alg = _ALIASES.get(name, name)
    if alg not in _ALGORITHMS:
        raise ValueError(
            f"unsupported signing algorithm {name!r}: use ES256, RS256 or EdDSA (alias Ed25519)"
        )
    return alg


class KeyState(StrEnum):
    CURRENT = "current"
    NEXT = "next"
    RETIRED = "retired"


@dataclass(frozen=True)
class KeyRecord:
    """One stored signing key; the private key is PKCS#8 PEM sealed under the master key
    with purpose ``signing-key:<kid>``, so a sealed key cannot be moved to another row."""

    kid: str
    algorithm: str
    state: KeyState
    public_jwk: dict[str, str]
    private_pem_sealed: bytes
    created_at: float
    retired_at: float | None


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8 or 1, "big"))


def _required_members(key: PublicKey) -> dict[str, str]:
    """The JWK members RFC 7638 §3.2 hashes (RFC 7518 §6, RFC 8037 §2)."""
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"unsupported curve {key.curve.name}")
        nums = key.public_numbers()
        # RFC 7518 §6.2.1.2: x and y are the full 32-byte coordinates, not minimal.
        return {
            "crv": "P-256",
            "kty": "EC",
            "x": _b64url(nums.x.to_bytes(32, "big")),
            "y": _b64url(nums.y.to_bytes(32, "big")),
        }
    if isinstance(key, rsa.RSAPublicKey):
        nums_rsa = key.public_numbers()
        return {"e": _b64url_uint(nums_rsa.e), "kty": "RSA", "n": _b64url_uint(nums_rsa.n)}
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64url(raw)}


def jwk_thumbprint(members: Mapping[str, str]) -> str:
    """RFC 7638 §3: base64url SHA-256 of the required members, sorted, no whitespace."""
    text = json.dumps(dict(members), sort_keys=True, separators=(",", ":"))
    return _b64url(hashlib.sha256(text.encode("utf-8")).digest())


def _public_jwk(key: PublicKey, algorithm: str) -> dict[str, str]:
    members = _required_members(key)
    return {**members, "kid": jwk_thumbprint(members), "alg": algorithm, "use": "sig"}


def generate_key(algorithm: str, master: MasterKey, *, state: KeyState, now: float) -> KeyRecord:
    """A new key pair whose kid is its RFC 7638 thumbprint (stable, collision-free)."""
    alg = normalise_algorithm(algorithm)
    private = _ALGORITHMS[alg].generate()
    public_jwk = _public_jwk(private.public_key(), alg)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    kid = public_jwk["kid"]
    sealed = master.seal(pem, purpose=f"signing-key:{kid}")
    return KeyRecord(kid, alg, state, public_jwk, sealed, now, None)


def plan_initial(algorithm: str, master: MasterKey, now: float) -> list[KeyRecord]:
    """A fresh store (``jwtgate init``): one current key and one next key."""
    return [
        generate_key(algorithm, master, state=KeyState.CURRENT, now=now),
        generate_key(algorithm, master, state=KeyState.NEXT, now=now),
    ]


@dataclass(frozen=True)
class RotationPlan:
    """What ``keys rotate`` changes; the store applies it in one transaction.

    ``create.state`` is NEXT normally, or CURRENT when ``promote`` is None (see
    :func:`plan_rotation`); ``rotated_at`` is the ``retired_at`` of the retired key.
    """

    promote: str | None
    retire: str | None
    create: KeyRecord
    rotated_at: float

    def apply(self, records: Sequence[KeyRecord]) -> list[KeyRecord]:
        """The key set after this plan (for in-memory stores and tests)."""
        out: list[KeyRecord] = []
        for record in records:
            if record.kid == self.promote:
                record = replace(record, state=KeyState.CURRENT)
            elif record.kid == self.retire:
                record = replace(record, state=KeyState.RETIRED, retired_at=self.rotated_at)
            out.append(record)
        return [*out, self.create]


def _by_state(records: Sequence[KeyRecord], state: KeyState) -> KeyRecord | None:
    found = [r for r in records if r.state is state]
    if len(found) > 1:
        kids = ", ".join(r.kid for r in found)
        raise ValueError(f"expected at most one {state} signing key, found {len(found)} ({kids})")
    return found[0] if found else None


def _current(records: Sequence[KeyRecord]) -> KeyRecord:
    current = _by_state(records, KeyState.CURRENT)
    if current is None:
        raise ValueError("no current signing key: run `jwtgate init` or `jwtgate keys rotate`")
    return current


def plan_rotation(
    records: Sequence[KeyRecord], algorithm: str, master: MasterKey, now: float
) -> RotationPlan:
    """SPEC §3: promote next to current, retire current, create a new next in ``algorithm``.

    The next key keeps the algorithm it was created with, so a new signing algorithm
    is first published as next and signs from the following rotation on. Without a
    next key (never the case after :func:`plan_initial`), the new key is created as
    current directly: it signs at once but was never pre-published, so verifiers must
    refetch the JWKS on its unknown kid.
    """
    current = _current(records)
    upcoming = _by_state(records, KeyState.NEXT)
    state = KeyState.NEXT if upcoming else KeyState.CURRENT
    created = generate_key(algorithm, master, state=state, now=now)
    return RotationPlan(upcoming.kid if upcoming else None, current.kid, created, now)


@dataclass(frozen=True, repr=False, eq=False)
class KeyRing:
    """The immutable key set the hot path uses: one signing key, the published keys.

    Build it once per key-set version: the current private key is decrypted and
    every public key parsed here, never per request. The ring does not read the
    clock, so a retired key leaves it only when it is rebuilt: rebuild at
    ``valid_until`` too (None when no retired key is published).
    """

    current_kid: str
    current_algorithm: str
    valid_until: float | None
    _signing_key: PrivateKey
    _keys: Mapping[str, tuple[str, PublicKey]]
    _jwks: tuple[dict[str, str], ...]

    @classmethod
    def build(
        cls,
        records: Sequence[KeyRecord],
        master: MasterKey,
        *,
        retired_retention_seconds: float,
        now: float,
    ) -> KeyRing:
        """Check and load ``records``; raises ValueError (or crypto.DecryptionError).

        Each stored JWK must equal the one recomputed from its key, so a corrupted
        row cannot publish extra members (private ones included) or a wrong kid.
        """
        current = _current(records)
        order = {KeyState.CURRENT: 0, KeyState.NEXT: 1, KeyState.RETIRED: 2}
        keys: dict[str, tuple[str, PublicKey]] = {}
        jwks: list[dict[str, str]] = []
        deadlines: list[float] = []
        for record in sorted(records, key=lambda r: (order[r.state], -(r.retired_at or 0.0))):
            if record.state is KeyState.RETIRED:
                if record.retired_at is None:
                    raise ValueError(f"retired signing key {record.kid} has no retired_at")
                deadline = record.retired_at + retired_retention_seconds
                if deadline <= now:
                    continue
                deadlines.append(deadline)
            alg, public = _load_public(record)
            keys[record.kid] = (alg, public)
            jwks.append(_public_jwk(public, alg))
        signing_key = _load_private(current, master)
        return cls(
            current.kid,
            keys[current.kid][0],
            min(deadlines, default=None),
            signing_key,
            keys,
            tuple(jwks),
        )

    def sign(self, claims: Mapping[str, object], *, typ: str = "at+jwt") -> str:
        """Compact JWS with header ``{alg, kid, typ}`` (SPEC §2.2, RFC 9068 §2.1)."""
        return jwt.encode(
            dict(claims),
            self._signing_key,
            algorithm=self.current_algorithm,
            headers={"kid": self.current_kid, "typ": typ},
        )

    def verification_key(self, kid: str) -> tuple[str, PublicKey] | None:
        """``(alg, public key)`` of a published key, else None (``unknown_key``)."""
        return self._keys.get(kid)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """``/.well-known/jwks.json``: current, next, then retired keys (newest first)."""
        return {"keys": [dict(k) for k in self._jwks]}

    def algorithms(self) -> frozenset[str]:
        """SPEC §2.1: jwtgate's own APIs allow exactly the algorithms of these keys."""
        return frozenset(alg for alg, _ in self._keys.values())

    def __repr__(self) -> str:
        return f"KeyRing(current_kid={self.current_kid!r}, kids={list(self._keys)!r})"


def _load_public(record: KeyRecord) -> tuple[str, PublicKey]:
    alg = normalise_algorithm(record.algorithm)
    try:
        key = jwt.PyJWK(dict(record.public_jwk), alg).key
    except jwt.PyJWTError as exc:
        raise ValueError(f"signing key {record.kid}: unreadable public JWK: {exc}") from None
    if (
        not isinstance(key, PublicKey)
        or not _ALGORITHMS[alg].fits(key)
        or _public_jwk(key, alg) != record.public_jwk
    ):
        raise ValueError(f"signing key {record.kid}: public JWK does not match its kid or {alg}")
    return alg, key


def _load_private(record: KeyRecord, master: MasterKey) -> PrivateKey:
    """Decrypt the current key; its thumbprint must be the kid (the row was not swapped)."""
    pem = master.open(record.private_pem_sealed, purpose=f"signing-key:{record.kid}")
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, PrivateKey) or (
        jwk_thumbprint(_required_members(key.public_key())) != record.kid
    ):
        raise ValueError(f"signing key {record.kid}: private key does not match its kid")
    return key
