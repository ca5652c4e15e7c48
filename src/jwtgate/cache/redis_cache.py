"""Redis :class:`~jwtgate.cache.base.SharedCache`: the state several instances share.

Keys, all under ``prefix`` (default ``jwtgate:``):

- ``once:<key>``: string, ``SET NX PX`` — assertion single use (SPEC §2.3).
- ``rate:<key>``: hash ``{tokens, at}`` — token bucket (SPEC §3 "Rate limits"), expiring
  when it would be full again.
- ``revoked:seq``: the revocation cursor, never expiring; ``revoked:by_seq`` and
  ``revoked:by_exp``: sorted sets of token ids scored by cursor and by ``exp``.

Needs Redis >= 7.0 (``SET NX GET``, ``ZADD GT``). Every Redis error, timeout or refused
connection becomes :class:`CacheUnavailable` (SPEC §2.5: 503, never a hang): connecting and
reading time out after :data:`TIMEOUT_SECONDS`, and only a command whose connection broke is
retried, once and at once, on a fresh connection — so a Redis restart costs no request and a
dead Redis fails within milliseconds. Such a retry may repeat a command Redis had already
run: ``add_once`` recognises its own value, ``take`` may count that request twice.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from jwtgate.cache.base import CacheUnavailable, RateDecision, check_rate, effective_ttl

__all__ = ["TIMEOUT_SECONDS", "RedisCache"]

TIMEOUT_SECONDS = 1.0

# Token bucket on the Redis clock, so every instance measures time alike.
# KEYS: bucket. ARGV: rate, burst. Returns {allowed (0/1), retry_after (string)}.
_TAKE = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
end
local allowed, wait = 0, (1 - tokens) / rate
if tokens >= 1 then
  tokens, allowed, wait = tokens - 1, 1, 0
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
           'at', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], string.format('%.0f', math.ceil((burst - tokens) / rate * 1000) + 1))
return {allowed, string.format('%.17g', wait)}
"""

# The cursor is a hybrid logical clock, max(previous + 1, Redis time in microseconds): after
# Redis loses its data (restart, flush, failover) new cursors still exceed every cursor
# handed out before, so no instance skips a revocation.
# KEYS: seq, by_seq, by_exp. ARGV: token_id, expires_at, now.
_REVOKE = """
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])) do
  redis.call('ZREM', KEYS[2], id)
end
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
if tonumber(ARGV[2]) <= tonumber(ARGV[3]) then
  return 0
end
local t = redis.call('TIME')
local seq = math.max((tonumber(redis.call('GET', KEYS[1])) or 0) + 1,
                     tonumber(t[1]) * 1000000 + tonumber(t[2]))
seq = string.format('%.0f', seq)
redis.call('SET', KEYS[1], seq)
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], 'GT', ARGV[2], ARGV[1])
return 1
"""

# One GET when nothing changed. A cursor ahead of Redis means Redis lost its data: resend all.
# KEYS: seq, by_seq, by_exp. ARGV: cursor, now. Returns {seq, id1, exp1, id2, exp2, ...}.
_REVOKED_SINCE = """
local seq = redis.call('GET', KEYS[1]) or '0'
if seq == ARGV[1] then
  return {seq}
end
local from = ARGV[1]
if tonumber(seq) < tonumber(from) then
  from = '0'
end
local out = {seq}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. from, '+inf')) do
  local exp = redis.call('ZSCORE', KEYS[3], id)
  if exp and tonumber(exp) > tonumber(ARGV[2]) then
    out[#out + 1] = id
    out[#out + 1] = exp
  end
end
return out
"""


def _redacted(url: str) -> str:
    """``scheme://host:port/db`` without credentials, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    return f"{parts.scheme}://{host}:{port}{parts.path or '/0'}"


class RedisCache:
    """A :class:`SharedCache` on one Redis server (``redis://`` or ``rediss://`` URL).

    Scripts run with ``EVALSHA`` and fall back to loading themselves on ``NOSCRIPT``.
    The client reconnects by itself, so callers never handle reconnection.
    """

    def __init__(self, url: str, *, prefix: str = "jwtgate:") -> None:
        self._where = _redacted(url)
        self._prefix = prefix
        self._redis: Redis = Redis.from_url(
            url,
            decode_responses=True,
            socket_connect_timeout=TIMEOUT_SECONDS,
            socket_timeout=TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), retries=1, supported_errors=(RedisConnectionError,)),
        )
        self._take = self._redis.register_script(_TAKE)
        self._revoke = self._redis.register_script(_REVOKE)
        self._revoked_since = self._redis.register_script(_REVOKED_SINCE)
        self._revocation_keys = [
            f"{prefix}revoked:seq",
            f"{prefix}revoked:by_seq",
            f"{prefix}revoked:by_exp",
        ]

    @contextmanager
    def _unavailable(self, operation: str) -> Iterator[None]:
        """Turn every Redis failure into :class:`CacheUnavailable` (SPEC §2.5)."""
        try:
            yield
        except (RedisError, OSError) as error:
            raise CacheUnavailable(
                f"shared cache (Redis at {self._where}) failed on {operation}: {error}"
            ) from error

    async def add_once(self, key: str, ttl_seconds: float) -> bool:
        """``SET NX PX`` with a random value; ``GET`` tells our own retried write from a replay."""
        milliseconds = max(1, math.ceil(effective_ttl(ttl_seconds) * 1000))
        mine = secrets.token_hex(8)
        with self._unavailable("add_once"):
            previous = await self._redis.set(
                f"{self._prefix}once:{key}", mine, nx=True, px=milliseconds, get=True
            )
        return previous is None or previous == mine

    async def take(self, key: str, rate_per_second: float, burst: int) -> RateDecision:
        check_rate(rate_per_second, burst)
        with self._unavailable("take"):
            allowed, wait = await self._take(
                keys=[f"{self._prefix}rate:{key}"], args=[repr(float(rate_per_second)), burst]
            )
        return RateDecision(allowed=allowed == 1, retry_after=max(0.0, float(wait)))

    async def revoke(self, token_id: str, expires_at: float) -> None:
        with self._unavailable("revoke"):
            await self._revoke(
                keys=self._revocation_keys,
                args=[token_id, repr(float(expires_at)), repr(time.time())],
            )

    async def revoked_since(self, cursor: int) -> tuple[int, dict[str, float]]:
        with self._unavailable("revoked_since"):
            reply = await self._revoked_since(
                keys=self._revocation_keys, args=[str(cursor), repr(time.time())]
            )
        seq, *flat = cast(list[str], reply)
        return int(seq), {flat[i]: float(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def ping(self) -> None:
        with self._unavailable("ping"):
            await self._redis.ping()

    async def close(self) -> None:
        with self._unavailable("close"):
            await self._redis.aclose()
