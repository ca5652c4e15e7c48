"""Minting the configured JWT with PyJWT (SPEC §6, RFC 7523 §3).

The claims are the configured ``iss``, ``sub`` (when set) and ``aud``, then ``iat``,
``exp`` = ``iat`` + ``expiry_seconds`` and a fresh ``jti`` — 128 random bits, so that a
server enforcing single use (SPEC §2.3, keyed by ``iss`` and ``jti``) accepts every
mint — then the additional claims, which cannot override those (the config refuses
that). The header is PyJWT's (``alg``, ``typ: JWT``) updated with the configured headers.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import jwt

from jwtgate.client.config import JwtAuthConfig

__all__ = ["mint", "mint_client_assertion"]


def mint(config: JwtAuthConfig, *, now: float | None = None) -> str:
    """The JWT of ``config``, issued at ``now`` (default: the current time)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": config.issuer}
    if config.subject is not None:
        claims["sub"] = config.subject
    claims["aud"] = config.audience if isinstance(config.audience, str) else [*config.audience]
    claims.update(_times(config, issued))
    claims.update(config.additional_claims)
    return _sign(config, claims)


def mint_client_assertion(
    config: JwtAuthConfig, token_url: str, *, now: float | None = None
) -> str:
    """The ``private_key_jwt`` client assertion (RFC 7523 §2.2, §3): ``iss`` = ``sub`` =
    ``client_id`` and ``aud`` = the token endpoint, signed like :func:`mint` (same key,
    algorithm and headers) but without the additional claims, which belong to the grant."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": config.client_id, "sub": config.client_id, "aud": token_url}
    claims.update(_times(config, issued))
    return _sign(config, claims)


def _times(config: JwtAuthConfig, issued: int) -> dict[str, Any]:
    return {"iat": issued, "exp": issued + config.expiry_seconds, "jti": secrets.token_urlsafe(16)}


def _sign(config: JwtAuthConfig, claims: dict[str, Any]) -> str:
    return jwt.encode(
        claims, config.signing_key, algorithm=config.algorithm, headers=dict(config.headers) or None
    )
