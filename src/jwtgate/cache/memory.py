"""In-process :class:`~jwtgate.cache.base.SharedCache`: the single-instance default.

Each operation is plain dict work under one lock, with no ``await`` inside, so it is atomic
for coroutines and threads alike: 50 concurrent ``add_once`` of one key see exactly one
winner (DESIGN "Known traps": check-then-mark lets a concurrent replay through). Every map
drops expired entries through a heap, so memory follows the live entries, not history.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Iterator
from typing import Generic, TypeVar

from jwtgate.cache.base import RateDecision, check_rate, effective_ttl

__all__ = ["ExpiringMap", "MemoryCache"]

V = TypeVar("V")


class ExpiringMap(Generic[V]):
    """``key -> (deadline, value)`` that forgets entries once their deadline has passed.

    The heap holds exactly one entry per key, scheduled at the deadline the key had when
    it was pushed; when that comes due the key is dropped, or rescheduled if its deadline
    moved later (a deadline moved earlier only delays the drop, ``live`` hides it). Each
    expiry costs O(log n), and the map holds the live keys plus those awaiting ``prune``.
    """

    def __init__(self) -> None:
        self._items: dict[str, tuple[float, V]] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._items)

    def live(self, key: str, now: float) -> tuple[float, V] | None:
        """``(deadline, value)`` of ``key`` unless absent or expired."""
        item = self._items.get(key)
        return item if item is not None and item[0] > now else None

    def put(self, key: str, deadline: float, value: V) -> None:
        if key not in self._items:
            heapq.heappush(self._heap, (deadline, key))
        self._items[key] = (deadline, value)

    def prune(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            _, key = heapq.heappop(self._heap)
            deadline = self._items[key][0]
            if deadline <= now:
                del self._items[key]
            else:
                heapq.heappush(self._heap, (deadline, key))

    def items(self, now: float) -> Iterator[tuple[str, float, V]]:
        """Live entries as ``(key, deadline, value)``."""
        for key, (deadline, value) in self._items.items():
            if deadline > now:
                yield key, deadline, value


class MemoryCache:
    """State of one process; nothing is shared with other processes (use Redis for that).

    Single-use records and buckets run on the monotonic clock (they measure intervals);
    revocations on wall-clock epoch seconds, the unit of a token's ``exp``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._once: ExpiringMap[None] = ExpiringMap()
        # deadline = when the bucket is full again, which is the same as having no bucket
        self._buckets: ExpiringMap[tuple[float, float]] = ExpiringMap()  # (tokens, at)
        self._revoked: ExpiringMap[int] = ExpiringMap()  # deadline = exp, value = seq
        self._seq = 0

    async def add_once(self, key: str, ttl_seconds: float) -> bool:
        ttl = effective_ttl(ttl_seconds)
        now = time.monotonic()
        with self._lock:
            self._once.prune(now)
            if self._once.live(key, now) is not None:
                return False
            self._once.put(key, now + ttl, None)
            return True

    async def take(self, key: str, rate_per_second: float, burst: int) -> RateDecision:
        check_rate(rate_per_second, burst)
        now = time.monotonic()
        with self._lock:
            self._buckets.prune(now)
            item = self._buckets.live(key, now)
            if item is None:
                tokens = float(burst)
            else:
                previous, at = item[1]
                tokens = min(float(burst), previous + (now - at) * rate_per_second)
            if tokens >= 1:
                tokens -= 1
                decision = RateDecision(allowed=True, retry_after=0.0)
            else:
                decision = RateDecision(allowed=False, retry_after=(1 - tokens) / rate_per_second)
            self._buckets.put(key, now + (burst - tokens) / rate_per_second, (tokens, now))
            return decision

    async def revoke(self, token_id: str, expires_at: float) -> None:
        now = time.time()
        with self._lock:
            self._revoked.prune(now)
            if expires_at <= now:
                return  # already expired: nothing left to refuse
            current = self._revoked.live(token_id, now)
            self._seq += 1
            deadline = expires_at if current is None else max(expires_at, current[0])
            self._revoked.put(token_id, deadline, self._seq)

    async def revoked_since(self, cursor: int) -> tuple[int, dict[str, float]]:
        now = time.time()
        with self._lock:
            if cursor == self._seq:
                return self._seq, {}
            self._revoked.prune(now)
            since = cursor if cursor < self._seq else 0
            changed = {tid: exp for tid, exp, seq in self._revoked.items(now) if seq > since}
            return self._seq, changed

    async def ping(self) -> None:
        """Always answers: the state is in this process."""

    async def close(self) -> None:
        """Nothing to release."""
