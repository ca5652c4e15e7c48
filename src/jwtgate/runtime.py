"""The live state of one serving process: snapshot, key ring, cache, audit, reloader.

Hot paths read only :attr:`Runtime.snapshot` and :attr:`Runtime.keyring` — immutable
objects swapped whole when the store's change counters move. A background task polls
those counters (one small query every ``reload_interval_seconds``), so every worker of
every instance serves a policy apply or key rotation within about a second, and keeps
serving the last good state while the store is down.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Coroutine
from typing import Any

import httpx

from jwtgate.audit import AuditEvent, AuditWriter
from jwtgate.authn_jwt import key_config
from jwtgate.cache import RevocationList, SharedCache, open_cache
from jwtgate.control import load_policies, open_master_key
from jwtgate.crypto import MasterKey
from jwtgate.key_sources import KeySourceRegistry
from jwtgate.oauth import EMPTY, ClientDirectory
from jwtgate.own_tokens import OwnTokenVerifier
from jwtgate.policy import Snapshot, compile_snapshot
from jwtgate.rate_limits import RateLimiter
from jwtgate.settings import Settings
from jwtgate.signer import KeyRing
from jwtgate.store import (
    AuditRepository,
    ClientRepository,
    Database,
    KeyRepository,
    StoreUnavailable,
)

__all__ = ["Runtime"]

log = logging.getLogger("jwtgate.runtime")

RETIRED_KEY_GRACE_SECONDS = 300
CLAIMS_EXPIRY_INTERVAL_SECONDS = 3600
PROXY_RECEIVE_BUFFER = 128 * 1024  # SO_RCVBUF of upstream connections, see _proxy_client
SHUTDOWN_STEP_SECONDS = 5.0


class Runtime:
    """Owns the connections and background tasks of one process."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.public_url = settings.effective_public_url
        self.database = Database(settings.effective_database_url)
        self.cache: SharedCache = open_cache(settings.cache_url, prefix=settings.cache_prefix)
        self.master: MasterKey = open_master_key(settings)
        self.audit = AuditWriter(
            AuditRepository(self.database).write,
            max_queue=settings.audit.queue_size,
            flush_interval=settings.audit.flush_interval_seconds,
        )
        self.revocations = RevocationList(self.cache)
        self.key_sources = KeySourceRegistry()
        self.proxy_client = _proxy_client()  # proxy routes' upstream calls (SPEC §2.4)
        self.own_tokens = OwnTokenVerifier(self.public_url, self.revocations)
        self.rate_limiter = RateLimiter(self.cache, settings.rate_limit)
        self.snapshot: Snapshot = compile_snapshot({}, 0)
        self.clients: ClientDirectory = EMPTY  # OAuth clients: policy + registry (SPEC §2.3)
        self.keyring: KeyRing | None = None
        self._versions: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._store_down = False

    async def start(self) -> None:
        """Load policy and keys (the store must be reachable now), then start the tasks."""
        if not await self.database.is_current():
            raise RuntimeError("the store's schema is not current: run `jwtgate db upgrade`")
        await self.reload(force=True)
        if self.keyring is None:
            raise RuntimeError("the store holds no signing key: run `jwtgate init`")
        await self.revocations.refresh()
        self._spawn(self.audit.run())
        self._spawn(self.revocations.run())
        self._spawn(self._reload_loop())
        self._spawn(self._expire_claims_loop())

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(coroutine))

    async def stop(self) -> None:
        await _cancel_all(self._tasks)
        # Each step is bounded: a store that hangs must not keep the process alive.
        for step in (
            self.audit.close,
            self.key_sources.aclose,
            self.proxy_client.aclose,
            self.cache.close,
            self.database.close,
        ):
            try:
                await asyncio.wait_for(step(), SHUTDOWN_STEP_SECONDS)
            except Exception:
                log.exception("shutdown step failed", extra={"step": step.__qualname__})

    async def reload(self, *, force: bool = False) -> None:
        """Rebuild the snapshot and key ring if their versions moved."""
        current = await self.database.versions()
        policy_changed = force or current.get("policy") != self._versions.get("policy")
        keys_changed = force or current.get("keys") != self._versions.get("keys")
        if policy_changed:
            version, policies = await load_policies(self.database)
            self.snapshot = compile_snapshot(policies, version)
            current["policy"] = version
            log.info("policy loaded", extra={"policy_version": version})
        clients_changed = force or current.get("clients") != self._versions.get("clients")
        if policy_changed or clients_changed:
            registered = await ClientRepository(self.database).all()
            self.clients = ClientDirectory.build(
                self.snapshot, ((client.account, client.document) for client in registered)
            )
            await self.key_sources.retain(
                [
                    *(
                        key_config(authenticator)
                        for account in self.snapshot.accounts.values()
                        for authenticator in account.authenticators.values()
                    ),
                    *self.clients.key_configs(),
                ]
            )
        now = time.time()
        ring_expired = self.keyring is not None and (self.keyring.valid_until or now + 1) <= now
        if policy_changed or keys_changed or ring_expired:
            records = await KeyRepository(self.database).all()
            if records:
                # A ring that cannot be built (a damaged row, a wrong master key) raises;
                # the caller keeps serving the previous ring and logs why.
                self.keyring = KeyRing.build(
                    records,
                    self.master,
                    retired_retention_seconds=self.retired_key_retention,
                    now=now,
                )
        self._versions = current

    @property
    def retired_key_retention(self) -> float:
        """The longest access-token lifetime plus five minutes (SPEC §3 Signing keys)."""
        longest = max(self.settings.oauth.access_token_ttl, self.snapshot.max_token_ttl_seconds)
        return float(longest + RETIRED_KEY_GRACE_SECONDS)

    async def _reload_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.reload_interval_seconds)
            try:
                await self.reload()
            except StoreUnavailable as error:
                if not self._store_down:
                    log.warning(
                        "store unavailable, serving the last loaded state",
                        extra={"error": str(error)},
                    )
                    self._store_down = True
                continue
            except Exception:
                log.exception("reload failed, serving the last loaded state")
                continue
            if self._store_down:
                log.info("store reachable again")
                self._store_down = False

    async def _expire_claims_loop(self) -> None:
        """Forget audited claims past ``audit.claims_retention_days`` (SPEC §2.6), hourly."""
        repository = AuditRepository(self.database)
        while True:
            # Sleep first: start-up is busy enough, and a restart loop must not hammer it.
            await asyncio.sleep(CLAIMS_EXPIRY_INTERVAL_SECONDS)
            try:
                cleared = await repository.expire_claims(time.time())
            except StoreUnavailable:
                continue
            if cleared:
                log.info("expired audited claims", extra={"events": cleared})

    def record(self, event: AuditEvent) -> None:
        self.audit.record(event)


