"""The public surface of jwtgate.cache: exported names and ``open_cache`` URL schemes."""

from __future__ import annotations

import pytest

import jwtgate.cache
from jwtgate.cache import MemoryCache, RedisCache, open_cache


def test_exported_names_are_pinned() -> None:
    assert sorted(jwtgate.cache.__all__) == [
        "CacheUnavailable",
        "MemoryCache",
        "RateDecision",
        "RedisCache",
        "RevocationList",
        "SharedCache",
        "open_cache",
    ]


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("memory://", MemoryCache),
        ("redis://127.0.0.1:6379/0", RedisCache),
        ("rediss://cache.example:6380/1", RedisCache),
        ("REDIS://127.0.0.1", RedisCache),
    ],
)
async def test_open_cache_picks_the_implementation_without_connecting(url: str, kind: type) -> None:
    cache = open_cache(url, prefix="jwtgate-test:")
    assert isinstance(cache, kind)
    await cache.close()


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("http://127.0.0.1:6379", "'http'"), ("unix:///tmp/redis.sock", "'unix'"), ("", "''")],
)
def test_open_cache_refuses_other_schemes(url: str, scheme: str) -> None:
    with pytest.raises(ValueError, match=f"scheme {scheme}"):
        open_cache(url)
