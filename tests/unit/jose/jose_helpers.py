"""Keys, tokens and rules shared by the engine's unit tests (built once per session)."""

from __future__ import annotations

import base64
import json
from typing import Any

from jwtgate.errors import AuthError
from jwtgate.jose import KeySource, Rules, VerifiedToken, parse_token, static_source, validate
from tests.support.idp import KeyRing

NOW = 1_700_000_000.0
ISSUER = "https://idp.example"
AUDIENCE = "api"
ALL_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
RULES = Rules(algorithms=ALL_ALGORITHMS, issuer=ISSUER, audience=(AUDIENCE,))

# One key per type; kids are fixed so tests read well.
RING = KeyRing()
for _alg, _kid in [
    ("RS256", "rsa"),
    ("ES256", "p256"),
    ("ES384", "p384"),
    ("ES512", "p521"),
    ("EdDSA", "ed"),
]:
    RING.add(_alg, kid=_kid, publish_alg=False)

# Keys an attacker (or a misconfigured provider) holds; never in the JWKS.
ROGUE = KeyRing()
ROGUE.add("RS256", kid="rsa")
ROGUE.add("ES256", kid="p256")


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def raw_token(header: Any, payload: Any, signature: bytes = b"\x01" * 32) -> str:
    """Three base64url parts from JSON values or raw bytes (no signing)."""
    parts = [
        part if isinstance(part, bytes) else json.dumps(part).encode() for part in (header, payload)
    ]
    return ".".join([b64(parts[0]), b64(parts[1]), b64(signature)])


def pad(token: str) -> str:
    """The Conjur spelling: every part padded with ``=`` to a multiple of 4."""
    return ".".join(part + "=" * (-len(part) % 4) for part in token.split("."))


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid claim set at NOW; an override of None removes that claim."""
    values = {"iss": ISSUER, "sub": "alice", "aud": AUDIENCE, "iat": NOW - 10, "exp": NOW + 300}
    values.update(overrides)
    return {name: value for name, value in values.items() if value is not None}


def source(ring: KeyRing = RING) -> KeySource:
    return static_source(ring.jwks())


async def check(
    token: str, rules: Rules = RULES, keys: KeySource | None = None, *, now: float = NOW
) -> VerifiedToken:
    """Parse and validate, as a front door does."""
    return await validate(parse_token(token), rules, keys or source(), now=now)


async def refusal(
    token: str, rules: Rules = RULES, keys: KeySource | None = None, *, now: float = NOW
) -> AuthError:
    try:
        await check(token, rules, keys, now=now)
    except AuthError as error:
        return error
    raise AssertionError("the token was accepted")


__all__ = [
    "ALL_ALGORITHMS",
    "ISSUER",
    "NOW",
    "RING",
    "ROGUE",
    "RULES",
    "b64",
    "check",
    "claims",
    "pad",
    "raw_token",
    "refusal",
    "source",
]
