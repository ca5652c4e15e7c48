"""The per-instance in-memory revocation list (SPEC §2.3 revocation, §2.5).

A revoked token is refused by every instance on every front door, and each instance keeps
using the last known list while the shared cache is down. So the hot path asks a local
dict (no I/O), and a background task polls the cache's cheap ``revoked_since`` cursor.
Entries leave the list at their token's ``exp``: callers whose verifiers allow leeway
should revoke until ``exp`` plus that leeway.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections.abc import Callable

from jwtgate.cache.base import CacheUnavailable, SharedCache

__all__ = ["RevocationList"]

log = logging.getLogger("jwtgate.cache.revocations")


class RevocationList:
    """Revoked access-token ids known to this instance, fed by the shared cache."""

    def __init__(
        self,
        cache: SharedCache,
        *,
        poll_interval: float = 0.25,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._cache = cache
        self._poll_interval = poll_interval
        self._clock = clock
        self._cursor = 0
        self._revoked: dict[str, float] = {}  # token id -> expires_at (epoch seconds)
        self._expiries: list[tuple[float, str]] = []  # heap: one entry per id, for pruning
        self._outage = False

    def __len__(self) -> int:
        """How many revocations this instance holds (expired ones are dropped on refresh)."""
        return len(self._revoked)

    def is_revoked(self, token_id: str) -> bool:
        """True while ``token_id`` is revoked and unexpired; O(1), no I/O (hot path)."""
        expires_at = self._revoked.get(token_id)
        return expires_at is not None and expires_at > self._clock()

    async def revoke(self, token_id: str, expires_at: float) -> None:
        """Record in the shared cache first (raises :class:`CacheUnavailable`), then here.

        Shared first: a revocation that only this instance knew would be accepted by the
        others, which SPEC §2.3 forbids, so a failure must reach the caller (503).
        """
        await self._cache.revoke(token_id, expires_at)
        self._merge({token_id: expires_at})

    async def refresh(self) -> None:
        """Poll once. While the cache is down, keep the last known list and warn once."""
        try:
            cursor, changed = await self._cache.revoked_since(self._cursor)
        except CacheUnavailable as error:
            if not self._outage:
                self._outage = True
                log.warning(
                    "shared cache unavailable, using the last known revocation list",
                    extra={"error": str(error)},
                )
            return
        if self._outage:
            self._outage = False
            log.info("shared cache reachable again, revocation list resumed")
        self._cursor = cursor
        self._merge(changed)

    async def run(self) -> None:
        """Refresh every ``poll_interval`` until cancelled.

        An unexpected error is logged and the loop goes on: a dead poller would silently
        stop revocations from reaching this instance.
        """
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("revocation list refresh failed")
            await asyncio.sleep(self._poll_interval)

    def _merge(self, changed: dict[str, float]) -> None:
        """Add revocations (keeping the later expiry) and drop the expired ones."""
        now = self._clock()
        for token_id, expires_at in changed.items():
            current = self._revoked.get(token_id)
            if current is None:
                heapq.heappush(self._expiries, (expires_at, token_id))
            if current is None or expires_at > current:
                self._revoked[token_id] = expires_at
        while self._expiries and self._expiries[0][0] <= now:
            _, token_id = heapq.heappop(self._expiries)
            expires_at = self._revoked[token_id]
            if expires_at <= now:
                del self._revoked[token_id]
            else:
                heapq.heappush(self._expiries, (expires_at, token_id))
