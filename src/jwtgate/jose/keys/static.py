"""A static JWK Set from configuration (policy ``public_keys``, SPEC §3).

The keys are loaded once, at construction; there is nothing to refetch. A document that
is not a JWK Set is a configuration error (``ValueError`` at construction); a set without
one usable key makes every token ``token_unprocessable`` (SPEC §2.5: no usable key can be
had), which the authenticator status endpoint reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jwtgate.jose.keys.base import KeySet, KeySource, KeysUnavailable

__all__ = ["StaticKeySource", "static_source"]


class StaticKeySource:
    """Keys fixed at construction; ``refresh`` never finds anything new."""

    def __init__(self, jwks: Mapping[str, Any]) -> None:
        self._keys = KeySet.from_jwks(jwks)

    async def key_set(self) -> KeySet:
        if not self._keys:
            raise KeysUnavailable("the configured JWK Set has no usable key")
        return self._keys

    async def refresh(self, reason: str) -> KeySet | None:
        return None

    @property
    def issuer(self) -> str | None:
        return None

    async def aclose(self) -> None:
        return None


def static_source(jwks: Mapping[str, Any]) -> KeySource:
    """A key source for a JWK Set given inline; ``ValueError`` if it is not one."""
    return StaticKeySource(jwks)
