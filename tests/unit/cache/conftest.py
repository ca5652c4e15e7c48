"""Cache fixtures: contract tests run on memory and on a real Redis (DESIGN "Testing").

Redis tests never skip: an unreachable Redis fails them with its URL. Each test gets its
own random key prefix and its keys are deleted afterwards.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from jwtgate.cache import MemoryCache, RedisCache, SharedCache, open_cache

REDIS_URL = os.environ.get("JWTGATE_TEST_CACHE_URL", "redis://127.0.0.1:6379/0")

CacheFactory = Callable[[str], SharedCache]


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def prefix() -> str:
    return f"jwtgate-test:{uuid.uuid4().hex}:"


@pytest.fixture
async def redis_admin(prefix: str) -> AsyncIterator[Redis]:
    """A plain client on the test Redis, failing loudly if it is down; cleans up the prefix."""
    client = Redis.from_url(
        REDIS_URL, decode_responses=True, socket_connect_timeout=2, socket_timeout=2
    )
    unreachable = ""
    try:
        await client.ping()
    except RedisError as error:
        unreachable = str(error)
    if unreachable:
        await client.aclose()
        pytest.fail(
            f"Redis at {REDIS_URL} is unreachable ({unreachable}). The cache tests need a "
            "real Redis: start one on 127.0.0.1:6379 or set JWTGATE_TEST_CACHE_URL.",
            pytrace=False,
        )
    yield client
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture
async def open_redis(prefix: str, redis_admin: Redis) -> AsyncIterator[Callable[..., RedisCache]]:
    """Opens Redis caches (each with its own client) under the test's prefix."""
    opened: list[RedisCache] = []

    def make(suffix: str = "", *, url: str = REDIS_URL) -> RedisCache:
        cache = open_cache(url, prefix=prefix + suffix)
        assert isinstance(cache, RedisCache)
        opened.append(cache)
        return cache

    yield make
    for cache in opened:
        await cache.close()


@pytest.fixture(params=["memory", "redis"])
def make_cache(request: pytest.FixtureRequest) -> CacheFactory:
    """``make(suffix)`` opens a cache of the parametrized kind; suffixes separate prefixes."""
    if request.param == "memory":
        return lambda suffix: MemoryCache()
    open_redis: Callable[[str], RedisCache] = request.getfixturevalue("open_redis")
    return open_redis


@pytest.fixture
def cache(make_cache: CacheFactory) -> SharedCache:
    return make_cache("")


@pytest.fixture
def dead_redis_url() -> str:
    """A Redis URL on a loopback port that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"
