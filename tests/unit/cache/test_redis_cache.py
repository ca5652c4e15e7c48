"""What only the Redis cache must show: sharing, outages, recovery, lost data."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from redis.asyncio import Redis

from jwtgate.cache import CacheUnavailable, RedisCache, SharedCache, open_cache

OpenRedis = Callable[..., RedisCache]

CALLS: dict[str, Callable[[SharedCache], Awaitable[object]]] = {
    "add_once": lambda cache: cache.add_once("jti", 10),
    "take": lambda cache: cache.take("client:a", 1.0, 1),
    "revoke": lambda cache: cache.revoke("t", time.time() + 60),
    "revoked_since": lambda cache: cache.revoked_since(0),
    "ping": lambda cache: cache.ping(),
}


async def test_clients_on_one_prefix_share_state(open_redis: OpenRedis) -> None:
    """Two instances (two clients) see one replay record, one bucket, one revocation list."""
    one, other = open_redis(), open_redis()
    assert await one.add_once("jti", 10)
    assert not await other.add_once("jti", 10)
    assert (await one.take("client:a", 0.01, 1)).allowed
    assert not (await other.take("client:a", 0.01, 1)).allowed
    await one.revoke("t", time.time() + 60)
    assert set((await other.revoked_since(0))[1]) == {"t"}


async def test_keys_live_under_the_prefix_and_expire(
    open_redis: OpenRedis, redis_admin: Redis, prefix: str
) -> None:
    cache = open_redis()
    await cache.add_once("jti", 5)
    await cache.take("client:a", 1.0, 2)
    await cache.revoke("t", time.time() + 60)
    keys = {key async for key in redis_admin.scan_iter(match=f"{prefix}*")}
    assert keys == {
        f"{prefix}{name}"
        for name in ("once:jti", "rate:client:a", "revoked:seq", "revoked:by_seq", "revoked:by_exp")
    }
    assert 0 < await redis_admin.pttl(f"{prefix}once:jti") <= 5000
    assert 0 < await redis_admin.pttl(f"{prefix}rate:client:a") <= 2000  # until full again


@pytest.mark.parametrize("method", CALLS)
async def test_unreachable_redis_raises_cache_unavailable_fast(
    dead_redis_url: str, method: str
) -> None:
    cache = open_cache(dead_redis_url)
    started = time.monotonic()
    with pytest.raises(CacheUnavailable) as raised:
        await CALLS[method](cache)
    assert time.monotonic() - started < 2
    assert f"Redis at {dead_redis_url}" in str(raised.value)
    await cache.close()


async def test_silent_redis_times_out_instead_of_hanging() -> None:
    """A Redis that accepts but never answers (overloaded, stopped) must not hang a request."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    cache = open_cache(f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    with pytest.raises(CacheUnavailable, match="Redis at"):
        await cache.add_once("jti", 10)
    assert time.monotonic() - started < 2
    await cache.close()
    server.close()
    await server.wait_closed()


async def test_unavailable_message_hides_credentials(dead_redis_url: str) -> None:
    cache = open_cache(dead_redis_url.replace("redis://", "redis://jwtgate:s3cret@"))
    with pytest.raises(CacheUnavailable) as raised:
        await cache.ping()
    assert "s3cret" not in str(raised.value)
    await cache.close()


async def test_recovers_when_redis_drops_its_connections(
    open_redis: OpenRedis, redis_admin: Redis, redis_url: str
) -> None:
    """What a Redis restart does to a client; callers must not notice (SPEC §2.5)."""
    name = f"jwtgate-test-{uuid.uuid4().hex}"
    separator = "&" if "?" in redis_url else "?"
    cache = open_redis(url=f"{redis_url}{separator}client_name={name}")
    assert await cache.add_once("before", 10)
    clients = [c for c in await redis_admin.client_list() if c["name"] == name]
    assert clients
    for client in clients:
        await redis_admin.client_kill_filter(_id=client["id"])
    assert await cache.add_once("after", 10)
    assert not await cache.add_once("before", 10)


async def test_scripts_reload_after_script_flush(open_redis: OpenRedis, redis_admin: Redis) -> None:
    """EVALSHA falls back to loading the script when Redis forgot it (restart, failover)."""
    cache = open_redis()
    assert (await cache.take("client:a", 1.0, 2)).allowed
    await redis_admin.script_flush()
    assert (await cache.take("client:a", 1.0, 2)).allowed
    assert not (await cache.take("client:a", 1.0, 2)).allowed


async def test_cursor_moves_on_after_redis_lost_its_data(
    open_redis: OpenRedis, redis_admin: Redis, prefix: str
) -> None:
    """New revocations must reach instances whose cursor predates the loss."""
    cache = open_redis()
    await cache.revoke("before", time.time() + 60)
    cursor, _ = await cache.revoked_since(0)
    await redis_admin.delete(*[key async for key in redis_admin.scan_iter(match=f"{prefix}*")])
    await cache.revoke("after", time.time() + 60)
    newer, changed = await cache.revoked_since(cursor)
    assert newer > cursor
    assert set(changed) == {"after"}
