"""The one small interface for state every jwtgate instance must share (DESIGN "Shared state").

Assertion single-use records (SPEC §2.3), rate-limit buckets (SPEC §3 "Rate limits") and
revoked access-token ids (SPEC §2.3, §2.5) must agree across instances, so they live
behind :class:`SharedCache`: in-process for one machine, Redis for several.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

__all__ = ["CacheUnavailable", "RateDecision", "SharedCache", "check_rate", "effective_ttl"]

MIN_TTL_SECONDS = 1.0


class CacheUnavailable(Exception):
    """The shared cache cannot be reached.

    Front doors answer 503 ``temporarily_unavailable`` with ``Retry-After`` (SPEC §2.5):
    replay-protected grants fail closed, never with a 401 that blames the token.
    """


@dataclass(frozen=True, slots=True)
class RateDecision:
    """One token-bucket answer; ``retry_after`` feeds the 429 ``Retry-After`` (SPEC §3)."""

    allowed: bool
    retry_after: float  # seconds until one request would pass; 0 when allowed


class SharedCache(Protocol):
    """State shared by every instance; every method raises :class:`CacheUnavailable`."""

    async def add_once(self, key: str, ttl_seconds: float) -> bool:
        """Record ``key`` for ``ttl_seconds`` with one atomic set-if-absent (SPEC §2.3).

        True when newly recorded, False when already present (a replay). A TTL <= 0 is
        raised to one second: the record must exist at least briefly.
        """
        ...

    async def take(self, key: str, rate_per_second: float, burst: int) -> RateDecision:
        """Take one token: ``burst`` requests pass at once, then ``rate`` per second (SPEC §3)."""
        ...

    async def revoke(self, token_id: str, expires_at: float) -> None:
        """Record a revoked access-token id until ``expires_at`` (epoch seconds)."""
        ...

    async def revoked_since(self, cursor: int) -> tuple[int, dict[str, float]]:
        """Revocations newer than ``cursor`` as ``(new_cursor, {token_id: expires_at})``.

        Cursor 0 means every live revocation. Cheap when nothing changed, so each instance
        can poll it for its in-memory revocation list (SPEC §2.5).
        """
        ...

    async def ping(self) -> None:
        """Succeed when the cache answers (``/readyz``, SPEC §2.6)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def effective_ttl(ttl_seconds: float) -> float:
    """The TTL to record: at least :data:`MIN_TTL_SECONDS` when the caller's is <= 0."""
    if not math.isfinite(ttl_seconds):
        raise ValueError(f"ttl_seconds must be finite, got {ttl_seconds!r}")
    return ttl_seconds if ttl_seconds > 0 else MIN_TTL_SECONDS


def check_rate(rate_per_second: float, burst: int) -> None:
    """Refuse a bucket that never passes a request (SPEC §3, ``{requests_per_second, burst}``)."""
    if not (math.isfinite(rate_per_second) and rate_per_second > 0):
        raise ValueError(f"rate_per_second must be a positive number, got {rate_per_second!r}")
    if burst < 1:
        raise ValueError(f"burst must be at least 1, got {burst!r}")
