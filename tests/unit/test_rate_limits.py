"""Rate limits: a burst, then the rate; per instance while the shared cache is down."""

from __future__ import annotations

import pytest

from jwtgate.cache import MemoryCache, open_cache
from jwtgate.rate_limits import RateLimited, RateLimiter
from jwtgate.settings import RateLimit, RateLimitSettings

LIMITS = RateLimitSettings(
    per_client=RateLimit(requests_per_second=1, burst=2),
    per_authenticator=RateLimit(requests_per_second=1, burst=3),
)


async def test_burst_then_refused_with_retry_after() -> None:
    limiter = RateLimiter(MemoryCache(), LIMITS)
    await limiter.check_client("a")
    await limiter.check_client("a")
    with pytest.raises(RateLimited) as refused:
        await limiter.check_client("a")
    assert refused.value.retry_after >= 1
    await limiter.check_client("b")  # another client is not starved
    for _ in range(3):
        await limiter.check_authenticator("acct", "svc")
    with pytest.raises(RateLimited):
        await limiter.check_authenticator("acct", "svc")


async def test_off_unless_configured() -> None:
    limiter = RateLimiter(MemoryCache(), RateLimitSettings())
    for _ in range(100):
        await limiter.check_client("a")
        await limiter.check_authenticator("acct", "svc")


async def test_counts_locally_while_the_cache_is_down() -> None:
    dead = open_cache("redis://127.0.0.1:1/0")
    limiter = RateLimiter(dead, LIMITS)
    await limiter.check_client("a")
    await limiter.check_client("a")
    with pytest.raises(RateLimited):
        await limiter.check_client("a")
    await dead.close()
