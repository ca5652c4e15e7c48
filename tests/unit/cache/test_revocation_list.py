"""RevocationList: each instance's in-memory view of the revocations (SPEC §2.3, §2.5)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest

from jwtgate.cache import (
    CacheUnavailable,
    MemoryCache,
    RateDecision,
    RedisCache,
    RevocationList,
    SharedCache,
    open_cache,
)

OpenRedis = Callable[..., RedisCache]
LOGGER = "jwtgate.cache.revocations"


class Switchable:
    """A SharedCache that forwards to ``target``, so a test can move it to a dead Redis."""

    def __init__(self, target: SharedCache) -> None:
        self.target = target

    async def add_once(self, key: str, ttl_seconds: float) -> bool:
        return await self.target.add_once(key, ttl_seconds)

    async def take(self, key: str, rate_per_second: float, burst: int) -> RateDecision:
        return await self.target.take(key, rate_per_second, burst)

    async def revoke(self, token_id: str, expires_at: float) -> None:
        await self.target.revoke(token_id, expires_at)

    async def revoked_since(self, cursor: int) -> tuple[int, dict[str, float]]:
        return await self.target.revoked_since(cursor)

    async def ping(self) -> None:
        await self.target.ping()

    async def close(self) -> None:
        await self.target.close()


@contextlib.asynccontextmanager
async def polling(revocations: RevocationList) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(revocations.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def wait_until(condition: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``condition`` held; fails the test after ``timeout``."""
    started = time.monotonic()
    while not condition():
        elapsed = time.monotonic() - started
        assert elapsed < timeout, f"not true within {timeout} s"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


# -- local behaviour, on the in-process cache ---------------------------------------------


async def test_revoke_is_seen_here_at_once_and_elsewhere_after_refresh() -> None:
    cache = MemoryCache()
    here, there = RevocationList(cache), RevocationList(cache)
    await here.revoke("t", time.time() + 60)
    assert here.is_revoked("t")
    assert not there.is_revoked("t")
    await there.refresh()
    assert there.is_revoked("t")
    assert not there.is_revoked("other")


async def test_expired_revocations_leave_the_list() -> None:
    now = [time.time()]
    revocations = RevocationList(MemoryCache(), clock=lambda: now[0])
    await revocations.revoke("short", now[0] + 10)
    await revocations.revoke("long", now[0] + 100)
    now[0] += 11
    assert not revocations.is_revoked("short")  # at once, even before a refresh
    assert revocations.is_revoked("long")
    await revocations.refresh()
    assert len(revocations) == 1


async def test_a_later_expiry_wins() -> None:
    now = [time.time()]
    revocations = RevocationList(MemoryCache(), clock=lambda: now[0])
    await revocations.revoke("t", now[0] + 100)
    await revocations.revoke("t", now[0] + 10)
    now[0] += 50
    await revocations.refresh()
    assert revocations.is_revoked("t")


async def test_run_polls_until_cancelled() -> None:
    cache = MemoryCache()
    here, there = RevocationList(cache), RevocationList(cache, poll_interval=0.01)
    async with polling(there) as task:
        await here.revoke("t", time.time() + 60)
        await wait_until(lambda: there.is_revoked("t"), timeout=1)
    assert task.cancelled()


# -- across instances and outages, on a real Redis ----------------------------------------


async def test_revocation_reaches_another_instance_within_a_second(open_redis: OpenRedis) -> None:
    """Two instances, two Redis clients, real polling at the default interval."""
    here, there = RevocationList(open_redis()), RevocationList(open_redis())
    await there.refresh()
    async with polling(here), polling(there):
        await here.revoke("t", time.time() + 60)
        assert here.is_revoked("t")
        await wait_until(lambda: there.is_revoked("t"), timeout=1)


async def test_keeps_the_last_known_list_while_redis_is_down(
    open_redis: OpenRedis, dead_redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    here = RevocationList(open_redis())
    live = open_redis()
    dead = open_cache(dead_redis_url)
    switch = Switchable(live)
    there = RevocationList(switch)
    await here.revoke("before", time.time() + 60)
    await there.refresh()
    assert there.is_revoked("before")

    switch.target = dead
    for _ in range(3):
        await there.refresh()  # never raises
    assert there.is_revoked("before")
    with pytest.raises(CacheUnavailable):
        await there.revoke("during", time.time() + 60)
    assert not there.is_revoked("during")  # not recorded anywhere, so not claimed here
    await here.revoke("meanwhile", time.time() + 60)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "last known revocation list" in warnings[0].getMessage()

    switch.target = live
    await there.refresh()
    assert there.is_revoked("before")
    assert there.is_revoked("meanwhile")
    assert any("reachable again" in r.getMessage() for r in caplog.records)

    switch.target = dead
    await there.refresh()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2
    await dead.close()
