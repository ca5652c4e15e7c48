"""Shared state: assertion single use, rate limits and revocations (DESIGN "Shared state").

``open_cache("memory://")`` keeps it in this process (one instance, the default);
``open_cache("redis://…")`` shares it between every instance using the same Redis and
prefix. :class:`RevocationList` is each instance's in-memory view of the revocations.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from jwtgate.cache.base import CacheUnavailable, RateDecision, SharedCache
from jwtgate.cache.memory import MemoryCache
from jwtgate.cache.redis_cache import RedisCache
from jwtgate.cache.revocations import RevocationList

__all__ = [
    "CacheUnavailable",
    "MemoryCache",
    "RateDecision",
    "RedisCache",
    "RevocationList",
    "SharedCache",
    "open_cache",
]


def open_cache(url: str, *, prefix: str = "jwtgate:") -> SharedCache:
    """The cache named by ``url`` (``JWTGATE_CACHE_URL``, SPEC §5); connects lazily.

    ``memory://`` is private to this process, so ``prefix`` matters only for Redis, where
    it separates deployments (or tests) sharing one server.
    """
    scheme = urlsplit(url).scheme.lower()
    if scheme == "memory":
        return MemoryCache()
    if scheme in ("redis", "rediss"):
        return RedisCache(url, prefix=prefix)
    raise ValueError(
        f"unsupported cache URL scheme {scheme!r}: use memory://, redis:// or rediss://"
    )