async def _cancel_all(tasks: list[asyncio.Task[None]], patience: float = 5.0) -> None:
    """Cancel background tasks, cancelling again while any is still running.

    redis-py can swallow a cancellation that lands inside a command (seen with 8.1), and
    a loop that swallowed it would keep a shutting-down process alive for ever.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + patience
    pending = {task for task in tasks if not task.done()}
    while pending and loop.time() < deadline:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.1)
    if pending:
        log.warning("background tasks did not stop", extra={"tasks": len(pending)})


def _proxy_client() -> httpx.AsyncClient:
    """Upstream connections for proxy routes: pooled, no redirects followed, no proxy
    environment variables. The proxy builds each request whole and uses ``send()``, so
    the client's default headers are never added to what the client sent.

    The receive buffer is capped: the event loop reads ahead whatever the kernel lets
    through in one wake-up (8 MiB measured with uvloop and Linux's default autotuning),
    so a slow client would cost that much memory per upstream connection; with 128 KiB
    it stays near 1 MiB. The price is a window of about 256 KiB per round trip (over
    100 MB/s per connection within a data centre, less across a WAN).
    """
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=100),
        socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, PROXY_RECEIVE_BUFFER)],
    )
    return httpx.AsyncClient(transport=transport, trust_env=False, follow_redirects=False)
