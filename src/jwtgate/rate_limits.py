"""Rate limits per OAuth client and per authenticator (SPEC §3 "Rate limits").

Off unless ``[rate_limit]`` sets them. Buckets live in the shared cache so that every
instance counts together; while the cache is down each instance keeps counting in its
own memory instead (SPEC: "per instance while it is down"), so one noisy caller can
still not starve the others.
"""

from __future__ import annotations

import math

from jwtgate.cache import CacheUnavailable, MemoryCache, RateDecision, SharedCache
from jwtgate.settings import RateLimit, RateLimitSettings

__all__ = ["RateLimited", "RateLimiter"]


class RateLimited(Exception):
    """Over the limit: answer 429 ``rate_limited`` with ``Retry-After`` (whole seconds)."""

    def __init__(self, subject: str, retry_after: float) -> None:
        super().__init__(f"too many requests for {subject}")
        self.subject = subject
        self.retry_after = max(1, math.ceil(retry_after))


class RateLimiter:
    def __init__(self, cache: SharedCache, settings: RateLimitSettings) -> None:
        self._cache = cache
        self._settings = settings
        self._local = MemoryCache()

    async def _take(self, key: str, limit: RateLimit, subject: str) -> None:
        try:
            decision: RateDecision = await self._cache.take(
                key, limit.requests_per_second, limit.burst
            )
        except CacheUnavailable:
            decision = await self._local.take(key, limit.requests_per_second, limit.burst)
        if not decision.allowed:
            raise RateLimited(subject, decision.retry_after)

    async def check_authenticator(self, account: str, service_id: str) -> None:
        """Raise RateLimited when authenticator ``account/service_id`` is over its rate."""
        if self._settings.per_authenticator is not None:
            subject = f"authenticator {account}/{service_id}"
            await self._take(
                f"authn:{account}/{service_id}", self._settings.per_authenticator, subject
            )

    async def check_client(self, client_id: str) -> None:
        """Raise RateLimited when OAuth client ``client_id`` is over its rate."""
        if self._settings.per_client is not None:
            await self._take(
                f"client:{client_id}", self._settings.per_client, f"client {client_id}"
            )
