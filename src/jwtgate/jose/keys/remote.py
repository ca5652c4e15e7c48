"""Keys fetched over HTTPS: the cache shared by ``jwks_uri`` and ``provider_uri``.

DESIGN "Known traps": PyJWT's ``PyJWKClient`` fetches with blocking urllib, refetches on
every unknown ``kid`` and drops its cache when a fetch fails. This cache does the
opposite (SPEC §2.1, §2.5; the model is panva/jose ``jwks/remote.ts``):

- **TTL** from ``Cache-Control`` (see :mod:`.fetch`). Until it runs out, no fetch.
- **Stale-while-revalidate / stale-if-error**: once the TTL has run out the cached keys
  are still answered at once while one background fetch replaces them; if that fetch
  fails they stay in use for up to 24 h past their expiry. So a slow or hanging
  provider never holds a request that has keys to work with.
- **Cold cache**: a request with no usable keys waits for the fetch (at most 5 s) and
  gets :class:`KeysUnavailable` when it fails — ``token_unprocessable`` within 6 s.
- **One fetch in flight**: concurrent callers join the running fetch (asyncio single
  flight); the fetch is shielded, so a caller that goes away does not cancel it for
  the others.
- **Cooldown**: a fetch starts at most once per 10 s (``refresh`` after an unknown
  ``kid`` or a signature failure included), and not within 10 s after a failed fetch
  ended. Junk ``kid`` values therefore cost at most one fetch per 10 s.

A fetch whose document has no usable key counts as failed: the last good keys stay.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from jwtgate.jose.keys.base import KeySet, KeysUnavailable
from jwtgate.jose.keys.fetch import FetchError, check_url, fetch_json, make_client

__all__ = ["COOLDOWN", "STALE_GRACE", "Fetched", "RemoteKeySource", "jwks_uri_source"]

log = logging.getLogger("jwtgate.jose.keys")

COOLDOWN = 10.0
STALE_GRACE = 24 * 3600.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class Fetched:
    """The result of one successful load: keys, how long to keep them, and an issuer."""

    keys: KeySet
    ttl: float
    issuer: str | None = None


async def load_jwks(client: httpx.AsyncClient, url: str) -> tuple[KeySet, float]:
    """Fetch a JWK Set; :class:`FetchError` unless it holds at least one usable key."""
    document, ttl = await fetch_json(client, url)
    try:
        keys = KeySet.from_jwks(document)
    except ValueError as error:
        raise FetchError(f"GET {url}: {error}") from error
    if not keys:
        raise FetchError(f"GET {url}: the JWK Set has no usable key")
    return keys, ttl


class RemoteKeySource:
    """A cached, single-flight, cooldown-limited key source around a ``load`` coroutine.

    ``fetch_count`` counts fetches started and ``failed_fetch_count`` those that failed,
    so tests (and metrics) can see that junk tokens cannot make jwtgate fetch more often.
    """

    def __init__(
        self,
        load: Callable[[], Awaitable[Fetched]],
        client: httpx.AsyncClient,
        *,
        label: str,
        clock: Clock = time.time,
    ) -> None:
        self._load = load
        self._client = client
        self._clock = clock
        self.label = label
        self._keys: KeySet | None = None
        self._expires_at = 0.0
        self._issuer: str | None = None
        self._not_before = float("-inf")
        self._inflight: asyncio.Task[KeySet | None] | None = None
        self._last_error = "no fetch yet"
        self.fetch_count = 0
        self.failed_fetch_count = 0

    @property
    def issuer(self) -> str | None:
        return self._issuer

    async def key_set(self) -> KeySet:
        now = self._clock()
        if self._keys is not None and now < self._expires_at + STALE_GRACE:
            if now >= self._expires_at:
                self._start(now)  # revalidate in the background; answer from the cache now
            return self._keys
        task = self._start(now)
        keys = await asyncio.shield(task) if task is not None else None
        if keys is None:
            raise KeysUnavailable(f"{self.label}: {self._last_error}")
        return keys

    async def refresh(self, reason: str) -> KeySet | None:
        task = self._start(self._clock())
        if task is None:
            log.debug("%s: no refetch after %s (cooldown)", self.label, reason)
            return None
        log.info("%s: refetching keys after %s", self.label, reason)
        return await asyncio.shield(task)

    async def settled(self) -> None:
        """Wait for a fetch in flight, if any (background revalidation, tests)."""
        if self._inflight is not None:
            await asyncio.shield(self._inflight)

    async def aclose(self) -> None:
        if self._inflight is not None:
            self._inflight.cancel()
            await asyncio.gather(self._inflight, return_exceptions=True)
        await self._client.aclose()

    def _start(self, now: float) -> asyncio.Task[KeySet | None] | None:
        """Join the fetch in flight, start one, or None during the cooldown."""
        if self._inflight is not None:
            return self._inflight
        if now < self._not_before:
            return None
        self._not_before = now + COOLDOWN
        self.fetch_count += 1
        task = asyncio.create_task(self._fetch())
        self._inflight = task
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[KeySet | None]) -> None:
        if self._inflight is task:
            self._inflight = None

    async def _fetch(self) -> KeySet | None:
        try:
            fetched = await self._load()
        except FetchError as error:
            self.failed_fetch_count += 1
            self._last_error = str(error)
            self._not_before = max(self._not_before, self._clock() + COOLDOWN)
            stale = "keeping the cached keys" if self._keys is not None else "no cached keys"
            log.warning("%s: key fetch failed (%s); %s", self.label, error, stale)
            return None
        self._keys = fetched.keys
        self._expires_at = self._clock() + fetched.ttl
        self._issuer = fetched.issuer
        return fetched.keys


def jwks_uri_source(
    url: str,
    *,
    ca_cert: str | None = None,
    allow_insecure_http: bool = False,
    clock: Clock = time.time,
    transport: httpx.AsyncBaseTransport | None = None,
) -> RemoteKeySource:
    """Keys from a JWK Set URL (policy ``jwks_uri``); ``ValueError`` for a refused URL."""
    check_url(url, allow_insecure_http=allow_insecure_http)
    client = make_client(ca_cert, transport)

    async def load() -> Fetched:
        keys, ttl = await load_jwks(client, url)
        return Fetched(keys, ttl)

    return RemoteKeySource(load, client, label=f"jwks_uri {url}", clock=clock)
