"""The SharedCache contract, the same tests on memory and on a real Redis."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

import pytest

from jwtgate.cache import SharedCache

CacheFactory = Callable[[str], SharedCache]

# -- add_once: assertion single use (SPEC §2.3) -------------------------------------------


async def test_add_once_records_then_reports_replay(cache: SharedCache) -> None:
    assert await cache.add_once("iss|jti-1", 10) is True
    assert await cache.add_once("iss|jti-1", 10) is False
    assert await cache.add_once("iss|jti-2", 10) is True


async def test_add_once_expires_after_ttl(cache: SharedCache) -> None:
    assert await cache.add_once("jti", 0.3)
    assert not await cache.add_once("jti", 0.3)
    await asyncio.sleep(0.45)
    assert await cache.add_once("jti", 0.3)


@pytest.mark.parametrize("ttl", [0, -5.0])
async def test_add_once_nonpositive_ttl_still_lasts_a_while(cache: SharedCache, ttl: float) -> None:
    assert await cache.add_once("jti", ttl)
    await asyncio.sleep(0.4)
    assert not await cache.add_once("jti", ttl)


@pytest.mark.parametrize("ttl", [math.inf, math.nan])
async def test_add_once_refuses_non_finite_ttl(cache: SharedCache, ttl: float) -> None:
    with pytest.raises(ValueError, match="ttl_seconds"):
        await cache.add_once("jti", ttl)


async def test_add_once_concurrent_replays_have_one_winner(cache: SharedCache) -> None:
    results = await asyncio.gather(*(cache.add_once("iss|race", 10) for _ in range(50)))
    assert results.count(True) == 1


# -- take: token bucket (SPEC §3 Rate limits) ---------------------------------------------


async def test_take_passes_burst_then_refuses(cache: SharedCache) -> None:
    decisions = [await cache.take("client:a", 2.0, 3) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.retry_after for d in decisions[:3]] == [0.0, 0.0, 0.0]
    assert 0.3 < decisions[3].retry_after <= 0.5  # one token at 2/s, minus the time spent


async def test_take_refills_at_rate(cache: SharedCache) -> None:
    assert (await cache.take("client:a", 4.0, 1)).allowed
    refused = await cache.take("client:a", 4.0, 1)
    assert not refused.allowed
    await asyncio.sleep(refused.retry_after + 0.05)
    assert (await cache.take("client:a", 4.0, 1)).allowed
    assert not (await cache.take("client:a", 4.0, 1)).allowed


async def test_take_concurrent_never_exceeds_burst(cache: SharedCache) -> None:
    decisions = await asyncio.gather(*(cache.take("client:a", 0.01, 10) for _ in range(50)))
    assert sum(d.allowed for d in decisions) == 10


async def test_take_keeps_one_bucket_per_key(cache: SharedCache) -> None:
    assert (await cache.take("client:a", 0.01, 1)).allowed
    assert not (await cache.take("client:a", 0.01, 1)).allowed
    assert (await cache.take("client:b", 0.01, 1)).allowed


@pytest.mark.parametrize(("rate", "burst"), [(0, 1), (-1, 1), (math.inf, 1), (1, 0)])
async def test_take_refuses_a_bucket_that_never_passes(
    cache: SharedCache, rate: float, burst: int
) -> None:
    with pytest.raises(ValueError, match=r"rate_per_second|burst"):
        await cache.take("client:a", rate, burst)


# -- revoke / revoked_since (SPEC §2.3, §2.5) ---------------------------------------------


async def test_revoked_since_reports_what_is_newer_than_the_cursor(cache: SharedCache) -> None:
    assert await cache.revoked_since(0) == (0, {})
    expires_at = time.time() + 60
    await cache.revoke("t1", expires_at)
    first, changed = await cache.revoked_since(0)
    assert first > 0
    assert changed == {"t1": pytest.approx(expires_at)}
    assert await cache.revoked_since(first) == (first, {})  # nothing new: same cursor
    await cache.revoke("t2", expires_at)
    second, changed = await cache.revoked_since(first)
    assert second > first
    assert set(changed) == {"t2"}
    assert set((await cache.revoked_since(0))[1]) == {"t1", "t2"}


async def test_revoked_since_drops_expired_revocations(cache: SharedCache) -> None:
    now = time.time()
    await cache.revoke("short", now + 0.3)
    await cache.revoke("long", now + 60)
    await cache.revoke("already-expired", now - 1)
    assert set((await cache.revoked_since(0))[1]) == {"short", "long"}
    await asyncio.sleep(0.45)
    await cache.revoke("later", now + 60)  # a write prunes
    assert set((await cache.revoked_since(0))[1]) == {"long", "later"}


async def test_revoking_again_keeps_the_later_expiry(cache: SharedCache) -> None:
    expires_at = time.time() + 60
    await cache.revoke("t", expires_at)
    cursor, _ = await cache.revoked_since(0)
    await cache.revoke("t", expires_at - 30)
    newer, changed = await cache.revoked_since(cursor)
    assert newer > cursor
    assert changed == {"t": pytest.approx(expires_at)}


async def test_cursor_ahead_of_the_cache_gets_everything(cache: SharedCache) -> None:
    """A cursor the cache never issued (it lost its data) must not hide revocations."""
    await cache.revoke("t", time.time() + 60)
    cursor, changed = await cache.revoked_since(10**17)
    assert set(changed) == {"t"}
    assert await cache.revoked_since(cursor) == (cursor, {})


# -- prefixes, ping, close ----------------------------------------------------------------


async def test_prefixes_isolate_state(make_cache: CacheFactory) -> None:
    one, other = make_cache("one:"), make_cache("other:")
    assert await one.add_once("jti", 10)
    assert await other.add_once("jti", 10)
    assert (await one.take("client:a", 0.01, 1)).allowed
    assert (await other.take("client:a", 0.01, 1)).allowed
    await one.revoke("t", time.time() + 60)
    assert await other.revoked_since(0) == (0, {})


async def test_ping_answers_and_close_releases(cache: SharedCache) -> None:
    await cache.ping()
    await cache.close()
